// The account lifecycle against a real node over TLS (docs/protocol.md §5, §15): a password
// change (the old password refused at the next login, the new one accepted, other devices'
// tokens revoked), an account deletion (the connection closed, friends and the group told,
// the name free again), and blocks (what a blocked user sends no longer arrives).
#include "tests/integration/federation_helpers.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class IntegrationAccountLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.start();
    register_users(node_, {"alice", "bob", "carol"});
  }
  node_process node_;
};

TEST_F(IntegrationAccountLifecycle, APasswordChangeRefusesTheOldPasswordAndItsTokens) {
  // A token of another device, made before the change (a dropped connection keeps it).
  std::string token;
  {
    auto other = node_.connect();
    send_request(*other, "LOGIN_REQUEST",
                 json::object{{"username", "alice"}, {"passwordHash", password_of("alice")}, {"requestToken", true}});
    const auto r = expect_reply(*other, {"LOGIN_RESPONSE"});
    ASSERT_TRUE(is_response(r, "LOGIN_RESPONSE", true, 0));
    token = payload_string(r, "token");
    other->close();
    ASSERT_TRUE(other->wait_closed());
  }

  // The node may still be ending the other connection (2002 until then).
  std::unique_ptr<client::connection> alice;
  ASSERT_TRUE(eventually([&] {
    try {
      alice = login_user(node_, "alice");
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }));
  send_request(*alice, "PASSWORD_CHANGE_REQUEST",
               json::object{{"username", "alice"}, {"passwordHash", "not it"}, {"newPasswordHash", "new-secret"}}, "p1");
  auto r = expect_either(*alice, "PASSWORD_CHANGE_RESPONSE", "ERROR");
  EXPECT_TRUE(has_fields(r, "PASSWORD_CHANGE_RESPONSE", json::object{{"username", full_id("alice")}, {"code", 2001}}));
  EXPECT_TRUE(has_id(r, "p1"));
  send_request(*alice, "PASSWORD_CHANGE_REQUEST",
               json::object{{"username", "alice"}, {"passwordHash", password_of("alice")}, {"newPasswordHash", "new-secret"}},
               "p2");
  r = expect_either(*alice, "PASSWORD_CHANGE_RESPONSE", "ERROR");
  EXPECT_TRUE(has_fields(r, "PASSWORD_CHANGE_RESPONSE", json::object{{"username", full_id("alice")}, {"code", 0}}));
  EXPECT_TRUE(has_id(r, "p2"));
  // Someone else's password: forbidden.
  send_request(*alice, "PASSWORD_CHANGE_REQUEST",
               json::object{{"username", "bob"}, {"passwordHash", password_of("bob")}, {"newPasswordHash", "x"}});
  EXPECT_TRUE(is_error(expect_either(*alice, "PASSWORD_CHANGE_RESPONSE", "ERROR"), 9005, "PASSWORD_CHANGE_REQUEST"));
  logout_user(*alice, "alice");

  auto conn = node_.connect();
  EXPECT_TRUE(is_response(login(*conn, "alice", password_of("alice")), "LOGIN_RESPONSE", false, 2001));
  send_request(*conn, "LOGIN_REQUEST", json::object{{"username", "alice"}, {"token", token}});
  EXPECT_TRUE(is_response(expect_reply(*conn, {"LOGIN_RESPONSE", "ERROR"}), "LOGIN_RESPONSE", false, 2001));
  EXPECT_TRUE(is_response(login(*conn, "alice", "new-secret"), "LOGIN_RESPONSE", true, 0));
}

TEST_F(IntegrationAccountLifecycle, ADeletedAccountIsGoneForItsFriendsAndItsGroupAndTheNameIsFreeAgain) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  auto carol = login_user(node_, "carol");
  make_friends(*alice, "alice", *bob, "bob");
  make_friends(*alice, "alice", *carol, "carol");
  const std::string gid = create_group_ok(*alice, "alice", {"bob", "carol"}, "Team");
  join_group(*alice, "alice", *bob, "bob", gid, "Team");
  join_group(*alice, "alice", *carol, "carol", gid, "Team");
  send_text_ok(*bob, "bob", "alice", "before");

  send_request(*alice, "ACCOUNT_DELETE_REQUEST", json::object{{"username", "alice"}, {"passwordHash", "wrong"}}, "d1");
  auto r = expect_either(*alice, "ACCOUNT_DELETE_RESPONSE", "ERROR");
  EXPECT_TRUE(has_fields(r, "ACCOUNT_DELETE_RESPONSE", json::object{{"username", full_id("alice")}, {"code", 2001}}));
  EXPECT_TRUE(alice->is_open());
  send_request(*alice, "ACCOUNT_DELETE_REQUEST", json::object{{"username", "alice"}, {"passwordHash", password_of("alice")}},
               "d2");
  r = expect_either(*alice, "ACCOUNT_DELETE_RESPONSE", "ERROR");
  EXPECT_TRUE(has_fields(r, "ACCOUNT_DELETE_RESPONSE", json::object{{"username", full_id("alice")}, {"code", 0}}));
  EXPECT_TRUE(has_id(r, "d2"));
  ASSERT_TRUE(alice->wait_closed());
  EXPECT_EQ(alice->close_code(), 1000);

  // bob joined first: he leads now. Both see the friendship end and alice leave.
  for (const auto& [conn, name] : {std::pair<client::connection*, const char*>{bob.get(), "bob"}, {carol.get(), "carol"}}) {
    EXPECT_TRUE(has_fields(expect_message(*conn, "FRIEND_REMOVE"), "FRIEND_REMOVE",
                           json::object{{"sender", full_id("alice")}, {"receiver", full_id(name)}}));
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEAVE"), "GROUP_LEAVE",
                           json::object{{"sender", full_id("alice")}, {"groupId", gid}}));
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEADER_CHANGE"), "GROUP_LEADER_CHANGE",
                           json::object{{"sender", full_id("alice")}, {"newLeader", full_id("bob")}, {"groupId", gid}}));
    EXPECT_TRUE(payload_of(friend_list(*conn, name)).at("friends").as_array().empty());
  }
  const auto groups = group_list(*carol, "carol");
  ASSERT_EQ(payload_of(groups).at("groups").as_array().size(), 1u) << json::serialize(groups);
  const auto& team = payload_of(groups).at("groups").as_array()[0].as_object();
  EXPECT_EQ(team.at("leader"), json::value(full_id("bob")));
  EXPECT_EQ(team.at("members"), json::value(strings({full_id("bob"), full_id("carol")})));
  // What alice sent stays with bob; texting her is texting nobody.
  EXPECT_EQ(contents(history(*bob, "bob")), std::vector<std::string>{"before"});
  EXPECT_TRUE(has_fields(send_text(*bob, "bob", "alice", "still there?"), "TEXT_MESSAGE_ACK", json::object{{"code", 7001}}));

  auto conn = node_.connect();
  EXPECT_TRUE(is_response(login(*conn, "alice", password_of("alice")), "LOGIN_RESPONSE", false, 2003));
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "fresh"), "REGISTER_RESPONSE", true, 0));
  EXPECT_TRUE(is_response(login(*conn, "alice", "fresh"), "LOGIN_RESPONSE", true, 0));
  const auto list = friend_list(*conn, "alice");
  EXPECT_TRUE(payload_of(list).at("friends").as_array().empty()) << json::serialize(list);
  EXPECT_TRUE(payload_of(group_list(*conn, "alice")).at("groups").as_array().empty());
}

TEST_F(IntegrationAccountLifecycle, ABlockedUsersTextsAndRequestsDoNotReachTheBlocker) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");
  send_request(*alice, "USER_BLOCK", json::object{{"sender", "alice"}, {"receiver", "bob"}}, "b1");
  const auto ack = expect_either(*alice, "USER_BLOCK_ACK", "ERROR");
  EXPECT_TRUE(has_fields(ack, "USER_BLOCK_ACK", json::object{{"sender", full_id("alice")}, {"receiver", full_id("bob")}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "b1"));
  // bob sees a friendship end, as after FRIEND_REMOVE.
  EXPECT_TRUE(has_fields(expect_message(*bob, "FRIEND_REMOVE"), "FRIEND_REMOVE",
                         json::object{{"sender", full_id("alice")}, {"receiver", full_id("bob")}}));

  EXPECT_TRUE(has_fields(send_text(*bob, "bob", "alice", "hello?"), "TEXT_MESSAGE_ACK", json::object{{"code", 7002}}));
  send_request(*bob, "FRIEND_REQUEST", json::object{{"sender", "bob"}, {"receiver", "alice"}});
  EXPECT_TRUE(has_fields(expect_either(*bob, "FRIEND_REQUEST_ACK", "ERROR"), "FRIEND_REQUEST_ACK", json::object{{"code", 0}}));
  send_request(*alice, "BLOCK_LIST_REQUEST", json::object{{"username", "alice"}});
  const auto blocked = expect_either(*alice, "BLOCK_LIST_RESPONSE", "ERROR");
  EXPECT_TRUE(has_fields(blocked, "BLOCK_LIST_RESPONSE",
                         json::object{{"username", full_id("alice")}, {"blocked", strings({full_id("bob")})}, {"code", 0}}));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(alice->has_queued("FRIEND_REQUEST")) << drain_queued(*alice);
  EXPECT_FALSE(alice->has_queued("TEXT_MESSAGE")) << drain_queued(*alice);
  EXPECT_TRUE(payload_of(friend_list(*alice, "alice")).at("incoming").as_array().empty());
  EXPECT_EQ(payload_of(friend_list(*bob, "bob")).at("outgoing"), json::value(strings({full_id("alice")})));
}

}  // namespace
}  // namespace chatnode::testing
