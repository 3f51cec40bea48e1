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
class connection_slot;

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, ssl::context& ctx, std::shared_ptr<server_state> state,
               std::unique_ptr<connection_slot> slot);
  void run();

 private:
  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
  void do_close();

  tls_stream stream_;
  std::shared_ptr<server_state> state_;
  std::unique_ptr<connection_slot> slot_;  // passed on to the ws_session on upgrade
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
};

}  // namespace chatnode::node
