// HTTPS GET and version-forcing TLS handshakes over Beast, each step bounded by a timeout.
#include "tests/integration/tls_probe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

#include <optional>
#include <system_error>

namespace chatnode::testing {

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using error_code = boost::system::error_code;

// Runs the context until the operation started by `start` completes. Every operation
// here sits on a beast::tcp_stream with an expiry, so it always completes.
template <class Start>
error_code run_op(net::io_context& ioc, Start&& start) {
  std::optional<error_code> result;
  start([&result](error_code ec, auto&&...) { result = ec; });
  while (!result && ioc.run_one() > 0) {
  }
  return result.value_or(net::error::operation_aborted);
}

struct tls_client {
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::optional<ssl::stream<beast::tcp_stream>> stream;

  error_code connect(const tls_target& target, int min_version, int max_version, bool lower_security) {
    error_code ec;
    SSL_CTX_set_min_proto_version(ctx.native_handle(), min_version);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
    if (lower_security) SSL_CTX_set_security_level(ctx.native_handle(), 0);
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.load_verify_file(target.ca_file, ec);
    if (ec) return ec;
    stream.emplace(ioc, ctx);
    stream->set_verify_callback(ssl::host_name_verification(target.server_name));
    SSL_set_tlsext_host_name(stream->native_handle(), target.server_name.c_str());
    auto& tcp = beast::get_lowest_layer(*stream);
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), target.port);
    tcp.expires_after(target.timeout);
    ec = run_op(ioc, [&](auto handler) { tcp.async_connect(endpoint, std::move(handler)); });
    if (ec) return ec;
    tcp.expires_after(target.timeout);
    return run_op(ioc, [&](auto handler) { stream->async_handshake(ssl::stream_base::client, std::move(handler)); });
  }
};

}  // namespace

http_result https_get(const tls_target& target, const std::string& path) {
  tls_client client;
  error_code ec = client.connect(target, TLS1_2_VERSION, 0, false);
  if (ec) throw std::system_error(ec, "TLS connect");
  auto& tcp = beast::get_lowest_layer(*client.stream);

  http::request<http::empty_body> request{http::verb::get, path, 11};
  request.set(http::field::host, target.server_name);
  request.set(http::field::user_agent, "chatnode-integration-tests");
  request.set(http::field::connection, "close");
  tcp.expires_after(target.timeout);
  ec = run_op(client.ioc, [&](auto handler) { http::async_write(*client.stream, request, std::move(handler)); });
  if (ec) throw std::system_error(ec, "HTTP write");

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  tcp.expires_after(target.timeout);
  ec = run_op(client.ioc,
              [&](auto handler) { http::async_read(*client.stream, buffer, response, std::move(handler)); });
  if (ec) throw std::system_error(ec, "HTTP read");
  return {response.result_int(), response.body()};
}

boost::system::error_code tls_handshake(const tls_target& target, int min_version, int max_version) {
  tls_client client;
  return client.connect(target, min_version, max_version, true);
}

}  // namespace chatnode::testing
