// relay, echo, fanout and idle, and the setup steps they share (register, log in,
// befriend), each a batch of pipelined requests with their replies awaited.
#include "scenarios.hpp"

#include "setup.hpp"
#include "stream.hpp"
#include "wire.hpp"

#include <thread>

namespace chatbench {

namespace {

constexpr const char* password = "bench-password";
constexpr std::size_t login_window = 48;     // below the node's queue of pending KDF work (64)
constexpr std::size_t registrar_count = 8;   // connections registering users, one KDF each at a time

std::vector<std::string> user_names(const bench_options& o, const std::string& kind, std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back(o.tag + kind + std::to_string(i));
  return names;
}

void close_all(const std::vector<client_ptr>& clients) {
  for (const auto& c : clients) c->post([c] { c->close(); });
}

}  // namespace

void register_users(client_pool& pool, const std::vector<std::string>& names) {
  const std::size_t k = std::min(registrar_count, names.size());
  auto registrars = pool.open_all(
      k, k,
      [&](std::size_t j) {
        std::vector<std::string> frames;
        for (std::size_t i = j; i < names.size(); i += k) frames.push_back(register_frame(names[i], password));
        return frames;
      },
      "REGISTER_RESPONSE", client_pool::every_frame);
  close_all(registrars);
}

std::vector<client_ptr> login_all(client_pool& pool, const std::vector<std::string>& names) {
  return pool.open_all(names.size(), login_window, [&](std::size_t i) { return std::vector{login_frame(names[i], password)}; },
                       "LOGIN_RESPONSE");
}

void exchange_all(client_pool& pool, const std::vector<client_ptr>& clients,
                  const std::vector<std::vector<std::string>>& requests, const std::string& reply_type,
                  std::size_t replies_each) {
  pool.run_batched(clients.size(), clients.size(), std::chrono::seconds(120),
                   [&](std::size_t i, std::function<void(std::string)> done) {
                     const auto n = replies_each == client_pool::every_frame ? requests[i].size() : replies_each;
                     pool.exchange(clients[i], requests[i], reply_type, n, std::move(done));
                   });
}

namespace {

std::string text_prefix(const std::string& from, const std::string& to) {
  return R"({"type":"TEXT_MESSAGE","payload":{"sender":")" + from + R"(","receiver":")" + to + R"(","content":")";
}
constexpr const char* text_suffix = R"("}})";

}  // namespace

// Runs a stream plan with the common pacing options (window, rate, duration, warm-up).
static void run_plan(client_pool& pool, stream_plan& plan, const bench_options& o, report& r) {
  plan.window = o.window;
  plan.rate = o.rate;
  plan.duration = o.duration;
  plan.warmup = std::min(std::chrono::duration<double>(1.0), o.duration / 4);
  std::vector<pid_t> targets;
  if (o.pid > 0) targets.push_back(o.pid);
  run_stream({&pool}, plan, targets, r);
}

report run_relay(const bench_options& o, bool echo) {
  report r;
  r.scenario = echo ? "echo" : "relay";
  r.params = {{"pairs", o.pairs}, {"window", o.window}, {"rate", o.rate}, {"duration_s", o.duration.count()}};
  client_pool pool(o.target, o.ca_file, o.threads);
  const std::size_t n = 2 * o.pairs;
  const auto names = user_names(o, "r", n);
  stream_plan plan;
  if (echo) {
    // The echo server pairs connections by the number in their first frame.
    plan.clients = pool.open_all(n, 64, [](std::size_t i) { return std::vector{"PAIR " + std::to_string(i / 2)}; },
                                 "PAIRED");
  } else {
    register_users(pool, names);
    plan.clients = login_all(pool, names);
    std::vector<std::vector<std::string>> requests(n);
    for (std::size_t i = 0; i < n; ++i) requests[i] = {friend_request_frame(names[i], names[i ^ 1])};
    exchange_all(pool, plan.clients, requests, "FRIEND_REQUEST_ACK");
  }
  for (std::size_t i = 0; i < n; ++i) {
    plan.prefix.push_back(text_prefix(names[i], names[i ^ 1]));
    plan.suffix.emplace_back(text_suffix);
    plan.slot.push_back(0);
    plan.sources.push_back({static_cast<int>(i ^ 1)});
  }
  if (o.storm > 0 && !echo) {
    // Logins (TLS handshakes + KDF) hammering the node while the relay is measured.
    r.params["storm"] = o.storm;
    background_storm storm(o.target, o.ca_file, o.tag, o.storm);
    storm.start();
    const auto t0 = std::chrono::steady_clock::now();
    run_plan(pool, plan, o, r);
    storm.stop(r, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return r;
  }
  run_plan(pool, plan, o, r);
  return r;
}

report run_fanout(const bench_options& o) {
  report r;
  r.scenario = "fanout";
  const std::size_t g = std::max<std::size_t>(2, o.members);
  const std::size_t senders = std::clamp<std::size_t>(o.senders, 1, g);
  r.params = {{"members", g}, {"senders", senders}, {"window", o.window}, {"duration_s", o.duration.count()}};
  client_pool pool(o.target, o.ca_file, o.threads);
  const auto names = user_names(o, "f", g);
  const std::string group = o.tag + "group";
  register_users(pool, names);
  stream_plan plan;
  plan.clients = login_all(pool, names);

  // The leader (member 0) befriends everyone, creates the group, and everyone joins; the
  // list request after a join returns once the (silent) join is committed.
  std::vector<std::vector<std::string>> requests(g);
  for (std::size_t i = 1; i < g; ++i) {
    requests[0].push_back(friend_request_frame(names[0], names[i]));
    requests[i].push_back(friend_request_frame(names[i], names[0]));
  }
  exchange_all(pool, plan.clients, requests, "FRIEND_REQUEST_ACK");
  std::string members;
  for (std::size_t i = 1; i < g; ++i) members += (i > 1 ? ",\"" : "\"") + names[i] + "\"";
  std::vector<std::vector<std::string>> create(1);
  create[0] = {make_request("GROUP_CREATE", R"({"sender":")" + names[0] + R"(","members":[)" + members +
                                                R"(],"name":")" + group + "\"}")};
  exchange_all(pool, {plan.clients[0]}, create, "GROUP_CREATE_ACK");
  std::vector<std::vector<std::string>> join(g);
  for (std::size_t i = 1; i < g; ++i) {
    join[i] = {make_request("GROUP_INVITE_RESPONSE", R"({"sender":")" + names[0] + R"(","receiver":")" + names[i] +
                                                         R"(","group":")" + group + R"(","code":0})"),
               make_request("GROUP_LIST_REQUEST", R"({"username":")" + names[i] + "\"}")};
  }
  exchange_all(pool, {plan.clients.begin() + 1, plan.clients.end()}, {join.begin() + 1, join.end()},
               "GROUP_LIST_RESPONSE", 1);

  for (std::size_t i = 0; i < g; ++i) {
    plan.prefix.push_back(i < senders ? text_prefix(names[i], group) : std::string());
    plan.suffix.emplace_back(text_suffix);
    plan.slot.push_back(static_cast<std::uint32_t>(i));
    std::vector<int> sources;
    for (std::size_t k = 0; k < senders; ++k) sources.push_back(k == i ? -1 : static_cast<int>(k));
    plan.sources.push_back(std::move(sources));
  }
  run_plan(pool, plan, o, r);
  return r;
}

report run_idle(const bench_options& o) {
  report r;
  r.scenario = "idle";
  const std::size_t n = o.connections ? o.connections : 10000;
  r.params = {{"connections", n}};
  client_pool pool(o.target, o.ca_file, o.threads);
  const auto names = user_names(o, "i", n);
  register_users(pool, names);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // registrars' sessions gone
  const auto before = o.pid > 0 ? sample(o.pid).rss_kib : 0;
  meter m(o.pid);
  m.start();
  auto clients = login_all(pool, names);
  m.stop();
  r.add("logins", static_cast<double>(n) / m.seconds(), "logins/s");
  m.add_cpu(r, static_cast<double>(n), "login");
  // Steady: RSS moves by less than 0.5% over a second (or 10 s passed).
  std::int64_t after = before;
  if (o.pid > 0) {
    std::int64_t last = -1;
    for (int i = 0; i < 20; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      after = sample(o.pid).rss_kib;
      if (last > 0 && std::abs(after - last) * 200 < last && i >= 2) break;
      last = after;
    }
  }
  pool.stop();
  std::size_t open = 0;
  for (const auto& c : clients) open += c->is_open() ? 1 : 0;
  r.add("connections open", static_cast<double>(open), "");
  if (open != n) r.failures.push_back(std::to_string(n - open) + " connections dropped while idle");
  if (o.pid > 0) {
    r.add("target RSS before", static_cast<double>(before) / 1024.0, "MiB");
    r.add("target RSS after", static_cast<double>(after) / 1024.0, "MiB");
    r.add("RSS per connection", static_cast<double>(after - before) / static_cast<double>(n), "KiB");
  }
  return r;
}

}  // namespace chatbench
