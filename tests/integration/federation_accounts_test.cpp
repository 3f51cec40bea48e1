// The account lifecycle across real federated nodes (docs/protocol.md §5, §15): a deleted
// account's friend on another node sees FRIEND_REMOVE and its group's leadership passes on
// there too; a block holds against a user of another node (their texts and friend requests
// do not reach the blocker), also when that node does not play by the rules (a fake peer).
#include "tests/integration/federation_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string alpha_d = "alpha.test";
const std::string beta_d = "beta.test";
const std::string alice = user_at("alice", alpha_d);
const std::string zed = user_at("zed", alpha_d);
const std::string carol = user_at("carol", alpha_d);
const std::string bob = user_at("bob", beta_d);

json::object client_frame(const std::string& type, json::object payload) {
  return json::object{{"type", type}, {"payload", std::move(payload)}};
}

TEST(IntegrationFederationAccounts, ADeletedAccountsFriendOnAnotherNodeSeesTheRemovalAndTheGroupLeaderChanges) {
  federation fed({alpha_d, beta_d});
  fed.start_all();
  register_users(fed.node(alpha_d), {"alice", "zed"});
  register_users(fed.node(beta_d), {"bob"});
  auto a = login_user(fed.node(alpha_d), "alice");
  auto z = login_user(fed.node(alpha_d), "zed");
  auto b = login_user(fed.node(beta_d), "bob");
  befriend(*a, alice, *z, zed);
  befriend(*a, alice, *b, bob);
  const std::string gid = create_group_ok(*a, "alice", {zed, bob}, "Team");
  // zed joins first, so he leads once alice is gone.
  for (auto [conn, me] : {std::pair{z.get(), zed}, std::pair{b.get(), bob}}) {
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_INVITE", federation_timeout), "GROUP_INVITE", json::object{{"groupId", gid}}));
    answer_invite(*conn, me, alice, "Team", gid, 0);
    EXPECT_TRUE(has_fields(expect_message(*a, "GROUP_INVITE_RESPONSE", federation_timeout), "GROUP_INVITE_RESPONSE",
                           json::object{{"receiver", me}, {"groupId", gid}, {"code", 0}}));
  }

  send_request(*a, "ACCOUNT_DELETE_REQUEST", json::object{{"username", "alice"}, {"passwordHash", password_of("alice")}}, "del");
  const auto r = expect_either(*a, "ACCOUNT_DELETE_RESPONSE", "ERROR");
  EXPECT_TRUE(has_fields(r, "ACCOUNT_DELETE_RESPONSE", json::object{{"username", alice}, {"code", 0}}));
  EXPECT_TRUE(has_id(r, "del"));
  ASSERT_TRUE(a->wait_closed());
  EXPECT_EQ(a->close_code(), 1000);

  for (auto [conn, me] : {std::pair{z.get(), zed}, std::pair{b.get(), bob}}) {
    SCOPED_TRACE(me);
    EXPECT_TRUE(has_fields(expect_message(*conn, "FRIEND_REMOVE", federation_timeout), "FRIEND_REMOVE",
                           json::object{{"sender", alice}, {"receiver", me}}));
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEAVE", federation_timeout), "GROUP_LEAVE",
                           json::object{{"sender", alice}, {"groupId", gid}}));
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEADER_CHANGE", federation_timeout), "GROUP_LEADER_CHANGE",
                           json::object{{"sender", alice}, {"newLeader", zed}, {"groupId", gid}}));
  }
  // bob's node agrees: no friend, and the group is zed's, with alice gone.
  const auto friends = friend_list(*b, "bob");
  EXPECT_TRUE(payload_of(friends).at("friends").as_array().empty()) << json::serialize(friends);
  ASSERT_TRUE(eventually([&] {
    const auto groups = group_list(*b, "bob");
    const auto& list = payload_of(groups).at("groups").as_array();
    return list.size() == 1 && list[0].at("leader") == json::value(zed) && list[0].at("members") == json::value(strings({zed, bob}));
  }));
  // The group goes on without her, across both nodes.
  send_text_ok(*b, "bob", gid, "still here");
  EXPECT_TRUE(is_text(expect_message(*z, "TEXT_MESSAGE", federation_timeout), bob, gid, "still here"));
  // alice's node no longer knows her.
  auto again = fed.node(alpha_d).connect();
  EXPECT_TRUE(is_response(login(*again, "alice", password_of("alice")), "LOGIN_RESPONSE", false, 2003));
}

TEST(IntegrationFederationAccounts, ABlockedRemoteUsersTextsAndFriendRequestsDoNotReachTheBlocker) {
  federation fed({alpha_d, beta_d});
  fed.start_all();
  register_users(fed.node(alpha_d), {"alice"});
  register_users(fed.node(beta_d), {"bob"});
  auto a = login_user(fed.node(alpha_d), "alice");
  auto b = login_user(fed.node(beta_d), "bob");
  befriend(*a, alice, *b, bob);

  send_request(*b, "USER_BLOCK", json::object{{"sender", "bob"}, {"receiver", alice}}, "blk");
  const auto ack = expect_either(*b, "USER_BLOCK_ACK", "ERROR");
  EXPECT_TRUE(has_fields(ack, "USER_BLOCK_ACK", json::object{{"sender", bob}, {"receiver", alice}, {"code", 0}}));
  // alice sees the friendship end (through her node), not the block.
  EXPECT_TRUE(has_fields(expect_message(*a, "FRIEND_REMOVE", federation_timeout), "FRIEND_REMOVE",
                         json::object{{"sender", bob}, {"receiver", alice}}));

  EXPECT_TRUE(has_fields(send_text(*a, "alice", bob, "hello?"), "TEXT_MESSAGE_ACK", json::object{{"code", 7002}}));
  send_request(*a, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", bob}}, "again");
  const auto verdict = expect_either(*a, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout);
  EXPECT_TRUE(has_fields(verdict, "FRIEND_REQUEST_ACK", json::object{{"receiver", bob}, {"code", 0}}));  // beta's verdict
  EXPECT_TRUE(has_id(verdict, "again"));
  send_request(*a, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", bob}});
  EXPECT_TRUE(has_fields(expect_either(*a, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout), "FRIEND_REQUEST_ACK",
                         json::object{{"code", 3006}}));
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(b->has_queued("FRIEND_REQUEST")) << drain_queued(*b);
  EXPECT_FALSE(b->has_queued("TEXT_MESSAGE")) << drain_queued(*b);
  const auto list = friend_list(*b, "bob");
  EXPECT_TRUE(payload_of(list).at("incoming").as_array().empty()) << json::serialize(list);
  EXPECT_EQ(payload_of(friend_list(*a, "alice")).at("outgoing"), json::value(strings({bob})));
}

// The blocker's node checks what arrives, whatever the other node does: a peer that sends
// a blocked user's friend request and group text anyway gets them acknowledged, and the
// blocker gets nothing.
TEST(IntegrationFederationAccounts, TheBlockersNodeHoldsTheBlockAgainstAPeerThatIgnoresIt) {
  federation fed({alpha_d});
  fed.start_all();
  register_users(fed.node(alpha_d), {"alice", "carol"});
  auto a = login_user(fed.node(alpha_d), "alice");
  auto c = login_user(fed.node(alpha_d), "carol");
  send_request(*a, "USER_BLOCK", json::object{{"sender", "alice"}, {"receiver", bob}});
  ASSERT_TRUE(has_fields(expect_either(*a, "USER_BLOCK_ACK", "ERROR"), "USER_BLOCK_ACK", json::object{{"code", 0}}));
  fake_peer beta(fed, alpha_d, beta_d);
  EXPECT_EQ(beta.event(1, fake_peer::deliver({alice}, client_frame("FRIEND_REQUEST", {{"sender", bob}, {"receiver", alice}}))), 0);
  // A group beta homes, with alice and carol in it: bob's message reaches carol only.
  const std::string group = "#club@" + beta_d;
  json::object record{{"name", "Club"}, {"leader", bob}, {"members", json::array{bob, alice, carol}}, {"invited", json::array{}},
                      {"created", 1}};
  EXPECT_EQ(beta.event(2, json::object{{"kind", "group"}, {"groupId", group}, {"group", record}}), 0);
  const auto text = client_frame("TEXT_MESSAGE", {{"sender", bob}, {"receiver", group}, {"content", "from bob"}, {"messageId", "1"},
                                                  {"groupId", group}, {"group", "Club"}});
  EXPECT_EQ(beta.event(3, fake_peer::deliver({alice, carol}, text)), 0);
  EXPECT_EQ(payload_string(expect_message(*c, "TEXT_MESSAGE", federation_timeout), "content"), "from bob");
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(a->has_queued("FRIEND_REQUEST")) << drain_queued(*a);
  EXPECT_FALSE(a->has_queued("TEXT_MESSAGE")) << drain_queued(*a);
  EXPECT_TRUE(history(*a, "alice").empty());
  EXPECT_EQ(contents(history(*c, "carol")), std::vector<std::string>{"from bob"});
  EXPECT_TRUE(payload_of(friend_list(*a, "alice")).at("incoming").as_array().empty());
}

}  // namespace
}  // namespace chatnode::testing
