// What every rule of core/ works with (DESIGN §1): the store transaction it runs in (any
// backend of store/txn.hpp), the settings it reads, a view of who is online, and the effects
// it returns. Nothing here does I/O: a rule decides, the node sends what its effects hold
// once the transaction committed (node/router.cpp), and tests read them directly.
#pragma once

#include "core/tally.hpp"

#include "protocol/codec.hpp"
#include "protocol/federation.hpp"
#include "store/tables.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatnode::core {

using frame_ptr = std::shared_ptr<const std::string>;

// A client connection, opaque here: the node's sessions derive from it, and the node sends
// to the connections that effects name.
class connection {
 public:
  virtual ~connection() = default;
};
using connection_ptr = std::shared_ptr<connection>;

// Who is online and which other nodes can be reached, as the rules see it. The node's
// registry and federation relay stand behind it; unit tests use a table.
class online_view {
 public:
  virtual ~online_view() = default;
  // The session of a logged-in local user (also while it still catches up on its inbox).
  virtual connection_ptr find(const std::string& user) const = 0;
  // The session to deliver inbox-worthy events to live: none while it catches up (those
  // events wait in the inbox, behind the older ones).
  virtual connection_ptr find_live(const std::string& user) const = 0;
  // What friends see: the chosen status, "offline" when not logged in. For users of other
  // nodes, what their node last said.
  virtual std::string visible_status(const std::string& user) const = 0;
  virtual void set_remote_status(const std::string& user, const std::string& status) = 0;
  // `domain` restarted: forgets its users' presence; returns those that were not offline.
  virtual std::vector<std::string> forget_remote_domain(const std::string& domain) = 0;
  // Every logged-in local user with the status friends see.
  virtual std::vector<std::pair<std::string, std::string>> visible_users() const = 0;
  // Whether federation is on, and whether users of `domain` can be reached (a peer).
  virtual bool federated() const = 0;
  virtual bool reachable(const std::string& domain) const = 0;
  // Spends one of `requester`'s friend request budgets (limits.friend_requests_per_hour,
  // limits.friend_requests_per_pair_day); false when either is used up.
  virtual bool take_friend_request(const std::string& requester, const std::string& receiver) = 0;
};

// The part of the node's config the rules read (node/config.hpp has the keys).
struct settings {
  std::string domain;
  std::size_t max_message_bytes = 128 * 1024;  // a client message carried by an event
  std::size_t max_text_bytes = 16 * 1024;
  std::size_t max_inbox_messages = 10000;
  std::size_t max_blocks = 1000;
  std::int64_t max_clock_skew = 300;  // federation: a peer's timestamp ahead of this clock
  std::int64_t max_event_age = 30 * 24 * 3600;  // federation: a peer's timestamp behind it
  std::uint64_t media_max_bytes = 256ull << 20;  // media.max_bytes
  std::size_t media_max_chunk_bytes = 64 * 1024;
  unsigned media_max_concurrent_uploads = 4;
  std::uint64_t media_quota_bytes = 1ull << 30;
};

// Who a request comes from. A user of another node acts through an `act` event: `via` is
// their node, where replies go (through its outbox), unless `quiet` (the origin already
// answered them).
struct actor {
  std::string user;  // a full user id
  std::string via;   // empty for a user of this node
  bool quiet = false;
};

// A frame bound for a user of another node: one event per (node, frame, ref).
struct remote_delivery {
  std::string domain;
  frame_ptr frame;
  std::vector<std::string> to;     // users of `domain`
  std::optional<std::string> ref;  // FRIEND_REQUEST: the request id its verdict echoes
};

// What a rule made happen beyond the store; nothing of it is sent before the commit.
struct effects {
  struct send {
    connection_ptr to;  // null: the connection that made the request
    frame_ptr frame;
  };
  std::vector<send> sends;  // in order
  // Bound for other nodes: written to their outboxes by flush_remote() at the end of the
  // rule (group records first, then deliveries, in order).
  std::vector<remote_delivery> remote;
  std::map<std::string, std::set<std::string>> group_syncs;  // group id -> domains to tell
  std::set<std::string> pokes;  // outboxes that got events: the node wakes their links
  message_tally tally;          // messages the rule accepted, counted once it committed
  std::uint32_t errors = 0;     // ERROR frames among `sends`
  std::vector<std::string> notes;  // what the node's log should say (warnings about other nodes' events)

  void clear();
};

// The outcome of an event from another node, for FED_ACK (protocol/federation.hpp).
using remote_result = protocol::fed::event_result;
inline remote_result refuse(int code, std::string reason) { return {code, std::move(reason)}; }

// The domain part of a user or group id ("" when there is none), a view into `id`.
std::string_view domain_of(std::string_view id);
// A full user id of `raw` read against `domain` (a bare name is a user of it), else `raw`.
std::string full_user_id(const std::string& raw, const std::string& domain);

class context {
 public:
  context(store::txn& txn, effects& out, settings config, online_view& view, std::int64_t clock)
      : t(txn), fx(out), cfg(std::move(config)), online(view), now(clock) {}

  store::txn& t;
  effects& fx;
  const settings cfg;
  online_view& online;
  const std::int64_t now;  // the node's clock for this rule (seconds)

  bool is_local(std::string_view id) const { return domain_of(id) == cfg.domain; }
  // A full user id of `raw` read against this node's domain, else `raw` as it is.
  std::string full_id(const std::string& raw) const;

  // A message stamped with this rule's time.
  frame_ptr frame(protocol::payload body, const std::optional<std::string>& id = std::nullopt) const;
  frame_ptr error_frame(protocol::code c, std::string message, std::optional<std::string> in_reply_to,
                        const std::optional<std::string>& id) const;

  // To the requester: their connection, or their node for a user of another node.
  void reply(const actor& a, frame_ptr frame);
  void reply_error(const actor& a, protocol::code c, std::string message, std::optional<std::string> in_reply_to,
                   const std::optional<std::string>& id);
  // To a connection the online view gave.
  void send(const connection_ptr& to, frame_ptr frame) { fx.sends.push_back({to, std::move(frame)}); }
  // To `user`'s session when live, else into their inbox; a user of another node: into
  // that node's outbox (`ref` is the request id a FRIEND_REQUEST's verdict echoes).
  void deliver(const std::string& user, const frame_ptr& frame, const std::optional<std::string>& ref = std::nullopt);
  // `user` is a local user who is not live and has limits.max_inbox_messages frames waiting.
  bool inbox_full(const std::string& user) const;

  // ---- other nodes ----
  // A peer's timestamp, or this node's clock when it is more than max_clock_skew ahead or
  // max_event_age behind (docs/federation.md "Checks on every event").
  std::int64_t peer_time(std::int64_t claimed) const;
  store::stream_pos append_event(const std::string& domain, const std::string& event);
  // Writes the effects' remote deliveries and group records to the outboxes (the end of a rule).
  void flush_remote();
  // At a node that does not home `group_id`: sends a client request naming the group by id
  // to its home node, which answers the user. Returns the event's place in the stream.
  store::stream_pos forward_to_home(const std::string& actor, const std::string& group_id, protocol::payload request,
                                    const std::optional<std::string>& id);

  // ---- group records ----
  // Saves / deletes a group this node homes, and tells the other nodes involved.
  void save_group(const std::string& group_id, const store::group_record& g, const store::group_record* before);
  void delete_group(const std::string& group_id, const store::group_record& g);
  // At a node that does not home the group: its copy becomes `g` (dropped when none of
  // this node's users is in it any more). Nothing is sent.
  void update_replica(const std::string& group_id, const store::group_record& g, const store::group_record* before);

 private:
  void sync_group(const std::string& group_id, const store::group_record& g);
};

}  // namespace chatnode::core
