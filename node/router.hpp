// The router applies the protocol rules: it decodes a client's frame, checks who may do
// what, reads the store, hands writes to the single writer, and sends replies once they are
// durable. It is called on the calling session's strand; it never blocks on I/O, the KDF
// or the writer (KDF work runs on `run_blocking`, writes complete through the writer).
#pragma once

#include "client_session.hpp"
#include "config.hpp"
#include "auth_guard.hpp"
#include "config_source.hpp"
#include "kdf_queue.hpp"
#include "message_counters.hpp"
#include "rate_limits.hpp"
#include "store/tables.hpp"
#include "registry.hpp"
#include "request_latency.hpp"

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
  std::atomic<std::uint64_t> logins_throttled{0};       // refused by the per-address budgets
  std::atomic<std::uint64_t> registrations_limited{0};  // refused by the registration rate limits
  std::atomic<std::uint64_t> requests_limited{0};       // refused by limits.requests_per_second
  std::atomic<std::uint64_t> remote_events{0};      // federation events received and stored
  std::atomic<std::uint64_t> remote_duplicates{0};  // of which already applied before
  std::atomic<std::uint64_t> remote_refused{0};     // of which refused (authority, malformed)
  message_counters messages;  // what users sent, once accepted (chatnode_messages_total)
  request_latency latency;    // request to reply, by type (chatnode_request_duration_seconds)
  std::atomic<std::uint64_t> remote_skipped{0};     // events acknowledged before a restore of this node, lost
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

struct media_announce;  // a "media" event from another node (router_media_federation.cpp)

class router {
 public:
  using blocking_executor = std::function<void(std::function<void()>)>;
  // Runs a password hash on `lane`; false when that lane is full (the job is dropped).
  using kdf_executor = std::function<bool(kdf_queue::lane, std::function<void()>)>;

  // Without `run_kdf`, password hashes run on `run_blocking` (tests). `cfg` is read at every
  // request: a published reload takes effect at once (call reconfigure() after publishing).
  router(const config_source& cfg, store::database& db, store::writer& writer, registry& online,
         blocking_executor run_blocking, kdf_executor run_kdf = {});
  // Reads `cfg` in place (tests).
  router(const config& cfg, store::database& db, store::writer& writer, registry& online,
         blocking_executor run_blocking, kdf_executor run_kdf = {});
  // After a reload was published: limits the router caches (the login guard).
  void reconfigure();

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
  // `acked`: how far the origin says this node acknowledged the stream (FED_EVENT `after`):
  // a gap up to it means this node lost events it had acknowledged (it was restored from a
  // backup); they are skipped, logged and counted, so the stream flows again.
  void receive_remote(const std::string& origin, const std::string& stream, std::uint64_t seq, std::uint64_t acked,
                      boost::json::object event, std::function<void(remote_result)> done);
  // Events for every configured peer at start-up: "reset" (this node's users are offline).
  void announce_start(const std::vector<std::string>& peers, std::function<void()> done);

  // ---- media between nodes (router_media_federation.cpp) ----
  // Every chunk of fetched media `media_id` is stored: checks the SHA-256 off the I/O
  // threads, then publishes it (or drops the bytes); `done` runs after the commit.
  void finish_fetch(const std::string& media_id, std::function<void(fetch_outcome)> done);

  // ---- account lifecycle (router_accounts.cpp) ----
  // Deletes local user `user` (a bare name or a full id of this domain) as
  // ACCOUNT_DELETE_REQUEST does, without a client session (the admin command): friends see
  // FRIEND_REMOVE, groups GROUP_LEAVE, then every record of the user is erased
  // (docs/protocol.md §5). A session of the user is closed (1000) without a message.
  // `done(true)` after the commit; `done(false)` when there is no such user or the write
  // failed. Callable from any thread; `done` runs on the writer thread.
  void delete_account(const std::string& user, std::function<void(bool)> done);

  const router_metrics& metrics() const noexcept { return metrics_; }
  request_latency& latency() noexcept { return metrics_.latency; }  // sessions time requests with it
  const config& cfg() const noexcept { return cfg_->get(); }
  protocol::decode_limits decode_limits() const {
    protocol::decode_limits l;
    l.max_message_bytes = cfg().limits.max_message_bytes;
    return l;
  }

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
    message_tally tally;  // messages the rule accepted: counted once it committed
    void send(const std::shared_ptr<client_session>& to, frame_ptr frame);
    void clear() {
      sends.clear();
      remote.clear();
      group_syncs.clear();
      pokes.clear();
      tally.clear();
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
  // Inside a rule: `user` is a local user who is not live and has limits.max_inbox_messages
  // frames waiting (text to them gets 7004).
  bool inbox_full(const store::txn& t, const std::string& user) const;
  // Sends what a rule's effects hold: local sends, then pokes for new outbox events.
  void apply_effects(effects& fx);

  // ---- federation (router_federation.cpp) ----
  bool is_local(std::string_view id) const;  // a user or group id of this node's domain
  // A peer's timestamp, or this node's clock when it is more than federation.max_clock_skew
  // ahead or federation.max_event_age behind (docs/federation.md "Checks on every event").
  std::int64_t peer_time(std::int64_t claimed) const;
  // Why this node's copy of `group_id` does not allow `sender` to reach `to` (both must be
  // members); empty when it does.
  std::string group_fanout_problem(const store::txn& t, const std::string& group_id, const std::string& sender,
                                   const std::vector<std::string>& to) const;
  bool reachable(const std::string& domain) const {
    const federation_port* fed = fed_.load();
    return fed && fed->reachable(domain);
  }
  // Inside a rule: writes fx's remote deliveries and group records to the outboxes.
  void flush_remote(store::txn& t, effects& fx);
  store::stream_pos append_event(store::txn& t, effects& fx, const std::string& domain, const std::string& event);
  // Inside a rule: saves / deletes a group record, and tells the other nodes involved.
  void save_group(store::txn& t, effects& fx, const std::string& group_id, const store::group_record& g,
                  const store::group_record* before);
  void delete_group(store::txn& t, effects& fx, const std::string& group_id, const store::group_record& g);
  // At a node that does not home the group: its copy of the record becomes `g` (dropped
  // when none of this node's users is in it any more). Nothing is sent.
  void update_replica(store::txn& t, const std::string& group_id, const store::group_record& g,
                      const store::group_record* before);
  // Inside a rule of a node that does not home `group_id`: sends the request (a client
  // payload naming the group by id) to the home node, which answers the user.
  // Returns the event's place in this node's stream.
  store::stream_pos forward_to_home(store::txn& t, effects& fx, const std::string& actor, const std::string& group_id,
                                protocol::payload request, const std::optional<std::string>& id);
  // Inside a rule: `me`'s presence frame to their friends: those of this node who are
  // online (unless `local` is false) and, through their nodes, those of other nodes.
  void presence_to_friends(store::txn& t, effects& fx, const std::string& me, const frame_ptr& frame, bool local = true);
  // Outside a rule: the same, as its own writer job (ordered with every rule).
  void presence_to_friends_async(const std::string& me, frame_ptr frame, bool local = true);
  remote_result apply_remote(store::txn& t, effects& fx, const std::string& origin, const boost::json::object& event);
  remote_result apply_delivery(store::txn& t, effects& fx, const std::string& origin, const std::vector<std::string>& to,
                               const boost::json::value& message, const std::optional<std::string>& ref);
  remote_result apply_act(store::txn& t, effects& fx, const std::string& origin, const std::string& actor,
                          const boost::json::value& request);
  remote_result apply_group(store::txn& t, effects& fx, const std::string& origin, const std::string& group_id,
                            const std::optional<store::group_record>& g, const store::stream_pos& seen);
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
  class inbound_delivery;  // one "deliver" event, kind by kind (router_federation.cpp)
  friend class inbound_delivery;
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
  // Inside a rule: `me` leaves group `group_id` (record `g`, of which `me` is a member) as
  // GROUP_LEAVE does; a group homed on another node is left through its home.
  void leave_group(store::txn& t, effects& fx, const std::string& me, const std::string& group_id,
                   const store::group_record& g, const std::optional<std::string>& id);
  // router_social.cpp. Inside a rule: ends the friendship and the pending requests between
  // `me` and `other` as FRIEND_REMOVE does (`other` gets FRIEND_REMOVE, unless they block
  // `me`); false when there was nothing between them.
  bool end_friendship(store::txn& t, effects& fx, const std::string& me, const std::string& other);
  // router_accounts.cpp: password change and account deletion (docs/protocol.md §5). Like a
  // login they pause reading (return false) while the password hash runs.
  // For a request that proves the current password (PASSWORD_CHANGE, ACCOUNT_DELETE): spends
  // the address's login budget (else ERROR 9007) and reads the stored credential (else
  // `server_error()`). nullopt when the request was answered; then the caller stops.
  std::optional<std::string> begin_password_check(const std::shared_ptr<client_session>& s, const std::string& name,
                                                  std::string_view request_type, const std::optional<std::string>& id,
                                                  const std::function<void()>& server_error);
  bool handle_password_change(const std::shared_ptr<client_session>& s, protocol::password_change_request& req,
                              const std::optional<std::string>& id);
  bool handle_account_delete(const std::shared_ptr<client_session>& s, protocol::account_delete_request& req,
                             const std::optional<std::string>& id);
  // The deletion as a writer job; `requester` (may be null) gets ACCOUNT_DELETE_RESPONSE with
  // `id`. Every session of the user is closed once it is committed.
  void erase_account(const std::string& user, std::shared_ptr<client_session> requester, std::optional<std::string> id,
                     std::function<void(bool)> done);
  // Inside a rule: what ACCOUNT_DELETE does to the store; false when there is no such user.
  bool erase_account_data(store::txn& t, effects& fx, const std::string& user);
  // Parts of it: every group left (or its invitation declined), and the user's media gone:
  // uploads, deliveries waiting for them, and fetches from other nodes for them.
  void leave_all_groups(store::txn& t, effects& fx, const std::string& user);
  void drop_account_media(store::txn& t, effects& fx, const std::string& user);
  // router_blocks.cpp (docs/protocol.md §15).
  void handle_block(const std::shared_ptr<client_session>& s, protocol::user_block& req, const std::optional<std::string>& id);
  void handle_unblock(const std::shared_ptr<client_session>& s, protocol::user_unblock& req, const std::optional<std::string>& id);
  void handle_block_list(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id);
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
  void publish_media(store::txn& t, effects& fx, const std::string& media_id, store::media_record& m,
                     const std::vector<std::string>& recipients, bool forward_home, std::int64_t timestamp);
  // Federation events "media" (a node announces media to fetch) and "media_done" (a node
  // that was announced media has it, or gave up).
  remote_result apply_media_event(store::txn& t, effects& fx, const std::string& origin, const boost::json::object& event);
  // Inside finish_fetch's writer job: publishes the fetched media when its bytes hash to
  // `sha` as announced, else drops them (and gives up after media_fetch::max_attempts).
  fetch_outcome settle_fetch(store::txn& t, effects& fx, const std::string& media_id, const std::string& sha);
  remote_result apply_media_done(store::txn& t, const std::string& origin, const std::string& origin_id, std::int64_t code);
  remote_result apply_media_announce(store::txn& t, effects& fx, const std::string& origin, media_announce& a);
  // Why a group media announce is not taken: refused outright (`decline` ok), or declined
  // with `decline` (the origin is told with "media_done"); `refused.reason` says why.
  struct media_refusal {
    remote_result refused;
    protocol::code decline = protocol::code::ok;
  };
  // For a media announce to a group: fills in m.receiver, m.group_name and f's recipients or
  // home flag; nullopt when the origin may announce it.
  std::optional<media_refusal> group_media_target(const store::txn& t, const std::string& origin, media_announce& a,
                                                  store::media_record& m, store::fetch_record& f) const;
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
  // The credentials were right: goes online (a writer job ordered with every delivery
  // decision), issues a token when asked, sends LOGIN_RESPONSE and the first catch-up page.
  // `used_token`: the digest of the token the user logged in with, if any.
  void complete_login(const std::shared_ptr<client_session>& s, protocol::user_id user, bool request_token,
                      std::optional<std::string> used_token, const std::optional<std::string>& id);
  void handle_logout(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id);
  // Unregisters the session's user and sends `notice` to their online friends.
  void go_offline(const std::shared_ptr<client_session>& s, const frame_ptr& notice);
  // What a user gets after LOGIN_RESPONSE, a page at a time: the inbox, then (after the
  // last page) each friend's status and the offers of media waiting for them. A page is
  // bounded by count and bytes (a quarter of the write queue); its entries leave the inbox
  // only once they were written to the connection, so a dropped session loses none.
  struct catch_up {
    std::vector<store::inbox_entry> inbox;
    bool more = false;            // the inbox holds more: the next page follows once these are written
    std::vector<frame_ptr> tail;  // after the last page
  };
  // Inside a rule: the page of `user`'s inbox after sequence `after`; the last page marks
  // the session live.
  void take_catch_up(store::txn& t, const std::string& user, const client_session* s, std::uint64_t after, catch_up& out);
  // On the strand: sends a page; once it is written, removes it from the inbox and asks for
  // the next one.
  void send_catch_up(const std::shared_ptr<client_session>& s, catch_up& c);
  void continue_catch_up(const std::shared_ptr<client_session>& s, std::uint64_t written, bool more);

  std::atomic<federation_port*> fed_{nullptr};  // the relay unhooks itself while the writer may run
  router(std::unique_ptr<config_source> own, const config_source* shared, store::database& db, store::writer& writer,
         registry& online, blocking_executor run_blocking, kdf_executor run_kdf);

  std::unique_ptr<config_source> own_cfg_;  // the view of a fixed config (second constructor)
  const config_source* cfg_;
  store::database& db_;
  store::writer& writer_;
  registry& online_;
  blocking_executor run_blocking_;
  kdf_executor run_kdf_;
  auth_guard guard_;
  window_counter friend_requests_hourly_;  // per requester
  window_counter friend_requests_pair_;    // per (requester, receiver)
  // What an unknown user's password is checked against, so "no such user" takes as long as
  // "wrong password" (the codes stay those of the seed).
  std::string dummy_credential_;
  router_metrics metrics_;
};

}  // namespace chatnode::node
