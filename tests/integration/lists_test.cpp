// FRIEND_LIST_REQUEST and GROUP_LIST_REQUEST against a real node (docs/protocol.md §11),
// after friend and group flows have run.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace chatnode::testing {
namespace {

namespace json = boost::json;

class IntegrationLists : public ::testing::Test {
 protected:
  void SetUp() override { node_.start(); }

  static void ask(client::connection& conn, std::string_view sender, std::string_view receiver) {
    send_request(conn, "FRIEND_REQUEST", json::object{{"sender", sender}, {"receiver", receiver}});
    const auto ack = expect_either(conn, "FRIEND_REQUEST_ACK", "ERROR");
    ASSERT_TRUE(has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"code", 0}}));
  }

  node_process node_;
};

TEST_F(IntegrationLists, FriendListShowsFriendsWithStatusAndPendingRequestsSorted) {
  register_users(node_, {"alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank"});
  auto alice = login_user(node_, "alice");
  auto carol = login_user(node_, "carol");
  auto bob = login_user(node_, "bob");
  // Made in reverse order of their ids, to see the sorting.
  make_friends(*alice, "alice", *carol, "carol");
  make_friends(*alice, "alice", *bob, "bob");
  send_request(*carol, "USER_STATUS_UPDATE", json::object{{"username", "carol"}, {"status", "away"}});
  expect_message(*alice, "USER_STATUS_UPDATE");
  logout_user(*bob, "bob");

  // Incoming: erin, then dave ask alice. Outgoing: alice asks hank, then gina and frank.
  auto erin = login_user(node_, "erin");
  ask(*erin, "erin", "alice");
  auto dave = login_user(node_, "dave");
  ask(*dave, "dave", "alice");
  ask(*alice, "alice", "hank");
  ask(*alice, "alice", "gina");
  ask(*alice, "alice", "frank");

  send_request(*alice, "FRIEND_LIST_REQUEST", json::object{{"username", "alice"}}, "fl");
  const auto list = expect_either(*alice, "FRIEND_LIST_RESPONSE", "ERROR");
  EXPECT_TRUE(has_id(list, "fl"));
  EXPECT_EQ(json::value(payload_of(list)),
            json::value(json::object{
                {"username", "alice@localhost"},
                {"friends", json::array{json::object{{"user", "bob@localhost"}, {"status", "offline"}},
                                        json::object{{"user", "carol@localhost"}, {"status", "away"}}}},
                {"incoming", strings({"dave@localhost", "erin@localhost"})},
                {"outgoing", strings({"frank@localhost", "gina@localhost", "hank@localhost"})},
                {"code", 0}}))
      << json::serialize(list);

  // The other side of the same state.
  EXPECT_TRUE(has_fields(friend_list(*erin, "erin@localhost"), "FRIEND_LIST_RESPONSE",
                         json::object{{"username", "erin@localhost"},
                                      {"friends", json::array{}},
                                      {"incoming", json::array{}},
                                      {"outgoing", strings({"alice@localhost"})},
                                      {"code", 0}}));
  EXPECT_TRUE(has_fields(friend_list(*carol, "carol"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "online"}}}}}));
}

TEST_F(IntegrationLists, FriendListOfSomeoneElseGetsError9005) {
  register_users(node_, {"alice", "bob"});
  auto alice = login_user(node_, "alice");
  send_request(*alice, "FRIEND_LIST_REQUEST", json::object{{"username", "bob"}});
  EXPECT_TRUE(is_error(expect_either(*alice, "FRIEND_LIST_RESPONSE", "ERROR"), 9005, "FRIEND_LIST_REQUEST"));
  send_request(*alice, "GROUP_LIST_REQUEST", json::object{{"username", "bob"}});
  EXPECT_TRUE(is_error(expect_either(*alice, "GROUP_LIST_RESPONSE", "ERROR"), 9005, "GROUP_LIST_REQUEST"));
}

TEST_F(IntegrationLists, GroupListShowsGroupsAndInvitations) {
  register_users(node_, {"alice", "bob", "carol"});
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  auto carol = login_user(node_, "carol");
  make_friends(*alice, "alice", *bob, "bob");
  make_friends(*alice, "alice", *carol, "carol");

  // alice leads "Alpha": bob joined, carol is invited. bob leads "Book club" and invited alice.
  const auto alpha = create_group_ok(*alice, "alice", {"bob", "carol"}, "Alpha");
  join_group(*alice, "alice", *bob, "bob", alpha, "Alpha");
  const auto club = create_group_ok(*bob, "bob", {"alice"}, "Book club");  // alice's invite stays queued

  send_request(*alice, "GROUP_LIST_REQUEST", json::object{{"username", "alice"}}, "gl");
  const auto list = expect_either(*alice, "GROUP_LIST_RESPONSE", "ERROR");
  EXPECT_TRUE(has_id(list, "gl"));
  EXPECT_EQ(json::value(payload_of(list)),
            json::value(json::object{
                {"username", "alice@localhost"},
                {"groups", json::array{json::object{{"groupId", alpha},
                                                    {"name", "Alpha"},
                                                    {"leader", "alice@localhost"},
                                                    {"members", strings({"alice@localhost", "bob@localhost"})},
                                                    {"invited", strings({"carol@localhost"})}}}},
                {"invitations",
                 json::array{json::object{{"groupId", club}, {"name", "Book club"}, {"inviter", "bob@localhost"}}}},
                {"code", 0}}))
      << json::serialize(list);

  EXPECT_TRUE(has_fields(group_list(*carol, "carol"), "GROUP_LIST_RESPONSE",
                         json::object{{"username", "carol@localhost"},
                                      {"groups", json::array{}},
                                      {"invitations", json::array{json::object{{"groupId", alpha},
                                                                               {"name", "Alpha"},
                                                                               {"inviter", "alice@localhost"}}}},
                                      {"code", 0}}));

  // bob is in both: as a member of Alpha and the leader of Book club (order not specified).
  const auto bobs = group_list(*bob, "bob");
  ASSERT_EQ(type_of(bobs), "GROUP_LIST_RESPONSE") << json::serialize(bobs);
  const auto& groups = payload_of(bobs).at("groups").as_array();
  ASSERT_EQ(groups.size(), 2U) << json::serialize(bobs);
  const json::object club_entry{{"groupId", club},
                                {"name", "Book club"},
                                {"leader", "bob@localhost"},
                                {"members", strings({"bob@localhost"})},
                                {"invited", strings({"alice@localhost"})}};
  const bool club_first = groups[0].as_object().at("groupId") == json::value(club);
  EXPECT_EQ(groups[club_first ? 0 : 1], json::value(club_entry)) << json::serialize(bobs);
  EXPECT_EQ(groups[club_first ? 1 : 0].as_object().at("groupId"), json::value(alpha)) << json::serialize(bobs);
  EXPECT_EQ(payload_of(bobs).at("invitations"), json::value(json::array{})) << json::serialize(bobs);

  // After alice accepts, Book club moves from her invitations to her groups.
  join_group(*bob, "bob", *alice, "alice", club, "Book club");
  const auto after = group_list(*alice, "alice");
  EXPECT_EQ(payload_of(after).at("invitations"), json::value(json::array{})) << json::serialize(after);
  EXPECT_EQ(payload_of(after).at("groups").as_array().size(), 2U) << json::serialize(after);
}

}  // namespace
}  // namespace chatnode::testing
