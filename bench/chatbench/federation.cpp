// federation: relay's load with the two users of each pair on different nodes, so every
// message crosses a federation link (outbox, FED_EVENT, commit on the receiving node,
// FED_ACK). Each pair befriends with crossing requests; a client waits for its
// FRIEND_REQUEST_RESPONSE, which comes once its own node holds the friendship.
#include "scenarios.hpp"

#include "setup.hpp"
#include "stream.hpp"
#include "wire.hpp"

namespace chatbench {

namespace {

std::string text_prefix(const std::string& from, const std::string& to) {
  return R"({"type":"TEXT_MESSAGE","payload":{"sender":")" + from + R"(","receiver":")" + to + R"(","content":")";
}

}  // namespace

report run_federation(const bench_options& o) {
  report r;
  r.scenario = "federation";
  r.params = {{"pairs", o.pairs}, {"window", o.window}, {"rate", o.rate}, {"duration_s", o.duration.count()},
              {"node_a", o.target.server_name}, {"node_b", o.peer_target.server_name}};
  client_pool pool_a(o.target, o.ca_file, o.threads);
  client_pool pool_b(o.peer_target, o.ca_file, o.threads);
  std::vector<std::string> names_a, names_b;
  for (std::size_t i = 0; i < o.pairs; ++i) {
    names_a.push_back(o.tag + "fa" + std::to_string(i));
    names_b.push_back(o.tag + "fb" + std::to_string(i));
  }
  const std::string& domain_a = o.target.server_name;
  const std::string& domain_b = o.peer_target.server_name;
  register_users(pool_a, names_a);
  register_users(pool_b, names_b);
  auto clients_a = login_all(pool_a, names_a);
  auto clients_b = login_all(pool_b, names_b);

  // Crossing requests; each side's FRIEND_REQUEST_RESPONSE says its node made them friends.
  std::vector<client_ptr> everyone;
  std::vector<std::vector<std::string>> asks;
  for (std::size_t i = 0; i < o.pairs; ++i) {
    everyone.push_back(clients_a[i]);
    asks.push_back({friend_request_frame(names_a[i], names_b[i] + "@" + domain_b)});
    everyone.push_back(clients_b[i]);
    asks.push_back({friend_request_frame(names_b[i], names_a[i] + "@" + domain_a)});
  }
  exchange_all(pool_a, everyone, asks, "FRIEND_REQUEST_RESPONSE", 1);

  stream_plan plan;
  for (std::size_t i = 0; i < o.pairs; ++i) {
    plan.clients.push_back(clients_a[i]);
    plan.clients.push_back(clients_b[i]);
    plan.prefix.push_back(text_prefix(names_a[i], names_b[i] + "@" + domain_b));
    plan.prefix.push_back(text_prefix(names_b[i], names_a[i] + "@" + domain_a));
    for (int k = 0; k < 2; ++k) {
      plan.suffix.emplace_back(R"("}})");
      plan.slot.push_back(0);
    }
    const int a = static_cast<int>(2 * i), b = a + 1;
    plan.sources.push_back({b});
    plan.sources.push_back({a});
  }
  plan.window = o.window;
  plan.rate = o.rate;
  plan.duration = o.duration;
  plan.warmup = std::min(std::chrono::duration<double>(1.0), o.duration / 4);
  std::vector<pid_t> targets;
  for (pid_t p : {o.pid, o.peer_pid})
    if (p > 0) targets.push_back(p);
  run_stream({&pool_a, &pool_b}, plan, targets, r);
  return r;
}

}  // namespace chatbench
