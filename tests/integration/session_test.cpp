// Session lifecycle against a real node: logout closes the socket, a dropped connection
// frees the login, a flood of garbage on one connection does not hurt the others.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using client::make_message;
using namespace std::chrono_literals;

TEST(IntegrationSession, LogoutClosesTheConnectionAndAllowsANewLogin) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
  conn->send(make_message("USER_LOGOUT", json::object{{"username", "alice"}}));
  ASSERT_TRUE(conn->wait_closed(10s)) << "the node did not close the connection after USER_LOGOUT";
  EXPECT_EQ(conn->close_code(), 1000);

  auto again = node.connect();
  EXPECT_TRUE(is_response(login(*again, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationSession, LogoutWithTheFullUserIdAlsoWorks) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
  conn->send(make_message("USER_LOGOUT", json::object{{"username", "alice@localhost"}}));
  ASSERT_TRUE(conn->wait_closed(10s));
  EXPECT_EQ(conn->close_code(), 1000);
}

TEST(IntegrationSession, ADroppedConnectionFreesTheLogin) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
  conn->abort();  // TCP gone, no WebSocket or TLS goodbye
  ASSERT_FALSE(conn->is_open());

  // The node learns of the drop asynchronously; until then 2002 is correct. It must
  // learn within a few seconds (a closed TCP socket is noticed on the next read).
  auto again = node.connect();
  json::object reply;
  int attempts = 0;
  for (; attempts < 50; ++attempts) {
    reply = login(*again, "alice", "pw");
    if (code_of(reply) != 2002) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(is_response(reply, "LOGIN_RESPONSE", true, 0)) << "after " << attempts << " retries";
}

TEST(IntegrationSession, AFloodOfBadMessagesDoesNotDisturbOtherClients) {
  node_process node;
  node.start();
  auto good = node.connect();
  ASSERT_TRUE(is_response(register_user(*good, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*good, "bob", "pw"), "LOGIN_RESPONSE", true, 0));

  auto bad = node.connect();
  constexpr int flood = 2000;
  for (int i = 0; i < flood; ++i) {
    switch (i % 4) {
      case 0: bad->send_text("{not json"); break;
      case 1: bad->send(make_message("FOO", json::object{{"i", i}})); break;
      case 2: bad->send(make_message("REGISTER_REQUEST", json::object{{"username", i}})); break;
      default: bad->send(make_message("FRIEND_REQUEST", json::object{{"sender", "x"}, {"receiver", "y"}})); break;
    }
  }

  // Meanwhile (the flood is still being processed) other clients get prompt service.
  const auto started = std::chrono::steady_clock::now();
  auto newcomer = node.connect();
  EXPECT_TRUE(is_response(register_user(*newcomer, "carol", "pw"), "REGISTER_RESPONSE", true, 0));
  EXPECT_TRUE(is_response(login(*newcomer, "carol", "pw"), "LOGIN_RESPONSE", true, 0));
  good->send(make_message("USER_STATUS_UPDATE", json::object{{"username", "mallory"}, {"status", "away"}}));
  EXPECT_TRUE(is_error(expect_reply(*good, {"ERROR"}), 9005, "USER_STATUS_UPDATE"));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 5s) << "other clients waited "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_TRUE(good->is_open());

  // The flooding client either got its errors or was cut off as abusive; both are fine,
  // but it must not have taken the node down.
  if (bad->is_open()) {
    bad->send(make_message("ZZ_LAST", json::object{}));
    for (;;) {
      auto m = bad->next(30s);
      if (!m || (type_of(*m) == "ERROR" && code_of(*m) == 9002 &&
                 m->at("payload").as_object().at("inReplyTo") == "ZZ_LAST")) {
        break;
      }
    }
  }
  auto later = node.connect();
  EXPECT_TRUE(is_response(register_user(*later, "dave", "pw"), "REGISTER_RESPONSE", true, 0));
}

}  // namespace
}  // namespace chatnode::testing
