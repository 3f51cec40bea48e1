// Protocol rules for accounts and sessions (register, login, logout) and the checks every
// request goes through (authentication, acting user).
#include "router.hpp"

#include "store/accounts.hpp"
#include "store/tokens.hpp"
#include "log.hpp"
#include "store/tables.hpp"

#include "crypto/kdf.hpp"
#include "crypto/random.hpp"
#include "protocol/ids.hpp"

#include "core/friends.hpp"
#include "core/media.hpp"
#include "core/requests.hpp"

#include <algorithm>
#include <ctime>
#include <type_traits>

namespace chatnode::node {
namespace p = chatnode::protocol;

namespace {

// The field naming the user who acts (DESIGN §3): `sender` or `username`, except in the
// two responses that keep the fields of the request they answer, where it is `receiver`.
const std::string* acting_user(const p::payload& body) {
  return std::visit(
      [](const auto& m) -> const std::string* {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, p::friend_request_response> ||
                      std::is_same_v<T, p::group_invite_response>) {
          return &m.receiver;
        } else if constexpr (requires { m.sender; }) {
          return &m.sender;
        } else if constexpr (requires { m.username; }) {
          return &m.username;
        } else {
          return nullptr;
        }
      },
      body);
}

// Messages only the node sends; a client sending one gets 9002.
bool is_server_only(p::message_type t) {
  using mt = p::message_type;
  switch (t) {
    case mt::register_response:
    case mt::login_response:
    case mt::friend_request_ack:
    case mt::friend_remove_ack:
    case mt::group_create_ack:
    case mt::group_leave_ack:
    case mt::group_remove_ack:
    case mt::group_leader_change_ack:
    case mt::text_message_ack:
    case mt::message_history_response:
    case mt::message_history_begin:
    case mt::message_history_data:
    case mt::message_history_complete:
    case mt::password_change_response:
    case mt::account_delete_response:
    case mt::user_block_ack:
    case mt::user_unblock_ack:
    case mt::block_list_response:
    case mt::error:
      return true;
    default:
      return false;
  }
}

}  // namespace

namespace {
auth_guard::settings guard_settings(const limits_config& l) {
  auth_guard::settings g;
  g.user_failures = l.login_max_failures;
  g.user_lockout = l.login_lockout;
  g.address_failures = l.address_max_failures;
  g.address_in_flight = l.kdf_per_address;
  g.registrations_per_address_hour = l.registrations_per_address_hour;
  g.registrations_per_minute = l.registrations_per_minute;
  return g;
}
// Requests that cost the node work or reach others count against limits.requests_per_second;
// the acks and chunks of transfers already admitted do not (media and history have their own bounds).
bool is_rate_limited(p::message_type t) {
  using mt = p::message_type;
  switch (t) {
    case mt::media_message_data:
    case mt::media_message_ack:
    case mt::media_message_data_ack:
    case mt::media_message_complete:
    case mt::media_message_complete_ack:
    case mt::message_history_begin_ack:
    case mt::message_history_data_ack:
    case mt::message_history_complete_ack:
    case mt::user_logout:
      return false;
    default:
      return true;
  }
}

}  // namespace

// The rules' view of who is online (the registry) and which nodes can be reached (the
// federation port), and the friend request budgets they spend.
class router::online_adapter final : public core::online_view {
 public:
  explicit online_adapter(router& r) : r_(r) {}
  core::connection_ptr find(const std::string& user) const override { return r_.online_.find(user); }
  core::connection_ptr find_live(const std::string& user) const override { return r_.online_.find_live(user); }
  std::string visible_status(const std::string& user) const override { return r_.online_.visible_status(user); }
  void set_remote_status(const std::string& user, const std::string& status) override {
    r_.online_.set_remote_status(user, status);
  }
  std::vector<std::string> forget_remote_domain(const std::string& domain) override {
    return r_.online_.forget_remote_domain(domain);
  }
  std::vector<std::pair<std::string, std::string>> visible_users() const override { return r_.online_.visible_users(); }
  bool federated() const override { return r_.fed_.load() != nullptr; }
  bool reachable(const std::string& domain) const override {
    const federation_port* fed = r_.fed_.load();
    return fed && fed->reachable(domain);
  }
  bool take_friend_request(const std::string& requester, const std::string& receiver) override {
    const auto& l = r_.cfg().limits;
    return r_.friend_requests_hourly_.try_count(requester, l.friend_requests_per_hour) &&
           r_.friend_requests_pair_.try_count(requester + '\n' + receiver, l.friend_requests_per_pair_day);
  }

 private:
  router& r_;
};

router::router(const config& cfg, store::database& db, store::writer& writer, registry& online,
               blocking_executor run_blocking, kdf_executor run_kdf)
    : router(config_source::view(cfg), nullptr, db, writer, online, std::move(run_blocking), std::move(run_kdf)) {}

router::router(const config_source& cfg, store::database& db, store::writer& writer, registry& online,
               blocking_executor run_blocking, kdf_executor run_kdf)
    : router(nullptr, &cfg, db, writer, online, std::move(run_blocking), std::move(run_kdf)) {}

router::router(std::unique_ptr<config_source> own, const config_source* shared, store::database& db,
               store::writer& writer, registry& online, blocking_executor run_blocking, kdf_executor run_kdf)
    : own_cfg_(std::move(own)),
      cfg_(shared ? shared : own_cfg_.get()),
      db_(db),
      writer_(writer),
      online_(online),
      run_blocking_(std::move(run_blocking)),
      run_kdf_(std::move(run_kdf)),
      guard_(guard_settings(cfg_->get().limits)),
      friend_requests_hourly_(std::chrono::hours(1)),
      friend_requests_pair_(std::chrono::hours(24)),
      dummy_credential_(crypto::hash_password(crypto::random_id(), cfg_->get().kdf)) {
  view_ = std::make_unique<online_adapter>(*this);
  if (!run_kdf_) {
    run_kdf_ = [this](kdf_queue::lane, std::function<void()> job) {
      run_blocking_(std::move(job));
      return true;
    };
  }
}

router::~router() = default;

void router::reconfigure() { guard_.update(guard_settings(cfg().limits)); }

std::int64_t router::now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

frame_ptr router::make_error_frame(p::code c, std::string message, std::optional<std::string> in_reply_to,
                                   const std::optional<std::string>& id) {
  return std::make_shared<const std::string>(
      p::encode(p::make_error(c, std::move(message), std::move(in_reply_to), id, now_seconds())));
}

frame_ptr router::make_frame(p::payload body, const std::optional<std::string>& id) {
  return std::make_shared<const std::string>(p::encode(p::envelope{std::move(body), now_seconds(), id}));
}

void router::send_error(const std::shared_ptr<client_session>& s, p::code c, std::string message,
                        std::optional<std::string> in_reply_to, const std::optional<std::string>& id) {
  metrics_.errors_sent.fetch_add(1, std::memory_order_relaxed);
  s->send(make_error_frame(c, std::move(message), std::move(in_reply_to), id));
}

bool router::on_frame(const std::shared_ptr<client_session>& s, std::string_view frame) {
  metrics_.frames_in.fetch_add(1, std::memory_order_relaxed);
  session_state& st = s->state();
  if (st.logged_out || st.closed) return true;

  auto decoded = p::decode(frame, decode_limits());
  if (auto* err = std::get_if<p::decode_error>(&decoded)) {
    send_error(s, err->error, std::move(err->message), std::move(err->in_reply_to), err->id);
    return true;
  }
  auto& env = std::get<p::envelope>(decoded);
  const p::message_type type = p::type_of(env.body);
  request_scope::set_type(type);  // chatnode_request_duration_seconds
  const std::string type_name(p::to_string(type));

  if (type == p::message_type::register_request)
    return handle_register(s, std::get<p::register_request>(env.body), env.id);
  if (type == p::message_type::login_request)
    return handle_login(s, std::get<p::login_request>(env.body), env.id);

  if (!admit(s, env, type_name)) return true;
  if (core::has_rule(type)) {
    // Shared by the rule (which the writer may run again) and its failure reply.
    struct request {
      p::envelope env;
      core::actor actor;
    };
    auto r = std::make_shared<const request>(request{std::move(env), core::actor{st.user->full(), {}, false}});
    run_rule(
        s, [r](core::context& c) { core::apply_request(c, r->actor, r->env); },
        [this, r] {
          return std::make_shared<const std::string>(p::encode(core::failure_reply(settings(), r->actor, r->env, now_seconds())));
        });
    return true;
  }
  return dispatch(s, env, type_name);
}

bool router::admit(const std::shared_ptr<client_session>& s, const p::envelope& env, const std::string& type_name) {
  session_state& st = s->state();
  const p::message_type type = p::type_of(env.body);
  if (!st.user) {
    send_error(s, p::code::not_authenticated, "log in first", type_name, env.id);
    return false;
  }
  if (is_server_only(type)) {
    send_error(s, p::code::unknown_type, type_name + " is sent by the node, not by clients", type_name, env.id);
    return false;
  }
  if (const std::string* actor = acting_user(env.body)) {
    auto claimed = p::parse_user_id(*actor, cfg().domain);
    if (!claimed || *claimed != *st.user) {
      send_error(s, p::code::forbidden, "acting user \"" + *actor + "\" is not the logged-in user", type_name, env.id);
      return false;
    }
  }
  if (is_rate_limited(type) && !st.requests.take(cfg().limits.requests_per_second, cfg().limits.requests_burst)) {
    metrics_.requests_limited.fetch_add(1, std::memory_order_relaxed);
    send_error(s, p::code::rate_limited, "too many requests; slow down (limits.requests_per_second)", type_name, env.id);
    return false;
  }
  return true;
}

bool router::dispatch(const std::shared_ptr<client_session>& s, p::envelope& env, const std::string& type_name) {
  switch (p::type_of(env.body)) {
    case p::message_type::user_logout:
      handle_logout(s, env.id);
      break;
    case p::message_type::user_status_update:
      handle_status(s, std::get<p::user_status_update>(env.body), env.id);
      break;
    case p::message_type::message_history_request:
      handle_history_request(s, std::get<p::message_history_request>(env.body), env.id);
      break;
    case p::message_type::message_history_begin_ack:
    case p::message_type::message_history_data_ack:
    case p::message_type::message_history_complete_ack:
      handle_history_ack(s, env.body, env.id);
      break;
    case p::message_type::media_message_data:
      handle_media_data(s, std::get<p::media_message_data>(env.body), env.id);
      break;
    case p::message_type::media_message_complete_ack:
      handle_media_complete_ack(s, std::get<p::media_message_complete_ack>(env.body), env.id);
      break;
    case p::message_type::media_message_ack:
      handle_media_ack(s, std::get<p::media_message_ack>(env.body), env.id);
      break;
    case p::message_type::media_message_data_ack:
      handle_media_data_ack(s, std::get<p::media_message_data_ack>(env.body), env.id);
      break;
    case p::message_type::media_message_complete:
      handle_media_complete(s, std::get<p::media_message_complete>(env.body), env.id);
      break;
    case p::message_type::password_change_request:
      return handle_password_change(s, std::get<p::password_change_request>(env.body), env.id);
    case p::message_type::account_delete_request:
      return handle_account_delete(s, std::get<p::account_delete_request>(env.body), env.id);
    case p::message_type::group_invite:
      send_error(s, p::code::unknown_type, "GROUP_INVITE is sent by the node; invite members with GROUP_CREATE",
                 type_name, env.id);
      break;
    default:
      send_error(s, p::code::server_error, type_name + " is not supported by this node yet", type_name, env.id);
      break;
  }
  return true;
}

core::settings router::settings() const {
  const config& c = cfg();
  core::settings out;
  out.domain = c.domain;
  out.max_message_bytes = c.limits.max_message_bytes;
  out.max_text_bytes = c.limits.max_text_bytes;
  out.max_inbox_messages = c.limits.max_inbox_messages;
  out.max_blocks = c.limits.max_blocks;
  out.max_clock_skew = c.federation.max_clock_skew.count();
  out.max_event_age = c.federation.max_event_age.count();
  out.media_max_bytes = c.media.max_bytes;
  out.media_max_chunk_bytes = c.media.max_chunk_bytes;
  out.media_max_concurrent_uploads = c.media.max_concurrent_uploads;
  out.media_quota_bytes = c.media.quota_bytes;
  return out;
}

core::context router::context_of(store::txn& t, effects& fx) { return core::context(t, fx, settings(), *view_, now_seconds()); }

void router::handle_status(const std::shared_ptr<client_session>& s, p::user_status_update& req,
                           const std::optional<std::string>& id) {
  if (!core::valid_status(req.status)) {
    send_error(s, p::code::invalid_field, "payload.status: one of online, away, busy, offline", "USER_STATUS_UPDATE", id);
    return;
  }
  const std::string me = s->state().user->full();
  online_.set_status(me, s.get(), req.status);
  presence_to_friends_async(me, make_frame(p::user_status_update{me, req.status}, std::nullopt));
}

void router::run_rule(const std::shared_ptr<client_session>& s, rule_fn rule, std::function<frame_ptr()> on_failure) {
  auto fx = std::make_shared<effects>();
  const request_timer timer = request_scope::take();  // the reply goes out after the commit
  writer_.submit(
      [this, fx, rule = std::move(rule)](store::txn& t) {
        fx->clear();  // the writer may run a job again after growing the map
        auto c = context_of(t, *fx);
        rule(c);
        c.flush_remote();
      },
      [this, s, fx, timer, on_failure = std::move(on_failure)](std::error_code ec) {
        if (ec) {
          log(log_level::error, "router", "write failed for ", s->remote(), ": ", ec.message());
          metrics_.errors_sent.fetch_add(1, std::memory_order_relaxed);
          s->send(on_failure());
          timer.done();
          return;
        }
        apply_effects(*fx, s);
        timer.done();
      });
}

void router::apply_effects(effects& fx, const std::shared_ptr<client_session>& requester) {
  metrics_.messages.add(fx.tally);
  fx.tally.clear();
  metrics_.errors_sent.fetch_add(fx.errors, std::memory_order_relaxed);
  fx.errors = 0;
  for (const auto& note : fx.notes) log(log_level::warn, "federation", note);
  fx.notes.clear();
  for (auto& [to, frame] : fx.sends) {
    if (to) {
      static_cast<client_session&>(*to).send(std::move(frame));  // every connection is a session
    } else if (requester) {
      requester->send(std::move(frame));
    }
  }
  fx.sends.clear();
  if (auto* fed = fed_.load())
    for (const auto& domain : fx.pokes) fed->poke(domain);
  fx.pokes.clear();
}

void router::on_oversize(const std::shared_ptr<client_session>& s, std::size_t size) {
  send_error(s, p::code::too_large,
             "message of " + std::to_string(size) + " bytes exceeds the limit of " +
                 std::to_string(cfg().limits.max_message_bytes),
             std::nullopt, std::nullopt);
}

void router::on_binary(const std::shared_ptr<client_session>& s) {
  send_error(s, p::code::malformed_json, "binary frames are not accepted; send JSON in text frames",
             std::nullopt, std::nullopt);
}

namespace {
frame_ptr register_reply(p::code c, const std::optional<std::string>& id) {
  return router::make_frame(p::register_response{c == p::code::ok, p::to_int(c)}, id);
}
}  // namespace

bool router::handle_register(const std::shared_ptr<client_session>& s, p::register_request& req,
                             const std::optional<std::string>& id) {
  if (!cfg().registration_open) {
    s->send(register_reply(p::code::auth_failed, id));
    return true;
  }
  auto uid = p::parse_user_id(req.username, cfg().domain);
  if (!uid || uid->domain != cfg().domain) {
    send_error(s, p::code::invalid_field, "payload.username: must be a user name of " + cfg().domain,
               "REGISTER_REQUEST", id);
    return true;
  }
  try {
    auto t = db_.begin_read();
    if (store::account_exists(t, uid->name)) {
      s->send(register_reply(p::code::user_exists, id));
      return true;
    }
  } catch (const std::exception& e) {
    log(log_level::error, "router", "register ", uid->name, ": ", e.what());
    s->send(register_reply(p::code::register_server_error, id));
    return true;
  }
  const std::string address = s->address();
  switch (guard_.begin_registration(address)) {
    case auth_guard::verdict::ok:
      break;
    case auth_guard::verdict::busy:
      send_error(s, p::code::rate_limited, "another request from your address is being handled; try again shortly",
                 "REGISTER_REQUEST", id);
      return true;
    default:
      metrics_.registrations_limited.fetch_add(1, std::memory_order_relaxed);
      send_error(s, p::code::rate_limited, "too many registrations; try again later", "REGISTER_REQUEST", id);
      return true;
  }
  auto job = [this, s, address, name = uid->name, password = std::move(req.password_hash), id] {
    create_account(s, address, name, password, id);
  };
  if (!run_kdf_(kdf_queue::lane::registration, std::move(job))) {
    guard_.end_registration(address);
    send_error(s, p::code::rate_limited, "the node is busy; try again shortly", "REGISTER_REQUEST", id);
    return true;
  }
  return false;
}

void router::create_account(const std::shared_ptr<client_session>& s, const std::string& address, const std::string& name,
                            const std::string& password, const std::optional<std::string>& id) {
  store::account_record record;
  try {
    record.credential = crypto::hash_password(password, cfg().kdf);
    record.created = now_seconds();
  } catch (const std::exception& e) {
    guard_.end_registration(address);
    log(log_level::error, "router", "register ", name, ": ", e.what());
    s->send(register_reply(p::code::register_server_error, id));
    s->resume_reading();
    return;
  }
  guard_.end_registration(address);
  auto created = std::make_shared<bool>(false);
  writer_.submit([name, record, created](store::txn& t) { *created = store::create_account(t, name, record); },
                 [this, s, name, created, id](std::error_code ec) {
                   p::code c = p::code::ok;
                   if (ec) {
                     log(log_level::error, "router", "register ", name, ": ", ec.message());
                     c = p::code::register_server_error;
                   } else if (!*created) {
                     c = p::code::user_exists;
                   } else {
                     metrics_.registrations.fetch_add(1, std::memory_order_relaxed);
                     log(log_level::info, "router", "registered ", name, " from ", s->remote());
                   }
                   s->send(register_reply(c, id));
                   s->resume_reading();
                 });
}

bool router::spend_login_budget(const std::shared_ptr<client_session>& s, const std::string& address,
                                const std::string& name, std::string_view what, std::string_view request_type,
                                const std::optional<std::string>& id) {
  switch (guard_.begin_login(address, name)) {
    case auth_guard::verdict::ok:
      return true;
    case auth_guard::verdict::busy:
      send_error(s, p::code::rate_limited,
                 "another " + std::string(what) + " from your address is being checked; try again shortly",
                 std::string(request_type), id);
      return false;
    default:
      metrics_.logins_throttled.fetch_add(1, std::memory_order_relaxed);
      send_error(s, p::code::rate_limited,
                 "too many failed " + std::string(what) + "s from your address; try again later",
                 std::string(request_type), id);
      return false;
  }
}

namespace {
frame_ptr login_reply(p::code c, const std::optional<std::string>& id) {
  return router::make_frame(p::login_response{c == p::code::ok, p::to_int(c)}, id);
}
}  // namespace

bool router::handle_login(const std::shared_ptr<client_session>& s, p::login_request& req,
                          const std::optional<std::string>& id) {
  if (s->state().user) {
    s->send(login_reply(p::code::already_logged_in, id));
    return true;
  }
  auto uid = p::parse_user_id(req.username, cfg().domain);
  if (!uid || uid->domain != cfg().domain) {
    s->send(login_reply(p::code::user_not_found, id));
    return true;
  }
  const std::string address = s->address();
  // Counted before any work: parallel guesses cannot exceed the budget, and a lockout stops
  // this address, not the account owner elsewhere.
  if (!spend_login_budget(s, address, uid->name, "login", "LOGIN_REQUEST", id)) return true;
  const bool request_token = req.request_token.value_or(false);
  std::optional<std::string> credential;
  try {
    auto t = db_.begin_read();
    if (req.token) {
      // A resumption token costs a hash, not a KDF run.
      const std::string digest = store::tokens::digest(*req.token);
      if (store::tokens::user_of(t, digest, now_seconds()) != uid->full()) {
        login_failed(s, address, uid->name, p::code::invalid_credentials, id);
        return true;
      }
      guard_.end_login(address, uid->name, true);
      complete_login(s, std::move(*uid), request_token, digest, id);
      return false;
    }
    if (auto record = store::load_account(t, uid->name)) credential = std::move(record->credential);
  } catch (const std::exception& e) {
    guard_.end_login(address, uid->name, false, false);
    log(log_level::error, "router", "login ", uid->name, ": ", e.what());
    s->send(login_reply(p::code::login_server_error, id));
    return true;
  }
  return !check_password(s, std::move(*uid), std::move(*req.password_hash), std::move(credential), request_token, id);
}

bool router::check_password(const std::shared_ptr<client_session>& s, p::user_id user, std::string password,
                            std::optional<std::string> credential, bool request_token,
                            const std::optional<std::string>& id) {
  const std::string address = s->address();
  const std::string name = user.name;
  auto job = [this, s, address, user = std::move(user), password = std::move(password),
              credential = std::move(credential), request_token, id]() mutable {
    // An unknown user is checked against a dummy credential: both answers take a KDF run.
    const bool ok = crypto::verify_password(password, credential.value_or(dummy_credential_)) && credential;
    if (!ok) {
      login_failed(s, address, user.name, credential ? p::code::invalid_credentials : p::code::user_not_found, id);
      s->resume_reading();
      return;
    }
    guard_.end_login(address, user.name, true);
    complete_login(s, std::move(user), request_token, std::nullopt, id);
  };
  if (!run_kdf_(kdf_queue::lane::login, std::move(job))) {
    guard_.end_login(address, name, false, false);
    send_error(s, p::code::rate_limited, "the node is busy; try again shortly", "LOGIN_REQUEST", id);
    return false;
  }
  return true;
}

void router::login_failed(const std::shared_ptr<client_session>& s, const std::string& address, const std::string& name,
                          p::code c, const std::optional<std::string>& id) {
  guard_.end_login(address, name, false);
  metrics_.login_failures.fetch_add(1, std::memory_order_relaxed);
  log(log_level::info, "router", "failed login for ", name, " from ", s->remote(), " (", p::to_int(c), ")");
  s->send(login_reply(c, id));
}

void router::complete_login(const std::shared_ptr<client_session>& s, p::user_id user, bool request_token,
                            std::optional<std::string> used_token, const std::optional<std::string>& id) {
  // Going online is a writer job so that it is ordered with every delivery decision the
  // writer makes: an event either reaches this session live or waits in the inbox. The
  // session catches up on its inbox page by page (find_live stays null meanwhile, so new
  // events queue behind the old ones). Friends learn of the login at once.
  auto full = user.full();
  const std::string user_name = user.name;
  auto out = std::make_shared<login_outcome>();
  writer_.submit(
      [this, s, full, user_name, out, request_token](store::txn& t) {
        *out = login_outcome{};
        // The account may have been deleted since its password or token was checked.
        const auto record = store::load_account(t, user_name);
        if (!record) {
          out->gone = true;
          return;
        }
        if (record->locked) {
          out->locked = true;
          return;
        }
        out->added = online_.try_add(full, s);
        if (!out->added) return;
        if (request_token)
          out->token = store::tokens::issue(t, full, now_seconds(), cfg().tokens.lifetime.count(), cfg().tokens.max_per_user);
        take_catch_up(t, full, s.get(), 0, out->first);
        auto c = context_of(t, out->fx);
        core::presence_to_friends(c, full, c.frame(p::user_status_update{full, "online"}));
        c.flush_remote();
      },
      [this, s, user = std::move(user), out, used_token = std::move(used_token), id](std::error_code ec) mutable {
        s->post([this, s, user = std::move(user), out, ec, used_token = std::move(used_token), id]() mutable {
          finish_login(s, std::move(user), *out, ec, std::move(used_token), id);
          s->resume_reading();
        });
      });
}

void router::finish_login(const std::shared_ptr<client_session>& s, p::user_id user, login_outcome& out, std::error_code ec,
                          std::optional<std::string> used_token, const std::optional<std::string>& id) {
  const std::string full = user.full();
  auto reply = [&](p::code c) {
    p::login_response r{c == p::code::ok, p::to_int(c)};
    if (c == p::code::ok && out.token) {
      r.token = out.token->token;
      r.token_expires = out.token->expires;
    }
    return make_frame(std::move(r), id);
  };
  if (ec || !out.added || s->state().closed) {
    if (out.added) online_.remove(full, s.get());
    if (ec) log(log_level::error, "router", "login ", full, ": ", ec.message());
    if (!s->state().closed)
      s->send(reply(ec           ? p::code::login_server_error
                    : out.gone   ? p::code::user_not_found
                    : out.locked ? p::code::account_locked
                                 : p::code::already_logged_in));
    if (!ec && out.added) {
      // Other nodes were told of the login in the same commit: take it back.
      out.fx.sends.clear();
      apply_effects(out.fx);
      presence_to_friends_async(full, make_frame(p::user_status_update{full, "offline"}, std::nullopt), false);
    }
    return;
  }
  s->state().user = std::move(user);
  if (used_token) s->state().tokens.push_back(std::move(*used_token));
  if (out.token) s->state().tokens.push_back(out.token->digest);
  metrics_.logins.fetch_add(1, std::memory_order_relaxed);
  log(log_level::info, "router", full, " logged in from ", s->remote(), used_token ? " (token)" : "");
  s->send(reply(p::code::ok));
  send_catch_up(s, out.first);
  apply_effects(out.fx);
}

void router::take_catch_up(store::txn& t, const std::string& user, const client_session* s, std::uint64_t after,
                           catch_up& out) {
  // A page no bigger than a quarter of the write queue (count and bytes), so a user with a
  // large inbox is never dropped as a slow reader while catching up.
  const std::size_t count = std::clamp<std::size_t>(cfg().limits.write_queue_messages / 4, 1, 512);
  const std::size_t bytes = std::max<std::size_t>(cfg().limits.write_queue_bytes / 4, 1);
  out.inbox = store::inbox_read(t, user, after, count, bytes, out.more);
  if (out.more) return;
  online_.set_caught_up(user, s);
  for (const auto& f : store::friends_of(t, user))
    out.tail.push_back(make_frame(p::user_status_update{f, online_.visible_status(f)}, std::nullopt));
  for (auto& offer : core::media_offers(t, user, now_seconds())) out.tail.push_back(std::move(offer));
}

void router::send_catch_up(const std::shared_ptr<client_session>& s, catch_up& c) {
  const std::uint64_t last = c.inbox.empty() ? 0 : c.inbox.back().seq;
  for (auto& e : c.inbox) s->send(std::make_shared<const std::string>(std::move(e.frame)));
  for (auto& f : c.tail) s->send(std::move(f));
  if (last != 0 || c.more) s->when_idle([this, s, last, more = c.more] { continue_catch_up(s, last, more); });
}

void router::continue_catch_up(const std::shared_ptr<client_session>& s, std::uint64_t written, bool more) {
  if (!s->state().user) return;
  const std::string me = s->state().user->full();
  auto out = std::make_shared<catch_up>();
  writer_.submit(
      [this, s, me, out, written, more](store::txn& t) {
        *out = catch_up{};
        store::inbox_remove(t, me, written);
        if (more) take_catch_up(t, me, s.get(), written, *out);
      },
      [this, s, me, out, more](std::error_code ec) {
        if (ec) return log(log_level::error, "router", "inbox of ", me, ": ", ec.message());
        if (!more) return;
        s->post([this, s, out] {
          if (!s->state().closed) send_catch_up(s, *out);
        });
      });
}

void router::go_offline(const std::shared_ptr<client_session>& s, const frame_ptr& notice) {
  const std::string me = s->state().user->full();
  online_.remove(me, s.get());
  presence_to_friends_async(me, notice);
}

void router::handle_logout(const std::shared_ptr<client_session>& s, const std::optional<std::string>&) {
  session_state& st = s->state();
  st.logged_out = true;
  const std::string me = st.user->full();
  // A user who chose to appear offline leaves as quietly as they stayed.
  const bool visible = online_.visible_status(me) != "offline";
  go_offline(s, visible ? make_frame(p::user_logout{me}, std::nullopt) : nullptr);
  log(log_level::info, "router", me, " logged out");
  if (st.tokens.empty()) return s->close(1000);
  // A logout ends the tokens this session used or was given; the close waits for the commit,
  // so a client that saw the close knows its token no longer works.
  writer_.submit([digests = std::move(st.tokens)](store::txn& t) {
    for (const auto& d : digests) store::tokens::revoke(t, d);
  },
                 [s, me](std::error_code ec) {
                   if (ec) log(log_level::error, "router", "revoking the tokens of ", me, ": ", ec.message());
                   s->close(1000);
                 });
}

void router::on_disconnect(const std::shared_ptr<client_session>& s) {
  session_state& st = s->state();
  st.closed = true;
  st.history.reset();
  st.media.reset();
  if (st.user && !st.logged_out) {
    const std::string me = st.user->full();
    const bool visible = online_.visible_status(me) != "offline";
    go_offline(s, visible ? make_frame(p::user_status_update{me, "offline"}, std::nullopt) : nullptr);
    log(log_level::debug, "router", me, " disconnected");
  }
}

}  // namespace chatnode::node
