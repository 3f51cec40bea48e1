// Router rules for friends, presence, text and groups, without sockets: real store and
// writer, fake sessions, the inbox checked by logging in again.
#include "router_fixture.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

namespace chatnode::node {
namespace {
using testing::fake_session;
namespace json = boost::json;

class RouterSocialTest : public testing::router_fixture {
 protected:

  // Registers and logs in `name` on a new session; returns it with the login replies taken.
  std::shared_ptr<fake_session> user(const std::string& name, bool fresh = true) {
    auto s = std::make_shared<fake_session>();
    if (fresh) {
      frame(s, R"({"type":"REGISTER_REQUEST","payload":{"username":")" + name + R"(","passwordHash":"pw"}})", true);
      EXPECT_EQ(code(s->next()), 0);
    }
    frame(s, R"({"type":"LOGIN_REQUEST","payload":{"username":")" + name + R"(","passwordHash":"pw"}})", true);
    auto r = s->next();
    EXPECT_EQ(r.at("type"), "LOGIN_RESPONSE");
    EXPECT_EQ(code(r), 0);
    return s;
  }
  void frame(const std::shared_ptr<fake_session>& s, const std::string& text, bool = false) { send(s, text); }
  // Takes frames until one of `type` arrives (others are dropped); fails after 20 frames.
  json::object next_of(const std::shared_ptr<fake_session>& s, const std::string& type) {
    for (int i = 0; i < 20; ++i) {
      auto m = s->next();
      if (m.empty()) break;
      if (m.at("type").as_string() == type) return m;
    }
    ADD_FAILURE() << "no " << type;
    return {};
  }
  void logout(const std::shared_ptr<fake_session>& s) { router_->on_disconnect(s); }
  void befriend(const std::shared_ptr<fake_session>& a, const std::string& an, const std::shared_ptr<fake_session>& b,
                const std::string& bn) {
    frame(a, R"({"type":"FRIEND_REQUEST","payload":{"sender":")" + an + R"(","receiver":")" + bn + R"("}})");
    EXPECT_EQ(code(next_of(a, "FRIEND_REQUEST_ACK")), 0);
    next_of(b, "FRIEND_REQUEST");
    frame(b, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":")" + an + R"(","receiver":")" + bn + R"(","code":0}})");
    EXPECT_EQ(code(next_of(a, "FRIEND_REQUEST_RESPONSE")), 0);
  }
};

TEST_F(RouterSocialTest, FriendRequestCodes) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto req = [&](const std::string& to) {
    frame(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":")" + to + R"("}})");
    return next_of(alice, "FRIEND_REQUEST_ACK");
  };
  EXPECT_EQ(code(req("nobody")), 3001);
  EXPECT_EQ(code(req("alice")), 3005);
  auto ok = req("bob");
  EXPECT_EQ(code(ok), 0);
  EXPECT_EQ(ok.at("payload").at("receiver"), "bob@alpha.example");
  auto delivered = next_of(bob, "FRIEND_REQUEST");
  EXPECT_EQ(delivered.at("payload").at("sender"), "alice@alpha.example");
  EXPECT_EQ(code(req("bob")), 3006);
  frame(bob, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":"alice","receiver":"bob","code":0}})");
  EXPECT_EQ(code(next_of(alice, "FRIEND_REQUEST_RESPONSE")), 0);
  EXPECT_EQ(code(req("bob")), 3003);
}

TEST_F(RouterSocialTest, OfflineEventsWaitInTheInboxInOrder) {
  auto alice = user("alice");
  auto bob = user("bob");
  befriend(alice, "alice", bob, "bob");
  logout(bob);
  for (int i = 0; i < 5; ++i) {
    frame(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":"m)" + std::to_string(i) + R"("}})");
    EXPECT_EQ(code(next_of(alice, "TEXT_MESSAGE_ACK")), 0);
  }
  auto bob2 = user("bob", false);
  for (int i = 0; i < 5; ++i) {
    auto m = bob2->next();
    ASSERT_EQ(m.at("type"), "TEXT_MESSAGE");
    EXPECT_EQ(m.at("payload").at("content").as_string(), "m" + std::to_string(i));
  }
  // After the inbox: the status of each friend.
  auto status = bob2->next();
  EXPECT_EQ(status.at("type"), "USER_STATUS_UPDATE");
  EXPECT_EQ(status.at("payload").at("username"), "alice@alpha.example");
  EXPECT_EQ(status.at("payload").at("status"), "online");
  // The inbox is empty now.
  logout(bob2);
  auto bob3 = user("bob", false);
  EXPECT_EQ(bob3->next().at("type"), "USER_STATUS_UPDATE");
  EXPECT_EQ(bob3->pending(), 0u);
}

TEST_F(RouterSocialTest, TextNeedsFriendship) {
  auto alice = user("alice");
  auto bob = user("bob");
  frame(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":"hi"}})");
  EXPECT_EQ(code(next_of(alice, "TEXT_MESSAGE_ACK")), 7002);
  frame(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"zed","content":"hi"}})");
  EXPECT_EQ(code(next_of(alice, "TEXT_MESSAGE_ACK")), 7001);
}

TEST_F(RouterSocialTest, GroupMessageFansOutToAcceptedMembersOnly) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto carol = user("carol");
  befriend(alice, "alice", bob, "bob");
  befriend(alice, "alice", carol, "carol");
  frame(alice, R"({"type":"GROUP_CREATE","payload":{"sender":"alice","members":["bob","carol","dave"],"name":"G"}})");
  auto nack = next_of(alice, "GROUP_CREATE_ACK");
  EXPECT_EQ(code(nack), 4001);
  EXPECT_EQ(json::serialize(nack.at("payload").at("not-friends")), R"(["dave@alpha.example"])");
  frame(alice, R"({"type":"GROUP_CREATE","payload":{"sender":"alice","members":["bob","carol"],"name":"G"}})");
  auto ack = next_of(alice, "GROUP_CREATE_ACK");
  ASSERT_EQ(code(ack), 0);
  const std::string gid(ack.at("payload").at("groupId").as_string());
  EXPECT_EQ(next_of(bob, "GROUP_INVITE").at("payload").at("groupId"), json::value(gid));
  next_of(carol, "GROUP_INVITE");
  frame(bob, R"({"type":"GROUP_INVITE_RESPONSE","payload":{"sender":"alice","receiver":"bob","group":"G","code":0}})");
  EXPECT_EQ(code(next_of(alice, "GROUP_INVITE_RESPONSE")), 0);
  frame(carol, R"({"type":"GROUP_INVITE_RESPONSE","payload":{"sender":"alice","receiver":"carol","group":"G","code":5001}})");
  EXPECT_EQ(code(next_of(alice, "GROUP_INVITE_RESPONSE")), 5001);

  frame(bob, R"({"type":"TEXT_MESSAGE","payload":{"sender":"bob","receiver":"G","content":"hello group"}})");
  EXPECT_EQ(code(next_of(bob, "TEXT_MESSAGE_ACK")), 0);
  auto got = next_of(alice, "TEXT_MESSAGE");
  EXPECT_EQ(got.at("payload").at("receiver"), json::value(gid));
  EXPECT_EQ(got.at("payload").at("group"), "G");
  EXPECT_EQ(carol->pending(), 0u);
  EXPECT_EQ(bob->pending(), 0u);

  frame(carol, R"({"type":"TEXT_MESSAGE","payload":{"sender":"carol","receiver":")" + gid + R"(","content":"x"}})");
  EXPECT_EQ(code(next_of(carol, "TEXT_MESSAGE_ACK")), 7003);
}

TEST_F(RouterSocialTest, LeaderLeavingHandsOverLastMemberEndsTheGroup) {
  auto alice = user("alice");
  auto bob = user("bob");
  befriend(alice, "alice", bob, "bob");
  frame(alice, R"({"type":"GROUP_CREATE","payload":{"sender":"alice","members":["bob"],"name":"G"}})");
  const std::string gid(next_of(alice, "GROUP_CREATE_ACK").at("payload").at("groupId").as_string());
  next_of(bob, "GROUP_INVITE");
  frame(bob, R"({"type":"GROUP_INVITE_RESPONSE","payload":{"sender":"alice","receiver":"bob","group":"G","code":0}})");
  next_of(alice, "GROUP_INVITE_RESPONSE");
  frame(bob, R"({"type":"GROUP_REMOVE","payload":{"sender":"bob","group":"G"}})");
  EXPECT_EQ(code(next_of(bob, "GROUP_REMOVE_ACK")), 4005);
  frame(alice, R"({"type":"GROUP_LEAVE","payload":{"sender":"alice","group":"G"}})");
  EXPECT_EQ(code(next_of(alice, "GROUP_LEAVE_ACK")), 0);
  EXPECT_EQ(next_of(bob, "GROUP_LEAVE").at("payload").at("sender"), "alice@alpha.example");
  EXPECT_EQ(next_of(bob, "GROUP_LEADER_CHANGE").at("payload").at("newLeader"), "bob@alpha.example");
  frame(bob, R"({"type":"GROUP_LEAVE","payload":{"sender":"bob","groupId":")" + gid + R"(","group":"G"}})");
  EXPECT_EQ(code(next_of(bob, "GROUP_LEAVE_ACK")), 0);
  frame(bob, R"({"type":"GROUP_LEAVE","payload":{"sender":"bob","groupId":")" + gid + R"(","group":"G"}})");
  EXPECT_EQ(code(next_of(bob, "GROUP_LEAVE_ACK")), 4002);
}

TEST_F(RouterSocialTest, PresenceReachesOnlineFriends) {
  auto alice = user("alice");
  auto bob = user("bob");
  befriend(alice, "alice", bob, "bob");
  next_of(alice, "USER_STATUS_UPDATE");  // bob's status after the accept
  frame(bob, R"({"type":"USER_STATUS_UPDATE","payload":{"username":"bob","status":"away"}})");
  auto m = next_of(alice, "USER_STATUS_UPDATE");
  EXPECT_EQ(m.at("payload").at("status"), "away");
  frame(bob, R"({"type":"USER_STATUS_UPDATE","payload":{"username":"bob","status":"sleepy"}})");
  EXPECT_EQ(code(next_of(bob, "ERROR")), 9003);
  logout(bob);
  EXPECT_EQ(next_of(alice, "USER_STATUS_UPDATE").at("payload").at("status"), "offline");
}

}  // namespace
}  // namespace chatnode::node
