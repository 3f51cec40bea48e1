// Durability across restarts: a clean SIGTERM stop, and a SIGKILL right after the node
// acknowledged a registration (acknowledged means committed).
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"

#include <gtest/gtest.h>

namespace chatnode::testing {
namespace {

TEST(IntegrationPersistence, AccountsSurviveACleanRestart) {
  node_process node;
  node.start();
  {
    auto conn = node.connect();
    ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
    ASSERT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
    // Stop with the session still open: shutdown must not wait for clients to leave.
    EXPECT_EQ(node.stop(), 0);
    EXPECT_TRUE(conn->wait_closed(std::chrono::seconds(5)));
  }
  node.start();
  auto conn = node.connect();
  EXPECT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "again"), "REGISTER_RESPONSE", false, 1002));
  EXPECT_EQ(node.stop(), 0);
}

TEST(IntegrationPersistence, AnAcknowledgedRegistrationSurvivesKill9) {
  node_process node;
  node.start();
  {
    auto conn = node.connect();
    ASSERT_TRUE(is_response(register_user(*conn, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
    node.kill9();
  }
  node.start();
  auto conn = node.connect();
  EXPECT_TRUE(is_response(login(*conn, "bob", "pw"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationPersistence, ManyAcknowledgedRegistrationsSurviveKill9) {
  node_process node;
  node.start();
  constexpr int users = 20;
  {
    auto conn = node.connect();
    // Pipelined: the node may group-commit them; each reply still means committed.
    for (int i = 0; i < users; ++i) {
      conn->send(client::make_message("REGISTER_REQUEST", boost::json::object{{"username", "user" + std::to_string(i)},
                                                                             {"passwordHash", "pw"}}));
    }
    for (int i = 0; i < users; ++i) {
      ASSERT_TRUE(is_response(expect_reply(*conn, {"REGISTER_RESPONSE", "ERROR"}), "REGISTER_RESPONSE", true, 0));
    }
    node.kill9();
  }
  node.start();
  for (int i = 0; i < users; ++i) {
    auto conn = node.connect();
    EXPECT_TRUE(is_response(login(*conn, "user" + std::to_string(i), "pw"), "LOGIN_RESPONSE", true, 0)) << i;
  }
}

}  // namespace
}  // namespace chatnode::testing
