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
#include "store/tokens.hpp"
#include "registry.hpp"
#include "request_latency.hpp"

#include "core/context.hpp"
#include "core/media.hpp"
#include "federation/port.hpp"
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
  message_counters messages;  // what users sent, once accepted (chatnode_messages_total)
  request_latency latency;    // request to reply, by type (chatnode_request_duration_seconds)
};

// What the router needs of federation (federation/port.hpp); federation/relay.cpp implements it.
// Null when federation is off (then users of other domains are unknown).
using federation_port = federation::port;

// A federation event's outcome for FED_ACK (core/context.hpp).
using core::remote_result;

// Media between nodes (federation/media_fetch.hpp): how a fetch ended once its bytes were in.
using core::fetch_outcome;

class router final : public federation::node_port {
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
  // Stop the writer first: its queued jobs may still call into the router.
  ~router();
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
  void set_federation(federation_port* fed) noexcept override { fed_.store(fed); }
  // An event of `origin` inside the inbox's writer job (federation/inbox.hpp checked its
  // order): core::apply_event, then the events it makes for other nodes go to their outboxes.
  remote_result apply_event(store::txn& t, const std::string& origin, const boost::json::object& event,
                            core::effects& fx) override;
  void send_effects(core::effects& fx) override;
  // Events for every configured peer at start-up: "reset" (this node's users are offline).
  void announce_start(const std::vector<std::string>& peers, std::function<void()> done) override;

  // ---- media between nodes (router_media_federation.cpp) ----
  // Every chunk of fetched media `media_id` is stored: checks the SHA-256 off the I/O
  // threads, then publishes it (or drops the bytes); `done` runs after the commit.
  void finish_fetch(const std::string& media_id, std::function<void(fetch_outcome)> done) override;

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
  // What a rule made happen (core/context.hpp): sent only after its transaction committed.
  using effects = core::effects;
  using rule_fn = std::function<void(core::context&)>;
  // Runs `rule` as a writer job (so every rule sees and changes state in one order); on
  // success sends its effects in order (replies to `s`), on failure sends `on_failure()` to `s`.
  void run_rule(const std::shared_ptr<client_session>& s, rule_fn rule, std::function<frame_ptr()> on_failure);
  // A rule of core/ for the session's user: `rule(context, actor)`.
  template <class Rule>
  void run_core(const std::shared_ptr<client_session>& s, Rule rule, std::string_view request_type,
                const std::optional<std::string>& id);
  // The context a rule of core/ runs in: `t` and `fx` with the settings of now.
  core::context context_of(store::txn& t, effects& fx);
  core::settings settings() const;
  // Sends what a rule's effects hold, in order (replies to `requester`), then pokes for new
  // outbox events.
  void apply_effects(effects& fx, const std::shared_ptr<client_session>& requester = nullptr);

  // ---- federation (router_federation.cpp) ----
  bool is_local(std::string_view id) const { return core::domain_of(id) == cfg().domain; }
  // Outside a rule: `me`'s presence frame to their friends (core::presence_to_friends) as its
  // own writer job, ordered with every rule.
  void presence_to_friends_async(const std::string& me, frame_ptr frame, bool local = true);
  class online_adapter;  // core::online_view over the registry and federation
  std::unique_ptr<online_adapter> view_;

  // Requests after login: those with a rule in core/ run it (router.cpp); these keep state
  // of the connection. USER_STATUS_UPDATE: the registry holds the session's status.
  void handle_status(const std::shared_ptr<client_session>& s, protocol::user_status_update& req, const std::optional<std::string>& id);
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
  // router_history.cpp
  void handle_history_request(const std::shared_ptr<client_session>& s, protocol::message_history_request& req, const std::optional<std::string>& id);
  // MESSAGE_HISTORY_BEGIN_ACK, _DATA_ACK, _COMPLETE_ACK.
  void handle_history_ack(const std::shared_ptr<client_session>& s, const protocol::payload& body, const std::optional<std::string>& id);
  // The next DATA page of the session's sync, or COMPLETE when none is left.
  void send_history_page(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id,
                         const std::string& type_name);

  // router_media.cpp: uploads (the node receives), deliveries (the node sends).
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

 public:
  // Deletes media older than media.retention (called at start-up and then periodically).
  void purge_expired_media();

 private:
  void send_error(const std::shared_ptr<client_session>& s, protocol::code c, std::string message,
                  std::optional<std::string> in_reply_to, const std::optional<std::string>& id);
  // A logged-in user's request: logged in, not a node-only type, acting as themselves, within
  // limits.requests_per_second; else answered with the ERROR and false.
  bool admit(const std::shared_ptr<client_session>& s, const protocol::envelope& env, const std::string& type_name);
  // The requests whose flow is the router's own (not a rule of core/), by type.
  bool dispatch(const std::shared_ptr<client_session>& s, protocol::envelope& env, const std::string& type_name);
  bool handle_register(const std::shared_ptr<client_session>& s, protocol::register_request& req,
                       const std::optional<std::string>& id);
  // The KDF job of a registration: hashes the password, then stores the account (writer).
  void create_account(const std::shared_ptr<client_session>& s, const std::string& address, const std::string& name,
                      const std::string& password, const std::optional<std::string>& id);
  // Counted before any work, for a login or a check of the current password (`what`):
  // parallel guesses cannot exceed the budget, and a lockout stops this address, not the
  // account owner elsewhere. False when refused (answered with ERROR 9007).
  bool spend_login_budget(const std::shared_ptr<client_session>& s, const std::string& address, const std::string& name,
                          std::string_view what, std::string_view request_type, const std::optional<std::string>& id);
  bool handle_login(const std::shared_ptr<client_session>& s, protocol::login_request& req,
                    const std::optional<std::string>& id);
  // The password against the stored credential (a dummy one for an unknown user) on the KDF
  // login lane; false when the lane is full (answered with ERROR 9007).
  bool check_password(const std::shared_ptr<client_session>& s, protocol::user_id user, std::string password,
                      std::optional<std::string> credential, bool request_token, const std::optional<std::string>& id);
  // A refused login: the budget, the counter, the log line, LOGIN_RESPONSE with `c`.
  void login_failed(const std::shared_ptr<client_session>& s, const std::string& address, const std::string& name,
                    protocol::code c, const std::optional<std::string>& id);
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
  // What complete_login's writer job found, for finish_login on the session's strand.
  struct login_outcome {
    bool gone = false;    // the account was deleted meanwhile
    bool locked = false;  // an administrator locked it
    bool added = false;   // the session is now the user's in the registry
    catch_up first;       // the first page of the catch-up
    effects fx;           // to friends
    std::optional<store::tokens::issued> token;
  };
  // Answers the login: LOGIN_RESPONSE and the first catch-up page, or the refusal (and the
  // login taken back from other nodes).
  void finish_login(const std::shared_ptr<client_session>& s, protocol::user_id user, login_outcome& out,
                    std::error_code ec, std::optional<std::string> used_token, const std::optional<std::string>& id);
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
