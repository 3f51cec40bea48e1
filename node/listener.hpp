// Accepts TCP connections on the client port, each on its own strand, and starts an
// http_session for it (or closes it at once above limits.max_connections or
// limits.max_connections_per_address).
#pragma once

#include "beast.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

namespace chatnode::node {

class server_state;

class listener : public std::enable_shared_from_this<listener> {
 public:
  // Binds and listens; throws std::system_error naming the address on failure.
  listener(asio::io_context& ioc, std::unique_ptr<ssl::context> ctx, const tcp::endpoint& endpoint,
           std::shared_ptr<server_state> state);
  void run();
  void stop();
  // New handshakes use `ctx` (renewed certificates); open connections keep theirs. Every
  // context is kept until the listener goes (connections may still use it).
  void set_context(std::unique_ptr<ssl::context> ctx);
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  asio::io_context& ioc_;
  std::mutex contexts_mutex_;
  std::deque<std::unique_ptr<ssl::context>> contexts_;
  std::atomic<ssl::context*> ctx_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;  // paces accept retries after EMFILE and the like
  std::shared_ptr<server_state> state_;
};

}  // namespace chatnode::node
