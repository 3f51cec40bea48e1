// Shared node state and the /metrics text.
#include "server_state.hpp"

#include "ws_session.hpp"

#include <sstream>

namespace chatnode::node {

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
  metric("chatnode_frames_in_total", "counter", "Text frames received from clients.", rm.frames_in.load());
  metric("chatnode_federation_events_received_total", "counter", "Federation events received and stored (duplicates and refusals included).", rm.remote_events.load());
  metric("chatnode_federation_events_duplicate_total", "counter", "Federation events received again and not applied twice.", rm.remote_duplicates.load());
  metric("chatnode_federation_events_refused_total", "counter", "Federation events refused (authority rule, malformed).", rm.remote_refused.load());
  metric("chatnode_frames_out_total", "counter", "Frames written to clients.", frames_out.load());
  metric("chatnode_errors_sent_total", "counter", "ERROR messages sent to clients.", rm.errors_sent.load());
  metric("chatnode_users_online", "gauge", "Logged-in users.", online_.size());
  metric("chatnode_registrations_total", "counter", "Accounts created.", rm.registrations.load());
  metric("chatnode_logins_total", "counter", "Successful logins.", rm.logins.load());
  metric("chatnode_login_failures_total", "counter", "Logins refused for a wrong password.", rm.login_failures.load());
  metric("chatnode_logins_throttled_total", "counter", "Logins refused by the per-user throttle.", rm.logins_throttled.load());
  metric("chatnode_store_jobs_total", "counter", "Write jobs run by the store writer.", ws.jobs);
  metric("chatnode_store_commits_total", "counter", "Durable (fsync'd) LMDB commits.", ws.commits);
  metric("chatnode_store_largest_batch", "gauge", "Most jobs group-committed in one transaction.", ws.largest_batch);
  metric("chatnode_store_map_growths_total", "counter", "Times the LMDB map was grown.", ws.map_growths);
  for (const auto& source : metrics_sources_) source(out);
  return out.str();
}

}  // namespace chatnode::node
