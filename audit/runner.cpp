// Runs protocol vectors against nodes: maps actors onto fresh users, drives one blocking
// wss connection per actor, and reports the first difference (docs/vectors/README.md).
#include "runner.hpp"

#include "pattern.hpp"
#include "vector.hpp"

#include "client/connection.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <stdexcept>
#include <thread>

namespace chatnode::audit {
namespace {

namespace json = boost::json;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds connect_timeout{10000};
constexpr std::int64_t max_sleep_ms = 10000;

// A difference between what the node did and what the vector says.
struct step_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string random_run_base() {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 6; ++i) s += alphabet[rd() % (sizeof(alphabet) - 1)];
  return s;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string show(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 300) s = s.substr(0, 300) + "…";
  return s;
}

milliseconds ms_member(const json::object& step, std::string_view key, milliseconds fallback) {
  const auto* v = step.if_contains(key);
  if (!v) return fallback;
  if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 600000)
    throw vector_error(std::string(key) + " must be an integer from 0 to 600000");
  return milliseconds(v->as_int64());
}

class vector_run {
 public:
  vector_run(const vector_file& v, const options& o, const std::string& run) : v_(v), o_(o) {
    b_.run = run;
    for (std::size_t i = 0; i < o.targets.size(); ++i) b_.node_domains["n" + std::to_string(i + 1)] = o.targets[i].domain;
    for (const auto& a : v.actors) {
      actors_[a.name] = &a;
      if (a.user != a.name) continue;
      const auto& t = o.targets[static_cast<std::size_t>(std::stoi(a.node.substr(1))) - 1];
      b_.users[a.name] = user_identity{a.name + "-" + run, t.domain, "pw-" + run + "-" + a.name};
    }
  }

  // nullopt: every step held.
  std::optional<std::string> execute() {
    std::size_t index = 0;
    std::string where = "setup";
    try {
      register_users();
      for (const auto& step : v_.steps) {
        ++index;
        if (!step.is_object()) throw vector_error("a step must be an object");
        where = "step " + std::to_string(index) + " (" + describe(step.as_object()) + ")";
        run_step(step.as_object());
      }
      return std::nullopt;
    } catch (const vector_error& e) {
      return "invalid vector at " + where + ": " + e.what();
    } catch (const step_failure& e) {
      return where + ": " + e.what();
    } catch (const std::exception& e) {
      return where + ": " + e.what();
    }
  }

 private:
  static std::string describe(const json::object& step) {
    std::string actor = step.contains("actor") && step.at("actor").is_string() ? std::string(step.at("actor").as_string()) + " " : "";
    for (const auto* verb : {"send", "receive"}) {
      if (const auto* m = step.if_contains(verb); m && m->is_object()) {
        const auto* t = m->as_object().if_contains("type");
        return actor + verb + " " + (t && t->is_string() ? std::string(t->as_string()) : "?");
      }
    }
    for (const auto& [key, value] : step) {
      if (key == "actor" || key == "note" || key.ends_with("_ms")) continue;
      return actor + std::string(key) + (value.is_string() ? " " + std::string(value.as_string()) : "");
    }
    return actor + "?";
  }

  const actor_spec& actor_of(const json::object& step) {
    const auto* a = step.if_contains("actor");
    if (!a || !a->is_string()) throw vector_error("this step needs \"actor\"");
    const auto it = actors_.find(std::string(a->as_string()));
    if (it == actors_.end()) throw vector_error("unknown actor \"" + std::string(a->as_string()) + "\"");
    return *it->second;
  }

  const target& target_of(const actor_spec& a) const {
    return o_.targets[static_cast<std::size_t>(std::stoi(a.node.substr(1))) - 1];
  }

  std::unique_ptr<client::connection> open(const target& t) const {
    client::connect_options c;
    c.host = t.host;
    c.port = t.port;
    c.ca_file = o_.ca_file;
    c.server_name = t.domain;
    c.timeout = connect_timeout;
    try {
      return client::connection::connect(c);
    } catch (const std::exception& e) {
      throw step_failure("cannot connect to " + t.domain + " at " + t.host + ":" + std::to_string(t.port) + ": " + e.what());
    }
  }

  client::connection& conn(const actor_spec& a) {
    const auto it = conns_.find(a.name);
    if (it == conns_.end() || !it->second) throw vector_error("actor " + a.name + " is not connected (add a connect or login step)");
    return *it->second;
  }

  json::object expect(client::connection& c, const json::object& pattern, milliseconds timeout) {
    const auto* type = pattern.if_contains("type");
    if (!type || !type->is_string()) throw vector_error("a receive pattern needs a \"type\" string");
    const std::string t(type->as_string());
    auto got = c.wait_for(t, timeout);
    if (!got) {
      std::string why = "no " + t + " within " + std::to_string(timeout.count()) + " ms";
      if (!c.is_open()) why += " (the connection is closed, WebSocket close code " + std::to_string(c.close_code()) + ")";
      throw step_failure(why);
    }
    b_.now = now_seconds();
    if (auto diff = match(pattern, *got, b_)) throw step_failure(*diff + " in " + show(*got));
    return *got;
  }

  void send(client::connection& c, const json::value& message) {
    if (!message.is_object()) throw vector_error("\"send\" takes a JSON object");
    c.send_text(json::serialize(substitute_value(message, b_)));
  }

  void register_users() {
    std::map<std::string, std::vector<const actor_spec*>> by_node;
    for (const auto& a : v_.actors)
      if (a.user == a.name && a.registered) by_node[a.node].push_back(&a);
    for (const auto& [node, users] : by_node) {
      auto c = open(target_of(*users.front()));
      for (const auto* a : users) {
        const auto& id = b_.users.at(a->name);
        c->send(client::make_message("REGISTER_REQUEST", {{"username", id.name}, {"passwordHash", id.password}}));
        auto reply = c->wait_for("REGISTER_RESPONSE", o_.timeout);
        if (!reply) throw step_failure("registering " + a->name + " (" + id.name + "): no REGISTER_RESPONSE");
        const json::value want = json::object{{"success", true}, {"code", 0}};
        if (auto diff = match(want, reply->contains("payload") ? reply->at("payload") : json::value(), b_))
          throw step_failure("registering " + a->name + " (" + id.name + "): " + *diff);
      }
      c->close();
    }
  }

  void connect(const actor_spec& a) {
    conns_.erase(a.name);  // a new connection replaces the old one (closed first)
    conns_[a.name] = open(target_of(a));
  }

  void login(const actor_spec& a, milliseconds timeout) {
    if (!conns_.contains(a.name) || !conns_[a.name]) connect(a);
    const auto& id = b_.users.at(a.user);
    auto& c = conn(a);
    c.send(client::make_message("LOGIN_REQUEST", {{"username", id.name}, {"passwordHash", id.password}}));
    expect(c, json::object{{"type", "LOGIN_RESPONSE"}, {"payload", json::object{{"success", true}, {"code", 0}}}}, timeout);
  }

  void register_one(const actor_spec& a, milliseconds timeout) {
    if (!conns_.contains(a.name) || !conns_[a.name]) connect(a);
    const auto& id = b_.users.at(a.user);
    auto& c = conn(a);
    c.send(client::make_message("REGISTER_REQUEST", {{"username", id.name}, {"passwordHash", id.password}}));
    expect(c, json::object{{"type", "REGISTER_RESPONSE"}, {"payload", json::object{{"success", true}, {"code", 0}}}}, timeout);
  }

  // README §5: the request/answer exchange that makes two logged-in actors friends.
  void befriend(const json::value& pair, milliseconds timeout) {
    if (!pair.is_array() || pair.as_array().size() != 2 || !pair.as_array()[0].is_string() || !pair.as_array()[1].is_string())
      throw vector_error("\"befriend\" takes [ACTOR, ACTOR]");
    const auto& a = *actors_.at_checked(std::string(pair.as_array()[0].as_string()));
    const auto& b = *actors_.at_checked(std::string(pair.as_array()[1].as_string()));
    const std::string A = "{" + a.user + "}", B = "{" + b.user + "}";
    auto msg = [](const char* type, json::object payload) { return json::object{{"type", type}, {"payload", std::move(payload)}}; };
    send(conn(a), msg("FRIEND_REQUEST", {{"sender", A}, {"receiver", B}}));
    expect(conn(a), msg("FRIEND_REQUEST_ACK", {{"sender", A}, {"receiver", B}, {"code", 0}}), timeout);
    expect(conn(b), msg("FRIEND_REQUEST", {{"sender", A}, {"receiver", B}}), timeout);
    send(conn(b), msg("FRIEND_REQUEST_RESPONSE", {{"sender", A}, {"receiver", B}, {"code", 0}}));
    expect(conn(a), msg("FRIEND_REQUEST_RESPONSE", {{"sender", A}, {"receiver", B}, {"code", 0}}), timeout);
    expect(conn(a), msg("USER_STATUS_UPDATE", {{"username", B}, {"status", "online"}}), timeout);
    expect(conn(b), msg("USER_STATUS_UPDATE", {{"username", A}, {"status", "online"}}), timeout);
  }

  void receive_none(client::connection& c, const json::value& type, milliseconds within) {
    if (!type.is_string()) throw vector_error("\"receive_none\" takes a type or \"*\"");
    const std::string t(type.as_string());
    std::optional<json::object> got = t == "*" ? c.next(within) : c.wait_for(t, within);
    if (got) throw step_failure("expected no " + (t == "*" ? std::string("message") : t) + " within " +
                                std::to_string(within.count()) + " ms, got " + show(*got));
  }

  void run_step(const json::object& step) {
    const milliseconds timeout = ms_member(step, "timeout_ms", o_.timeout);
    if (const auto* v = step.if_contains("befriend")) return befriend(*v, timeout);
    if (const auto* v = step.if_contains("sleep_ms")) {
      if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > max_sleep_ms) throw vector_error("sleep_ms: 0 to 10000");
      std::this_thread::sleep_for(milliseconds(v->as_int64()));
      return;
    }
    const actor_spec& a = actor_of(step);
    if (step.contains("connect")) return connect(a);
    if (step.contains("register")) return register_one(a, timeout);
    if (step.contains("login")) return login(a, timeout);
    if (const auto* v = step.if_contains("send")) return send(conn(a), *v);
    if (const auto* v = step.if_contains("send_raw")) {
      if (!v->is_string()) throw vector_error("\"send_raw\" takes a string");
      conn(a).send_text(substitute(std::string_view(v->as_string()), b_));
      return;
    }
    if (const auto* v = step.if_contains("receive")) {
      if (!v->is_object()) throw vector_error("\"receive\" takes a pattern object");
      expect(conn(a), v->as_object(), timeout);
      return;
    }
    if (const auto* v = step.if_contains("receive_none")) return receive_none(conn(a), *v, ms_member(step, "within_ms", o_.quiet));
    if (const auto* v = step.if_contains("disconnect")) {
      auto& c = conn(a);
      if (v->is_string() && v->as_string() == "drop") {
        c.abort();
      } else if (v->is_string() && v->as_string() == "close") {
        c.close();
      } else {
        throw vector_error("\"disconnect\" takes \"close\" or \"drop\"");
      }
      conns_.erase(a.name);
      return;
    }
    if (const auto* v = step.if_contains("closed")) {
      auto& c = conn(a);
      if (!c.wait_closed(timeout)) throw step_failure("the node did not close the connection within " + std::to_string(timeout.count()) + " ms");
      if (v->is_object()) {
        if (const auto* code = v->as_object().if_contains("code"); code && code->is_int64() && c.close_code() != code->as_int64())
          throw step_failure("close code: expected " + std::to_string(code->as_int64()) + ", got " + std::to_string(c.close_code()));
      }
      conns_.erase(a.name);
      return;
    }
    throw vector_error("no known action in step " + show(step));
  }

  // std::map::at with a vector_error instead of std::out_of_range.
  struct actor_index : std::map<std::string, const actor_spec*> {
    const actor_spec* at_checked(const std::string& k) const {
      const auto it = find(k);
      if (it == end()) throw vector_error("unknown actor \"" + k + "\"");
      return it->second;
    }
  };

  const vector_file& v_;
  const options& o_;
  bindings b_;
  actor_index actors_;
  std::map<std::string, std::unique_ptr<client::connection>> conns_;
};


void write_report(const options& o, const std::vector<vector_result>& results, double seconds) {
  json::array list;
  std::size_t pass = 0, fail = 0, skip = 0;
  for (const auto& r : results) {
    (r.outcome == "pass" ? pass : r.outcome == "fail" ? fail : skip)++;
    json::object e{{"name", r.name}, {"file", r.file}, {"outcome", r.outcome}, {"seconds", r.seconds}};
    if (!r.detail.empty()) e["detail"] = r.detail;
    list.push_back(std::move(e));
  }
  json::array targets;
  for (const auto& t : o.targets) targets.push_back(json::string(t.domain + "=" + t.host + ":" + std::to_string(t.port)));
  const json::object report{{"targets", std::move(targets)},
                            {"summary", json::object{{"total", results.size()}, {"passed", pass}, {"failed", fail},
                                                     {"skipped", skip}, {"seconds", seconds}}},
                            {"vectors", std::move(list)}};
  std::ofstream out(o.json_report, std::ios::binary | std::ios::trunc);
  out << json::serialize(report) << "\n";
  if (!out) throw std::runtime_error("cannot write the JSON report " + o.json_report);
}

}  // namespace

std::optional<target> parse_target(std::string_view text) {
  const auto eq = text.find('=');
  const auto colon = text.rfind(':');
  if (eq == std::string_view::npos || eq == 0 || colon == std::string_view::npos || colon < eq + 2 || colon + 1 == text.size())
    return std::nullopt;
  target t;
  t.domain = std::string(text.substr(0, eq));
  t.host = std::string(text.substr(eq + 1, colon - eq - 1));
  unsigned port = 0;
  const auto digits = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535) return std::nullopt;
  t.port = static_cast<std::uint16_t>(port);
  return t;
}

std::vector<vector_result> run(const options& o, std::ostream& out) {
  const auto files = collect_files(o.paths);
  const std::string base = random_run_base();
  const auto started = steady::now();
  std::vector<vector_result> results;
  std::size_t counter = 0;
  for (const auto& file : files) {
    const auto t0 = steady::now();
    vector_result r;
    r.file = file.string();
    r.name = file.stem().string();
    try {
      const vector_file v = load_vector(file);
      r.name = v.name;
      std::string missing;
      for (const auto& f : v.requires_)
        if (!o.features.contains(f)) missing = f;
      if (v.kind != "protocol") {
        r.outcome = "skip";
        r.detail = v.kind + " vectors are checked offline (tests/audit), not against a node";
      } else if (v.nodes_needed > static_cast<int>(o.targets.size())) {
        r.outcome = "skip";
        r.detail = "needs " + std::to_string(v.nodes_needed) + " nodes";
      } else if (!missing.empty()) {
        r.outcome = "skip";
        r.detail = "needs a node with feature \"" + missing + "\" (--feature " + missing + ")";
      } else {
        ++counter;
        const std::string run = base + std::to_string(counter);
        vector_run exec(v, o, run);
        const auto diff = exec.execute();
        r.outcome = diff ? "fail" : "pass";
        if (diff) r.detail = *diff + " [users *-" + run + "]";
      }
    } catch (const vector_error& e) {
      r.outcome = "fail";
      r.detail = std::string("invalid vector: ") + e.what();
    }
    r.seconds = std::chrono::duration<double>(steady::now() - t0).count();
    if (r.outcome == "pass") out << "pass " << r.name << "\n";
    else if (r.outcome == "fail") out << "FAIL " << r.name << ": " << r.detail << "\n";
    else out << "skip " << r.name << ": " << r.detail << "\n";
    out.flush();
    results.push_back(std::move(r));
  }
  const double seconds = std::chrono::duration<double>(steady::now() - started).count();
  std::size_t pass = 0, fail = 0, skip = 0;
  for (const auto& r : results) (r.outcome == "pass" ? pass : r.outcome == "fail" ? fail : skip)++;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", seconds);
  out << results.size() << " vectors: " << pass << " passed, " << fail << " failed, " << skip << " skipped (" << secs
      << " s)\n";
  if (!o.json_report.empty()) write_report(o, results, seconds);
  return results;
}

int exit_status(const std::vector<vector_result>& results) {
  for (const auto& r : results)
    if (r.outcome == "fail") return 1;
  return 0;
}

}  // namespace chatnode::audit
