// Client-port listener.
#include "listener.hpp"

#include "http_session.hpp"
#include "log.hpp"
#include "server_state.hpp"

#include "net/endpoint.hpp"

namespace chatnode::node {

listener::listener(asio::io_context& ioc, std::unique_ptr<ssl::context> ctx, const tcp::endpoint& endpoint,
                   std::shared_ptr<server_state> state)
    : ioc_(ioc), acceptor_(ioc), retry_timer_(ioc), state_(std::move(state)) {
  set_context(std::move(ctx));
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + net::endpoint_text(endpoint));
}

void listener::run() { do_accept(); }

void listener::set_context(std::unique_ptr<ssl::context> ctx) {
  std::lock_guard lock(contexts_mutex_);
  contexts_.push_back(std::move(ctx));
  ctx_.store(contexts_.back().get(), std::memory_order_release);
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // EMFILE and friends: say so and keep accepting; the condition is usually transient.
    log(log_level::warn, "listener", "accept: ", ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  state_->connections_total.fetch_add(1, std::memory_order_relaxed);
  beast::error_code peer_ec;
  const auto remote = socket.remote_endpoint(peer_ec);
  auto slot = peer_ec ? nullptr : state_->open_slot(remote);
  if (!slot) {
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<http_session>(std::move(socket), *ctx_.load(std::memory_order_acquire), state_, std::move(slot))->run();
  }
  do_accept();
}

}  // namespace chatnode::node
