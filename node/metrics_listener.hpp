// The optional plain-HTTP listener of metrics.listen: GET /metrics (and /healthz) for a local
// Prometheus, so the client port need not serve them. One request per connection.
#pragma once

#include "beast.hpp"

#include <memory>

namespace chatnode::node {

class server_state;

class metrics_listener : public std::enable_shared_from_this<metrics_listener> {
 public:
  // Binds and listens; throws std::system_error naming the address on failure.
  metrics_listener(asio::io_context& ioc, const tcp::endpoint& endpoint, std::shared_ptr<server_state> state);
  void run();
  void stop();
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<server_state> state_;
};

}  // namespace chatnode::node
