// The first stage of a client connection: TLS handshake, then HTTP requests on the same
// port (`GET /healthz`, `GET /metrics`) until a WebSocket upgrade on `/ws` hands the stream
// to a ws_session.
#pragma once

#include "beast.hpp"

#include <memory>
#include <optional>
#include <string>

namespace chatnode::node {

class server_state;

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, ssl::context& ctx, std::shared_ptr<server_state> state);
  ~http_session();
  void run();

 private:
  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
  void do_close();

  tls_stream stream_;
  std::shared_ptr<server_state> state_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  bool upgraded_ = false;
};

}  // namespace chatnode::node
