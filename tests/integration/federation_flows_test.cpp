// Relayed flows between three real nodes (alpha.test, beta.test, gamma.test) on 127.0.0.1
// with a federation CA made at test time (DESIGN §6, docs/federation.md): friends with the
// remote verdict, presence, 1:1 text with history on both nodes, a group with members on
// all three nodes, a peer down (stopped or frozen) while messages are sent, the sending
// node killed with a full outbox, and a lying peer refused by the authority rule.
#include "tests/integration/federation_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <set>
#include <tuple>
#include <string>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

const std::string alpha_d = "alpha.test";
const std::string beta_d = "beta.test";
const std::string gamma_d = "gamma.test";
const std::string alice = user_at("alice", alpha_d);
const std::string zed = user_at("zed", alpha_d);
const std::string bob = user_at("bob", beta_d);
const std::string dave = user_at("dave", beta_d);
const std::string carol = user_at("carol", gamma_d);

std::vector<std::string> numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string k = std::to_string(i);
    out.push_back(prefix + std::string(4 - std::min<std::size_t>(4, k.size()), '0') + k);
  }
  return out;
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : json::serialize(v); }

std::vector<std::string> strings_of(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

// FRIEND_LIST_RESPONSE: friend -> status.
std::vector<std::pair<std::string, std::string>> friends_in(const json::object& list) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : payload_of(list).at("friends").as_array())
    out.emplace_back(std::string(f.at("user").as_string()), std::string(f.at("status").as_string()));
  return out;
}

class IntegrationFederation : public ::testing::Test {
 protected:
  void SetUp() override {
    fed_.start_all();
    register_users(alpha(), {"alice", "zed"});
    register_users(beta(), {"bob", "dave"});
    register_users(gamma(), {"carol"});
  }
  node_process& alpha() { return fed_.node(alpha_d); }
  node_process& beta() { return fed_.node(beta_d); }
  node_process& gamma() { return fed_.node(gamma_d); }

  // Sends `n` texts (pipelined), then takes their n acks: each code 0, in order.
  void send_texts(client::connection& conn, const std::string& from, const std::string& to,
                  const std::vector<std::string>& texts) {
    for (const auto& t : texts)
      send_request(conn, "TEXT_MESSAGE", json::object{{"sender", from}, {"receiver", to}, {"content", t}});
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const auto ack = expect_either(conn, "TEXT_MESSAGE_ACK", "ERROR", federation_timeout);
      ASSERT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"code", 0}})) << "text " << i;
    }
  }

  federation fed_;
};

// ---- friends ----

TEST_F(IntegrationFederation, FriendRequestAckCarriesTheRemoteVerdictAndTheRequestId) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");

  // No such user on beta: beta's verdict, with the request's id.
  send_request(*a, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", "nobody@beta.test"}}, "r1");
  auto ack = expect_either(*a, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout);
  EXPECT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK",
                         json::object{{"sender", alice}, {"receiver", "nobody@beta.test"}, {"code", 3001}}));
  EXPECT_TRUE(has_id(ack, "r1"));
  // A domain that is no peer: unknown at once.
  send_request(*a, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", "x@delta.test"}}, "r2");
  ack = expect_either(*a, "FRIEND_REQUEST_ACK", "ERROR");
  EXPECT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"code", 3001}}));
  EXPECT_TRUE(has_id(ack, "r2"));
  auto list = friend_list(*a, "alice");
  EXPECT_TRUE(payload_of(list).at("outgoing").as_array().empty()) << json::serialize(list);

  befriend(*a, alice, *b, bob);
  list = friend_list(*a, "alice");
  EXPECT_EQ(friends_in(list), (std::vector<std::pair<std::string, std::string>>{{bob, "online"}})) << json::serialize(list);
  EXPECT_TRUE(payload_of(list).at("outgoing").as_array().empty()) << json::serialize(list);
  list = friend_list(*b, "bob");
  EXPECT_EQ(friends_in(list), (std::vector<std::pair<std::string, std::string>>{{alice, "online"}})) << json::serialize(list);
  EXPECT_TRUE(payload_of(list).at("incoming").as_array().empty()) << json::serialize(list);

  // Asking again: already friends.
  send_request(*b, "FRIEND_REQUEST", json::object{{"sender", "bob"}, {"receiver", alice}}, "r3");
  ack = expect_either(*b, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout);
  EXPECT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"code", 3003}}));
  EXPECT_TRUE(has_id(ack, "r3"));
}

TEST_F(IntegrationFederation, FriendRequestToOfflineReceiverAnsweredWhileRequesterOffline) {
  // Accepted: bob is offline when asked, alice when he answers.
  auto a = login_user(alpha(), "alice");
  send_request(*a, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", bob}}, "q1");
  auto ack = expect_either(*a, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout);
  EXPECT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"receiver", bob}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "q1"));
  logout_user(*a, "alice");

  auto b = login_user(beta(), "bob");
  EXPECT_TRUE(has_fields(expect_message(*b, "FRIEND_REQUEST"), "FRIEND_REQUEST",
                         json::object{{"sender", alice}, {"receiver", bob}}));
  send_request(*b, "FRIEND_REQUEST_RESPONSE", json::object{{"sender", alice}, {"receiver", "bob"}, {"code", 0}});
  auto list = friend_list(*b, "bob");
  EXPECT_EQ(friends_in(list), (std::vector<std::pair<std::string, std::string>>{{alice, "offline"}})) << json::serialize(list);
  // bob learns alice's status from her node: offline for now.
  EXPECT_TRUE(has_fields(expect_status(*b, alice), "USER_STATUS_UPDATE", json::object{{"status", "offline"}}));

  a = login_user(alpha(), "alice");
  EXPECT_TRUE(has_fields(expect_message(*a, "FRIEND_REQUEST_RESPONSE", federation_timeout), "FRIEND_REQUEST_RESPONSE",
                         json::object{{"sender", alice}, {"receiver", bob}, {"code", 0}}));
  EXPECT_TRUE(has_fields(expect_status(*a, bob), "USER_STATUS_UPDATE", json::object{{"status", "online"}}));
  EXPECT_TRUE(has_fields(expect_status(*b, alice), "USER_STATUS_UPDATE", json::object{{"status", "online"}}));
  list = friend_list(*a, "alice");
  EXPECT_EQ(friends_in(list), (std::vector<std::pair<std::string, std::string>>{{bob, "online"}})) << json::serialize(list);

  // Rejected while the requester (on a third node) is offline.
  auto c = login_user(gamma(), "carol");
  send_request(*c, "FRIEND_REQUEST", json::object{{"sender", "carol"}, {"receiver", bob}}, "q2");
  ack = expect_either(*c, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout);
  EXPECT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"code", 0}}));
  EXPECT_TRUE(has_id(ack, "q2"));
  logout_user(*c, "carol");
  EXPECT_TRUE(has_fields(expect_message(*b, "FRIEND_REQUEST", federation_timeout), "FRIEND_REQUEST",
                         json::object{{"sender", carol}}));
  send_request(*b, "FRIEND_REQUEST_RESPONSE", json::object{{"sender", carol}, {"receiver", "bob"}, {"code", 3004}});
  list = friend_list(*b, "bob");
  EXPECT_TRUE(payload_of(list).at("incoming").as_array().empty()) << json::serialize(list);
  c = login_user(gamma(), "carol");
  EXPECT_TRUE(has_fields(expect_message(*c, "FRIEND_REQUEST_RESPONSE", federation_timeout), "FRIEND_REQUEST_RESPONSE",
                         json::object{{"sender", carol}, {"receiver", bob}, {"code", 3004}}));
  list = friend_list(*c, "carol");
  EXPECT_TRUE(payload_of(list).at("friends").as_array().empty()) << json::serialize(list);
  EXPECT_TRUE(payload_of(list).at("outgoing").as_array().empty()) << json::serialize(list);
}

TEST_F(IntegrationFederation, CrossingRequestsAcrossNodesMakeFriends) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");
  send_request(*a, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", bob}}, "x1");
  send_request(*b, "FRIEND_REQUEST", json::object{{"sender", "bob"}, {"receiver", alice}}, "x2");
  auto ack = expect_either(*a, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout);
  EXPECT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"receiver", bob}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "x1"));
  ack = expect_either(*b, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout);
  EXPECT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"receiver", alice}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "x2"));
  // Each sees their own request accepted.
  EXPECT_TRUE(has_fields(expect_message(*a, "FRIEND_REQUEST_RESPONSE", federation_timeout), "FRIEND_REQUEST_RESPONSE",
                         json::object{{"sender", alice}, {"receiver", bob}, {"code", 0}}));
  EXPECT_TRUE(has_fields(expect_message(*b, "FRIEND_REQUEST_RESPONSE", federation_timeout), "FRIEND_REQUEST_RESPONSE",
                         json::object{{"sender", bob}, {"receiver", alice}, {"code", 0}}));
  EXPECT_TRUE(has_fields(expect_status(*a, bob), "USER_STATUS_UPDATE", json::object{{"status", "online"}}));
  EXPECT_TRUE(has_fields(expect_status(*b, alice), "USER_STATUS_UPDATE", json::object{{"status", "online"}}));
  for (auto [conn, me, other] : {std::tuple{a.get(), alice, bob}, std::tuple{b.get(), bob, alice}}) {
    const auto list = friend_list(*conn, me);
    EXPECT_EQ(friends_in(list), (std::vector<std::pair<std::string, std::string>>{{other, "online"}}))
        << json::serialize(list);
    EXPECT_TRUE(payload_of(list).at("incoming").as_array().empty()) << json::serialize(list);
    EXPECT_TRUE(payload_of(list).at("outgoing").as_array().empty()) << json::serialize(list);
  }
  send_text_ok(*a, "alice", bob, "hi bob");
  EXPECT_TRUE(is_text(expect_message(*b, "TEXT_MESSAGE", federation_timeout), alice, bob, "hi bob"));
  send_text_ok(*b, "bob", alice, "hi alice");
  EXPECT_TRUE(is_text(expect_message(*a, "TEXT_MESSAGE", federation_timeout), bob, alice, "hi alice"));
}

TEST_F(IntegrationFederation, FriendRemoveReachesTheRemoteFriendOnlineAndOffline) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");
  auto c = login_user(gamma(), "carol");
  befriend(*a, alice, *b, bob);
  befriend(*c, carol, *a, alice);

  send_request(*a, "FRIEND_REMOVE", json::object{{"sender", "alice"}, {"receiver", bob}}, "rm1");
  auto ack = expect_either(*a, "FRIEND_REMOVE_ACK", "ERROR");
  EXPECT_TRUE(has_fields(ack, "FRIEND_REMOVE_ACK", json::object{{"sender", alice}, {"receiver", bob}, {"code", 0}}));
  EXPECT_TRUE(has_fields(expect_message(*b, "FRIEND_REMOVE", federation_timeout), "FRIEND_REMOVE",
                         json::object{{"sender", alice}, {"receiver", bob}}));
  EXPECT_TRUE(has_fields(send_text(*b, "bob", alice, "still there?"), "TEXT_MESSAGE_ACK", json::object{{"code", 7002}}));
  EXPECT_TRUE(payload_of(friend_list(*b, "bob")).at("friends").as_array().empty());

  // carol is offline when alice removes her; she learns it at login.
  logout_user(*c, "carol");
  send_request(*a, "FRIEND_REMOVE", json::object{{"sender", "alice"}, {"receiver", carol}});
  EXPECT_TRUE(has_fields(expect_either(*a, "FRIEND_REMOVE_ACK", "ERROR"), "FRIEND_REMOVE_ACK", json::object{{"code", 0}}));
  EXPECT_TRUE(payload_of(friend_list(*a, "alice")).at("friends").as_array().empty());
  c = login_user(gamma(), "carol");
  EXPECT_TRUE(has_fields(expect_message(*c, "FRIEND_REMOVE", federation_timeout), "FRIEND_REMOVE",
                         json::object{{"sender", alice}, {"receiver", carol}}));
  EXPECT_TRUE(payload_of(friend_list(*c, "carol")).at("friends").as_array().empty());
}

// ---- presence ----

TEST_F(IntegrationFederation, PresenceAndLogoutReachRemoteFriends) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");
  befriend(*a, alice, *b, bob);

  send_request(*a, "USER_STATUS_UPDATE", json::object{{"username", "alice"}, {"status", "away"}});
  EXPECT_TRUE(has_fields(expect_status(*b, alice), "USER_STATUS_UPDATE", json::object{{"status", "away"}}));
  auto list = friend_list(*b, "bob");
  EXPECT_EQ(friends_in(list), (std::vector<std::pair<std::string, std::string>>{{alice, "away"}})) << json::serialize(list);

  logout_user(*a, "alice");
  EXPECT_TRUE(has_fields(expect_message(*b, "USER_LOGOUT", federation_timeout), "USER_LOGOUT",
                         json::object{{"username", alice}}));
  list = friend_list(*b, "bob");
  EXPECT_EQ(friends_in(list), (std::vector<std::pair<std::string, std::string>>{{alice, "offline"}})) << json::serialize(list);

  a = login_user(alpha(), "alice");
  EXPECT_TRUE(has_fields(expect_status(*b, alice), "USER_STATUS_UPDATE", json::object{{"status", "online"}}));
  EXPECT_TRUE(has_fields(expect_status(*a, bob), "USER_STATUS_UPDATE", json::object{{"status", "online"}}));

  // A dropped connection counts as offline.
  a->abort();
  EXPECT_TRUE(has_fields(expect_status(*b, alice), "USER_STATUS_UPDATE", json::object{{"status", "offline"}}));

  // bob logs in later and gets alice's current status at login: her login, her status
  // and a text (three events, in order) have reached beta by then.
  const std::string received = "chatnode_federation_events_received_total";
  const auto alpha_before = metric_value(metrics(alpha()), received);
  logout_user(*b, "bob");
  ASSERT_TRUE(eventually([&] { return metric_value(metrics(alpha()), received) > alpha_before; }));  // bob's logout
  const auto before = metric_value(metrics(beta()), received);
  a = login_user(alpha(), "alice");
  EXPECT_TRUE(has_fields(expect_status(*a, bob), "USER_STATUS_UPDATE", json::object{{"status", "offline"}}));
  send_request(*a, "USER_STATUS_UPDATE", json::object{{"username", "alice"}, {"status", "busy"}});
  send_text_ok(*a, "alice", bob, "are you there?");
  ASSERT_TRUE(eventually([&] { return metric_value(metrics(beta()), received) >= before + 3; })) << metrics(beta());
  b = login_user(beta(), "bob");
  EXPECT_TRUE(is_text(expect_message(*b, "TEXT_MESSAGE"), alice, bob, "are you there?"));
  EXPECT_TRUE(has_fields(expect_status(*b, alice), "USER_STATUS_UPDATE", json::object{{"status", "busy"}}));
  EXPECT_TRUE(has_fields(expect_status(*a, bob), "USER_STATUS_UPDATE", json::object{{"status", "online"}}));
}

TEST_F(IntegrationFederation, PresenceAfterANodeRestart) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");
  befriend(*a, alice, *b, bob);

  // beta restarts: alice's node tells it again that alice is online.
  logout_user(*b, "bob");
  EXPECT_TRUE(has_fields(expect_message(*a, "USER_LOGOUT", federation_timeout), "USER_LOGOUT",
                         json::object{{"username", bob}}));
  ASSERT_EQ(beta().stop(), 0);
  beta().start();
  fed_.wait_link(alpha_d, beta_d);
  b = login_user(beta(), "bob");
  const auto deadline = steady::now() + federation_timeout;
  std::string last;
  while (last != "online" && steady::now() < deadline) last = payload_string(expect_status(*b, alice), "status");
  EXPECT_EQ(last, "online");
  EXPECT_TRUE(has_fields(expect_status(*a, bob), "USER_STATUS_UPDATE", json::object{{"status", "online"}}));

  // alpha dies with alice online: when it is back, bob learns she is offline.
  alpha().kill9();
  alpha().start();
  EXPECT_TRUE(has_fields(expect_status(*b, alice), "USER_STATUS_UPDATE", json::object{{"status", "offline"}}));
  const auto list = friend_list(*b, "bob");
  EXPECT_EQ(friends_in(list), (std::vector<std::pair<std::string, std::string>>{{alice, "offline"}}))
      << json::serialize(list);
}

// ---- text ----

TEST_F(IntegrationFederation, TextBothWaysWithAcksAndHistoryOnBothNodes) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");
  befriend(*a, alice, *b, bob);

  std::vector<std::string> sent;
  for (const auto* t : {"a1", "a2", "a3"}) {
    send_text(*a, "alice", bob, t, std::string("id-") + t);
    sent.emplace_back(t);
  }
  // (the acks were taken by send_text; check the last one fully)
  const auto ack = send_text(*a, "alice", bob, "a4", "id-a4");
  sent.emplace_back("a4");
  EXPECT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"receiver", bob}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "id-a4"));
  auto got = texts_until(*b, {"a4"});
  EXPECT_EQ(contents(got), (std::vector<std::string>{"a1", "a2", "a3", "a4"}));
  for (const auto& m : got) EXPECT_TRUE(is_text(m, alice, bob, payload_string(m, "content")));
  send_text_ok(*b, "bob", alice, "b1");
  send_text_ok(*b, "bob", alice, "b2");
  got = texts_until(*a, {"b2"});
  EXPECT_EQ(contents(got), (std::vector<std::string>{"b1", "b2"}));
  for (const auto& m : got) EXPECT_TRUE(is_text(m, bob, alice, payload_string(m, "content")));

  // Latency of one message from alice's send to bob's receipt, one at a time.
  std::vector<double> latencies_ms;
  for (int i = 0; i < 30; ++i) {
    const auto t0 = steady::now();
    send_request(*a, "TEXT_MESSAGE", json::object{{"sender", "alice"}, {"receiver", bob}, {"content", "ping"}});
    ASSERT_TRUE(is_text(expect_message(*b, "TEXT_MESSAGE", federation_timeout), alice, bob, "ping"));
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - t0).count());
    expect_either(*a, "TEXT_MESSAGE_ACK", "ERROR");
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::cout << "[ measure  ] cross-node text latency (send to receipt, 30 one at a time): median "
            << latencies_ms[latencies_ms.size() / 2] << " ms, max " << latencies_ms.back() << " ms\n";

  const std::vector<std::string> all{"a1", "a2", "a3", "a4", "b1", "b2"};
  for (auto [conn, me, other] : {std::tuple{a.get(), alice, bob}, std::tuple{b.get(), bob, alice}}) {
    auto items = history(*conn, me, json::object{{"with", other}});
    std::erase_if(items, [](const json::object& item) { return item.at("content") == "ping"; });
    EXPECT_EQ(contents(items), all) << me;
    for (const auto& item : items) {
      const bool from_alice = item.at("content").as_string().starts_with("a");
      EXPECT_EQ(str(item.at("sender")), from_alice ? alice : bob);
      EXPECT_EQ(str(item.at("receiver")), from_alice ? bob : alice);
    }
  }

  // To a remote friend who is offline: at the next login.
  logout_user(*b, "bob");
  send_text_ok(*a, "alice", bob, "while you were out");
  b = login_user(beta(), "bob");
  EXPECT_TRUE(is_text(expect_message(*b, "TEXT_MESSAGE", federation_timeout), alice, bob, "while you were out"));
  // Not a friend, and a domain that is no peer.
  EXPECT_TRUE(has_fields(send_text(*a, "alice", carol, "hi"), "TEXT_MESSAGE_ACK", json::object{{"code", 7002}}));
  EXPECT_TRUE(has_fields(send_text(*a, "alice", "x@delta.test", "hi"), "TEXT_MESSAGE_ACK", json::object{{"code", 7001}}));
}

// ---- groups ----

TEST_F(IntegrationFederation, GroupWithMembersOnAllThreeNodes) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");
  auto d = login_user(beta(), "dave");
  auto c = login_user(gamma(), "carol");
  befriend(*a, alice, *b, bob);
  befriend(*a, alice, *c, carol);
  befriend(*d, dave, *a, alice);

  const std::string gid = create_group_ok(*a, "alice", {bob, carol, dave}, "trio");
  EXPECT_TRUE(gid.ends_with("@alpha.test")) << gid;
  // Invitees on two other nodes accept, one after the other.
  for (auto [conn, me] : {std::pair{b.get(), bob}, std::pair{c.get(), carol}, std::pair{d.get(), dave}}) {
    const auto invite = expect_message(*conn, "GROUP_INVITE", federation_timeout);
    EXPECT_TRUE(has_fields(invite, "GROUP_INVITE",
                           json::object{{"sender", alice}, {"receiver", me}, {"group", "trio"}, {"groupId", gid}}));
    answer_invite(*conn, me, alice, "trio", gid, 0);
    EXPECT_TRUE(has_fields(expect_message(*a, "GROUP_INVITE_RESPONSE", federation_timeout), "GROUP_INVITE_RESPONSE",
                           json::object{{"sender", alice}, {"receiver", me}, {"groupId", gid}, {"code", 0}}));
  }

  // Group text from a member on each node: every other member gets it once, the sender not.
  struct member {
    client::connection* conn;
    std::string id;
    bool sends;
  };
  const std::vector<member> members{{a.get(), alice, true}, {b.get(), bob, true}, {c.get(), carol, true}, {d.get(), dave, false}};
  for (const auto* round : {"one-", "two-"}) {
    std::vector<std::string> expected_all;
    for (const auto& m : members) {
      if (!m.sends) continue;
      const std::string text = round + m.id;
      const auto ack = send_text(*m.conn, m.id, gid, text);
      EXPECT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"receiver", gid}, {"code", 0}})) << json::serialize(ack);
      expected_all.push_back(text);
    }
    for (const auto& m : members) {
      std::vector<std::string> expected;
      for (const auto& t : expected_all)
        if (t != round + m.id) expected.push_back(t);
      auto got = texts_until(*m.conn, expected);
      auto got_contents = contents(got);
      std::sort(got_contents.begin(), got_contents.end());
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(got_contents, expected) << m.id << " round " << round;
      for (const auto& t : got) {
        const std::string content = payload_string(t, "content");
        EXPECT_TRUE(has_fields(t, "TEXT_MESSAGE",
                               json::object{{"sender", content.substr(content.find('-') + 1)}, {"receiver", gid},
                                            {"groupId", gid}, {"group", "trio"}}));
      }
    }
  }
  // Each member's own node keeps the group's history: 2 rounds of 3 senders.
  for (const auto& m : members) {
    const auto items = history(*m.conn, m.id, json::object{{"with", gid}});
    auto got = contents(items);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{"one-" + alice, "one-" + bob, "one-" + carol, "two-" + alice,
                                             "two-" + bob, "two-" + carol}))
        << m.id;
  }
  // GROUP_LIST on a non-home node.
  {
    const auto list = group_list(*c, "carol");
    const auto& groups = payload_of(list).at("groups").as_array();
    ASSERT_EQ(groups.size(), 1u) << json::serialize(list);
    EXPECT_EQ(str(groups[0].at("groupId")), gid);
    EXPECT_EQ(str(groups[0].at("leader")), alice);
    EXPECT_EQ(strings_of(groups[0].at("members")), (std::vector<std::string>{alice, bob, carol, dave}));
  }

  // Leader change to a remote member, then by that remote member to another.
  send_request(*a, "GROUP_LEADER_CHANGE", json::object{{"sender", "alice"}, {"group", "trio"}, {"groupId", gid}, {"newLeader", bob}});
  EXPECT_TRUE(has_fields(expect_either(*a, "GROUP_LEADER_CHANGE_ACK", "ERROR"), "GROUP_LEADER_CHANGE_ACK",
                         json::object{{"code", 0}, {"newLeader", bob}}));
  for (auto* conn : {b.get(), c.get(), d.get()})
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEADER_CHANGE", federation_timeout), "GROUP_LEADER_CHANGE",
                           json::object{{"sender", alice}, {"newLeader", bob}, {"groupId", gid}}));
  send_request(*b, "GROUP_LEADER_CHANGE", json::object{{"sender", "bob"}, {"group", "trio"}, {"groupId", gid}, {"newLeader", carol}}, "lc");
  auto ack = expect_either(*b, "GROUP_LEADER_CHANGE_ACK", "ERROR", federation_timeout);
  EXPECT_TRUE(has_fields(ack, "GROUP_LEADER_CHANGE_ACK", json::object{{"sender", bob}, {"code", 0}, {"newLeader", carol}, {"groupId", gid}}));
  EXPECT_TRUE(has_id(ack, "lc"));
  for (auto* conn : {a.get(), c.get(), d.get()})
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEADER_CHANGE", federation_timeout), "GROUP_LEADER_CHANGE",
                           json::object{{"sender", bob}, {"newLeader", carol}, {"groupId", gid}}));
  // A non-leader's request is refused by the home node.
  send_request(*d, "GROUP_REMOVE", json::object{{"sender", "dave"}, {"group", "trio"}, {"groupId", gid}});
  EXPECT_TRUE(has_fields(expect_either(*d, "GROUP_REMOVE_ACK", "ERROR", federation_timeout), "GROUP_REMOVE_ACK",
                         json::object{{"code", 4005}}));

  // dave leaves.
  send_request(*d, "GROUP_LEAVE", json::object{{"sender", "dave"}, {"group", "trio"}, {"groupId", gid}});
  EXPECT_TRUE(has_fields(expect_either(*d, "GROUP_LEAVE_ACK", "ERROR", federation_timeout), "GROUP_LEAVE_ACK",
                         json::object{{"sender", dave}, {"code", 0}, {"groupId", gid}}));
  for (auto* conn : {a.get(), b.get(), c.get()})
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEAVE", federation_timeout), "GROUP_LEAVE",
                           json::object{{"sender", dave}, {"groupId", gid}}));
  EXPECT_TRUE(payload_of(group_list(*d, "dave")).at("groups").as_array().empty());
  {
    const auto list = group_list(*b, "bob");
    const auto& groups = payload_of(list).at("groups").as_array();
    ASSERT_EQ(groups.size(), 1u) << json::serialize(list);
    EXPECT_EQ(str(groups[0].at("leader")), carol);
    EXPECT_EQ(strings_of(groups[0].at("members")), (std::vector<std::string>{alice, bob, carol}));
  }
  // dave is no member any more.
  EXPECT_TRUE(has_fields(send_text(*d, "dave", gid, "let me back"), "TEXT_MESSAGE_ACK", json::object{{"code", 7003}}));

  // The (remote) leader removes the group.
  send_request(*c, "GROUP_REMOVE", json::object{{"sender", "carol"}, {"group", "trio"}, {"groupId", gid}});
  EXPECT_TRUE(has_fields(expect_either(*c, "GROUP_REMOVE_ACK", "ERROR", federation_timeout), "GROUP_REMOVE_ACK",
                         json::object{{"sender", carol}, {"code", 0}, {"groupId", gid}}));
  for (auto* conn : {a.get(), b.get()})
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_REMOVE", federation_timeout), "GROUP_REMOVE",
                           json::object{{"sender", carol}, {"groupId", gid}}));
  for (auto [conn, me] : {std::pair{a.get(), alice}, std::pair{b.get(), bob}, std::pair{c.get(), carol}})
    EXPECT_TRUE(payload_of(group_list(*conn, me)).at("groups").as_array().empty()) << me;
  // Nobody got a text twice: nothing is left queued.
  for (auto* conn : {a.get(), b.get(), c.get(), d.get()}) EXPECT_FALSE(conn->has_queued("TEXT_MESSAGE"));
}

TEST_F(IntegrationFederation, GroupInviteDeclinedAndTextRightAfterJoining) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");
  auto c = login_user(gamma(), "carol");
  befriend(*a, alice, *b, bob);
  befriend(*a, alice, *c, carol);
  const std::string gid = create_group_ok(*a, "alice", {bob, carol}, "pair");
  expect_message(*c, "GROUP_INVITE", federation_timeout);
  answer_invite(*c, "carol", alice, "pair", gid, 5001);
  EXPECT_TRUE(has_fields(expect_message(*a, "GROUP_INVITE_RESPONSE", federation_timeout), "GROUP_INVITE_RESPONSE",
                         json::object{{"receiver", carol}, {"code", 5001}}));
  EXPECT_TRUE(payload_of(group_list(*c, "carol")).at("invitations").as_array().empty());
  // bob joins and writes at once: his node applies his requests in order.
  expect_message(*b, "GROUP_INVITE", federation_timeout);
  answer_invite(*b, "bob", alice, "pair", gid, 0);
  const auto ack = send_text(*b, "bob", gid, "first words");
  EXPECT_TRUE(has_fields(expect_message(*a, "GROUP_INVITE_RESPONSE", federation_timeout), "GROUP_INVITE_RESPONSE",
                         json::object{{"receiver", bob}, {"groupId", gid}, {"code", 0}}));
  EXPECT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"code", 0}})) << json::serialize(ack);
  EXPECT_TRUE(is_text(expect_message(*a, "TEXT_MESSAGE", federation_timeout), bob, gid, "first words"));

  // The same while the home's record of another member's answer is still on its way to
  // carol's node (made before it read carol's answer): her answer must stick.
  for (int i = 0; i < 10; ++i) {
    const std::string name = "race" + std::to_string(i);
    const std::string group = create_group_ok(*a, "alice", {bob, carol}, name);
    expect_message(*b, "GROUP_INVITE", federation_timeout);
    expect_message(*c, "GROUP_INVITE", federation_timeout);
    answer_invite(*b, "bob", alice, name, group, 0);
    EXPECT_TRUE(has_fields(expect_message(*a, "GROUP_INVITE_RESPONSE", federation_timeout), "GROUP_INVITE_RESPONSE",
                           json::object{{"receiver", bob}, {"groupId", group}}));
    answer_invite(*c, "carol", alice, name, group, 0);
    const auto first = send_text(*c, "carol", group, "hello " + name);
    EXPECT_TRUE(has_fields(first, "TEXT_MESSAGE_ACK", json::object{{"code", 0}})) << i << " " << json::serialize(first);
    EXPECT_TRUE(is_text(expect_message(*a, "TEXT_MESSAGE", federation_timeout), carol, group, "hello " + name));
    EXPECT_TRUE(is_text(expect_message(*b, "TEXT_MESSAGE", federation_timeout), carol, group, "hello " + name));
    EXPECT_TRUE(has_fields(expect_message(*a, "GROUP_INVITE_RESPONSE", federation_timeout), "GROUP_INVITE_RESPONSE",
                           json::object{{"receiver", carol}, {"groupId", group}}));
    const auto list = group_list(*c, "carol");
    bool member = false;
    for (const auto& g : payload_of(list).at("groups").as_array())
      if (g.at("groupId") == group.c_str()) member = strings_of(g.at("members")) == std::vector<std::string>{alice, bob, carol};
    EXPECT_TRUE(member) << i << " " << json::serialize(list);
  }
}

// ---- outages ----

TEST_F(IntegrationFederation, PeerDownWhileSendingThenUpDeliversAllOnceInOrder) {
  auto a = login_user(alpha(), "alice");
  auto z = login_user(alpha(), "zed");
  {
    auto b = login_user(beta(), "bob");
    auto c = login_user(gamma(), "carol");
    befriend(*a, alice, *b, bob);
    befriend(*a, alice, *c, carol);
    logout_user(*b, "bob");
    logout_user(*c, "carol");
  }
  ASSERT_EQ(beta().stop(), 0);
  gamma().freeze();
  const auto to_bob = numbered("to-bob-", 20);
  const auto to_carol = numbered("to-carol-", 10);
  send_texts(*a, "alice", bob, to_bob);
  send_texts(*a, "alice", carol, to_carol);
  // A friend request whose verdict comes once beta is back, when zed is offline.
  send_request(*z, "FRIEND_REQUEST", json::object{{"sender", "zed"}, {"receiver", dave}}, "z1");
  z->close();

  beta().start();
  gamma().thaw();
  fed_.wait_link(alpha_d, beta_d);
  fed_.wait_link(alpha_d, gamma_d);
  auto b = login_user(beta(), "bob");
  EXPECT_EQ(contents(texts_until(*b, {to_bob.back()})), to_bob);
  auto c = login_user(gamma(), "carol");
  EXPECT_EQ(contents(texts_until(*c, {to_carol.back()})), to_carol);
  send_text_ok(*a, "alice", bob, "marker");
  send_text_ok(*a, "alice", carol, "marker");
  EXPECT_EQ(contents(texts_until(*b, {"marker"})), std::vector<std::string>{"marker"});
  EXPECT_EQ(contents(texts_until(*c, {"marker"})), std::vector<std::string>{"marker"});

  auto d = login_user(beta(), "dave");
  EXPECT_TRUE(has_fields(expect_message(*d, "FRIEND_REQUEST", federation_timeout), "FRIEND_REQUEST",
                         json::object{{"sender", zed}, {"receiver", dave}}));
  z = login_user(alpha(), "zed");
  const auto ack = expect_message(*z, "FRIEND_REQUEST_ACK", federation_timeout);
  EXPECT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"sender", zed}, {"receiver", dave}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "z1"));
}

TEST_F(IntegrationFederation, SenderKilledWithFullOutboxDeliversAllOnceInOrder) {
  auto a = login_user(alpha(), "alice");
  {
    auto b = login_user(beta(), "bob");
    befriend(*a, alice, *b, bob);
    logout_user(*b, "bob");
  }
  ASSERT_EQ(beta().stop(), 0);
  const auto texts = numbered("m", 200);
  send_texts(*a, "alice", bob, texts);
  EXPECT_GE(metric_value(metrics(alpha()), "chatnode_federation_outbox_depth{peer=\"beta.test\"}"), 200u);
  alpha().kill9();
  a.reset();
  alpha().start();
  EXPECT_GE(metric_value(metrics(alpha()), "chatnode_federation_outbox_depth{peer=\"beta.test\"}"), 200u);

  const auto t0 = steady::now();
  beta().start();
  auto b = login_user(beta(), "bob");
  const auto got = texts_until(*b, {texts.back()});
  const auto drained = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
  EXPECT_EQ(contents(got), texts);
  std::cout << "[ measure  ] 200 queued messages delivered " << drained.count()
            << " ms after the peer was started (start, link, login included)\n";
  RecordProperty("drain_ms_200", static_cast<int>(drained.count()));
  EXPECT_TRUE(eventually([&] {
    return metric_value(metrics(alpha()), "chatnode_federation_outbox_depth{peer=\"beta.test\"}") == 0;
  })) << metrics(alpha());
  a = login_user(alpha(), "alice");
  send_text_ok(*a, "alice", bob, "marker");
  EXPECT_EQ(contents(texts_until(*b, {"marker"})), std::vector<std::string>{"marker"});
  const auto items = history(*b, bob, json::object{{"with", alice}});
  EXPECT_EQ(items.size(), 201u);
}

TEST_F(IntegrationFederation, ReceiverKilledMidStreamKeepsEveryMessageOnceInOrder) {
  auto a = login_user(alpha(), "alice");
  auto b = login_user(beta(), "bob");
  befriend(*a, alice, *b, bob);
  const auto texts = numbered("r", 1000);
  for (const auto& t : texts)
    send_request(*a, "TEXT_MESSAGE", json::object{{"sender", "alice"}, {"receiver", bob}, {"content", t}});
  // Kill beta while the stream is arriving: what it committed but had not acknowledged
  // comes again and must not be applied twice.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(b->wait_for("TEXT_MESSAGE", federation_timeout).has_value()) << i;
  beta().kill9();
  b.reset();
  for (std::size_t i = 0; i < texts.size(); ++i)
    ASSERT_TRUE(has_fields(expect_either(*a, "TEXT_MESSAGE_ACK", "ERROR", federation_timeout), "TEXT_MESSAGE_ACK",
                           json::object{{"code", 0}}))
        << i;
  beta().start();
  const std::string depth = "chatnode_federation_outbox_depth{peer=\"beta.test\"}";
  ASSERT_TRUE(eventually([&] { return metric_value(metrics(alpha()), depth) == 0; })) << metrics(alpha());
  b = login_user(beta(), "bob");
  EXPECT_EQ(contents(history(*b, bob, json::object{{"with", alice}})), texts);
  std::cout << "[ info     ] beta recognised " << metric_value(metrics(beta()), "chatnode_federation_events_duplicate_total")
            << " resent events as duplicates after its restart (not applied again)\n";
}

// ---- a lying peer ----

// Frames after the hello that do not decode (docs/federation.md "Frames on a link") are
// logged and ignored: the link stays up and the next event is applied.
TEST(IntegrationFederationLiar, FramesThatDoNotDecodeAreIgnoredAndTheLinkServesOn) {
  federation fed({alpha_d});
  fed.start_all();
  node_process& alpha = fed.node(alpha_d);
  fake_peer peer(fed, alpha_d, beta_d);
  peer.link().send_text("{not json");
  peer.link().send_text(R"({"type":"FED_TELEPORT"})");
  peer.link().send_text(R"({"type":"FED_EVENT","stream":"s","seq":0,"event":{"kind":"reset"}})");
  peer.link().send(json::object{{"type", "FED_HELLO"}, {"origin", beta_d}, {"version", 1}});
  EXPECT_EQ(peer.event(1, {{"kind", "reset"}}, "s"), 0);
  EXPECT_EQ(metric_value(metrics(alpha), "chatnode_federation_events_received_total"), 1u);  // not the seq 0 one
  const std::string log = alpha.log();
  EXPECT_NE(log.find("ignored a frame from beta.test (9001)"), std::string::npos) << log;
  EXPECT_NE(log.find("ignored a frame from beta.test (9002)"), std::string::npos) << log;
  EXPECT_NE(log.find("ignored a frame from beta.test (9003)"), std::string::npos) << log;
  EXPECT_NE(log.find("ignored a second FED_HELLO from beta.test"), std::string::npos) << log;
}

// A test peer with a valid certificate for beta.test that speaks for a user of gamma.test.
TEST(IntegrationFederationLiar, ActionsForAThirdDomainAreRefused) {
  federation fed({alpha_d});
  fed.start_all();
  node_process& alpha = fed.node(alpha_d);
  register_users(alpha, {"alice"});
  auto a = login_user(alpha, "alice");

  fake_peer liar(fed, alpha_d, beta_d);

  auto text_from = [](const std::string& sender) {
    return json::value(json::object{
        {"type", "TEXT_MESSAGE"},
        {"timestamp", 1},
        {"payload", json::object{{"sender", sender}, {"receiver", alice}, {"content", "hi from " + sender}}}});
  };
  auto event = [&](std::uint64_t seq, json::object ev) { return liar.event(seq, std::move(ev), "liar-stream"); };
  // Text from mallory@gamma.test: beta does not speak for gamma's users.
  EXPECT_EQ(event(1, {{"kind", "deliver"}, {"to", json::array{alice}}, {"message", text_from("mallory@gamma.test")}}), 9005);
  // The same lie in other shapes: a friend request, a group request, a group record.
  EXPECT_EQ(event(2, {{"kind", "deliver"},
                      {"to", json::array{alice}},
                      {"message", json::object{
                                      {"type", "FRIEND_REQUEST"},
                                      {"payload", json::object{{"sender", "mallory@gamma.test"}, {"receiver", alice}}}}}}),
            9005);
  EXPECT_EQ(event(3, {{"kind", "act"},
                      {"actor", "mallory@gamma.test"},
                      {"request", json::object{
                                      {"type", "GROUP_LEAVE"},
                                      {"payload", json::object{{"sender", "mallory@gamma.test"}, {"group", "g"},
                                                               {"groupId", "#abc@alpha.test"}}}}}}),
            9005);
  EXPECT_EQ(event(4, {{"kind", "group"}, {"groupId", "#abc@gamma.test"}, {"group", nullptr}}), 9005);
  // A text from a beta user who is no friend of alice: refused too (7002).
  EXPECT_EQ(event(5, {{"kind", "deliver"}, {"to", json::array{alice}}, {"message", text_from(bob)}}), 7002);
  // A well-formed friend request from beta's own user: accepted; it is the marker.
  EXPECT_EQ(event(6, {{"kind", "deliver"},
                      {"to", json::array{alice}},
                      {"message", json::object{
                                      {"type", "FRIEND_REQUEST"}, {"payload", json::object{{"sender", bob}, {"receiver", alice}}}}}}),
            0);
  const auto marker = expect_message(*a, "FRIEND_REQUEST", federation_timeout);
  EXPECT_TRUE(has_fields(marker, "FRIEND_REQUEST", json::object{{"sender", bob}, {"receiver", alice}}));
  EXPECT_FALSE(a->has_queued("TEXT_MESSAGE")) << drain_queued(*a);
  EXPECT_FALSE(a->has_queued("FRIEND_REQUEST")) << drain_queued(*a);
  // The node answers bob's request on the same link (the verdict, for beta to deliver).
  const auto verdict = liar.link().wait_for("FED_EVENT", federation_timeout);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_NE(json::serialize(*verdict).find("FRIEND_REQUEST_ACK"), std::string::npos) << json::serialize(*verdict);
  // Refusals are counted and logged; the node keeps serving.
  EXPECT_EQ(metric_value(metrics(alpha), "chatnode_federation_events_refused_total"), 5u);
  EXPECT_NE(alpha.log().find("does not speak for mallory@gamma.test"), std::string::npos);
  const auto list = friend_list(*a, "alice");
  EXPECT_EQ(strings_of(payload_of(list).at("incoming")), std::vector<std::string>{bob}) << json::serialize(list);
}

}  // namespace
}  // namespace chatnode::testing
