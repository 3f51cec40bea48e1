// HTTPS GET and version-forcing TLS handshakes over Beast, each step bounded by a timeout.
#include "tests/integration/tls_probe.hpp"

#include "tests/integration/node_process.hpp"

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
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <optional>
#include <stdexcept>
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
    if (!target.tls12_ciphers.empty()) {
      SSL_CTX_set_cipher_list(ctx.native_handle(), target.tls12_ciphers.c_str());
      SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    }
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.load_verify_file(target.ca_file, ec);
    if (ec) return ec;
    stream.emplace(ioc, ctx);
    stream->set_verify_callback(ssl::host_name_verification(target.server_name));
    SSL_set_tlsext_host_name(stream->native_handle(), target.server_name.c_str());
    auto& tcp = beast::get_lowest_layer(*stream);
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), target.port);
    tcp.expires_after(target.timeout);
    if (!target.local_address.empty()) {
      tcp.socket().open(endpoint.protocol(), ec);
      if (!ec) tcp.socket().bind(net::ip::tcp::endpoint(net::ip::make_address(target.local_address), 0), ec);
      if (ec) return ec;
    }
    ec = run_op(ioc, [&](auto handler) { tcp.async_connect(endpoint, std::move(handler)); });
    if (ec) return ec;
    tcp.expires_after(target.timeout);
    return run_op(ioc, [&](auto handler) { stream->async_handshake(ssl::stream_base::client, std::move(handler)); });
  }
};

}  // namespace

http_result https_get(const tls_target& target, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  tls_client client;
  error_code ec = client.connect(target, TLS1_2_VERSION, 0, false);
  if (ec) throw std::system_error(ec, "TLS connect");
  auto& tcp = beast::get_lowest_layer(*client.stream);

  http::request<http::empty_body> request{http::verb::get, path, 11};
  request.set(http::field::host, target.server_name);
  request.set(http::field::user_agent, "chatnode-integration-tests");
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) request.set(name, value);
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

std::optional<std::chrono::milliseconds> stalled_fragment(const tls_target& target, std::chrono::seconds wait) {
  tls_client client;
  error_code ec = client.connect(target, TLS1_2_VERSION, 0, false);
  if (ec) throw std::system_error(ec, "TLS connect");
  beast::websocket::stream<ssl::stream<beast::tcp_stream>&> ws(*client.stream);
  auto& tcp = beast::get_lowest_layer(*client.stream);
  tcp.expires_after(target.timeout);
  ec = run_op(client.ioc, [&](auto handler) { ws.async_handshake(target.server_name, "/ws", std::move(handler)); });
  if (ec) throw std::system_error(ec, "WebSocket handshake");
  ws.text(true);
  const std::string first = R"({"type":"LOGIN_REQUEST",)";
  tcp.expires_after(target.timeout);
  ec = run_op(client.ioc, [&](auto handler) { ws.async_write_some(false, net::buffer(first), std::move(handler)); });
  if (ec) throw std::system_error(ec, "writing a fragment");
  // Reads until the node drops the connection (a close frame or EOF/reset), or `wait` passes.
  const auto start = std::chrono::steady_clock::now();
  tcp.expires_after(wait);
  beast::flat_buffer buffer;
  ec = run_op(client.ioc, [&](auto handler) { ws.async_read(buffer, std::move(handler)); });
  if (ec == beast::error::timeout) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

boost::system::error_code tls_handshake(const tls_target& target, int min_version, int max_version) {
  tls_client client;
  return client.connect(target, min_version, max_version, true);
}

tls_target target_of(const node_process& node) {
  tls_target t;
  t.port = node.client_port();
  t.ca_file = node.ca_file().string();
  t.server_name = node.domain();
  return t;
}

std::string served_certificate_pin(const tls_target& target) {
  tls_client client;
  if (error_code ec = client.connect(target, TLS1_2_VERSION, 0, false)) throw std::system_error(ec, "TLS connect");
  X509* cert = SSL_get1_peer_certificate(client.stream->native_handle());
  if (!cert) throw std::runtime_error("no peer certificate");
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  X509_free(cert);
  if (len <= 0) throw std::runtime_error("cannot encode the public key");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(len), digest);
  OPENSSL_free(der);
  unsigned char b64[64];
  const int n = EVP_EncodeBlock(b64, digest, SHA256_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(b64), static_cast<std::size_t>(n));
}

}  // namespace chatnode::testing
