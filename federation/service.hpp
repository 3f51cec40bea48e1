// The federation side of a node: the mutual-TLS listener on federation.listen, one peer
// entry per domain with at most one live link, dialling on demand with capped exponential
// backoff and jitter, FED_HELLO both ways, and the counters behind /metrics.
//
// One link per pair: when both nodes dial each other at once, both keep the link dialled
// by the lexicographically smaller domain and close the other ("duplicate link"). A link
// already up stays up when a newcomer is not preferred.
//
// Threading: peer bookkeeping runs on one strand; every link has its own strand; the
// counters sit behind a mutex so /metrics can read them from any thread.
#pragma once

#include "federation/link.hpp"
#include "federation/log.hpp"
#include "federation/options.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::federation {

enum class link_state { idle, connecting, up, backoff };
std::string_view to_string(link_state s) noexcept;


class service : public std::enable_shared_from_this<service> {
 public:
  // After FED_HELLO, every text frame from `peer` (the authenticated domain).
  using frame_handler = std::function<void(const std::string& peer, std::string_view frame)>;
  using state_handler = std::function<void(const std::string& peer, link_state)>;

  // Builds the TLS contexts (throws std::runtime_error on bad files).
  service(asio::io_context& ioc, options opts, logger log);
  ~service();

  // Set before start().
  void on_frame(frame_handler fn) { on_frame_ = std::move(fn); }
  void on_state(state_handler fn) { on_state_ = std::move(fn); }

  // Binds the listener (throws std::system_error naming the address), starts accepting
  // and, with dial_on_start, dials every configured peer.
  void start();
  // Stops accepting and dialling; closes every link with 1001.
  void stop();
  tcp::endpoint local_endpoint() const;

  // Dials `domain` unless a link is up or on its way; keeps re-dialling until one is up.
  void connect(const std::string& domain);
  // Queues `frame` on the live link to `domain`; false when there is none.
  bool send(const std::string& domain, std::string frame);
  // Closes the live link to `domain` (1011, `why`); it is dialled again as after any drop.
  void drop_link(const std::string& domain, const std::string& why);

  // A config reload: new peers, pins, allow/deny lists, limits and certificate files (read
  // now; throws std::runtime_error and changes nothing when they cannot be loaded). The
  // domain and listen address stay. New handshakes use the new certificates; links up stay,
  // except those with a domain no longer allowed or whose pin changed (closed with 1008).
  void reload(options next);
  // The options as they are now.
  const options& opts() const noexcept { return *opts_.load(std::memory_order_acquire); }

  link_state state(const std::string& domain) const;
  // Every peer the service knows (configured or linked), for `chatnode admin federation status`.
  struct peer_status {
    std::string domain;
    link_state state = link_state::idle;
    std::uint64_t retries = 0;
    std::uint64_t links_established = 0;
    std::string last_error;  // the last dial failure since the link was last up, or empty
  };
  std::vector<peer_status> peers_status() const;
  std::size_t links_up() const;
  // Prometheus text: link state per peer, dial retries per peer, refusals by reason.
  void write_metrics(std::ostream& out) const;

 private:
  struct peer;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> run_inbound(std::shared_ptr<link> l);
  // The steps of run_inbound after TLS, each false when the link ends there (refused or
  // logged): the WebSocket upgrade at /federation (anything else gets a 404), then the
  // peer's FED_HELLO checked (allowed, certificate, pin) and ours sent back.
  asio::awaitable<bool> accept_upgrade(link& l);
  asio::awaitable<bool> answer_hello(link& l);
  asio::awaitable<beast::error_code> run_outbound(std::shared_ptr<link> l, std::string domain, std::string address);

  peer& peer_for(const std::string& domain);  // on strand_
  void start_dial(peer& p);                   // on strand_
  void on_dial_done(const std::string& domain, const std::shared_ptr<link>& l, beast::error_code ec);
  void on_link_up(const std::shared_ptr<link>& l);
  void on_link_closed(const std::shared_ptr<link>& l);
  void schedule_redial(peer& p);
  void set_state(peer& p, link_state s);
  void refuse(const std::string& who, const beast::error_code& ec, std::string_view what = {});
  bool preferred(const link& l) const;

  template <class... Args>
  void log(severity level, const Args&... args) const { write_log(log_, level, args...); }

  asio::io_context& ioc_;
  // Snapshots: every one is kept while the service lives (links hold references to them).
  struct generation {
    options opts;
    asio::ssl::context server_tls;
    asio::ssl::context client_tls;
  };
  void publish(std::unique_ptr<generation> g);
  asio::ssl::context& server_tls() const noexcept { return current_.load(std::memory_order_acquire)->server_tls; }
  asio::ssl::context& client_tls() const noexcept { return current_.load(std::memory_order_acquire)->client_tls; }

  std::mutex generations_mutex_;
  std::vector<std::unique_ptr<generation>> generations_;
  std::atomic<generation*> current_{nullptr};
  std::atomic<const options*> opts_{nullptr};
  logger log_;
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::acceptor acceptor_;
  frame_handler on_frame_;
  state_handler on_state_;
  std::map<std::string, std::unique_ptr<peer>> peers_;  // on strand_
  std::mt19937_64 rng_;                                  // on strand_
  bool stopped_ = false;                                 // on strand_
  std::atomic<unsigned> handshakes_{0};                  // inbound handshakes in progress

  // Read by /metrics from any thread.
  struct peer_stats {
    link_state state = link_state::idle;
    std::uint64_t retries = 0;
    std::uint64_t links_established = 0;
    std::string last_error;
  };
  mutable std::mutex stats_mutex_;
  std::map<std::string, peer_stats> stats_;
  std::map<std::string, std::uint64_t> refusals_;  // by reason_label
  std::map<std::string, std::shared_ptr<link>> live_;  // domain -> link that send() uses
};

}  // namespace chatnode::federation
