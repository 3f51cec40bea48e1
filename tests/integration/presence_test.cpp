// Presence against a real node (docs/protocol.md §5 USER_LOGOUT, §8): statuses at login,
// USER_STATUS_UPDATE forwarded to online friends only, dropped connections, logout, and
// "appear offline".
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <map>

namespace chatnode::testing {
namespace {

namespace json = boost::json;

json::object status_of(std::string_view name, std::string_view status) {
  return json::object{{"username", full_id(name)}, {"status", status}};
}

void set_status(client::connection& conn, std::string_view name, std::string_view status,
                std::optional<std::string> id = std::nullopt) {
  send_request(conn, "USER_STATUS_UPDATE", json::object{{"username", name}, {"status", status}}, std::move(id));
}

class IntegrationPresence : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.start();
    register_users(node_, {"alice", "bob", "carol", "dave"});
  }
  node_process node_;
};

TEST_F(IntegrationPresence, AtLoginFriendsAreToldAndTheUserGetsEveryFriendsStatus) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  auto carol = login_user(node_, "carol");
  auto dave = login_user(node_, "dave");
  make_friends(*alice, "alice", *bob, "bob");
  make_friends(*alice, "alice", *carol, "carol");
  make_friends(*alice, "alice", *dave, "dave");
  set_status(*dave, "dave", "away");
  EXPECT_TRUE(
      has_fields(expect_message(*alice, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE", status_of("dave", "away")));
  logout_user(*carol, "carol");
  EXPECT_TRUE(has_fields(expect_message(*alice, "USER_LOGOUT"), "USER_LOGOUT",
                         json::object{{"username", "carol@localhost"}}));
  logout_user(*alice, "alice");
  expect_message(*bob, "USER_LOGOUT");
  expect_message(*dave, "USER_LOGOUT");

  auto again = login_user(node_, "alice");
  // One status per friend right after LOGIN_RESPONSE (the inbox is empty), in any order.
  std::map<std::string, std::string> statuses;
  for (int i = 0; i < 3; ++i) {
    const auto m = expect_next(*again);
    ASSERT_EQ(type_of(m), "USER_STATUS_UPDATE") << json::serialize(m);
    statuses[payload_string(m, "username")] = payload_string(m, "status");
  }
  EXPECT_EQ(statuses, (std::map<std::string, std::string>{
                          {"bob@localhost", "online"}, {"carol@localhost", "offline"}, {"dave@localhost", "away"}}));
  // The online friends are told she is online.
  EXPECT_TRUE(
      has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE", status_of("alice", "online")));
  EXPECT_TRUE(
      has_fields(expect_message(*dave, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE", status_of("alice", "online")));
  // Exactly one each: her list request is answered next.
  send_request(*again, "FRIEND_LIST_REQUEST", json::object{{"username", "alice"}});
  EXPECT_EQ(type_of(expect_next(*again)), "FRIEND_LIST_RESPONSE");
}

TEST_F(IntegrationPresence, StatusUpdateReachesOnlineFriendsButNotOthers) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  auto carol = login_user(node_, "carol");  // online, but not alice's friend
  make_friends(*alice, "alice", *bob, "bob");

  set_status(*alice, "alice", "away", "s1");
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE", status_of("alice", "away")));

  // Sentinel: alice's next request reaches carol after any status update would have.
  send_request(*alice, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", "carol"}});
  EXPECT_EQ(code_of(expect_either(*alice, "FRIEND_REQUEST_ACK", "ERROR")), 0);
  expect_message(*carol, "FRIEND_REQUEST");
  EXPECT_FALSE(carol->has_queued("USER_STATUS_UPDATE"));
  // No reply to the sender.
  EXPECT_FALSE(alice->has_queued("ERROR"));
  EXPECT_FALSE(alice->has_queued("USER_STATUS_UPDATE"));

  // busy likewise; the list shows the current status.
  set_status(*alice, "alice@localhost", "busy");
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE", status_of("alice", "busy")));
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "busy"}}}}}));
}

TEST_F(IntegrationPresence, UnknownStatusGetsError9003AndIsNotForwarded) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");

  set_status(*alice, "alice", "sleeping", "s9");
  const auto error = expect_message(*alice, "ERROR");
  EXPECT_TRUE(is_error(error, 9003, "USER_STATUS_UPDATE"));
  EXPECT_TRUE(has_id(error, "s9"));
  // Sentinel: the next valid update is the first bob sees.
  set_status(*alice, "alice", "busy");
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE", status_of("alice", "busy")));
}

TEST_F(IntegrationPresence, StatusUpdateForSomeoneElseGetsError9005) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");
  set_status(*alice, "bob", "away");
  EXPECT_TRUE(is_error(expect_message(*alice, "ERROR"), 9005, "USER_STATUS_UPDATE"));
  set_status(*alice, "alice", "busy");
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE", status_of("alice", "busy")));
}

TEST_F(IntegrationPresence, ADroppedConnectionShowsTheUserOfflineToFriends) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");

  alice->abort();
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE",
                         status_of("alice", "offline")));
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "offline"}}}}}));
}

TEST_F(IntegrationPresence, LogoutIsForwardedToFriendsAndClosesWith1000) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  auto carol = login_user(node_, "carol");
  make_friends(*alice, "alice", *bob, "bob");
  make_friends(*alice, "alice", *carol, "carol");

  send_request(*alice, "USER_LOGOUT", json::object{{"username", "alice"}});
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_LOGOUT"), "USER_LOGOUT",
                         json::object{{"username", "alice@localhost"}}));
  EXPECT_TRUE(has_fields(expect_message(*carol, "USER_LOGOUT"), "USER_LOGOUT",
                         json::object{{"username", "alice@localhost"}}));
  ASSERT_TRUE(alice->wait_closed(social_timeout));
  EXPECT_EQ(alice->close_code(), 1000);
  // There is no other reply.
  while (auto m = alice->next(std::chrono::milliseconds(0))) {
    EXPECT_NE(type_of(*m), "ERROR") << json::serialize(*m);
    EXPECT_NE(type_of(*m), "USER_LOGOUT") << json::serialize(*m);
  }
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "offline"}}}}}));
}

TEST_F(IntegrationPresence, AppearingOfflineIsShownAsOfflineToFriends) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");

  set_status(*alice, "alice", "offline");
  EXPECT_TRUE(
      has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE", status_of("alice", "offline")));
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "offline"}}}}}));
  // A friend logging in meanwhile is told she is offline.
  logout_user(*bob, "bob");
  auto bob2 = login_user(node_, "bob");
  EXPECT_TRUE(has_fields(expect_next(*bob2), "USER_STATUS_UPDATE", status_of("alice", "offline")));
  // She still is online for the node: messages reach her live.
  ASSERT_EQ(code_of(send_text(*bob2, "bob", "alice", "are you there?")), 0);
  EXPECT_TRUE(is_text(expect_message(*alice, "TEXT_MESSAGE"), "bob@localhost", "alice@localhost", "are you there?"));
}

TEST_F(IntegrationPresence, PresenceIsNotKeptForOfflineFriends) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");
  logout_user(*bob, "bob");
  expect_message(*alice, "USER_LOGOUT");

  set_status(*alice, "alice", "away");
  set_status(*alice, "alice", "busy");
  barrier(*alice, "alice");
  // Live only: at login bob gets alice's current status and nothing queued before it.
  auto bob2 = login_user(node_, "bob");
  EXPECT_TRUE(has_fields(expect_next(*bob2), "USER_STATUS_UPDATE", status_of("alice", "busy")));
  send_request(*bob2, "FRIEND_LIST_REQUEST", json::object{{"username", "bob"}});
  EXPECT_EQ(type_of(expect_next(*bob2)), "FRIEND_LIST_RESPONSE");
}

TEST_F(IntegrationPresence, ANewSessionStartsOnline) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");
  set_status(*alice, "alice", "away");
  expect_message(*bob, "USER_STATUS_UPDATE");
  logout_user(*alice, "alice");
  expect_message(*bob, "USER_LOGOUT");

  auto alice2 = login_user(node_, "alice");
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE",
                         status_of("alice", "online")));
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "online"}}}}}));
}

TEST_F(IntegrationPresence, NothingSentAfterLogoutIsActedOn) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  auto carol = login_user(node_, "carol");
  make_friends(*alice, "alice", *bob, "bob");
  make_friends(*carol, "carol", *bob, "bob");

  // Pipelined behind the logout: ignored.
  send_request(*alice, "USER_LOGOUT", json::object{{"username", "alice"}});
  send_request(*alice, "TEXT_MESSAGE",
               json::object{{"sender", "alice"}, {"receiver", "bob"}, {"content", "after logout"}});
  send_request(*alice, "USER_STATUS_UPDATE", json::object{{"username", "alice"}, {"status", "away"}});
  ASSERT_TRUE(alice->wait_closed(social_timeout));
  EXPECT_EQ(alice->close_code(), 1000);
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_LOGOUT"), "USER_LOGOUT",
                         json::object{{"username", "alice@localhost"}}));

  // Sentinel: carol's text is the first text bob gets.
  send_text_ok(*carol, "carol", "bob", "sentinel");
  EXPECT_TRUE(is_text(expect_message(*bob, "TEXT_MESSAGE"), "carol@localhost", "bob@localhost", "sentinel"));
  EXPECT_FALSE(bob->has_queued("USER_STATUS_UPDATE"));
  while (auto m = alice->next(std::chrono::milliseconds(0))) {
    EXPECT_NE(type_of(*m), "TEXT_MESSAGE_ACK") << json::serialize(*m);
    EXPECT_NE(type_of(*m), "ERROR") << json::serialize(*m);
  }
}

// §5: "The node sends USER_LOGOUT {username: full id} to every online friend" — the spec
// makes no exception for a user who appears offline.
TEST_F(IntegrationPresence, LogoutWhileAppearingOfflineStaysQuiet) {
  // docs/protocol.md §5: friends already see an appearing-offline user as offline, so her
  // logout (or dropped connection) tells them nothing.
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");
  set_status(*alice, "alice", "offline");
  expect_message(*bob, "USER_STATUS_UPDATE");

  logout_user(*alice, "alice");
  // A later event from a third user proves bob's queue is up to date: no USER_LOGOUT came.
  auto carol = login_user(node_, "carol");
  make_friends(*carol, "carol", *bob, "bob");
  EXPECT_FALSE(bob->has_queued("USER_LOGOUT"));
}

}  // namespace
}  // namespace chatnode::testing
