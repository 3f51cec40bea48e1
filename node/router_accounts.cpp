// Account lifecycle (docs/protocol.md §5): PASSWORD_CHANGE_REQUEST and ACCOUNT_DELETE_REQUEST,
// and the deletion itself, which the admin command runs without a session. A password is
// checked like a login (KDF queue, the per-address login budget); the change and the
// deletion are one writer job each.
#include "router.hpp"

#include "core/accounts.hpp"

#include "store/accounts.hpp"
#include "log.hpp"
#include "store/tables.hpp"
#include "store/tokens.hpp"

#include "crypto/kdf.hpp"
#include "protocol/federation.hpp"
#include "protocol/ids.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>

namespace chatnode::node {
namespace p = chatnode::protocol;

namespace {

// The stored credential of local user `name`; throws when there is no readable record.
std::string credential_of(const store::database& db, const std::string& name) {
  auto t = db.begin_read();
  auto record = store::load_account(t, name);
  if (!record) throw std::runtime_error("no account record");
  return record->credential;
}

}  // namespace

std::optional<std::string> router::begin_password_check(const std::shared_ptr<client_session>& s,
                                                        const std::string& name, std::string_view request_type,
                                                        const std::optional<std::string>& id,
                                                        const std::function<void()>& server_error) {
  const std::string address = s->address();
  // The current password is guessed as cheaply here as at login, so it spends the same budget.
  if (!spend_login_budget(s, address, name, "password check", request_type, id)) return std::nullopt;
  try {
    return credential_of(db_, name);
  } catch (const std::exception& e) {
    guard_.end_login(address, name, false, false);
    log(log_level::error, "router", request_type, " of ", name, ": ", e.what());
    server_error();
    return std::nullopt;
  }
}

bool router::handle_password_change(const std::shared_ptr<client_session>& s, p::password_change_request& req,
                                    const std::optional<std::string>& id) {
  const p::user_id user = *s->state().user;
  const std::string me = user.full();
  auto reply = [me, id](p::code c) { return make_frame(p::password_change_response{me, p::to_int(c)}, id); };
  const std::string address = s->address();
  auto credential = begin_password_check(s, user.name, "PASSWORD_CHANGE_REQUEST", id,
                                         [&] { s->send(reply(p::code::login_server_error)); });
  if (!credential) return true;
  auto job = [this, s, address, name = user.name, me, current = std::move(req.password_hash),
              next = std::move(req.new_password_hash), credential = std::move(*credential),
              keep = s->state().tokens, reply]() {
    if (!crypto::verify_password(current, credential)) {
      guard_.end_login(address, name, false);
      metrics_.login_failures.fetch_add(1, std::memory_order_relaxed);
      log(log_level::info, "router", "password change of ", me, " from ", s->remote(), ": wrong current password");
      s->send(reply(p::code::invalid_credentials));
      s->resume_reading();
      return;
    }
    guard_.end_login(address, name, true);
    std::string fresh;
    try {
      fresh = crypto::hash_password(next, cfg().kdf);  // as at registration
    } catch (const std::exception& e) {
      log(log_level::error, "router", "password change of ", me, ": ", e.what());
      s->send(reply(p::code::login_server_error));
      s->resume_reading();
      return;
    }
    auto changed = std::make_shared<bool>(false);
    writer_.submit(
        [name, me, credential, fresh, keep, changed](store::txn& t) {
          *changed = false;
          auto record = store::load_account(t, name);
          // Changed (or deleted) since it was checked: the password given is no longer current.
          if (!record || record->credential != credential) return;
          record->credential = fresh;
          store::save_account(t, name, *record);
          // Every other device must log in with the new password; this connection keeps the
          // tokens it logged in with or was given.
          store::tokens::revoke_all_except(t, me, keep);
          *changed = true;
        },
        [s, me, changed, reply](std::error_code ec) {
          if (ec) log(log_level::error, "router", "password change of ", me, ": ", ec.message());
          if (!ec && *changed) log(log_level::info, "router", me, " changed their password");
          s->send(reply(ec ? p::code::login_server_error : *changed ? p::code::ok : p::code::invalid_credentials));
          s->resume_reading();
        });
  };
  if (!run_kdf_(kdf_queue::lane::login, std::move(job))) {
    guard_.end_login(address, user.name, false, false);
    send_error(s, p::code::rate_limited, "the node is busy; try again shortly", "PASSWORD_CHANGE_REQUEST", id);
    return true;
  }
  return false;
}

bool router::handle_account_delete(const std::shared_ptr<client_session>& s, p::account_delete_request& req,
                                   const std::optional<std::string>& id) {
  const p::user_id user = *s->state().user;
  const std::string me = user.full();
  auto reply = [me, id](p::code c) { return make_frame(p::account_delete_response{me, p::to_int(c)}, id); };
  const std::string address = s->address();
  auto credential = begin_password_check(s, user.name, "ACCOUNT_DELETE_REQUEST", id,
                                         [&] { s->send(reply(p::code::login_server_error)); });
  if (!credential) return true;
  auto job = [this, s, address, name = user.name, me, password = std::move(req.password_hash),
              credential = std::move(*credential), id, reply]() {
    if (!crypto::verify_password(password, credential)) {
      guard_.end_login(address, name, false);
      metrics_.login_failures.fetch_add(1, std::memory_order_relaxed);
      log(log_level::info, "router", "deletion of ", me, " from ", s->remote(), ": wrong password");
      s->send(reply(p::code::invalid_credentials));
      s->resume_reading();
      return;
    }
    guard_.end_login(address, name, true);
    // Reading stays paused: nothing this connection sends after the request is applied.
    erase_account(me, s, id, {});
  };
  if (!run_kdf_(kdf_queue::lane::login, std::move(job))) {
    guard_.end_login(address, user.name, false, false);
    send_error(s, p::code::rate_limited, "the node is busy; try again shortly", "ACCOUNT_DELETE_REQUEST", id);
    return true;
  }
  return false;
}

void router::delete_account(const std::string& user, std::function<void(bool)> done) {
  auto uid = p::parse_user_id(user, cfg().domain);
  if (!uid || uid->domain != cfg().domain) {
    if (done) done(false);
    return;
  }
  const std::string full = uid->full();
  auto s = online_.find(full);
  if (!s) return erase_account(full, nullptr, std::nullopt, std::move(done));
  // The user is online: their session stops acting first, on its strand, so what it sent
  // before is applied before the deletion and what it sends after is ignored.
  s->post([this, s, full, done = std::move(done)]() mutable {
    s->state().logged_out = true;
    erase_account(full, nullptr, std::nullopt, std::move(done));
  });
}

void router::erase_account(const std::string& user, std::shared_ptr<client_session> requester, std::optional<std::string> id,
                           std::function<void(bool)> done) {
  struct outcome {
    effects fx;
    bool existed = false;
    std::shared_ptr<client_session> session;  // the user's session at the time, if any
  };
  auto out = std::make_shared<outcome>();
  writer_.submit(
      [this, out, user](store::txn& t) {
        out->fx.clear();  // the writer may run a job again after growing the map
        out->session = online_.find(user);
        auto c = context_of(t, out->fx);
        out->existed = core::erase_account(c, user);
        c.flush_remote();
      },
      [this, out, user, requester = std::move(requester), id = std::move(id), done = std::move(done)](std::error_code ec) {
        if (ec) log(log_level::error, "router", "deleting ", user, ": ", ec.message());
        if (!ec && out->existed) {
          log(log_level::info, "router", "deleted the account of ", user);
          apply_effects(out->fx);
        }
        // The requester hears how it went; on success (or when the account was already gone)
        // every session of the user ends. A session found for an operator's deletion ends
        // even when it failed: it stopped acting already, and the user may log in again.
        auto end = [this, user, ok = !ec, id](const std::shared_ptr<client_session>& s, bool asked) {
          s->post([this, s, user, ok, id, asked] {
            if (asked) {
              s->send(make_frame(p::account_delete_response{user, p::to_int(ok ? p::code::ok : p::code::login_server_error)}, id));
              if (!ok) return s->resume_reading();
            }
            s->state().logged_out = true;
            online_.remove(user, s.get());
            s->close(1000);
            // The request is over (a closing connection reads nothing more).
            if (asked) s->resume_reading();
          });
        };
        if (requester) end(requester, true);
        if (out->session && out->session != requester) end(out->session, false);
        if (done) done(!ec && out->existed);
      });
}

}  // namespace chatnode::node
