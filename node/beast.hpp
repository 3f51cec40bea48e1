// Common Beast/Asio aliases for the node's network code.
#pragma once

#include "tls_stream.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace chatnode::node {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
// Client connections use tls_stream (tls_stream.hpp), not beast::ssl_stream, whose per-connection
// buffers (~68 KiB) stay allocated while a connection idles.

// True for the errors that only mean "the peer went away" (not worth a warning).
inline bool is_normal_disconnect(const beast::error_code& ec) {
  return ec == asio::error::operation_aborted || ec == websocket::error::closed ||
         ec == beast::error::timeout || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated || ec == http::error::end_of_stream;
}

}  // namespace chatnode::node
