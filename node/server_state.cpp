// Shared node state and the /metrics text.
#include "server_state.hpp"

#include "process_metrics.hpp"
#include "ws_session.hpp"

#include <algorithm>

#include <openssl/crypto.h>
#include <sstream>

namespace chatnode::node {

std::string address_key(const asio::ip::address& a) {
  if (a.is_v6()) {
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return asio::ip::address_v6(bytes).to_string() + "/64";
  }
  return a.to_string();
}

connection_slot::~connection_slot() {
  state_.connections_open.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard lock(state_.slots_mutex_);
  auto it = state_.per_address_.find(address_);
  if (it != state_.per_address_.end() && --it->second == 0) state_.per_address_.erase(it);
}

std::unique_ptr<connection_slot> server_state::open_slot(const tcp::endpoint& remote) {
  std::string key = address_key(remote.address());
  {
    std::lock_guard lock(slots_mutex_);
    auto& n = per_address_[key];
    if (shutting_down() || connections_open.load(std::memory_order_relaxed) >= cfg().limits.max_connections ||
        n >= cfg().limits.max_connections_per_address) {
      if (n == 0) per_address_.erase(key);
      connections_refused.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    ++n;
    connections_open.fetch_add(1, std::memory_order_relaxed);
  }
  return std::make_unique<connection_slot>(*this, std::move(key));
}

void server_state::add_session(const std::shared_ptr<ws_session>& s) {
  std::lock_guard lock(mutex_);
  sessions_.emplace(s.get(), s);
}

void server_state::remove_session(const ws_session* s) {
  std::lock_guard lock(mutex_);
  sessions_.erase(s);
}

std::vector<std::shared_ptr<ws_session>> server_state::sessions() const {
  std::vector<std::shared_ptr<ws_session>> out;
  std::lock_guard lock(mutex_);
  out.reserve(sessions_.size());
  for (const auto& kv : sessions_)
    if (auto s = kv.second.lock()) out.push_back(std::move(s));
  return out;
}

void server_state::answer_metrics(const tcp::socket& socket, const http::request<http::string_body>& req,
                                  http::response<http::string_body>& res) const {
  const auto& m = cfg().metrics;
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec).address();
  const auto bytes = peer.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped, peer.to_v4()).to_bytes() : peer.to_v6().to_bytes();
  const bool allowed = !ec && std::any_of(m.allow.begin(), m.allow.end(), [&](const cidr& c) { return c.contains(bytes); });
  const auto auth = req[http::field::authorization];
  const bool token = !m.token.empty() && auth.size() == m.token.size() + 7 && auth.starts_with("Bearer ") &&
                     CRYPTO_memcmp(auth.data() + 7, m.token.data(), m.token.size()) == 0;
  res.set(http::field::cache_control, "no-store");
  if (!allowed && !token) {
    res.result(http::status::forbidden);
    res.set(http::field::content_type, "text/plain");
    res.body() = "forbidden: see metrics.allow and metrics.token in docs/config.md\n";
    return;
  }
  res.result(http::status::ok);
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = metrics_text();
}

std::string server_state::metrics_text() const {
  std::ostringstream out;
  auto metric = [&out](const char* name, const char* type, const char* help, std::uint64_t value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
        << name << ' ' << value << '\n';
  };
  const auto& rm = route_.metrics();
  const auto ws = writer_.get_stats();
  metric("chatnode_connections_open", "gauge", "TCP connections being served on the client port.", connections_open.load());
  metric("chatnode_connections_total", "counter", "TCP connections accepted on the client port.", connections_total.load());
  metric("chatnode_connections_refused_total", "counter", "Connections closed at once because max_connections was reached.", connections_refused.load());
  metric("chatnode_tls_handshake_failures_total", "counter", "Failed TLS handshakes on the client port.", tls_handshake_failures.load());
  metric("chatnode_slow_peers_dropped_total", "counter", "Connections dropped because their write queue overflowed.", slow_peers_dropped.load());
  metric("chatnode_frames_too_big_total", "counter", "Frames refused for exceeding a size limit.", frames_too_big.load());
  metric("chatnode_login_timeouts_total", "counter", "Connections closed for not logging in within limits.login_timeout_seconds.", login_timeouts.load());
  metric("chatnode_frame_timeouts_total", "counter", "Connections closed for a frame not complete within limits.frame_read_timeout_seconds.", frame_timeouts.load());
  metric("chatnode_frames_in_total", "counter", "Text frames received from clients.", rm.frames_in.load());
  metric("chatnode_frames_out_total", "counter", "Frames written to clients.", frames_out.load());
  metric("chatnode_errors_sent_total", "counter", "ERROR messages sent to clients.", rm.errors_sent.load());
  metric("chatnode_users_online", "gauge", "Logged-in users.", online_.size());
  metric("chatnode_registrations_total", "counter", "Accounts created.", rm.registrations.load());
  metric("chatnode_logins_total", "counter", "Successful logins.", rm.logins.load());
  metric("chatnode_login_failures_total", "counter", "Logins refused: wrong password or token, unknown user.", rm.login_failures.load());
  metric("chatnode_logins_throttled_total", "counter", "Logins refused by the per-address failure budgets (9007).", rm.logins_throttled.load());
  metric("chatnode_requests_limited_total", "counter", "Requests refused by limits.requests_per_second (9007).", rm.requests_limited.load());
  metric("chatnode_registrations_limited_total", "counter", "Registrations refused by the registration rate limits (9007).", rm.registrations_limited.load());
  metric("chatnode_store_jobs_total", "counter", "Write jobs run by the store writer.", ws.jobs);
  metric("chatnode_store_commits_total", "counter", "Durable (fsync'd) LMDB commits.", ws.commits);
  metric("chatnode_store_largest_batch", "gauge", "Most jobs group-committed in one transaction.", ws.largest_batch);
  metric("chatnode_store_map_growths_total", "counter", "Times the LMDB map was grown.", ws.map_growths);
  rm.messages.write(out);
  rm.latency.write(out);
  write_process_metrics(out, read_process_stats());
  write_node_info(out, node_uptime());
  for (const auto& source : metrics_sources_) source(out);
  return out.str();
}

}  // namespace chatnode::node
