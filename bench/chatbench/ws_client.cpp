// The connection state machine: connect → TLS → WebSocket → read loop, plus the write queue.
#include "ws_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/ssl.h>

#include <chrono>

namespace chatbench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

constexpr auto handshake_timeout = std::chrono::seconds(30);

asio::ssl::context make_tls_client(const std::string& ca_file) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.load_verify_file(ca_file);
  tls.set_verify_mode(asio::ssl::verify_peer);
  return tls;
}

ws_client::ws_client(asio::io_context& ioc, asio::ssl::context& tls, std::uint32_t index)
    : ws_(asio::make_strand(ioc), tls), index_(index) {}

void ws_client::open(const endpoint& ep, open_handler on_open) {
  on_open_ = std::move(on_open);
  host_ = ep.server_name;
  auto& tls = ws_.next_layer();
  if (!SSL_set_tlsext_host_name(tls.native_handle(), host_.c_str())) {
    return fail(error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
  }
  tls.set_verify_callback(asio::ssl::host_name_verification(host_));
  beast::get_lowest_layer(ws_).expires_after(handshake_timeout);
  beast::get_lowest_layer(ws_).async_connect(
      ep.address, [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
}

void ws_client::on_connect(error_code ec) {
  if (ec) return fail(ec);
  beast::get_lowest_layer(ws_).socket().set_option(asio::ip::tcp::no_delay(true), ec);
  ws_.next_layer().async_handshake(asio::ssl::stream_base::client,
                                   [self = shared_from_this()](error_code e) { self->on_tls(e); });
}

void ws_client::on_tls(error_code ec) {
  if (ec) return fail(ec);
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws_.async_handshake(host_, "/ws", [self = shared_from_this()](error_code e) { self->on_ws(e); });
}

void ws_client::on_ws(error_code ec) {
  if (ec) return fail(ec);
  open_ = true;
  ws_.text(true);
  if (auto h = std::exchange(on_open_, nullptr)) h({});
  do_read();
  if (!queue_.empty() && !writing_) do_write();
}

void ws_client::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void ws_client::on_read(error_code ec, std::size_t) {
  if (ec) return fail(ec);
  const auto data = buffer_.cdata();
  if (on_frame_) on_frame_(std::string_view(static_cast<const char*>(data.data()), data.size()));
  buffer_.consume(buffer_.size());
  do_read();
}

void ws_client::send(std::string frame) {
  queue_.push_back(std::move(frame));
  if (open_ && !writing_) do_write();
}

void ws_client::do_write() {
  writing_ = true;
  ws_.async_write(asio::buffer(queue_.front()),
                  [self = shared_from_this()](error_code ec, std::size_t n) { self->on_write(ec, n); });
}

void ws_client::on_write(error_code ec, std::size_t) {
  writing_ = false;
  if (ec) return fail(ec);
  queue_.pop_front();
  if (!queue_.empty()) return do_write();
  if (closing_) close();
}

void ws_client::close() {
  closing_ = true;
  if (!open_ || writing_) return;
  open_ = false;
  ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](error_code) {});
}

void ws_client::fail(error_code ec) {
  const bool expected = closing_ && (ec == websocket::error::closed || ec == asio::error::operation_aborted ||
                                     ec == asio::ssl::error::stream_truncated || ec == asio::error::eof);
  if (!expected && !failure_) failure_ = ec;
  open_ = false;
  if (auto h = std::exchange(on_open_, nullptr)) h(ec ? ec : asio::error::not_connected);
}

}  // namespace chatbench
