// The router applies the protocol rules: it decodes a client's frame, checks who may do
// what, reads the store, hands writes to the single writer, and sends replies once they are
// durable. It is called on the calling session's strand; it never blocks on I/O, the KDF
// or the writer (KDF work runs on `run_blocking`, writes complete through the writer).
#pragma once

#include "client_session.hpp"
#include "config.hpp"
#include "login_throttle.hpp"
#include "model.hpp"
#include "registry.hpp"

#include "protocol/codec.hpp"
#include "store/lmdb.hpp"
#include "store/writer.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatnode::node {

struct router_metrics {
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> errors_sent{0};
  std::atomic<std::uint64_t> registrations{0};
  std::atomic<std::uint64_t> logins{0};
  std::atomic<std::uint64_t> login_failures{0};
  std::atomic<std::uint64_t> logins_throttled{0};
  std::atomic<std::uint64_t> remote_events{0};      // federation events received and stored
  std::atomic<std::uint64_t> remote_duplicates{0};  // of which already applied before
  std::atomic<std::uint64_t> remote_refused{0};     // of which refused (authority, malformed)
};

// What the router needs of federation; node/relay.cpp implements it. Null when federation
// is off (then users of other domains are unknown).
class federation_port {
 public:
  virtual ~federation_port() = default;
  // Whether users of `domain` can be reached (the domain is a configured peer).
  virtual bool reachable(const std::string& domain) const = 0;
  // New events for `domain` were committed to its outbox: send them (dialling if needed).
  virtual void poke(const std::string& domain) = 0;
};

// A federation event's outcome for FED_ACK: 0 applied (or a duplicate), else the refusal;
// -1 and 9008 (not stored) are not acknowledged, so the origin sends the event again.
struct remote_result {
  int code = 0;
  std::string reason;
};

// Media between nodes (media_fetch.hpp): how a fetch ended once its bytes were in.
enum class fetch_outcome {
  published,  // the hash matched: the media is delivered to this node's recipients
  refetch,    // the hash did not match: the bytes were dropped, fetch again
  failed,     // given up (too many mismatches); the origin was told
  gone,       // the fetch no longer exists (purged meanwhile)
};

class router {
 public:
  using blocking_executor = std::function<void(std::function<void()>)>;

  router(const config& cfg, store::database& db, store::writer& writer, registry& online,
         blocking_executor run_blocking);

  // One text frame from `s`. Returns false when it paused reading on `s` to keep request
  // order across an asynchronous step (login, registration); it then calls
  // s->resume_reading() once the reply is queued.
  bool on_frame(const std::shared_ptr<client_session>& s, std::string_view frame);
  // A frame above limits.max_message_bytes (not parsed) or a binary frame.
  void on_oversize(const std::shared_ptr<client_session>& s, std::size_t size);
  void on_binary(const std::shared_ptr<client_session>& s);
  // The connection ended (on the session's strand, once).
  void on_disconnect(const std::shared_ptr<client_session>& s);

  // Federation (router_federation.cpp). Set before serving.
  void set_federation(federation_port* fed) noexcept { fed_.store(fed); }
  // Applies event `seq` of `origin`'s stream once (a duplicate is acknowledged, not
  // applied again), in a writer job; `done` runs after the commit with the outcome.
  void receive_remote(const std::string& origin, const std::string& stream, std::uint64_t seq, boost::json::object event,
                      std::function<void(remote_result)> done);
  // Events for every configured peer at start-up: "reset" (this node's users are offline).
  void announce_start(const std::vector<std::string>& peers, std::function<void()> done);

  // ---- media between nodes (router_media_federation.cpp) ----
  // Every chunk of fetched media `media_id` is stored: checks the SHA-256 off the I/O
  // threads, then publishes it (or drops the bytes); `done` runs after the commit.
  void finish_fetch(const std::string& media_id, std::function<void(fetch_outcome)> done);

  const router_metrics& metrics() const noexcept { return metrics_; }
  const config& cfg() const noexcept { return cfg_; }

  // Encodes a message with the node's timestamp and the request's id.
  static frame_ptr make_frame(protocol::payload body, const std::optional<std::string>& id);
  static frame_ptr make_error_frame(protocol::code c, std::string message, std::optional<std::string> in_reply_to,
                                    const std::optional<std::string>& id);
  static std::int64_t now_seconds();

 private:
  // What a rule sends; it is sent only after the rule's transaction committed.
  struct remote_delivery {
    std::string domain;
    frame_ptr frame;
    std::vector<std::string> to;     // users of `domain`
    std::optional<std::string> ref;  // FRIEND_REQUEST: the request id its verdict echoes
  };
  struct effects {
    std::vector<std::pair<std::shared_ptr<client_session>, frame_ptr>> sends;
    // Bound for other nodes: written to their outboxes at the end of the rule (group
    // records first, then deliveries, in order); `pokes` are sent after the commit.
    std::vector<remote_delivery> remote;
    std::map<std::string, std::set<std::string>> group_syncs;  // group id -> domains to tell
    std::set<std::string> pokes;
    void send(const std::shared_ptr<client_session>& to, frame_ptr frame);
    void clear() {
      sends.clear();
      remote.clear();
      group_syncs.clear();
      pokes.clear();
    }
  };
  using rule_fn = std::function<void(store::txn&, effects&)>;
  // Runs `rule` as a writer job (so every rule sees and changes state in one order); on
  // success sends its effects in order, on failure sends `on_failure()` to `s`.
  void run_rule(const std::shared_ptr<client_session>& s, rule_fn rule, std::function<frame_ptr()> on_failure);
  // Inside a rule: to `user`'s session after the commit when online, else into the inbox;
  // a user of another domain: into that node's outbox.
  void deliver(store::txn& t, effects& fx, const std::string& user, const frame_ptr& frame,
               const std::optional<std::string>& ref = std::nullopt);
  // Sends what a rule's effects hold: local sends, then pokes for new outbox events.
  void apply_effects(effects& fx);

  // ---- federation (router_federation.cpp) ----
  bool is_local(std::string_view id) const;  // a user or group id of this node's domain
  bool reachable(const std::string& domain) const {
    const federation_port* fed = fed_.load();
    return fed && fed->reachable(domain);
  }
  // Inside a rule: writes fx's remote deliveries and group records to the outboxes.
  void flush_remote(store::txn& t, effects& fx);
  std::uint64_t append_event(store::txn& t, effects& fx, const std::string& domain, const std::string& event);  // its seq
  // Inside a rule: saves / deletes a group record, and tells the other nodes involved.
  void save_group(store::txn& t, effects& fx, const std::string& group_id, const model::group_record& g,
                  const model::group_record* before);
  void delete_group(store::txn& t, effects& fx, const std::string& group_id, const model::group_record& g);
  // At a node that does not home the group: its copy of the record becomes `g` (dropped
  // when none of this node's users is in it any more). Nothing is sent.
  void update_replica(store::txn& t, const std::string& group_id, const model::group_record& g,
                      const model::group_record* before);
  // Inside a rule of a node that does not home `group_id`: sends the request (a client
  // payload naming the group by id) to the home node, which answers the user.
  // Returns the event's outbox sequence number.
  std::uint64_t forward_to_home(store::txn& t, effects& fx, const std::string& actor, const std::string& group_id,
                                protocol::payload request, const std::optional<std::string>& id);
  // Inside a rule: `me`'s presence frame to their friends on other nodes.
  void presence_to_remote(store::txn& t, effects& fx, const std::string& me, const frame_ptr& frame);
  // Outside a rule: the same, as its own writer job.
  void presence_to_remote_async(const std::string& me, frame_ptr frame);
  remote_result apply_remote(store::txn& t, effects& fx, const std::string& origin, const boost::json::object& event);
  remote_result apply_delivery(store::txn& t, effects& fx, const std::string& origin, const std::vector<std::string>& to,
                               std::string_view frame, const std::optional<std::string>& ref);
  remote_result apply_act(store::txn& t, effects& fx, const std::string& origin, const std::string& actor,
                          std::string_view request);
  remote_result apply_group(store::txn& t, effects& fx, const std::string& origin, const std::string& group_id,
                            const std::optional<model::group_record>& g, const model::fed_position& seen);
  remote_result apply_reset(store::txn& t, effects& fx, const std::string& origin);
  // While a remote user's request runs inside the receiving job, run_rule runs rules at
  // once in that job's transaction, and replies to the user's stand-in session join fx.
  struct inline_rule {
    store::txn* t = nullptr;
    effects* fx = nullptr;
  };
  static thread_local inline_rule* inline_;
  class remote_actor;
  friend class remote_actor;
  // Who a TEXT/MEDIA `receiver` names (DESIGN §3): an existing user (who must be a friend),
  // else a group id or one of `me`'s group names (`me` must be a member).
  struct receiver_target {
    protocol::code error = protocol::code::ok;  // 7001, 7002, 7003 or 4003
    std::string receiver;                       // full user id or group id
    std::string group_name;                     // set for a group
    std::vector<std::string> recipients;        // everyone it goes to, `me` excluded
  };
  receiver_target resolve_target(const store::txn& t, const std::string& me, const std::string& receiver) const;
  // Inside a rule: tells each of two new friends, if online, the other's status (a friend
  // on another node through their node).
  void tell_statuses(store::txn& t, effects& fx, const std::string& a, const std::string& b);

  // Requests after login, by flow. `me` is the logged-in user's full id.
  void handle_status(const std::shared_ptr<client_session>& s, protocol::user_status_update& req, const std::optional<std::string>& id);
  void handle_friend_request(const std::shared_ptr<client_session>& s, protocol::friend_request& req, const std::optional<std::string>& id);
  void handle_friend_response(const std::shared_ptr<client_session>& s, protocol::friend_request_response& req, const std::optional<std::string>& id);
  void handle_friend_remove(const std::shared_ptr<client_session>& s, protocol::friend_remove& req, const std::optional<std::string>& id);
  void handle_friend_list(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id);
  void handle_text(const std::shared_ptr<client_session>& s, protocol::text_message& req, const std::optional<std::string>& id);
  // router_groups.cpp
  void handle_group_create(const std::shared_ptr<client_session>& s, protocol::group_create& req, const std::optional<std::string>& id);
  void handle_group_invite_response(const std::shared_ptr<client_session>& s, protocol::group_invite_response& req, const std::optional<std::string>& id);
  void handle_group_leave(const std::shared_ptr<client_session>& s, protocol::group_leave& req, const std::optional<std::string>& id);
  void handle_group_remove(const std::shared_ptr<client_session>& s, protocol::group_remove& req, const std::optional<std::string>& id);
  void handle_group_leader_change(const std::shared_ptr<client_session>& s, protocol::group_leader_change& req, const std::optional<std::string>& id);
  void handle_group_list(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id);
  // router_history.cpp
  void handle_history_request(const std::shared_ptr<client_session>& s, protocol::message_history_request& req, const std::optional<std::string>& id);
  // MESSAGE_HISTORY_BEGIN_ACK, _DATA_ACK, _COMPLETE_ACK.
  void handle_history_ack(const std::shared_ptr<client_session>& s, const protocol::payload& body, const std::optional<std::string>& id);

  // router_media.cpp: uploads (the node receives), deliveries (the node sends).
  void handle_media_message(const std::shared_ptr<client_session>& s, protocol::media_message& req, const std::optional<std::string>& id);
  void handle_media_data(const std::shared_ptr<client_session>& s, protocol::media_message_data& req, const std::optional<std::string>& id);
  void handle_media_complete_ack(const std::shared_ptr<client_session>& s, protocol::media_message_complete_ack& req, const std::optional<std::string>& id);
  void handle_media_ack(const std::shared_ptr<client_session>& s, protocol::media_message_ack& req, const std::optional<std::string>& id);
  void handle_media_data_ack(const std::shared_ptr<client_session>& s, protocol::media_message_data_ack& req, const std::optional<std::string>& id);
  void handle_media_complete(const std::shared_ptr<client_session>& s, protocol::media_message_complete& req, const std::optional<std::string>& id);
  // Every byte of an upload is in: hash it off the I/O threads, then make the deliveries.
  void finish_upload(const std::string& media_id);
  // Sends the next chunks of a delivery, up to the window.
  void pump_download(const std::shared_ptr<client_session>& s, const std::string& media_id);
  // The recipient has the media (or declined it): forget the delivery, purge the media
  // once nobody waits for it, and (unless it declined) send COMPLETE_ACK.
  void finish_delivery(const std::shared_ptr<client_session>& s, const std::string& media_id,
                       const media_download& d, bool acknowledge, const std::optional<std::string>& id);
  // ---- media between nodes (router_media.cpp, router_media_federation.cpp) ----
  // Inside a rule: the media's bytes are all here and checked: gives it a message id and
  // the history entries of this node's users, a delivery per local recipient (offered at
  // once when online) and per other node with recipients ("@domain", announced through
  // its outbox); with `forward_home`, only the group's home node is told. Saves or purges m.
  void publish_media(store::txn& t, effects& fx, const std::string& media_id, model::media_record& m,
                     const std::vector<std::string>& recipients, bool forward_home, std::int64_t timestamp);
  // Federation events "media" (a node announces media to fetch) and "media_done" (a node
  // that was announced media has it, or gave up).
  remote_result apply_media_event(store::txn& t, effects& fx, const std::string& origin, const boost::json::object& event);
  // Inside a rule: offers (MEDIA_MESSAGE) of every media waiting for `user`.
  std::vector<frame_ptr> media_offers(const store::txn& t, const std::string& user) const;

 public:
  // Deletes media older than media.retention (called at start-up and then periodically).
  void purge_expired_media();

 private:
  void send_error(const std::shared_ptr<client_session>& s, protocol::code c, std::string message,
                  std::optional<std::string> in_reply_to, const std::optional<std::string>& id);
  bool handle_register(const std::shared_ptr<client_session>& s, protocol::register_request& req,
                       const std::optional<std::string>& id);
  bool handle_login(const std::shared_ptr<client_session>& s, protocol::login_request& req,
                    const std::optional<std::string>& id);
  void handle_logout(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id);
  // Unregisters the session's user and sends `notice` to their online friends.
  void go_offline(const std::shared_ptr<client_session>& s, const frame_ptr& notice);
  // What a user gets after LOGIN_RESPONSE, a page at a time: the inbox, then (after the
  // last page) each friend's status and the offers of media waiting for them.
  struct catch_up {
    std::vector<model::inbox_entry> inbox;
    bool more = false;            // the inbox holds more: the next page follows once these are written
    std::vector<frame_ptr> tail;  // after the last page
  };
  // Inside a rule: the next page of `user`'s catch-up; the last page marks the session live.
  void take_catch_up(store::txn& t, const std::string& user, const client_session* s, catch_up& out);
  // On the strand: sends a page and, if more follow, asks for the next once it is written.
  void send_catch_up(const std::shared_ptr<client_session>& s, catch_up& c);
  void continue_catch_up(const std::shared_ptr<client_session>& s);
  // Puts frames taken from an inbox back (the session closed before it could get them).
  void requeue_inbox(const std::string& user, std::vector<model::inbox_entry> entries);
  // Claims a slot for one KDF computation; false when too many are queued.
  bool reserve_kdf();

  std::atomic<federation_port*> fed_{nullptr};  // the relay unhooks itself while the writer may run
  const config& cfg_;
  store::database& db_;
  store::writer& writer_;
  registry& online_;
  blocking_executor run_blocking_;
  login_throttle throttle_;
  protocol::decode_limits decode_limits_;
  std::atomic<std::size_t> pending_kdf_{0};
  router_metrics metrics_;
};

}  // namespace chatnode::node
