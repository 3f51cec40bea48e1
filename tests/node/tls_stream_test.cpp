// tls_stream over real loopback TCP against Beast's ssl_stream as the client: handshake,
// reads and writes in both directions and at once, writes that block (WANT_WRITE), EOF
// with and without close_notify, deadlines, aborts, and a WebSocket session with teardown.
#include "certs/certs.hpp"
#include "node/beast.hpp"
#include "node/server.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <random>
#include <string>

namespace chatnode::node {
namespace {

using client_stream = beast::ssl_stream<beast::tcp_stream>;

class TlsStream : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("tls-stream-test-" + std::to_string(std::random_device{}())));
    std::filesystem::create_directories(*dir_);
    certs::make_ca(*dir_ / "ca.pem", *dir_ / "ca.key", "test CA");
    certs::issue_node_cert(*dir_ / "ca.pem", *dir_ / "ca.key", "chat.test", *dir_ / "node.pem", *dir_ / "node.key");
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    std::filesystem::remove_all(*dir_, ignored);
    delete dir_;
  }

  TlsStream()
      : server_ctx_(make_client_port_tls(*dir_ / "node.pem", *dir_ / "node.key")),
        client_ctx_(ssl::context::tls_client) {
    client_ctx_.load_verify_file((*dir_ / "ca.pem").string());
    client_ctx_.set_verify_mode(ssl::verify_peer);
    tcp::acceptor acceptor(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client_socket(ioc_);
    client_socket.connect(acceptor.local_endpoint());
    server_.emplace(acceptor.accept(), server_ctx_);
    client_.emplace(std::move(client_socket), client_ctx_);
  }

  // Runs the io_context until `done` holds (or fails the test after a few seconds).
  template <class Pred>
  void run_until(Pred done) {
    ioc_.restart();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < give_up) {
      if (ioc_.run_one_for(std::chrono::milliseconds(100)) == 0) ioc_.restart();
    }
    ASSERT_TRUE(done()) << "timed out";
  }

  void handshake() {
    std::optional<beast::error_code> server_ec, client_ec;
    server_->async_handshake(ssl::stream_base::server, [&](beast::error_code ec) { server_ec = ec; });
    client_->async_handshake(ssl::stream_base::client, [&](beast::error_code ec) { client_ec = ec; });
    run_until([&] { return server_ec && client_ec; });
    ASSERT_FALSE(*server_ec) << server_ec->message();
    ASSERT_FALSE(*client_ec) << client_ec->message();
  }

  static std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
  }

  static inline std::filesystem::path* dir_ = nullptr;
  asio::io_context ioc_;
  ssl::context server_ctx_;
  ssl::context client_ctx_;
  std::optional<tls_stream> server_;
  std::optional<client_stream> client_;
};

TEST_F(TlsStream, HandshakeThenDataBothWays) {
  handshake();
  std::string got(5, '\0');
  std::optional<beast::error_code> read_ec, write_ec;
  asio::async_read(*server_, asio::buffer(got), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  asio::async_write(*client_, asio::buffer(std::string_view("hello")), [&](beast::error_code ec, std::size_t) { write_ec = ec; });
  run_until([&] { return read_ec && write_ec; });
  EXPECT_FALSE(*read_ec);
  EXPECT_EQ(got, "hello");

  read_ec.reset();
  write_ec.reset();
  std::string back(3, '\0');
  asio::async_read(*client_, asio::buffer(back), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  asio::async_write(*server_, asio::buffer(std::string_view("hi!")), [&](beast::error_code ec, std::size_t) { write_ec = ec; });
  run_until([&] { return read_ec && write_ec; });
  EXPECT_FALSE(*read_ec);
  EXPECT_EQ(back, "hi!");
}

TEST_F(TlsStream, NoCompletionInsideTheInitiatingCall) {
  handshake();
  bool called = false;
  server_->async_write_some(asio::buffer(std::string_view("x")), [&](beast::error_code, std::size_t) { called = true; });
  EXPECT_FALSE(called);
  run_until([&] { return called; });
}

// A write far larger than the socket buffers blocks (WANT_WRITE) until the client reads;
// meanwhile a read is pending on the same stream, as WebSocket keeps one. A gathered buffer
// sequence (small header + large body) must arrive intact and in order.
TEST_F(TlsStream, BlockedWriteAndPendingReadAtOnce) {
  handshake();
  const std::string header = "HDR:";
  const std::string body = pattern(4 << 20);
  std::array<asio::const_buffer, 3> out{asio::buffer(header), asio::const_buffer(), asio::buffer(body)};
  std::optional<beast::error_code> write_ec, server_read_ec;
  std::size_t written = 0;
  asio::async_write(*server_, out, [&](beast::error_code ec, std::size_t n) {
    write_ec = ec;
    written = n;
  });
  std::string from_client(4, '\0');
  asio::async_read(*server_, asio::buffer(from_client), [&](beast::error_code ec, std::size_t) { server_read_ec = ec; });
  // Let the server fill the socket buffers before anyone reads.
  ioc_.restart();
  ioc_.run_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(write_ec) << "4 MiB cannot fit in loopback buffers";

  std::string received(header.size() + body.size(), '\0');
  std::optional<beast::error_code> client_read_ec, client_write_ec;
  asio::async_read(*client_, asio::buffer(received), [&](beast::error_code ec, std::size_t) { client_read_ec = ec; });
  asio::async_write(*client_, asio::buffer(std::string_view("ping")), [&](beast::error_code ec, std::size_t) { client_write_ec = ec; });
  run_until([&] { return write_ec && server_read_ec && client_read_ec && client_write_ec; });
  EXPECT_FALSE(*write_ec) << write_ec->message();
  EXPECT_FALSE(*server_read_ec) << server_read_ec->message();
  EXPECT_FALSE(*client_read_ec) << client_read_ec->message();
  EXPECT_EQ(written, header.size() + body.size());
  EXPECT_EQ(from_client, "ping");
  EXPECT_TRUE(received == header + body);
}

TEST_F(TlsStream, PeerCloseNotifyReadsAsEofAndShutdownCompletes) {
  handshake();
  std::optional<beast::error_code> read_ec, client_shutdown_ec, server_shutdown_ec;
  char byte = 0;
  server_->async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  client_->async_shutdown([&](beast::error_code ec) { client_shutdown_ec = ec; });
  run_until([&] { return read_ec.has_value(); });
  EXPECT_EQ(*read_ec, asio::error::eof) << read_ec->message();
  server_->async_shutdown([&](beast::error_code ec) { server_shutdown_ec = ec; });
  run_until([&] { return server_shutdown_ec && client_shutdown_ec; });
  EXPECT_FALSE(*server_shutdown_ec) << server_shutdown_ec->message();
}

TEST_F(TlsStream, TcpCloseWithoutCloseNotifyIsStreamTruncated) {
  handshake();
  // The client reads first, so that it has consumed the session tickets and its close is a
  // FIN (unread data would make it a reset).
  std::optional<beast::error_code> read_ec, write_ec;
  char byte = 0;
  server_->async_write_some(asio::buffer(std::string_view("x")), [&](beast::error_code ec, std::size_t) { write_ec = ec; });
  client_->async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  run_until([&] { return read_ec && write_ec; });
  ASSERT_FALSE(*read_ec) << read_ec->message();
  read_ec.reset();
  server_->async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  beast::get_lowest_layer(*client_).close();
  run_until([&] { return read_ec.has_value(); });
  EXPECT_EQ(*read_ec, ssl::error::stream_truncated) << read_ec->message();
  EXPECT_TRUE(is_normal_disconnect(*read_ec));
}

TEST_F(TlsStream, HandshakeDeadlineFailsWithTimeout) {
  // The client never answers: the handshake waits for its ClientHello until the deadline.
  std::optional<beast::error_code> ec_seen;
  server_->expires_after(std::chrono::milliseconds(50));
  server_->async_handshake(ssl::stream_base::server, [&](beast::error_code ec) { ec_seen = ec; });
  run_until([&] { return ec_seen.has_value(); });
  EXPECT_EQ(*ec_seen, beast::error::timeout) << ec_seen->message();
}

TEST_F(TlsStream, ExpiresNeverCancelsTheDeadline) {
  handshake();
  server_->expires_after(std::chrono::milliseconds(30));
  server_->expires_never();
  std::optional<beast::error_code> read_ec;
  char byte = 0;
  server_->async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  ioc_.restart();
  ioc_.run_for(std::chrono::milliseconds(150));
  EXPECT_FALSE(read_ec.has_value());
  EXPECT_TRUE(server_->socket().is_open());
}

TEST_F(TlsStream, ClosingTheSocketAbortsPendingReadAndWrite) {
  handshake();
  const std::string body = pattern(4 << 20);
  std::optional<beast::error_code> read_ec, write_ec;
  char byte = 0;
  server_->async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  asio::async_write(*server_, asio::buffer(body), [&](beast::error_code ec, std::size_t) { write_ec = ec; });
  ioc_.restart();
  ioc_.poll();
  beast::close_socket(beast::get_lowest_layer(*server_));
  run_until([&] { return read_ec && write_ec; });
  EXPECT_EQ(*read_ec, asio::error::operation_aborted) << read_ec->message();
  EXPECT_EQ(*write_ec, asio::error::operation_aborted) << write_ec->message();

  // Later operations fail at once and never reach the (closed) descriptor.
  std::optional<beast::error_code> late_ec;
  server_->async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) { late_ec = ec; });
  run_until([&] { return late_ec.has_value(); });
  EXPECT_EQ(*late_ec, asio::error::operation_aborted);
}

// The client port's real stack: HTTP upgrade, frames both ways, a server-initiated close
// that tears down TLS (close_notify both ways) and TCP.
TEST_F(TlsStream, WebSocketSessionAndTeardown) {
  handshake();
  websocket::stream<tls_stream> server_ws(std::move(*server_));
  websocket::stream<client_stream> client_ws(std::move(*client_));
  std::optional<beast::error_code> accept_ec, client_hs_ec;
  server_ws.async_accept([&](beast::error_code ec) { accept_ec = ec; });
  client_ws.async_handshake("chat.test", "/ws", [&](beast::error_code ec) { client_hs_ec = ec; });
  run_until([&] { return accept_ec && client_hs_ec; });
  ASSERT_FALSE(*accept_ec) << accept_ec->message();
  ASSERT_FALSE(*client_hs_ec) << client_hs_ec->message();

  beast::flat_buffer server_buf, client_buf;
  std::optional<beast::error_code> server_read_ec, server_write_ec, client_write_ec;
  server_ws.async_read(server_buf, [&](beast::error_code ec, std::size_t) { server_read_ec = ec; });
  const std::string big = pattern(200 * 1024);
  server_ws.async_write(asio::buffer(big), [&](beast::error_code ec, std::size_t) { server_write_ec = ec; });
  client_ws.async_write(asio::buffer(std::string_view("{\"t\":1}")), [&](beast::error_code ec, std::size_t) { client_write_ec = ec; });
  std::optional<beast::error_code> client_read_ec;
  client_ws.async_read(client_buf, [&](beast::error_code ec, std::size_t) { client_read_ec = ec; });
  run_until([&] { return server_read_ec && server_write_ec && client_write_ec && client_read_ec; });
  EXPECT_FALSE(*server_read_ec) << server_read_ec->message();
  EXPECT_EQ(beast::buffers_to_string(server_buf.data()), "{\"t\":1}");
  EXPECT_FALSE(*client_read_ec) << client_read_ec->message();
  EXPECT_TRUE(beast::buffers_to_string(client_buf.data()) == big);

  // The server closes while its read is pending; the client's read sees the close.
  server_buf.clear();
  client_buf.clear();
  server_read_ec.reset();
  client_read_ec.reset();
  std::optional<beast::error_code> close_ec;
  server_ws.async_read(server_buf, [&](beast::error_code ec, std::size_t) { server_read_ec = ec; });
  client_ws.async_read(client_buf, [&](beast::error_code ec, std::size_t) { client_read_ec = ec; });
  server_ws.async_close(websocket::close_reason(1001), [&](beast::error_code ec) { close_ec = ec; });
  run_until([&] { return close_ec && server_read_ec && client_read_ec; });
  EXPECT_TRUE(!*close_ec || is_normal_disconnect(*close_ec)) << close_ec->message();
  EXPECT_EQ(*client_read_ec, websocket::error::closed) << client_read_ec->message();
  EXPECT_EQ(client_ws.reason().code, 1001);
  EXPECT_FALSE(beast::get_lowest_layer(server_ws).socket().is_open()) << "teardown closes the socket";
}

}  // namespace
}  // namespace chatnode::node
