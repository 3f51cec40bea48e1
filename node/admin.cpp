// The admin commands.
#include "admin.hpp"

#include "store/accounts.hpp"
#include "log.hpp"
#include "store/tables.hpp"
#include "store/tokens.hpp"

#include "client/password_hash.hpp"
#include "crypto/kdf.hpp"
#include "crypto/random.hpp"
#include "protocol/ids.hpp"
#include "store/keys.hpp"
#include "store/schema.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>

#include <algorithm>
#include <array>
#include <future>
#include <sstream>

namespace chatnode::node {
namespace json = boost::json;
namespace p = protocol;

namespace {

// WebSocket close code of a kicked session (application range 4000-4999).
constexpr std::uint16_t close_kicked = 4001;

admin_reply reply(int exit, std::string text) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  return {exit, std::move(text)};
}

std::string pretty(const json::value& v) {
  // One level of indentation per nesting level keeps exports readable and diffable.
  std::string out;
  std::function<void(const json::value&, int)> emit = [&](const json::value& x, int depth) {
    const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
    const std::string inner(static_cast<std::size_t>(depth + 1) * 2, ' ');
    if (x.is_object() && !x.as_object().empty()) {
      out += "{\n";
      bool first = true;
      for (const auto& [k, val] : x.as_object()) {
        if (!first) out += ",\n";
        first = false;
        out += inner + json::serialize(json::string(k)) + ": ";
        emit(val, depth + 1);
      }
      out += "\n" + pad + "}";
    } else if (x.is_array() && !x.as_array().empty()) {
      out += "[\n";
      bool first = true;
      for (const auto& val : x.as_array()) {
        if (!first) out += ",\n";
        first = false;
        out += inner;
        emit(val, depth + 1);
      }
      out += "\n" + pad + "]";
    } else {
      out += json::serialize(x);
    }
  };
  emit(v, 0);
  return out + "\n";
}

json::object message_json(std::uint64_t id, const store::stored_message& m) {
  json::object o{{"id", id}, {"timestamp", m.timestamp}, {"sender", m.sender}, {"receiver", m.receiver}};
  if (!m.group_id.empty()) {
    o["groupId"] = m.group_id;
    o["groupName"] = m.group_name;
  }
  if (!m.media_id.empty()) {
    o["mediaId"] = m.media_id;
    o["mediaType"] = m.media_type;
    o["mediaSize"] = m.media_size;
  } else {
    o["content"] = m.content;
  }
  return o;
}

const char* usage_text =
    "usage: chatnode admin --config FILE [--json] COMMAND\n"
    "  user add NAME            password from stdin, or generated and printed\n"
    "  user passwd NAME         likewise; the user's resumption tokens are revoked\n"
    "  user delete NAME         as ACCOUNT_DELETE: friends and groups are told, data erased\n"
    "  user list [--online]\n"
    "  user lock NAME           logins refused (2005), session closed, tokens revoked\n"
    "  user unlock NAME\n"
    "  user export NAME         everything the node holds about the user, as JSON\n"
    "  session list             who is logged in, from where\n"
    "  session kick NAME        closes the user's session (WebSocket close 4001)\n"
    "  federation status        per peer: link state, outbox depth, last error\n"
    "  reload                   as SIGHUP: re-reads the config and certificates\n";

}  // namespace

std::string generate_password() {
  static constexpr std::string_view alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::array<std::uint8_t, 20> bytes{};
  std::string out;
  while (out.size() < 20) {
    crypto::random_bytes(bytes);
    for (auto b : bytes) {
      // Rejection sampling: no bias towards the first letters.
      if (b < 256 - 256 % alphabet.size() && out.size() < 20) out += alphabet[b % alphabet.size()];
    }
  }
  return out;
}

admin_commands::admin_commands(router& route, store::database& db, store::writer& writer, registry& online,
                               std::optional<admin_live> live)
    : route_(route), db_(db), writer_(writer), online_(online), live_(std::move(live)) {}

std::optional<std::string> admin_commands::local_name(const std::string& name) const {
  auto uid = p::parse_user_id(name, route_.cfg().domain);
  if (!uid || uid->domain != route_.cfg().domain) return std::nullopt;
  return uid->name;
}

bool admin_commands::write(const std::function<void(store::txn&)>& job, std::string& error) {
  std::promise<std::error_code> done;
  auto result = done.get_future();
  writer_.submit(job, [&done](std::error_code ec) { done.set_value(ec); });
  const auto ec = result.get();
  if (ec) error = ec.message();
  return !ec;
}

bool admin_commands::change_account(const std::string& name,
                                    const std::function<void(store::account_record&, store::txn&)>& change, bool& found,
                                    std::string& error) {
  return write(
      [&](store::txn& t) {
        auto record = store::load_account(t, name);
        found = record.has_value();
        if (!found) return;
        change(*record, t);
        store::save_account(t, name, *record);
      },
      error);
}

admin_reply admin_commands::run(const admin_request& req) {
  const auto& a = req.args;
  auto is = [&](std::initializer_list<const char*> words, std::size_t extra) {
    if (a.size() != words.size() + extra) return false;
    std::size_t i = 0;
    for (const char* w : words)
      if (a[i++] != w) return false;
    return true;
  };
  admin_reply r;
  if (is({"user", "add"}, 1)) r = user_add(a[2], req);
  else if (is({"user", "passwd"}, 1)) r = user_passwd(a[2], req);
  else if (is({"user", "delete"}, 1)) r = user_delete(a[2]);
  else if (is({"user", "list"}, 0)) r = user_list(false, req.json);
  else if (is({"user", "list", "--online"}, 0)) r = user_list(true, req.json);
  else if (is({"user", "lock"}, 1)) r = user_lock(a[2], true);
  else if (is({"user", "unlock"}, 1)) r = user_lock(a[2], false);
  else if (is({"user", "export"}, 1)) r = user_export(a[2]);
  else if (is({"session", "list"}, 0)) r = session_list(req.json);
  else if (is({"session", "kick"}, 1)) r = session_kick(a[2]);
  else if (is({"federation", "status"}, 0)) r = federation_status(req.json);
  else if (is({"reload"}, 0)) r = reload();
  else if (is({"help"}, 0)) return reply(admin_ok, usage_text);
  else return reply(admin_usage, usage_text);
  std::string what;
  for (const auto& w : a) what += (what.empty() ? "" : " ") + w;
  log(r.exit == admin_ok ? log_level::info : log_level::warn, "admin", what, " -> exit ", r.exit,
      live_ ? "" : " (node stopped: run on the data dir)");
  return r;
}

admin_reply admin_commands::user_add(const std::string& name, const admin_request& req) {
  const auto user = local_name(name);
  if (!user) return reply(admin_usage, "not a user name of " + route_.cfg().domain + ": " + name);
  const bool generated = !req.password;
  const std::string password = generated ? generate_password() : *req.password;
  if (password.empty()) return reply(admin_usage, "the password is empty");
  store::account_record record;
  record.credential = crypto::hash_password(client::password_hash(*user, password), route_.cfg().kdf);
  record.created = router::now_seconds();
  bool exists = false;
  std::string error;
  const bool ok = write(
      [&](store::txn& t) {
        exists = !store::create_account(t, *user, record);
      },
      error);
  if (!ok) return reply(admin_failed, "could not add " + *user + ": " + error);
  const std::string full = *user + "@" + route_.cfg().domain;
  if (exists) return reply(admin_exists, full + " already exists");
  return reply(admin_ok, generated ? "added " + full + "\npassword: " + password : "added " + full);
}

admin_reply admin_commands::user_passwd(const std::string& name, const admin_request& req) {
  const auto user = local_name(name);
  if (!user) return reply(admin_usage, "not a user name of " + route_.cfg().domain + ": " + name);
  const bool generated = !req.password;
  const std::string password = generated ? generate_password() : *req.password;
  if (password.empty()) return reply(admin_usage, "the password is empty");
  const std::string credential = crypto::hash_password(client::password_hash(*user, password), route_.cfg().kdf);
  const std::string full = *user + "@" + route_.cfg().domain;
  bool found = false;
  std::string error;
  const bool ok = change_account(
      *user,
      [&](store::account_record& record, store::txn& t) {
        record.credential = credential;
        store::tokens::revoke_all(t, full);  // "stay logged in" ends everywhere
      },
      found, error);
  if (!ok) return reply(admin_failed, "could not change the password of " + *user + ": " + error);
  if (!found) return reply(admin_not_found, "no user " + full);
  return reply(admin_ok, generated ? "changed the password of " + full + "\npassword: " + password
                                   : "changed the password of " + full);
}

admin_reply admin_commands::user_delete(const std::string& name) {
  const auto user = local_name(name);
  if (!user) return reply(admin_usage, "not a user name of " + route_.cfg().domain + ": " + name);
  const std::string full = *user + "@" + route_.cfg().domain;
  {
    auto t = db_.begin_read();
    if (!store::account_exists(t, *user)) return reply(admin_not_found, "no user " + full);
  }
  std::promise<bool> done;
  auto result = done.get_future();
  route_.delete_account(full, [&done](bool ok) { done.set_value(ok); });
  if (!result.get()) return reply(admin_failed, "could not delete " + full + " (see the node's log)");
  return reply(admin_ok, "deleted " + full);
}

admin_reply admin_commands::user_list(bool online_only, bool as_json) {
  json::array users;
  std::string text;
  auto t = db_.begin_read();
  store::for_each_account(t, [&](std::string_view name, const std::optional<store::account_record>& record) {
    const std::string full = std::string(name) + "@" + route_.cfg().domain;
    const bool online = online_.find(full) != nullptr;
    if (online_only && !online) return;
    const bool locked = record && record->locked;
    users.push_back(json::object{{"user", full},
                                 {"created", record ? record->created : 0},
                                 {"online", online},
                                 {"locked", locked}});
    text += full;
    if (online) text += " online";
    if (locked) text += " locked";
    text += '\n';
  });
  return reply(admin_ok, as_json ? json::serialize(users) : text);
}

admin_reply admin_commands::user_lock(const std::string& name, bool lock) {
  const auto user = local_name(name);
  if (!user) return reply(admin_usage, "not a user name of " + route_.cfg().domain + ": " + name);
  const std::string full = *user + "@" + route_.cfg().domain;
  bool found = false;
  std::string error;
  const bool ok = change_account(
      *user,
      [&](store::account_record& record, store::txn& t) {
        record.locked = lock;
        if (lock) store::tokens::revoke_all(t, full);
      },
      found, error);
  if (!ok) return reply(admin_failed, "could not change " + full + ": " + error);
  if (!found) return reply(admin_not_found, "no user " + full);
  if (lock)
    if (auto s = online_.find(full)) s->close(close_kicked);
  return reply(admin_ok, (lock ? "locked " : "unlocked ") + full);
}

admin_reply admin_commands::user_export(const std::string& name) {
  const auto user = local_name(name);
  if (!user) return reply(admin_usage, "not a user name of " + route_.cfg().domain + ": " + name);
  const std::string full = *user + "@" + route_.cfg().domain;
  auto t = db_.begin_read();
  auto record = store::load_account(t, *user);
  if (!record) return reply(admin_not_found, "no user " + full);

  json::object out{{"user", full}, {"created", record->created}, {"locked", record->locked}};
  auto strings = [](const std::vector<std::string>& v) { return json::array(v.begin(), v.end()); };
  out["friends"] = strings(store::friends_of(t, full));
  out["friendRequestsReceived"] = strings(store::requests_in(t, full));
  out["friendRequestsSent"] = strings(store::requests_out(t, full));
  out["blocked"] = strings(store::blocked_by(t, full));
  json::array groups;
  for (auto role : {store::group_role::member, store::group_role::invited}) {
    for (const auto& [group_id, g] : store::groups_of(t, full, role)) {
      groups.push_back(json::object{{"groupId", group_id},
                                    {"name", g.name},
                                    {"role", role == store::group_role::member ? "member" : "invited"},
                                    {"leader", g.leader},
                                    {"members", strings(g.members)}});
    }
  }
  out["groups"] = std::move(groups);
  // The history, oldest first: every message the user sent or received that the node keeps.
  json::array history;
  json::array media;
  store::history_up(t, full, 0, [&](std::uint64_t id) {
    if (auto m = store::load_message(t, id)) {
      history.push_back(message_json(id, *m));
      if (!m->media_id.empty() && m->sender == full) media.push_back(json::object{
          {"mediaId", m->media_id}, {"mediaType", m->media_type}, {"mediaSize", m->media_size},
          {"stored", store::load_media(t, m->media_id).has_value()}});
    }
    return true;
  });
  out["history"] = std::move(history);
  out["mediaSent"] = std::move(media);
  out["inboxWaiting"] = store::inbox_size(t, full);
  out["resumptionTokens"] = store::tokens::count(t, full);
  out["online"] = online_.find(full) != nullptr;
  return reply(admin_ok, pretty(out));
}

admin_reply admin_commands::session_list(bool as_json) {
  if (!live_) return reply(admin_not_running, "the node is not running: no sessions");
  auto users = online_.visible_users();
  std::sort(users.begin(), users.end());
  json::array out;
  std::string text;
  for (const auto& [user, status] : users) {
    auto s = online_.find(user);
    if (!s) continue;
    const std::string& from = s->remote();
    out.push_back(json::object{{"user", user}, {"status", status}, {"remote", from}});
    text += user + " " + status + " from " + from + "\n";
  }
  return reply(admin_ok, as_json ? json::serialize(out) : text);
}

admin_reply admin_commands::session_kick(const std::string& name) {
  if (!live_) return reply(admin_not_running, "the node is not running: no sessions");
  const auto user = local_name(name);
  if (!user) return reply(admin_usage, "not a user name of " + route_.cfg().domain + ": " + name);
  const std::string full = *user + "@" + route_.cfg().domain;
  auto s = online_.find(full);
  if (!s) return reply(admin_not_found, full + " has no session");
  s->close(close_kicked);
  return reply(admin_ok, "closed the session of " + full);
}

admin_reply admin_commands::federation_status(bool as_json) {
  if (!live_) return reply(admin_not_running, "the node is not running");
  if (!live_->federation_status) return reply(admin_ok, as_json ? "[]" : "federation is off (no federation.ca)");
  const std::string status = live_->federation_status();
  if (as_json) return reply(admin_ok, status);
  boost::system::error_code ec;
  const json::value v = json::parse(status, ec);
  if (ec || !v.is_array()) return reply(admin_failed, "unreadable federation status");
  std::string text;
  for (const auto& peer : v.as_array()) {
    const auto& o = peer.as_object();
    text += json::value_to<std::string>(o.at("peer")) + ": " + json::value_to<std::string>(o.at("state")) +
            ", outbox " + std::to_string(o.at("outbox").to_number<std::uint64_t>());
    if (const auto* e = o.if_contains("lastError"); e && e->is_string()) text += ", last error: " + std::string(e->as_string());
    text += '\n';
  }
  if (text.empty()) text = "no peers\n";
  return reply(admin_ok, text);
}

admin_reply admin_commands::reload() {
  if (!live_) return reply(admin_not_running, "the node is not running: nothing to reload");
  auto [ok, message] = live_->reload();
  return reply(ok ? admin_ok : admin_failed, message);
}

}  // namespace chatnode::node
