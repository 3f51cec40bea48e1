// Size limits against a real node: a message over max_message_bytes is refused with 9006
// on an open connection; a frame over max_frame_bytes closes that connection with 1009
// and nobody else's.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/tls_probe.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <string>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using client::make_message;
using namespace std::chrono_literals;

// A valid REGISTER_REQUEST padded (with an extra top-level field, which the node ignores)
// to exactly `bytes` of text, so only its size can make the node refuse it.
std::string register_of_size(std::size_t bytes) {
  auto message = make_message("REGISTER_REQUEST", json::object{{"username", "big"}, {"passwordHash", "pw"}});
  message["padding"] = "";
  std::string text = json::serialize(message);
  const std::string field = "\"padding\":\"";
  if (bytes > text.size()) text.insert(text.find(field) + field.size(), bytes - text.size(), 'x');
  return text;
}

void check_limits(node_process& node, std::size_t message_limit, std::size_t frame_limit) {
  auto bystander = node.connect();
  ASSERT_TRUE(is_response(register_user(*bystander, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*bystander, "bob", "pw"), "LOGIN_RESPONSE", true, 0));

  auto conn = node.connect();
  // At the limit: accepted as an ordinary message.
  conn->send_text(register_of_size(message_limit));
  EXPECT_TRUE(is_response(expect_reply(*conn, {"REGISTER_RESPONSE", "ERROR"}), "REGISTER_RESPONSE", true, 0));
  // Over the message limit but within the frame limit: 9006, connection kept.
  conn->send_text(register_of_size(message_limit + 1));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9006));
  conn->send_text(register_of_size((message_limit + frame_limit) / 2));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9006));
  EXPECT_TRUE(conn->is_open());
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));

  // Over the frame limit: the node sends a close frame with 1009 (too big) and drops the
  // connection. It sees the frame header long before the client has written the whole
  // frame, so a client still writing may get a TCP reset before it can read the close
  // frame (docs/protocol.md §1 says so): either way the connection must end.
  conn->send_text(register_of_size(frame_limit * 2));
  ASSERT_TRUE(conn->wait_closed(10s)) << "the node kept a connection that sent an oversize frame";
  EXPECT_TRUE(conn->close_code() == 1009 || conn->close_code() == 0)
      << "closed with " << conn->close_code() << " instead of 1009 (or a reset)";

  // Others are unaffected.
  EXPECT_TRUE(bystander->is_open());
  bystander->send(make_message("USER_STATUS_UPDATE", json::object{{"username", "mallory"}, {"status", "away"}}));
  EXPECT_TRUE(is_error(expect_reply(*bystander, {"ERROR"}), 9005, "USER_STATUS_UPDATE"));
  auto newcomer = node.connect();
  EXPECT_TRUE(is_response(login(*newcomer, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationLimits, DefaultMessageAndFrameLimits) {
  node_process node;
  node.start();
  check_limits(node, 131072, 1048576);
}

TEST(IntegrationLimits, ConfiguredMessageAndFrameLimits) {
  node_options options;
  options.limits = {{"max_message_bytes", 4096}, {"max_frame_bytes", 16384}};
  node_process node(options);
  node.start();
  check_limits(node, 4096, 16384);
}


// Every oversize close is counted (Beast reported the overflow only when its close frame
// could still be written, so a client that kept writing was missed: 1 of 6).
TEST(IntegrationLimits, EveryOversizeFrameIsCounted) {
  node_options options;
  options.limits = {{"max_message_bytes", 4096}, {"max_frame_bytes", 16384}};
  node_process node(options);
  node.start();
  for (int i = 0; i < 6; ++i) {
    auto conn = node.connect();
    conn->send_text(register_of_size(16384 * 64));
    ASSERT_TRUE(conn->wait_closed(10s));
  }
  tls_target t;
  t.port = node.client_port();
  t.ca_file = node.ca_file().string();
  t.server_name = "localhost";
  const auto text = https_get(t, "/metrics").body;
  EXPECT_NE(text.find("\nchatnode_frames_too_big_total 6\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace chatnode::testing
