// metrics.listen: a small plain-HTTP server for /metrics and /healthz.
#include "metrics_listener.hpp"

#include "log.hpp"
#include "server_state.hpp"

namespace chatnode::node {
namespace {

constexpr std::size_t max_header_bytes = 8 * 1024;

// Reads one request, answers it, closes.
class metrics_session : public std::enable_shared_from_this<metrics_session> {
 public:
  metrics_session(tcp::socket&& socket, std::shared_ptr<server_state> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  void run() {
    parser_.header_limit(max_header_bytes);
    parser_.body_limit(0);
    stream_.expires_after(state_->cfg().limits.handshake_timeout);
    http::async_read(stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->answer();
    });
  }

 private:
  void answer() {
    const auto& req = parser_.get();
    res_.version(req.version());
    res_.set(http::field::server, "chatnode");
    res_.keep_alive(false);
    if (req.method() != http::verb::get) {
      res_.result(http::status::method_not_allowed);
      res_.set(http::field::allow, "GET");
    } else if (req.target() == "/metrics") {
      state_->answer_metrics(stream_.socket(), req, res_);
    } else if (req.target() == "/healthz") {
      res_.result(http::status::ok);
      res_.set(http::field::content_type, "text/plain");
      res_.body() = "ok\n";
    } else {
      res_.result(http::status::not_found);
    }
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<server_state> state_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> res_;
};

}  // namespace

metrics_listener::metrics_listener(asio::io_context& ioc, const tcp::endpoint& endpoint, std::shared_ptr<server_state> state)
    : ioc_(ioc), acceptor_(ioc), state_(std::move(state)) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "metrics.listen: cannot listen on " + endpoint.address().to_string() + ":" +
                                          std::to_string(endpoint.port()));
}

void metrics_listener::run() { do_accept(); }

void metrics_listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void metrics_listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) std::make_shared<metrics_session>(std::move(socket), self->state_)->run();
    self->do_accept();
  });
}

}  // namespace chatnode::node
