// The client library's own contract, against a real node and against sockets that
// misbehave: failures name their step, every wait is bounded, replies are matched by type
// without losing the others.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using client::make_message;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// A TCP socket on 127.0.0.1:<ephemeral>, listening (the kernel completes connections)
// but never accepting or answering; or, with listen_ = false, bound only (connections
// are refused).
class silent_socket {
 public:
  explicit silent_socket(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0 ||
        (listening && ::listen(fd_, 16) != 0)) {
      throw std::system_error(errno, std::generic_category(), "bind/listen");
    }
    port_ = ntohs(address.sin_port);
  }
  ~silent_socket() { ::close(fd_); }
  silent_socket(const silent_socket&) = delete;
  silent_socket& operator=(const silent_socket&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::string connect_error(const client::connect_options& options) {
  try {
    client::connection::connect(options);
  } catch (const std::system_error& e) {
    return e.what();
  }
  return "(connected)";
}

TEST(IntegrationClient, ARefusedConnectionNamesTheTcpStep) {
  silent_socket bound_only(false);
  client::connect_options options;
  options.port = bound_only.port();
  options.timeout = 2s;
  const auto error = connect_error(options);
  EXPECT_NE(error.find("TCP connect"), std::string::npos) << error;
}

TEST(IntegrationClient, ASilentServerTimesOutInTheTlsHandshake) {
  silent_socket silent(true);
  client::connect_options options;
  options.port = silent.port();
  options.timeout = 500ms;
  const auto started = steady::now();
  const auto error = connect_error(options);
  EXPECT_NE(error.find("TLS handshake"), std::string::npos) << error;
  EXPECT_LT(steady::now() - started, 3s);
}

TEST(IntegrationClient, AMissingCaFileIsReported) {
  client::connect_options options;
  options.ca_file = "/nonexistent/ca.crt";
  const auto error = connect_error(options);
  EXPECT_NE(error.find("CA file"), std::string::npos) << error;
}

TEST(IntegrationClient, WaitForTakesOneTypeAndKeepsTheRestInOrder) {
  node_process node;
  node.start();
  auto conn = node.connect();
  conn->send(make_message("FIRST_UNKNOWN", json::object{}));
  conn->send(make_message("REGISTER_REQUEST", json::object{{"username", "alice"}, {"passwordHash", "pw"}}));
  conn->send(make_message("SECOND_UNKNOWN", json::object{}));
  auto registered = conn->wait_for("REGISTER_RESPONSE");
  ASSERT_TRUE(registered);
  EXPECT_TRUE(is_response(*registered, "REGISTER_RESPONSE", true, 0));
  // The two errors: the first may already be queued; wait for the second by taking both.
  auto first = conn->wait_for("ERROR");
  auto second = conn->wait_for("ERROR");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->at("payload").at("inReplyTo"), "FIRST_UNKNOWN");
  EXPECT_EQ(second->at("payload").at("inReplyTo"), "SECOND_UNKNOWN");
  EXPECT_EQ(conn->queued(), 0U);
  EXPECT_FALSE(conn->has_queued("ERROR"));

  // Queued but not taken: has_queued sees it, next() returns it.
  conn->send(make_message("THIRD_UNKNOWN", json::object{}));
  conn->send(make_message("REGISTER_REQUEST", json::object{{"username", "bob"}, {"passwordHash", "pw"}}));
  ASSERT_TRUE(conn->wait_for("REGISTER_RESPONSE"));
  EXPECT_TRUE(conn->has_queued("ERROR"));
  EXPECT_EQ(conn->queued(), 1U);
  auto third = conn->next(0ms);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->at("payload").at("inReplyTo"), "THIRD_UNKNOWN");
  // Nothing else is coming: a bounded wait comes back empty.
  EXPECT_FALSE(conn->wait_for("ERROR", 200ms));
}

TEST(IntegrationClient, CloseIsAnOrderlyWebSocketClose) {
  node_process node;
  node.start();
  auto conn = node.connect();
  conn->send(make_message("REGISTER_REQUEST", json::object{{"username", "alice"}, {"passwordHash", "pw"}}));
  conn->close();  // frames sent before close() go out first
  EXPECT_FALSE(conn->is_open());
  EXPECT_EQ(conn->close_code(), 1000);
  const auto started = steady::now();
  EXPECT_FALSE(conn->wait_for("NOTHING", 5s));  // closed: returns at once
  EXPECT_LT(steady::now() - started, 1s);
  conn->send(make_message("FOO", json::object{}));  // harmless after close

  auto other = node.connect();
  EXPECT_TRUE(is_response(login(*other, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationClient, TheDestructorDoesNotHangOnAFrozenOrDeadServer) {
  node_process node;
  node.start();
  auto frozen = node.connect();
  auto dead = node.connect();
  node.freeze();
  auto started = steady::now();
  frozen.reset();
  EXPECT_LT(steady::now() - started, 3s);
  node.thaw();
  node.kill9();
  started = steady::now();
  EXPECT_TRUE(dead->wait_closed(5s));
  dead.reset();
  EXPECT_LT(steady::now() - started, 3s);
}

TEST(IntegrationClient, ConnectingToAFrozenServerTimesOut) {
  node_process node;
  node.start();
  node.freeze();
  auto options = node.connect_options();
  options.timeout = 500ms;
  const auto started = steady::now();
  const auto error = connect_error(options);
  node.thaw();
  EXPECT_NE(error.find("TLS handshake"), std::string::npos) << error;
  EXPECT_LT(steady::now() - started, 3s);
}

}  // namespace
}  // namespace chatnode::testing
