// Protocol rules for accounts and sessions (register, login, logout) and the checks every
// request goes through (authentication, acting user).
#include "router.hpp"

#include "accounts.hpp"
#include "log.hpp"
#include "model.hpp"

#include "crypto/kdf.hpp"
#include "protocol/ids.hpp"

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
    case mt::error:
      return true;
    default:
      return false;
  }
}

}  // namespace

router::router(const config& cfg, store::database& db, store::writer& writer, registry& online,
               blocking_executor run_blocking)
    : cfg_(cfg),
      db_(db),
      writer_(writer),
      online_(online),
      run_blocking_(std::move(run_blocking)),
      throttle_(cfg.limits.login_max_failures, cfg.limits.login_lockout) {
  decode_limits_.max_message_bytes = cfg.limits.max_message_bytes;
}

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

  auto decoded = p::decode(frame, decode_limits_);
  if (auto* err = std::get_if<p::decode_error>(&decoded)) {
    send_error(s, err->error, std::move(err->message), std::move(err->in_reply_to), err->id);
    return true;
  }
  auto& env = std::get<p::envelope>(decoded);
  const p::message_type type = p::type_of(env.body);
  const std::string type_name(p::to_string(type));

  if (type == p::message_type::register_request)
    return handle_register(s, std::get<p::register_request>(env.body), env.id);
  if (type == p::message_type::login_request)
    return handle_login(s, std::get<p::login_request>(env.body), env.id);

  if (!st.user) {
    send_error(s, p::code::not_authenticated, "log in first", type_name, env.id);
    return true;
  }
  if (is_server_only(type)) {
    send_error(s, p::code::unknown_type, type_name + " is sent by the node, not by clients", type_name, env.id);
    return true;
  }
  if (const std::string* actor = acting_user(env.body)) {
    auto claimed = p::parse_user_id(*actor, cfg_.domain);
    if (!claimed || *claimed != *st.user) {
      send_error(s, p::code::forbidden, "acting user \"" + *actor + "\" is not the logged-in user", type_name, env.id);
      return true;
    }
  }

  switch (type) {
    case p::message_type::user_logout:
      handle_logout(s, env.id);
      break;
    case p::message_type::user_status_update:
      handle_status(s, std::get<p::user_status_update>(env.body), env.id);
      break;
    case p::message_type::friend_request:
      handle_friend_request(s, std::get<p::friend_request>(env.body), env.id);
      break;
    case p::message_type::friend_request_response:
      handle_friend_response(s, std::get<p::friend_request_response>(env.body), env.id);
      break;
    case p::message_type::friend_remove:
      handle_friend_remove(s, std::get<p::friend_remove>(env.body), env.id);
      break;
    case p::message_type::friend_list_request:
      handle_friend_list(s, env.id);
      break;
    case p::message_type::text_message:
      handle_text(s, std::get<p::text_message>(env.body), env.id);
      break;
    case p::message_type::group_create:
      handle_group_create(s, std::get<p::group_create>(env.body), env.id);
      break;
    case p::message_type::group_invite_response:
      handle_group_invite_response(s, std::get<p::group_invite_response>(env.body), env.id);
      break;
    case p::message_type::group_leave:
      handle_group_leave(s, std::get<p::group_leave>(env.body), env.id);
      break;
    case p::message_type::group_remove:
      handle_group_remove(s, std::get<p::group_remove>(env.body), env.id);
      break;
    case p::message_type::group_leader_change:
      handle_group_leader_change(s, std::get<p::group_leader_change>(env.body), env.id);
      break;
    case p::message_type::group_list_request:
      handle_group_list(s, env.id);
      break;
    case p::message_type::message_history_request:
      handle_history_request(s, std::get<p::message_history_request>(env.body), env.id);
      break;
    case p::message_type::message_history_begin_ack:
    case p::message_type::message_history_data_ack:
    case p::message_type::message_history_complete_ack:
      handle_history_ack(s, env.body, env.id);
      break;
    case p::message_type::media_message:
      handle_media_message(s, std::get<p::media_message>(env.body), env.id);
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

void router::effects::send(const std::shared_ptr<client_session>& to, frame_ptr frame) {
  if (const std::string* domain = to->via_domain()) {
    // A remote user's stand-in: the reply goes to their node (unless it answered itself).
    if (!to->quiet()) remote.push_back({*domain, std::move(frame), {to->state().user->full()}, std::nullopt});
    return;
  }
  sends.emplace_back(to, std::move(frame));
}

void router::run_rule(const std::shared_ptr<client_session>& s, rule_fn rule, std::function<frame_ptr()> on_failure) {
  if (inline_) {  // a remote user's request inside the receiving job: same transaction
    rule(*inline_->t, *inline_->fx);
    return;
  }
  auto fx = std::make_shared<effects>();
  writer_.submit(
      [this, fx, rule = std::move(rule)](store::txn& t) {
        fx->clear();  // the writer may run a job again after growing the map
        rule(t, *fx);
        flush_remote(t, *fx);
      },
      [this, s, fx, on_failure = std::move(on_failure)](std::error_code ec) {
        if (ec) {
          log(log_level::error, "router", "write failed for ", s->remote(), ": ", ec.message());
          metrics_.errors_sent.fetch_add(1, std::memory_order_relaxed);
          s->send(on_failure());
          return;
        }
        apply_effects(*fx);
      });
}

void router::apply_effects(effects& fx) {
  for (auto& [to, frame] : fx.sends) to->send(std::move(frame));
  fx.sends.clear();
  if (auto* fed = fed_.load())
    for (const auto& domain : fx.pokes) fed->poke(domain);
  fx.pokes.clear();
}

void router::deliver(store::txn& t, effects& fx, const std::string& user, const frame_ptr& frame,
                     const std::optional<std::string>& ref) {
  if (!is_local(user)) {
    const std::string domain = user.substr(user.rfind('@') + 1);
    // One event per node for a frame going to several of its users (group fan-out).
    for (auto& r : fx.remote) {
      if (r.frame == frame && r.domain == domain && r.ref == ref) {
        r.to.push_back(user);
        return;
      }
    }
    fx.remote.push_back({domain, frame, {user}, ref});
    return;
  }
  if (auto to = online_.find_live(user)) {
    fx.send(to, frame);
  } else {
    model::inbox_append(t, user, *frame);
  }
}

void router::on_oversize(const std::shared_ptr<client_session>& s, std::size_t size) {
  send_error(s, p::code::too_large,
             "message of " + std::to_string(size) + " bytes exceeds the limit of " +
                 std::to_string(cfg_.limits.max_message_bytes),
             std::nullopt, std::nullopt);
}

void router::on_binary(const std::shared_ptr<client_session>& s) {
  send_error(s, p::code::malformed_json, "binary frames are not accepted; send JSON in text frames",
             std::nullopt, std::nullopt);
}

bool router::reserve_kdf() {
  std::size_t current = pending_kdf_.load(std::memory_order_relaxed);
  while (current < cfg_.limits.max_pending_kdf) {
    if (pending_kdf_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

bool router::handle_register(const std::shared_ptr<client_session>& s, p::register_request& req,
                             const std::optional<std::string>& id) {
  auto reply = [](bool ok, p::code c, const std::optional<std::string>& rid) {
    return make_frame(p::register_response{ok, p::to_int(c)}, rid);
  };
  if (!cfg_.registration_open) {
    s->send(reply(false, p::code::auth_failed, id));
    return true;
  }
  auto uid = p::parse_user_id(req.username, cfg_.domain);
  if (!uid || uid->domain != cfg_.domain) {
    send_error(s, p::code::invalid_field, "payload.username: must be a user name of " + cfg_.domain,
               "REGISTER_REQUEST", id);
    return true;
  }
  try {
    auto t = db_.begin_read();
    if (t.get(store::table_id::users, uid->name)) {
      s->send(reply(false, p::code::user_exists, id));
      return true;
    }
  } catch (const std::exception& e) {
    log(log_level::error, "router", "register ", uid->name, ": ", e.what());
    s->send(reply(false, p::code::register_server_error, id));
    return true;
  }
  if (!reserve_kdf()) {
    send_error(s, p::code::rate_limited, "the node is busy; try again shortly", "REGISTER_REQUEST", id);
    return true;
  }
  run_blocking_([this, s, name = uid->name, password = std::move(req.password_hash), id] {
    account_record record;
    try {
      record.credential = crypto::hash_password(password, cfg_.kdf);
      record.created = now_seconds();
    } catch (const std::exception& e) {
      pending_kdf_.fetch_sub(1, std::memory_order_relaxed);
      log(log_level::error, "router", "register ", name, ": ", e.what());
      s->send(make_frame(p::register_response{false, p::to_int(p::code::register_server_error)}, id));
      s->resume_reading();
      return;
    }
    pending_kdf_.fetch_sub(1, std::memory_order_relaxed);
    auto created = std::make_shared<bool>(false);
    writer_.submit(
        [name, value = encode_account(record), created](store::txn& t) {
          *created = t.put_if_absent(store::table_id::users, name, value);
        },
        [this, s, name, created, id](std::error_code ec) {
          p::code c = p::code::ok;
          if (ec) {
            log(log_level::error, "router", "register ", name, ": ", ec.message());
            c = p::code::register_server_error;
          } else if (!*created) {
            c = p::code::user_exists;
          } else {
            metrics_.registrations.fetch_add(1, std::memory_order_relaxed);
            log(log_level::info, "router", "registered ", name);
          }
          s->send(make_frame(p::register_response{c == p::code::ok, p::to_int(c)}, id));
          s->resume_reading();
        });
  });
  return false;
}

bool router::handle_login(const std::shared_ptr<client_session>& s, p::login_request& req,
                          const std::optional<std::string>& id) {
  auto reply = [id](p::code c) { return make_frame(p::login_response{c == p::code::ok, p::to_int(c)}, id); };
  if (s->state().user) {
    s->send(reply(p::code::already_logged_in));
    return true;
  }
  auto uid = p::parse_user_id(req.username, cfg_.domain);
  if (!uid || uid->domain != cfg_.domain) {
    s->send(reply(p::code::user_not_found));
    return true;
  }
  if (!throttle_.allowed(uid->name)) {
    metrics_.logins_throttled.fetch_add(1, std::memory_order_relaxed);
    send_error(s, p::code::rate_limited, "too many failed logins for this user; try again later",
               "LOGIN_REQUEST", id);
    return true;
  }
  std::string credential;
  try {
    auto t = db_.begin_read();
    auto stored = t.get(store::table_id::users, uid->name);
    if (!stored) {
      s->send(reply(p::code::user_not_found));
      return true;
    }
    auto record = decode_account(*stored);
    if (!record) throw std::runtime_error("unreadable account record");
    credential = std::move(record->credential);
  } catch (const std::exception& e) {
    log(log_level::error, "router", "login ", uid->name, ": ", e.what());
    s->send(reply(p::code::login_server_error));
    return true;
  }
  if (!reserve_kdf()) {
    send_error(s, p::code::rate_limited, "the node is busy; try again shortly", "LOGIN_REQUEST", id);
    return true;
  }
  run_blocking_([this, s, user = std::move(*uid), password = std::move(req.password_hash),
                 credential = std::move(credential), id, reply]() mutable {
    const bool ok = crypto::verify_password(password, credential);
    pending_kdf_.fetch_sub(1, std::memory_order_relaxed);
    if (!ok) {
      throttle_.record_failure(user.name);
      metrics_.login_failures.fetch_add(1, std::memory_order_relaxed);
      log(log_level::info, "router", "failed login for ", user.name, " from ", s->remote());
      s->send(reply(p::code::invalid_credentials));
      s->resume_reading();
      return;
    }
    throttle_.record_success(user.name);
    // Going online is a writer job so that it is ordered with every delivery decision the
    // writer makes: an event either reaches this session live or waits in the inbox. The
    // session catches up on its inbox page by page (find_live stays null meanwhile, so new
    // events queue behind the old ones). Friends learn of the login at once.
    auto full = user.full();
    struct login_outcome {
      bool added = false;
      catch_up first;  // the first page of the catch-up
      effects fx;      // to friends
    };
    auto out = std::make_shared<login_outcome>();
    writer_.submit(
        [this, s, full, out](store::txn& t) {
          *out = login_outcome{};
          out->added = online_.try_add(full, s);
          if (!out->added) return;
          take_catch_up(t, full, s.get(), out->first);
          auto online_frame = make_frame(p::user_status_update{full, "online"}, std::nullopt);
          for (const auto& f : model::friends_of(t, full))
            if (auto to = online_.find(f)) out->fx.send(to, online_frame);
          presence_to_remote(t, out->fx, full, online_frame);
          flush_remote(t, out->fx);
        },
        [this, s, user = std::move(user), full, out, reply](std::error_code ec) mutable {
          s->post([this, s, user = std::move(user), full, out, ec, reply]() mutable {
            if (ec || !out->added || s->state().closed) {
              if (out->added) online_.remove(full, s.get());
              if (ec) log(log_level::error, "router", "login ", full, ": ", ec.message());
              if (!s->state().closed)
                s->send(reply(ec ? p::code::login_server_error : p::code::already_logged_in));
              // A committed inbox page must not vanish: the session closed meanwhile, so
              // the frames go back to the inbox.
              if (!ec && out->added) {
                requeue_inbox(full, std::move(out->first.inbox));
                // Other nodes were told of the login in the same commit: take it back.
                out->fx.sends.clear();
                apply_effects(out->fx);
                presence_to_remote_async(full, make_frame(p::user_status_update{full, "offline"}, std::nullopt));
              }
            } else {
              s->state().user = std::move(user);
              metrics_.logins.fetch_add(1, std::memory_order_relaxed);
              log(log_level::info, "router", full, " logged in from ", s->remote());
              s->send(reply(p::code::ok));
              send_catch_up(s, out->first);
              apply_effects(out->fx);
            }
            s->resume_reading();
          });
        });
  });
  return false;
}

void router::take_catch_up(store::txn& t, const std::string& user, const client_session* s, catch_up& out) {
  // A page no bigger than a quarter of the write queue, so a user with a large inbox is
  // never dropped as a slow reader while catching up.
  const std::size_t page = std::clamp<std::size_t>(cfg_.limits.write_queue_messages / 4, 1, 512);
  out.inbox = model::inbox_take(t, user, page, out.more);
  if (out.more) return;
  online_.set_caught_up(user, s);
  for (const auto& f : model::friends_of(t, user))
    out.tail.push_back(make_frame(p::user_status_update{f, online_.visible_status(f)}, std::nullopt));
  for (auto& offer : media_offers(t, user)) out.tail.push_back(std::move(offer));
}

void router::send_catch_up(const std::shared_ptr<client_session>& s, catch_up& c) {
  for (auto& e : c.inbox) s->send(std::make_shared<const std::string>(std::move(e.frame)));
  for (auto& f : c.tail) s->send(std::move(f));
  if (c.more) s->when_idle([this, s] { continue_catch_up(s); });
}

void router::continue_catch_up(const std::shared_ptr<client_session>& s) {
  if (!s->state().user || s->state().closed) return;
  const std::string me = s->state().user->full();
  auto out = std::make_shared<catch_up>();
  writer_.submit(
      [this, s, me, out](store::txn& t) {
        *out = catch_up{};
        take_catch_up(t, me, s.get(), *out);
      },
      [this, s, me, out](std::error_code ec) {
        if (ec) return log(log_level::error, "router", "inbox of ", me, ": ", ec.message());
        s->post([this, s, me, out] {
          if (s->state().closed) return requeue_inbox(me, std::move(out->inbox));
          send_catch_up(s, *out);
        });
      });
}

void router::requeue_inbox(const std::string& user, std::vector<model::inbox_entry> entries) {
  if (entries.empty()) return;
  writer_.submit(
      [user, entries = std::move(entries)](store::txn& t) {
        for (const auto& e : entries) model::inbox_put(t, user, e);
      },
      [user](std::error_code ec) {
        if (ec) log(log_level::error, "router", "could not put back the inbox of ", user, ": ", ec.message());
      });
}

void router::go_offline(const std::shared_ptr<client_session>& s, const frame_ptr& notice) {
  const std::string me = s->state().user->full();
  online_.remove(me, s.get());
  if (!notice) return;
  try {
    auto t = db_.begin_read();
    for (const auto& f : model::friends_of(t, me))
      if (auto to = online_.find(f)) to->send(notice);
  } catch (const std::exception& e) {
    log(log_level::error, "router", "presence of ", me, ": ", e.what());
  }
  presence_to_remote_async(me, notice);
}

void router::handle_logout(const std::shared_ptr<client_session>& s, const std::optional<std::string>&) {
  session_state& st = s->state();
  st.logged_out = true;
  const std::string me = st.user->full();
  // A user who chose to appear offline leaves as quietly as they stayed.
  const bool visible = online_.visible_status(me) != "offline";
  go_offline(s, visible ? make_frame(p::user_logout{me}, std::nullopt) : nullptr);
  log(log_level::info, "router", me, " logged out");
  s->close(1000);
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
