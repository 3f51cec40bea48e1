// Groups against a real node (docs/protocol.md §6, §9 group messages, §10): create and
// invite, answers, group texts, leave, remove, leader change, and naming a group by id or
// by name.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;

// alice is friends with bob, carol, dave and erin; frank is nobody's friend.
class IntegrationGroups : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.start();
    register_users(node_, {"alice", "bob", "carol", "dave", "erin", "frank"});
    alice_ = login_user(node_, "alice");
    bob_ = login_user(node_, "bob");
    carol_ = login_user(node_, "carol");
    dave_ = login_user(node_, "dave");
    erin_ = login_user(node_, "erin");
    frank_ = login_user(node_, "frank");
    make_friends(*alice_, "alice", *bob_, "bob");
    make_friends(*alice_, "alice", *carol_, "carol");
    make_friends(*alice_, "alice", *dave_, "dave");
    make_friends(*alice_, "alice", *erin_, "erin");
  }

  // A group request with an ACK (GROUP_LEAVE, GROUP_REMOVE, GROUP_LEADER_CHANGE): sends it
  // and returns the ACK (or ERROR). `group_id` empty: named by `group` only.
  static json::object group_request(client::connection& conn, std::string_view type, std::string_view sender,
                                    std::string_view group, const std::string& group_id,
                                    json::object extra = {}, std::optional<std::string> id = std::nullopt) {
    json::object payload{{"sender", sender}, {"group", group}};
    if (!group_id.empty()) payload["groupId"] = group_id;
    for (auto& [k, v] : extra) payload[k] = v;
    send_request(conn, type, std::move(payload), std::move(id));
    return expect_either(conn, std::string(type) + "_ACK", "ERROR");
  }

  // The invitee answers and the (online) inviter receives the answer.
  void answer_and_wait(client::connection& invitee, std::string_view invitee_name, const std::string& group_id,
                       std::string_view name, int code) {
    answer_invite(invitee, invitee_name, "alice", name, group_id, code);
    const auto response = expect_message(*alice_, "GROUP_INVITE_RESPONSE");
    ASSERT_TRUE(has_fields(response, "GROUP_INVITE_RESPONSE",
                           json::object{{"receiver", full_id(invitee_name)}, {"groupId", group_id}, {"code", code}}));
  }

  json::object group_of(client::connection& conn, std::string_view user, const std::string& group_id) {
    const auto list = group_list(conn, user);
    EXPECT_EQ(code_of(list), 0) << json::serialize(list);
    for (const auto& g : payload_of(list).at("groups").as_array()) {
      if (g.as_object().at("groupId") == json::value(group_id)) return g.as_object();
    }
    return {};
  }

  node_process node_;
  std::unique_ptr<client::connection> alice_, bob_, carol_, dave_, erin_, frank_;
};

TEST_F(IntegrationGroups, CreateWithNonFriendsGets4001ListingEveryNonFriend) {
  const auto ack = create_group(*alice_, "alice", {"bob", "frank", "nobody", "dave"}, "Team", "c1");
  ASSERT_TRUE(has_fields_without(ack, "GROUP_CREATE_ACK",
                                 json::object{{"sender", "alice@localhost"}, {"name", "Team"}, {"code", 4001}},
                                 {"groupId"}));
  EXPECT_TRUE(has_id(ack, "c1"));
  const auto* listed = payload_of(ack).if_contains("not-friends");
  ASSERT_TRUE(listed != nullptr && listed->is_array()) << json::serialize(ack);
  std::vector<std::string> names;
  for (const auto& v : listed->as_array()) names.emplace_back(v.is_string() ? std::string(v.get_string()) : "?");
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"frank@localhost", "nobody@localhost"}));

  // No group was made: alice has none, and bob's first invitation is the next group's.
  EXPECT_TRUE(has_fields(group_list(*alice_, "alice"), "GROUP_LIST_RESPONSE",
                         json::object{{"groups", json::array{}}, {"code", 0}}));
  const auto real = create_group_ok(*alice_, "alice", {"bob"}, "Real");
  EXPECT_TRUE(has_fields(expect_message(*bob_, "GROUP_INVITE"), "GROUP_INVITE",
                         json::object{{"group", "Real"}, {"groupId", real}}));
}

TEST_F(IntegrationGroups, CreateInvitesEachMemberLiveAndOfflineOnesAtTheirNextLogin) {
  logout_user(*carol_, "carol");
  const auto ack = create_group(*alice_, "alice", {"bob", "carol@localhost", "BOB", "alice"}, "Book club", "c2");
  ASSERT_TRUE(has_fields(ack, "GROUP_CREATE_ACK",
                         json::object{{"sender", "alice@localhost"},
                                      {"members", strings({"bob@localhost", "carol@localhost"})},
                                      {"name", "Book club"},
                                      {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "c2"));
  const std::string group_id = payload_string(ack, "groupId");
  EXPECT_TRUE(is_group_id(group_id));

  const auto invite = expect_message(*bob_, "GROUP_INVITE");
  EXPECT_TRUE(has_fields(invite, "GROUP_INVITE",
                         json::object{{"sender", "alice@localhost"},
                                      {"receiver", "bob@localhost"},
                                      {"group", "Book club"},
                                      {"groupId", group_id}}));
  auto carol = login_user(node_, "carol");
  EXPECT_TRUE(has_fields(expect_next(*carol), "GROUP_INVITE",
                         json::object{{"sender", "alice@localhost"},
                                      {"receiver", "carol@localhost"},
                                      {"group", "Book club"},
                                      {"groupId", group_id}}));
  // The duplicate member got no second invitation: the next one bob gets is another group's.
  const auto second = create_group_ok(*alice_, "alice", {"bob"}, "Second");
  EXPECT_TRUE(has_fields(expect_message(*bob_, "GROUP_INVITE"), "GROUP_INVITE", json::object{{"groupId", second}}));
  // Members are invited, not yet members; the sender leads.
  const auto g = group_of(*alice_, "alice", group_id);
  EXPECT_EQ(json::value(g), json::value(json::object{{"groupId", group_id},
                                                     {"name", "Book club"},
                                                     {"leader", "alice@localhost"},
                                                     {"members", strings({"alice@localhost"})},
                                                     {"invited", strings({"bob@localhost", "carol@localhost"})}}));
}

TEST_F(IntegrationGroups, AnEmptyMemberListMakesAGroupOfOne) {
  const auto group_id = create_group_ok(*alice_, "alice", {}, "Solo");
  EXPECT_TRUE(is_group_id(group_id));
  EXPECT_EQ(json::value(group_of(*alice_, "alice", group_id)),
            json::value(json::object{{"groupId", group_id},
                                     {"name", "Solo"},
                                     {"leader", "alice@localhost"},
                                     {"members", strings({"alice@localhost"})},
                                     {"invited", json::array{}}}));
}

TEST_F(IntegrationGroups, AcceptAndRejectAreForwardedToTheInviter) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob", "carol", "dave"}, "Book club");
  expect_message(*bob_, "GROUP_INVITE");
  expect_message(*carol_, "GROUP_INVITE");

  answer_invite(*bob_, "bob", "alice", "Book club", group_id, 0);
  EXPECT_TRUE(has_fields(expect_message(*alice_, "GROUP_INVITE_RESPONSE"), "GROUP_INVITE_RESPONSE",
                         json::object{{"sender", "alice@localhost"},
                                      {"receiver", "bob@localhost"},
                                      {"group", "Book club"},
                                      {"groupId", group_id},
                                      {"code", 0}}));
  // Named by its name among carol's invitations; the forwarded answer still has the id.
  answer_invite(*carol_, "carol", "alice@localhost", "Book club", std::nullopt, 5001);
  EXPECT_TRUE(has_fields(expect_message(*alice_, "GROUP_INVITE_RESPONSE"), "GROUP_INVITE_RESPONSE",
                         json::object{{"sender", "alice@localhost"},
                                      {"receiver", "carol@localhost"},
                                      {"group", "Book club"},
                                      {"groupId", group_id},
                                      {"code", 5001}}));
  const auto g = group_of(*alice_, "alice", group_id);
  EXPECT_EQ(g.if_contains("members") ? *g.if_contains("members") : json::value(),
            json::value(strings({"alice@localhost", "bob@localhost"})))
      << json::serialize(g);
  EXPECT_EQ(g.if_contains("invited") ? *g.if_contains("invited") : json::value(),
            json::value(strings({"dave@localhost"})))
      << json::serialize(g);
}

TEST_F(IntegrationGroups, AnswersReachAnOfflineInviterAtHerNextLogin) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob", "carol"}, "Book club");
  expect_message(*bob_, "GROUP_INVITE");
  expect_message(*carol_, "GROUP_INVITE");
  logout_user(*alice_, "alice");

  // One after the other (the barrier), so the order of alice's inbox is known.
  answer_invite(*bob_, "bob", "alice", "Book club", group_id, 0);
  barrier(*bob_, "bob");
  answer_invite(*carol_, "carol", "alice", "Book club", group_id, 5001);
  barrier(*carol_, "carol");

  auto alice = login_user(node_, "alice");
  const auto first = expect_next(*alice);
  const auto second = expect_next(*alice);
  EXPECT_TRUE(has_fields(first, "GROUP_INVITE_RESPONSE",
                         json::object{{"sender", "alice@localhost"},
                                      {"receiver", "bob@localhost"},
                                      {"group", "Book club"},
                                      {"groupId", group_id},
                                      {"code", 0}}));
  EXPECT_TRUE(has_fields(second, "GROUP_INVITE_RESPONSE",
                         json::object{{"receiver", "carol@localhost"}, {"groupId", group_id}, {"code", 5001}}));
}

TEST_F(IntegrationGroups, GroupTextReachesEveryAcceptedMemberButTheSender) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob", "carol", "dave", "erin"}, "Book club");
  join_group(*alice_, "alice", *bob_, "bob", group_id, "Book club");
  join_group(*alice_, "alice", *carol_, "carol", group_id, "Book club");
  expect_message(*dave_, "GROUP_INVITE");
  answer_and_wait(*dave_, "dave", group_id, "Book club", 5001);
  expect_message(*erin_, "GROUP_INVITE");  // erin does not answer
  logout_user(*carol_, "carol");

  // bob names the group by id; the ACK echoes his receiver.
  const auto ack = send_text(*bob_, "bob", group_id, "first", "gt1");
  ASSERT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"receiver", group_id}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "gt1"));
  const std::string first_id = payload_string(ack, "messageId");
  EXPECT_TRUE(has_fields(expect_message(*alice_, "TEXT_MESSAGE"), "TEXT_MESSAGE",
                         json::object{{"sender", "bob@localhost"},
                                      {"receiver", group_id},
                                      {"content", "first"},
                                      {"messageId", first_id},
                                      {"groupId", group_id},
                                      {"group", "Book club"}}));

  // alice names it by its name.
  const auto by_name = send_text(*alice_, "alice", "Book club", "second");
  ASSERT_TRUE(has_fields(by_name, "TEXT_MESSAGE_ACK", json::object{{"receiver", "Book club"}, {"code", 0}}));
  const std::string second_id = payload_string(by_name, "messageId");
  // bob's first text is alice's: his own was not echoed to him.
  EXPECT_TRUE(has_fields(expect_message(*bob_, "TEXT_MESSAGE"), "TEXT_MESSAGE",
                         json::object{{"sender", "alice@localhost"},
                                      {"receiver", group_id},
                                      {"content", "second"},
                                      {"messageId", second_id},
                                      {"groupId", group_id},
                                      {"group", "Book club"}}));
  // Nor was alice's echoed to her: her next text is bob's direct sentinel.
  send_text_ok(*bob_, "bob", "alice", "direct");
  EXPECT_TRUE(is_text(expect_message(*alice_, "TEXT_MESSAGE"), "bob@localhost", "alice@localhost", "direct"));

  // The rejecter and the invitee got neither: their first text is a 1:1 sentinel.
  send_text_ok(*alice_, "alice", "dave", "to dave");
  send_text_ok(*alice_, "alice", "erin", "to erin");
  EXPECT_TRUE(is_text(expect_message(*dave_, "TEXT_MESSAGE"), "alice@localhost", "dave@localhost", "to dave"));
  EXPECT_TRUE(is_text(expect_message(*erin_, "TEXT_MESSAGE"), "alice@localhost", "erin@localhost", "to erin"));

  // The offline member gets both from her inbox, in order, right after LOGIN_RESPONSE.
  auto carol = login_user(node_, "carol");
  EXPECT_TRUE(has_fields(expect_next(*carol), "TEXT_MESSAGE",
                         json::object{{"sender", "bob@localhost"},
                                      {"receiver", group_id},
                                      {"content", "first"},
                                      {"messageId", first_id},
                                      {"groupId", group_id},
                                      {"group", "Book club"}}));
  EXPECT_TRUE(has_fields(expect_next(*carol), "TEXT_MESSAGE",
                         json::object{{"sender", "alice@localhost"}, {"content", "second"}, {"messageId", second_id}}));
}

TEST_F(IntegrationGroups, NonMembersCannotTextTheGroup) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob", "dave", "erin"}, "Book club");
  join_group(*alice_, "alice", *bob_, "bob", group_id, "Book club");
  expect_message(*dave_, "GROUP_INVITE");
  answer_and_wait(*dave_, "dave", group_id, "Book club", 5001);

  // Never invited, rejected, still invited: 7003 by group id.
  EXPECT_TRUE(has_fields_without(send_text(*frank_, "frank", group_id, "let me in"), "TEXT_MESSAGE_ACK",
                                 json::object{{"receiver", group_id}, {"code", 7003}}, {"messageId"}));
  EXPECT_TRUE(has_fields(send_text(*dave_, "dave", group_id, "hi"), "TEXT_MESSAGE_ACK", json::object{{"code", 7003}}));
  EXPECT_TRUE(has_fields(send_text(*erin_, "erin", group_id, "hi"), "TEXT_MESSAGE_ACK", json::object{{"code", 7003}}));
  // By name, frank has no such group: unknown receiver.
  EXPECT_TRUE(has_fields(send_text(*frank_, "frank", "Book club", "hi"), "TEXT_MESSAGE_ACK",
                         json::object{{"receiver", "Book club"}, {"code", 7001}}));

  // None of it reached the members: bob's first text is alice's sentinel.
  send_text_ok(*alice_, "alice", group_id, "members only");
  EXPECT_TRUE(has_fields(expect_message(*bob_, "TEXT_MESSAGE"), "TEXT_MESSAGE",
                         json::object{{"sender", "alice@localhost"}, {"content", "members only"}}));
}

TEST_F(IntegrationGroups, LeaveIsAcknowledgedAndTheRemainingMembersAreTold) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob", "carol"}, "Book club");
  join_group(*alice_, "alice", *bob_, "bob", group_id, "Book club");
  join_group(*alice_, "alice", *carol_, "carol", group_id, "Book club");
  logout_user(*carol_, "carol");

  const auto ack = group_request(*bob_, "GROUP_LEAVE", "bob", "Book club", "", {}, "l1");
  EXPECT_TRUE(has_fields(ack, "GROUP_LEAVE_ACK",
                         json::object{{"sender", "bob@localhost"},
                                      {"group", "Book club"},
                                      {"groupId", group_id},
                                      {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "l1"));
  const json::object left{{"sender", "bob@localhost"}, {"group", "Book club"}, {"groupId", group_id}};
  EXPECT_TRUE(has_fields(expect_message(*alice_, "GROUP_LEAVE"), "GROUP_LEAVE", left));
  auto carol = login_user(node_, "carol");
  EXPECT_TRUE(has_fields(expect_next(*carol), "GROUP_LEAVE", left));

  EXPECT_EQ(group_of(*alice_, "alice", group_id).at("members"),
            json::value(strings({"alice@localhost", "carol@localhost"})));
  EXPECT_TRUE(has_fields(send_text(*bob_, "bob", group_id, "still here?"), "TEXT_MESSAGE_ACK",
                         json::object{{"code", 7003}}));
  EXPECT_TRUE(has_fields(group_request(*bob_, "GROUP_LEAVE", "bob", "Book club", group_id), "GROUP_LEAVE_ACK",
                         json::object{{"code", 4004}}));
}

TEST_F(IntegrationGroups, WhenTheLeaderLeavesTheEarliestMemberLeads) {
  const auto group_id = create_group_ok(*alice_, "alice", {"carol", "bob"}, "Book club");
  join_group(*alice_, "alice", *bob_, "bob", group_id, "Book club");  // bob joins first
  join_group(*alice_, "alice", *carol_, "carol", group_id, "Book club");

  EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_LEAVE", "alice", "Book club", group_id), "GROUP_LEAVE_ACK",
                         json::object{{"code", 0}, {"groupId", group_id}}));
  const json::object left{{"sender", "alice@localhost"}, {"group", "Book club"}, {"groupId", group_id}};
  const json::object changed{
      {"sender", "alice@localhost"}, {"group", "Book club"}, {"newLeader", "bob@localhost"}, {"groupId", group_id}};
  for (auto* conn : {bob_.get(), carol_.get()}) {
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEAVE"), "GROUP_LEAVE", left));
    EXPECT_TRUE(has_fields(expect_message(*conn, "GROUP_LEADER_CHANGE"), "GROUP_LEADER_CHANGE", changed));
  }
  const auto g = group_of(*bob_, "bob", group_id);
  EXPECT_EQ(g.at("leader"), "bob@localhost");
  EXPECT_EQ(g.at("members"), json::value(strings({"bob@localhost", "carol@localhost"})));
  // The new leader acts as one.
  EXPECT_TRUE(has_fields(group_request(*bob_, "GROUP_LEADER_CHANGE", "bob", "Book club", group_id,
                                       json::object{{"newLeader", "carol"}}),
                         "GROUP_LEADER_CHANGE_ACK", json::object{{"code", 0}}));
}

TEST_F(IntegrationGroups, WhenTheLastMemberLeavesTheGroupIsGone) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob"}, "Book club");
  expect_message(*bob_, "GROUP_INVITE");  // bob does not answer

  EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_LEAVE", "alice", "Book club", ""), "GROUP_LEAVE_ACK",
                         json::object{{"code", 0}, {"groupId", group_id}}));
  // The pending invitee is told the group ended.
  EXPECT_TRUE(has_fields(expect_message(*bob_, "GROUP_REMOVE"), "GROUP_REMOVE",
                         json::object{{"sender", "alice@localhost"}, {"group", "Book club"}, {"groupId", group_id}}));
  EXPECT_TRUE(has_fields(group_list(*alice_, "alice"), "GROUP_LIST_RESPONSE", json::object{{"groups", json::array{}}}));
  EXPECT_TRUE(
      has_fields(group_list(*bob_, "bob"), "GROUP_LIST_RESPONSE", json::object{{"invitations", json::array{}}}));
  answer_invite(*bob_, "bob", "alice", "Book club", group_id, 0);
  EXPECT_TRUE(is_error(expect_message(*bob_, "ERROR"), 4002, "GROUP_INVITE_RESPONSE"));
  EXPECT_TRUE(has_fields(send_text(*alice_, "alice", group_id, "anyone?"), "TEXT_MESSAGE_ACK",
                         json::object{{"code", 7001}}));
}

TEST_F(IntegrationGroups, OnlyTheLeaderRemovesTheGroup) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob"}, "Book club");
  join_group(*alice_, "alice", *bob_, "bob", group_id, "Book club");

  const auto by_member = group_request(*bob_, "GROUP_REMOVE", "bob", "Book club", "", {}, "r1");
  EXPECT_TRUE(has_fields(by_member, "GROUP_REMOVE_ACK",
                         json::object{{"sender", "bob@localhost"},
                                      {"group", "Book club"},
                                      {"groupId", group_id},
                                      {"code", 4005}}));
  EXPECT_TRUE(has_id(by_member, "r1"));
  EXPECT_TRUE(has_fields(group_request(*frank_, "GROUP_REMOVE", "frank", "Book club", group_id), "GROUP_REMOVE_ACK",
                         json::object{{"code", 4004}}));
  // Still there.
  EXPECT_EQ(group_of(*alice_, "alice", group_id).at("members"),
            json::value(strings({"alice@localhost", "bob@localhost"})));
}

TEST_F(IntegrationGroups, RemoveByTheLeaderTellsEveryMemberAndInvitee) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob", "carol", "dave"}, "Book club");
  join_group(*alice_, "alice", *bob_, "bob", group_id, "Book club");
  join_group(*alice_, "alice", *carol_, "carol", group_id, "Book club");
  expect_message(*dave_, "GROUP_INVITE");  // dave does not answer
  logout_user(*carol_, "carol");

  const auto ack = group_request(*alice_, "GROUP_REMOVE", "alice", "Book club", "", {}, "rm");
  EXPECT_TRUE(has_fields(ack, "GROUP_REMOVE_ACK",
                         json::object{{"sender", "alice@localhost"},
                                      {"group", "Book club"},
                                      {"groupId", group_id},
                                      {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "rm"));
  const json::object removed{{"sender", "alice@localhost"}, {"group", "Book club"}, {"groupId", group_id}};
  EXPECT_TRUE(has_fields(expect_message(*bob_, "GROUP_REMOVE"), "GROUP_REMOVE", removed));
  EXPECT_TRUE(has_fields(expect_message(*dave_, "GROUP_REMOVE"), "GROUP_REMOVE", removed));
  auto carol = login_user(node_, "carol");
  EXPECT_TRUE(has_fields(expect_next(*carol), "GROUP_REMOVE", removed));

  // Not to the leader herself: bob's text after it is her next message of note.
  send_text_ok(*bob_, "bob", "alice", "sentinel");
  expect_message(*alice_, "TEXT_MESSAGE");
  EXPECT_FALSE(alice_->has_queued("GROUP_REMOVE"));

  EXPECT_TRUE(has_fields(group_list(*bob_, "bob"), "GROUP_LIST_RESPONSE", json::object{{"groups", json::array{}}}));
  EXPECT_TRUE(
      has_fields(send_text(*bob_, "bob", group_id, "hello?"), "TEXT_MESSAGE_ACK", json::object{{"code", 7001}}));
}

TEST_F(IntegrationGroups, LeaderChangeNeedsAMemberAndTellsTheOthers) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob", "carol", "dave"}, "Book club");
  join_group(*alice_, "alice", *bob_, "bob", group_id, "Book club");
  join_group(*alice_, "alice", *carol_, "carol", group_id, "Book club");
  expect_message(*dave_, "GROUP_INVITE");  // invited, not a member

  for (const char* candidate : {"dave", "frank", "nobody"}) {
    EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_LEADER_CHANGE", "alice", "Book club", group_id,
                                         json::object{{"newLeader", candidate}}),
                           "GROUP_LEADER_CHANGE_ACK", json::object{{"code", 4006}}))
        << candidate;
  }
  EXPECT_TRUE(has_fields(group_request(*bob_, "GROUP_LEADER_CHANGE", "bob", "Book club", group_id,
                                       json::object{{"newLeader", "carol"}}),
                         "GROUP_LEADER_CHANGE_ACK", json::object{{"code", 4005}}));

  const auto ack = group_request(*alice_, "GROUP_LEADER_CHANGE", "alice", "Book club", "",
                                 json::object{{"newLeader", "carol"}}, "lc");
  EXPECT_TRUE(has_fields(ack, "GROUP_LEADER_CHANGE_ACK",
                         json::object{{"sender", "alice@localhost"},
                                      {"group", "Book club"},
                                      {"newLeader", "carol@localhost"},
                                      {"groupId", group_id},
                                      {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "lc"));
  const json::object changed{
      {"sender", "alice@localhost"}, {"group", "Book club"}, {"newLeader", "carol@localhost"}, {"groupId", group_id}};
  EXPECT_TRUE(has_fields(expect_message(*bob_, "GROUP_LEADER_CHANGE"), "GROUP_LEADER_CHANGE", changed));
  EXPECT_TRUE(has_fields(expect_message(*carol_, "GROUP_LEADER_CHANGE"), "GROUP_LEADER_CHANGE", changed));
  send_text_ok(*bob_, "bob", "alice", "sentinel");
  expect_message(*alice_, "TEXT_MESSAGE");
  EXPECT_FALSE(alice_->has_queued("GROUP_LEADER_CHANGE"));

  EXPECT_EQ(group_of(*alice_, "alice", group_id).at("leader"), "carol@localhost");
  // alice is no longer the leader.
  EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_REMOVE", "alice", "Book club", group_id), "GROUP_REMOVE_ACK",
                         json::object{{"code", 4005}}));
}

TEST_F(IntegrationGroups, UnknownGroupGets4002) {
  const std::string missing = "#nosuchgroup@localhost";
  for (const auto& [group, id] : {std::pair<std::string, std::string>{"Nope", ""}, {"Nope", missing}}) {
    EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_LEAVE", "alice", group, id), "GROUP_LEAVE_ACK",
                           json::object{{"code", 4002}}));
    EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_REMOVE", "alice", group, id), "GROUP_REMOVE_ACK",
                           json::object{{"code", 4002}}));
    EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_LEADER_CHANGE", "alice", group, id,
                                         json::object{{"newLeader", "bob"}}),
                           "GROUP_LEADER_CHANGE_ACK", json::object{{"code", 4002}}));
    answer_invite(*bob_, "bob", "alice", group, id.empty() ? std::nullopt : std::optional<std::string>(id), 0);
    EXPECT_TRUE(is_error(expect_message(*bob_, "ERROR"), 4002, "GROUP_INVITE_RESPONSE"));
  }
  EXPECT_TRUE(has_fields(send_text(*alice_, "alice", missing, "hi"), "TEXT_MESSAGE_ACK",
                         json::object{{"receiver", missing}, {"code", 7001}}));
}

TEST_F(IntegrationGroups, TwoGroupsOfTheSameNameNeedTheGroupId) {
  const auto first = create_group_ok(*alice_, "alice", {"bob"}, "Team");
  const auto second = create_group_ok(*alice_, "alice", {"bob"}, "Team");
  ASSERT_NE(first, second);
  expect_message(*bob_, "GROUP_INVITE");
  expect_message(*bob_, "GROUP_INVITE");

  // Two invitations of that name: answering by name is ambiguous.
  answer_invite(*bob_, "bob", "alice", "Team", std::nullopt, 0);
  EXPECT_TRUE(is_error(expect_message(*bob_, "ERROR"), 4003, "GROUP_INVITE_RESPONSE"));
  answer_and_wait(*bob_, "bob", first, "Team", 0);
  answer_and_wait(*bob_, "bob", second, "Team", 0);

  EXPECT_TRUE(has_fields(send_text(*alice_, "alice", "Team", "which?"), "TEXT_MESSAGE_ACK",
                         json::object{{"receiver", "Team"}, {"code", 4003}}));
  EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_LEAVE", "alice", "Team", ""), "GROUP_LEAVE_ACK",
                         json::object{{"code", 4003}}));
  EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_REMOVE", "alice", "Team", ""), "GROUP_REMOVE_ACK",
                         json::object{{"code", 4003}}));
  EXPECT_TRUE(has_fields(group_request(*alice_, "GROUP_LEADER_CHANGE", "alice", "Team", "",
                                         json::object{{"newLeader", "bob"}}),
                         "GROUP_LEADER_CHANGE_ACK", json::object{{"code", 4003}}));

  // By group id it works.
  const auto ack = send_text(*alice_, "alice", second, "this one");
  ASSERT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"code", 0}}));
  EXPECT_TRUE(has_fields(expect_message(*bob_, "TEXT_MESSAGE"), "TEXT_MESSAGE",
                         json::object{{"receiver", second},
                                      {"groupId", second},
                                      {"group", "Team"},
                                      {"content", "this one"}}));
  EXPECT_TRUE(has_fields(group_request(*bob_, "GROUP_LEAVE", "bob", "Team", first), "GROUP_LEAVE_ACK",
                         json::object{{"code", 0}, {"groupId", first}}));
  // Now bob has a single "Team": his name works.
  EXPECT_TRUE(has_fields(send_text(*bob_, "bob", "Team", "only one now"), "TEXT_MESSAGE_ACK",
                         json::object{{"code", 0}}));
  EXPECT_TRUE(has_fields(expect_message(*alice_, "TEXT_MESSAGE"), "TEXT_MESSAGE",
                         json::object{{"groupId", second}, {"content", "only one now"}}));
}

TEST_F(IntegrationGroups, AnswerWithoutAnInvitationGetsError4007) {
  const auto group_id = create_group_ok(*alice_, "alice", {"bob"}, "Book club");
  // carol was never invited.
  answer_invite(*carol_, "carol", "alice", "Book club", group_id, 0);
  const auto error = expect_message(*carol_, "ERROR");
  EXPECT_TRUE(is_error(error, 4007, "GROUP_INVITE_RESPONSE"));
  // bob answers twice: the second has no invitation left.
  join_group(*alice_, "alice", *bob_, "bob", group_id, "Book club");
  send_request(*bob_, "GROUP_INVITE_RESPONSE",
               json::object{{"sender", "alice"}, {"receiver", "bob"}, {"group", "Book club"}, {"groupId", group_id},
                            {"code", 5001}},
               "again");
  const auto again = expect_message(*bob_, "ERROR");
  EXPECT_TRUE(is_error(again, 4007, "GROUP_INVITE_RESPONSE"));
  EXPECT_TRUE(has_id(again, "again"));
  // carol is still not a member; bob still is.
  EXPECT_EQ(group_of(*alice_, "alice", group_id).at("members"),
            json::value(strings({"alice@localhost", "bob@localhost"})));
}

}  // namespace
}  // namespace chatnode::testing
