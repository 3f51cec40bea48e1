// Registration and login against a real node: codes, case folding, single session,
// throttling of failed logins, id echo.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using client::make_message;

// Sends a request that needs an authenticated sender and checks the node treats the
// connection as logged in as `self`: a status update on behalf of `other` is refused
// with 9005 (forbidden), not 9004 (not authenticated).
::testing::AssertionResult acts_as_logged_in(client::connection& conn, std::string_view other) {
  conn.send(make_message("USER_STATUS_UPDATE", json::object{{"username", other}, {"status", "away"}}));
  const auto reply = expect_reply(conn, {"ERROR"});
  return is_error(reply, 9005, "USER_STATUS_UPDATE");
}

TEST(IntegrationAccounts, RegisterThenLogin) {
  node_process node;
  node.start();
  auto conn = node.connect();
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "pw-alice"), "REGISTER_RESPONSE", true, 0));
  EXPECT_TRUE(is_response(login(*conn, "alice", "pw-alice"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationAccounts, DuplicateNameIsRefusedWhateverTheCase) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "other"), "REGISTER_RESPONSE", false, 1002));
  EXPECT_TRUE(is_response(register_user(*conn, "Alice", "other"), "REGISTER_RESPONSE", false, 1002));
  auto second = node.connect();
  EXPECT_TRUE(is_response(register_user(*second, "ALICE", "other"), "REGISTER_RESPONSE", false, 1002));
  // The original password still works: the refused registrations changed nothing.
  EXPECT_TRUE(is_response(login(*second, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationAccounts, WrongPasswordGets2001) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "right"), "REGISTER_RESPONSE", true, 0));
  EXPECT_TRUE(is_response(login(*conn, "alice", "wrong"), "LOGIN_RESPONSE", false, 2001));
  EXPECT_TRUE(is_response(login(*conn, "alice", "right"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationAccounts, UnknownUserGets2003) {
  node_process node;
  node.start();
  auto conn = node.connect();
  EXPECT_TRUE(is_response(login(*conn, "nobody", "pw"), "LOGIN_RESPONSE", false, 2003));
}

TEST(IntegrationAccounts, SecondConcurrentLoginGets2002AndFirstSessionStays) {
  node_process node;
  node.start();
  auto first = node.connect();
  ASSERT_TRUE(is_response(register_user(*first, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(register_user(*first, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*first, "alice", "pw"), "LOGIN_RESPONSE", true, 0));

  auto second = node.connect();
  EXPECT_TRUE(is_response(login(*second, "alice", "pw"), "LOGIN_RESPONSE", false, 2002));
  // Case-folded names are the same user.
  EXPECT_TRUE(is_response(login(*second, "ALICE", "pw"), "LOGIN_RESPONSE", false, 2002));

  EXPECT_TRUE(first->is_open());
  EXPECT_TRUE(acts_as_logged_in(*first, "bob"));
  // The refused connection did not become alice's.
  second->send(make_message("USER_LOGOUT", json::object{{"username", "alice"}}));
  EXPECT_TRUE(is_error(expect_reply(*second, {"ERROR"}), 9004, "USER_LOGOUT"));
  EXPECT_TRUE(first->is_open());
}

TEST(IntegrationAccounts, LoginAgainOnTheSameConnectionGets2002) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(register_user(*conn, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
  EXPECT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", false, 2002));
  // Still alice afterwards.
  EXPECT_TRUE(acts_as_logged_in(*conn, "bob"));
}

TEST(IntegrationAccounts, RepliesCarryTheRequestIdAndAnIntegerTimestamp) {
  node_process node;
  node.start();
  auto conn = node.connect();
  const auto registered = register_user(*conn, "alice", "pw", "req-1");
  ASSERT_TRUE(is_response(registered, "REGISTER_RESPONSE", true, 0));
  EXPECT_EQ(json::serialize(registered.at("id")), "\"req-1\"");

  const auto logged_in = login(*conn, "alice", "pw", "req-2");
  ASSERT_TRUE(is_response(logged_in, "LOGIN_RESPONSE", true, 0));
  EXPECT_EQ(json::serialize(logged_in.at("id")), "\"req-2\"");

  conn->send(make_message("NO_SUCH_TYPE", json::object{}, "req-3"));
  const auto error = expect_reply(*conn, {"ERROR"});
  ASSERT_TRUE(is_error(error, 9002, "NO_SUCH_TYPE"));
  ASSERT_TRUE(error.contains("id")) << json::serialize(error);
  EXPECT_EQ(json::serialize(error.at("id")), "\"req-3\"");
}

TEST(IntegrationAccounts, RepeatedFailuresLockTheUserOutButNotOthers) {
  node_options options;
  options.limits = {{"login_max_failures", 2}, {"login_lockout_seconds", 3600}};
  node_process node(options);
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "right"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(register_user(*conn, "bob", "right"), "REGISTER_RESPONSE", true, 0));

  EXPECT_TRUE(is_response(login(*conn, "alice", "wrong"), "LOGIN_RESPONSE", false, 2001));
  EXPECT_TRUE(is_response(login(*conn, "alice", "wrong"), "LOGIN_RESPONSE", false, 2001));
  // Locked: even the right password is refused, on this and on a fresh connection.
  EXPECT_TRUE(is_error(login(*conn, "alice", "right"), 9007, "LOGIN_REQUEST"));
  auto fresh = node.connect();
  EXPECT_TRUE(is_error(login(*fresh, "alice", "right"), 9007, "LOGIN_REQUEST"));
  EXPECT_TRUE(is_error(login(*fresh, "alice", "wrong"), 9007, "LOGIN_REQUEST"));

  // Another user is not affected.
  auto other = node.connect();
  EXPECT_TRUE(is_response(login(*other, "bob", "right"), "LOGIN_RESPONSE", true, 0));
}

}  // namespace
}  // namespace chatnode::testing
