// State shared by every connection of one node: config, router, counters, and the set of
// live WebSocket sessions (weak, for shutdown).
#pragma once

#include "beast.hpp"
#include "config.hpp"
#include "config_source.hpp"
#include "registry.hpp"
#include "router.hpp"
#include "web_files.hpp"

#include "store/writer.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

namespace chatnode::node {

class ws_session;
class server_state;

// Who a connection counts as for per-address limits: an IPv4 address, or the /64 prefix of an
// IPv6 one (a single host usually holds a whole /64).
std::string address_key(const asio::ip::address& a);

// One counted client connection (limits.max_connections, limits.max_connections_per_address):
// held by the http_session, then by the ws_session it becomes; gives its place back when
// destroyed. Holders keep the server_state alive.
class connection_slot {
 public:
  connection_slot(server_state& state, std::string address) : state_(state), address_(std::move(address)) {}
  ~connection_slot();
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  const std::string& address() const noexcept { return address_; }

 private:
  server_state& state_;
  std::string address_;
};

class server_state {
 public:
  server_state(const config_source& cfg, router& route, registry& online, store::writer& writer)
      : cfg_(cfg), route_(route), online_(online), writer_(writer) {}

  // The current config (a reload publishes a new one; see config_source).
  const config& cfg() const noexcept { return cfg_.get(); }
  // The web client's files, loaded once at start-up (before serving) and read-only after.
  const web_files& web() const noexcept { return web_; }
  void set_web(web_files files) { web_ = std::move(files); }
  router& route() noexcept { return route_; }

  void add_session(const std::shared_ptr<ws_session>& s);
  void remove_session(const ws_session* s);
  std::vector<std::shared_ptr<ws_session>> sessions() const;

  bool shutting_down() const noexcept { return shutting_down_.load(std::memory_order_acquire); }
  void begin_shutdown() noexcept { shutting_down_.store(true, std::memory_order_release); }

  // Prometheus text exposition of the node's counters, then of every added source.
  std::string metrics_text() const;
  // GET /metrics from `socket`'s peer: the text, or 403 unless the peer is in metrics.allow or
  // sent the bearer token of metrics.token (metrics show user counts).
  void answer_metrics(const tcp::socket& socket, const http::request<http::string_body>& req,
                      http::response<http::string_body>& res) const;
  // Another part of the node (federation) appends its metrics; add before serving.
  using metrics_source = std::function<void(std::ostream&)>;
  void add_metrics_source(metrics_source source) { metrics_sources_.push_back(std::move(source)); }

  // A slot for a new connection from `remote`, or null (counted as refused) when the node or
  // that address is at its limit.
  std::unique_ptr<connection_slot> open_slot(const tcp::endpoint& remote);

  std::atomic<std::uint64_t> connections_open{0};     // TCP connections being served
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections or max_connections_per_address
  std::atomic<std::uint64_t> login_timeouts{0};       // closed for not logging in in time
  std::atomic<std::uint64_t> frame_timeouts{0};       // closed for a frame that took too long
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> slow_peers_dropped{0};
  std::atomic<std::uint64_t> frames_too_big{0};
  std::atomic<std::uint64_t> frames_out{0};

 private:
  const config_source& cfg_;
  router& route_;
  registry& online_;
  store::writer& writer_;
  std::atomic<bool> shutting_down_{false};
  mutable std::mutex mutex_;
  std::unordered_map<const ws_session*, std::weak_ptr<ws_session>> sessions_;
  std::vector<metrics_source> metrics_sources_;
  friend class connection_slot;
  std::mutex slots_mutex_;
  std::unordered_map<std::string, std::size_t> per_address_;  // open connections per address key
  web_files web_;
};

}  // namespace chatnode::node
