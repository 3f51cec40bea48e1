// TLS handshake and the small HTTP surface of the client port.
#include "http_session.hpp"

#include "log.hpp"
#include "server_state.hpp"
#include "ws_session.hpp"

#include "net/endpoint.hpp"

namespace chatnode::node {
namespace {
constexpr std::size_t max_header_bytes = 8 * 1024;
constexpr std::size_t max_body_bytes = 4 * 1024;
}  // namespace

http_session::http_session(tcp::socket&& socket, ssl::context& ctx, std::shared_ptr<server_state> state,
                           std::unique_ptr<connection_slot> slot)
    : stream_(std::move(socket), ctx), state_(std::move(state)), slot_(std::move(slot)) {
  remote_ = net::endpoint_text(beast::get_lowest_layer(stream_).socket());
}

void http_session::run() {
  // The socket was accepted on its own strand; start there.
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    beast::get_lowest_layer(self->stream_).expires_after(self->state_->cfg().limits.handshake_timeout);
    self->stream_.async_handshake(ssl::stream_base::server,
                                  beast::bind_front_handler(&http_session::on_handshake, self));
  });
}

void http_session::on_handshake(beast::error_code ec) {
  if (ec) {
    state_->tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
    log(log_level::debug, "http", remote_, ": TLS handshake: ", ec.message());
    return;
  }
  do_read();
}

void http_session::do_read() {
  parser_.emplace();
  parser_->header_limit(max_header_bytes);
  parser_->body_limit(max_body_bytes);
  beast::get_lowest_layer(stream_).expires_after(state_->cfg().limits.handshake_timeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return do_close();
  if (ec) {
    if (!is_normal_disconnect(ec)) log(log_level::debug, "http", remote_, ": read: ", ec.message());
    return;
  }
  auto& req = parser_->get();
  if (websocket::is_upgrade(req) && req.target() == "/ws") {
    beast::get_lowest_layer(stream_).expires_never();  // the WebSocket has its own timeouts
    std::make_shared<ws_session>(std::move(stream_), state_, std::move(slot_), remote_)->run(parser_->release());
    return;
  }
  auto res = std::make_shared<http::response<http::string_body>>();
  res->version(req.version());
  res->set(http::field::server, "chatnode");
  res->keep_alive(req.keep_alive());
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res->result(http::status::method_not_allowed);
    res->set(http::field::allow, "GET, HEAD");
    res->set(http::field::content_type, "text/plain");
    res->body() = "method not allowed\n";
  } else if (req.target() == "/healthz") {
    res->result(http::status::ok);
    res->set(http::field::content_type, "text/plain");
    res->body() = "ok\n";
  } else if (req.target() == "/metrics" && !state_->cfg().metrics.own_listener()) {
    state_->answer_metrics(beast::get_lowest_layer(stream_).socket(), req, *res);
  } else if (req.target() == "/ws") {
    res->result(http::status::upgrade_required);
    res->set(http::field::upgrade, "websocket");
    res->set(http::field::content_type, "text/plain");
    res->body() = "this path takes WebSocket connections\n";
  } else if (!state_->web().answer(req, *res)) {  // the web client (web_files.hpp), else 404
    res->result(http::status::not_found);
    res->set(http::field::content_type, "text/plain");
    res->body() = "not found\n";
  }
  res->prepare_payload();
  if (req.method() == http::verb::head) res->body().clear();
  response_ = res;
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&http_session::on_write, shared_from_this(), res->keep_alive()));
}

void http_session::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  response_.reset();
  if (ec) return;
  if (!keep_alive) return do_close();
  do_read();
}

void http_session::do_close() {
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
  stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
}

}  // namespace chatnode::node
