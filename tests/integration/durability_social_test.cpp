// Durability of the social state across a SIGKILL (docs/protocol.md §6 "Durable before
// acknowledged"): messages acknowledged to an offline user are delivered after a restart,
// in order; friendships and groups are intact and group messages still fan out.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;

TEST(IntegrationDurabilitySocial, MessagesAcknowledgedToAnOfflineUserSurviveKill9) {
  node_process node;
  node.start();
  register_users(node, {"alice", "bob", "carol"});
  constexpr int count = 40;
  std::vector<std::string> ids;
  {
    auto alice = login_user(node, "alice");
    auto bob = login_user(node, "bob");
    make_friends(*alice, "alice", *bob, "bob");
    logout_user(*bob, "bob");
    expect_message(*alice, "USER_LOGOUT");

    // Pipelined, then the node is killed right after the last ACK.
    for (int i = 0; i < count; ++i) {
      send_request(*alice, "TEXT_MESSAGE",
                   json::object{{"sender", "alice"}, {"receiver", "bob"}, {"content", "kept " + std::to_string(i)}});
    }
    for (int i = 0; i < count; ++i) {
      const auto ack = expect_either(*alice, "TEXT_MESSAGE_ACK", "ERROR");
      ASSERT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"code", 0}}));
      ids.push_back(payload_string(ack, "messageId"));
    }
    // An acknowledged friend request to offline carol is an inbox event too.
    send_request(*alice, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", "carol"}});
    ASSERT_TRUE(has_fields(expect_either(*alice, "FRIEND_REQUEST_ACK", "ERROR"), "FRIEND_REQUEST_ACK",
                           json::object{{"code", 0}}));
    node.kill9();
  }
  node.start();

  auto bob = login_user(node, "bob");
  for (int i = 0; i < count; ++i) {
    const auto m = expect_next(*bob);
    ASSERT_TRUE(is_text(m, "alice@localhost", "bob@localhost", "kept " + std::to_string(i))) << "message " << i;
    EXPECT_TRUE(has_fields(m, "TEXT_MESSAGE", json::object{{"messageId", ids[static_cast<std::size_t>(i)]}}));
  }
  EXPECT_TRUE(has_fields(expect_next(*bob), "USER_STATUS_UPDATE",
                         json::object{{"username", "alice@localhost"}, {"status", "offline"}}));

  auto carol = login_user(node, "carol");
  EXPECT_TRUE(has_fields(expect_next(*carol), "FRIEND_REQUEST",
                         json::object{{"sender", "alice@localhost"}, {"receiver", "carol@localhost"}}));

  // Message ids keep increasing after the restart.
  auto alice = login_user(node, "alice");
  const auto next_id = send_text_ok(*alice, "alice", "bob", "after the restart");
  EXPECT_GT(std::stoull(next_id), std::stoull(ids.back()));
  EXPECT_TRUE(is_text(expect_message(*bob, "TEXT_MESSAGE"), "alice@localhost", "bob@localhost", "after the restart"));
}

TEST(IntegrationDurabilitySocial, FriendshipsAndGroupsSurviveKill9) {
  node_process node;
  node.start();
  register_users(node, {"alice", "bob", "carol", "dave"});
  std::string group_id;
  {
    auto alice = login_user(node, "alice");
    auto bob = login_user(node, "bob");
    auto carol = login_user(node, "carol");
    auto dave = login_user(node, "dave");
    make_friends(*alice, "alice", *bob, "bob");
    make_friends(*alice, "alice", *carol, "carol");
    make_friends(*alice, "alice", *dave, "dave");
    group_id = create_group_ok(*alice, "alice", {"bob", "carol", "dave"}, "Book club");
    join_group(*alice, "alice", *bob, "bob", group_id, "Book club");
    join_group(*alice, "alice", *carol, "carol", group_id, "Book club");
    // dave's invitation stays pending. Every change above was acknowledged or observed by
    // another user, so it was committed.
    node.kill9();
  }
  node.start();

  auto alice = login_user(node, "alice");
  auto bob = login_user(node, "bob");
  auto carol = login_user(node, "carol");
  auto dave = login_user(node, "dave");
  const auto friends = friend_list(*alice, "alice");
  ASSERT_EQ(type_of(friends), "FRIEND_LIST_RESPONSE") << json::serialize(friends);
  json::array users;
  for (const auto& f : payload_of(friends).at("friends").as_array()) users.push_back(f.as_object().at("user"));
  EXPECT_EQ(json::value(users), json::value(strings({"bob@localhost", "carol@localhost", "dave@localhost"})));
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "online"}}}}}));

  EXPECT_TRUE(has_fields(group_list(*alice, "alice"), "GROUP_LIST_RESPONSE",
                         json::object{{"groups", json::array{json::object{
                                                     {"groupId", group_id},
                                                     {"name", "Book club"},
                                                     {"leader", "alice@localhost"},
                                                     {"members", strings({"alice@localhost", "bob@localhost",
                                                                          "carol@localhost"})},
                                                     {"invited", strings({"dave@localhost"})}}}}}));
  EXPECT_TRUE(has_fields(group_list(*dave, "dave"), "GROUP_LIST_RESPONSE",
                         json::object{{"invitations", json::array{json::object{{"groupId", group_id},
                                                                               {"name", "Book club"},
                                                                               {"inviter", "alice@localhost"}}}}}));

  // A group message still fans out to the members, by id and by name.
  const auto id1 = send_text_ok(*alice, "alice", group_id, "still here");
  const auto id2 = send_text_ok(*bob, "bob", "Book club", "me too");
  for (auto* conn : {bob.get(), carol.get()}) {
    EXPECT_TRUE(has_fields(expect_message(*conn, "TEXT_MESSAGE"), "TEXT_MESSAGE",
                           json::object{{"sender", "alice@localhost"},
                                        {"receiver", group_id},
                                        {"content", "still here"},
                                        {"messageId", id1},
                                        {"groupId", group_id},
                                        {"group", "Book club"}}));
  }
  EXPECT_TRUE(has_fields(expect_message(*alice, "TEXT_MESSAGE"), "TEXT_MESSAGE",
                         json::object{{"sender", "bob@localhost"}, {"content", "me too"}, {"messageId", id2}}));
  EXPECT_TRUE(has_fields(expect_message(*carol, "TEXT_MESSAGE"), "TEXT_MESSAGE",
                         json::object{{"sender", "bob@localhost"}, {"content", "me too"}, {"messageId", id2}}));
  // dave is still only invited.
  EXPECT_TRUE(has_fields(send_text(*dave, "dave", group_id, "hi"), "TEXT_MESSAGE_ACK", json::object{{"code", 7003}}));
}

}  // namespace
}  // namespace chatnode::testing
