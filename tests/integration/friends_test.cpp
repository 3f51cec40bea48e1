// Friend requests, answers and removal against a real node (docs/protocol.md §6, §7):
// ACK codes, live and offline delivery (inbox right after LOGIN_RESPONSE), crossing
// requests, the ERRORs of FRIEND_REQUEST_RESPONSE, and full ids in all the node sends.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace chatnode::testing {
namespace {

namespace json = boost::json;

class IntegrationFriends : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.start();
    register_users(node_, {"alice", "bob", "carol"});
  }

  json::object request(client::connection& conn, std::string_view sender, std::string_view receiver,
                       std::optional<std::string> id = std::nullopt) {
    send_request(conn, "FRIEND_REQUEST", json::object{{"sender", sender}, {"receiver", receiver}}, std::move(id));
    return expect_either(conn, "FRIEND_REQUEST_ACK", "ERROR");
  }

  json::object remove(client::connection& conn, std::string_view sender, std::string_view receiver,
                      std::optional<std::string> id = std::nullopt) {
    send_request(conn, "FRIEND_REMOVE", json::object{{"sender", sender}, {"receiver", receiver}}, std::move(id));
    return expect_either(conn, "FRIEND_REMOVE_ACK", "ERROR");
  }

  static void respond(client::connection& conn, std::string_view requester, std::string_view me, int code,
                      std::optional<std::string> id = std::nullopt) {
    send_request(conn, "FRIEND_REQUEST_RESPONSE", json::object{{"sender", requester}, {"receiver", me}, {"code", code}},
                 std::move(id));
  }

  static json::object ack(std::string_view sender, std::string_view receiver, int code) {
    return json::object{{"sender", full_id(sender)}, {"receiver", full_id(receiver)}, {"code", code}};
  }

  node_process node_;
};

TEST_F(IntegrationFriends, RequestIsAcknowledgedAndDeliveredLive) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");

  const auto reply = request(*alice, "alice", "bob", "f1");
  EXPECT_TRUE(has_fields(reply, "FRIEND_REQUEST_ACK", ack("alice", "bob", 0)));
  EXPECT_TRUE(has_id(reply, "f1"));

  const auto forwarded = expect_message(*bob, "FRIEND_REQUEST");
  EXPECT_TRUE(has_fields(forwarded, "FRIEND_REQUEST",
                         json::object{{"sender", "alice@localhost"}, {"receiver", "bob@localhost"}}));
  EXPECT_FALSE(forwarded.contains("id")) << json::serialize(forwarded);
}

TEST_F(IntegrationFriends, FullFormsAndCaseInTheRequestStillGiveFullLowerCaseIds) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  EXPECT_TRUE(has_fields(request(*alice, "alice@localhost", "BOB@localhost"), "FRIEND_REQUEST_ACK",
                         ack("alice", "bob", 0)));
  EXPECT_TRUE(has_fields(expect_message(*bob, "FRIEND_REQUEST"), "FRIEND_REQUEST",
                         json::object{{"sender", "alice@localhost"}, {"receiver", "bob@localhost"}}));
}

TEST_F(IntegrationFriends, RequestToAnOfflineUserArrivesRightAfterHisNextLoginResponse) {
  auto alice = login_user(node_, "alice");
  EXPECT_TRUE(has_fields(request(*alice, "alice", "bob"), "FRIEND_REQUEST_ACK", ack("alice", "bob", 0)));

  auto bob = login_user(node_, "bob");  // checks LOGIN_RESPONSE comes first
  EXPECT_TRUE(has_fields(expect_next(*bob), "FRIEND_REQUEST",
                         json::object{{"sender", "alice@localhost"}, {"receiver", "bob@localhost"}}));
  // Delivered once: the inbox was emptied.
  logout_user(*bob, "bob");
  auto again = login_user(node_, "bob");
  send_request(*again, "FRIEND_LIST_REQUEST", json::object{{"username", "bob"}});
  EXPECT_EQ(type_of(expect_next(*again)), "FRIEND_LIST_RESPONSE");
}

TEST_F(IntegrationFriends, AcceptIsForwardedLiveAndEachSeesTheOthersStatus) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");

  respond(*bob, "alice", "bob", 0, "r1");
  EXPECT_TRUE(has_fields(expect_message(*alice, "FRIEND_REQUEST_RESPONSE"), "FRIEND_REQUEST_RESPONSE",
                         ack("alice", "bob", 0)));
  EXPECT_TRUE(has_fields(expect_message(*alice, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE",
                         json::object{{"username", "bob@localhost"}, {"status", "online"}}));
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE",
                         json::object{{"username", "alice@localhost"}, {"status", "online"}}));

  // The answer itself is silent on success: bob's next reply is his list's, with alice in it.
  const auto list = friend_list(*bob, "bob");
  EXPECT_FALSE(bob->has_queued("ERROR"));
  EXPECT_TRUE(has_fields(list, "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "online"}}}},
                                      {"incoming", json::array{}},
                                      {"outgoing", json::array{}}}));
  // They are friends now: a text goes through.
  EXPECT_EQ(code_of(send_text(*alice, "alice", "bob", "hi")), 0);
}

TEST_F(IntegrationFriends, AcceptReachesAnOfflineRequesterAtHerNextLogin) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");
  logout_user(*alice, "alice");

  respond(*bob, "alice", "bob", 0);
  // bob is online: he gets alice's current status, offline.
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE",
                         json::object{{"username", "alice@localhost"}, {"status", "offline"}}));

  auto alice2 = login_user(node_, "alice");
  EXPECT_TRUE(has_fields(expect_next(*alice2), "FRIEND_REQUEST_RESPONSE", ack("alice", "bob", 0)));
  // Then, after the inbox, the status of her (new) friend.
  EXPECT_TRUE(has_fields(expect_next(*alice2), "USER_STATUS_UPDATE",
                         json::object{{"username", "bob@localhost"}, {"status", "online"}}));
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE",
                         json::object{{"username", "alice@localhost"}, {"status", "online"}}));
}

TEST_F(IntegrationFriends, OnAcceptEachGetsTheOthersCurrentStatus) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");
  send_request(*alice, "USER_STATUS_UPDATE", json::object{{"username", "alice"}, {"status", "away"}});
  send_request(*bob, "USER_STATUS_UPDATE", json::object{{"username", "bob"}, {"status", "offline"}});
  barrier(*alice, "alice");
  barrier(*bob, "bob");

  respond(*bob, "alice", "bob", 0);
  EXPECT_TRUE(has_fields(expect_message(*bob, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE",
                         json::object{{"username", "alice@localhost"}, {"status", "away"}}));
  // bob appears offline: that is what alice is shown.
  EXPECT_TRUE(has_fields(expect_message(*alice, "USER_STATUS_UPDATE"), "USER_STATUS_UPDATE",
                         json::object{{"username", "bob@localhost"}, {"status", "offline"}}));
}

TEST_F(IntegrationFriends, RejectIsForwardedWith3004AndLeavesThemStrangers) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");

  respond(*bob, "alice", "bob", 3004);
  EXPECT_TRUE(has_fields(expect_message(*alice, "FRIEND_REQUEST_RESPONSE"), "FRIEND_REQUEST_RESPONSE",
                         ack("alice", "bob", 3004)));
  EXPECT_TRUE(has_fields(friend_list(*alice, "alice"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{}}, {"incoming", json::array{}},
                                      {"outgoing", json::array{}}, {"code", 0}}));
  EXPECT_FALSE(alice->has_queued("USER_STATUS_UPDATE"));
  EXPECT_TRUE(has_fields(send_text(*alice, "alice", "bob", "hi"), "TEXT_MESSAGE_ACK", json::object{{"code", 7002}}));
  // The request is answered: asking again is a new request, not a duplicate.
  EXPECT_TRUE(has_fields(request(*alice, "alice", "bob"), "FRIEND_REQUEST_ACK", ack("alice", "bob", 0)));
}

TEST_F(IntegrationFriends, RejectReachesAnOfflineRequesterAtHerNextLogin) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");
  logout_user(*alice, "alice");
  respond(*bob, "alice", "bob", 3004);
  barrier(*bob, "bob");  // the answer is applied before alice logs in
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{}}, {"incoming", json::array{}}}));

  auto alice2 = login_user(node_, "alice");
  EXPECT_TRUE(has_fields(expect_next(*alice2), "FRIEND_REQUEST_RESPONSE", ack("alice", "bob", 3004)));
}

TEST_F(IntegrationFriends, UnknownUserGets3001) {
  auto alice = login_user(node_, "alice");
  EXPECT_TRUE(has_fields(request(*alice, "alice", "nobody"), "FRIEND_REQUEST_ACK", ack("alice", "nobody", 3001)));
  // A user of another domain is unknown until federation.
  EXPECT_TRUE(has_fields(request(*alice, "alice", "bob@elsewhere.example"), "FRIEND_REQUEST_ACK",
                         json::object{{"code", 3001}, {"receiver", "bob@elsewhere.example"}}));
}

TEST_F(IntegrationFriends, AlreadyFriendsGets3003) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");
  EXPECT_TRUE(has_fields(request(*alice, "alice", "bob"), "FRIEND_REQUEST_ACK", ack("alice", "bob", 3003)));
  EXPECT_TRUE(has_fields(request(*bob, "bob", "alice"), "FRIEND_REQUEST_ACK", ack("bob", "alice", 3003)));
}

TEST_F(IntegrationFriends, RequestToYourselfGets3005) {
  auto alice = login_user(node_, "alice");
  EXPECT_TRUE(has_fields(request(*alice, "alice", "alice"), "FRIEND_REQUEST_ACK", ack("alice", "alice", 3005)));
  EXPECT_TRUE(
      has_fields(request(*alice, "alice", "ALICE@localhost"), "FRIEND_REQUEST_ACK", ack("alice", "alice", 3005)));
}

TEST_F(IntegrationFriends, SecondRequestWhilePendingGets3006) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  EXPECT_TRUE(has_fields(request(*alice, "alice", "bob"), "FRIEND_REQUEST_ACK", ack("alice", "bob", 3006)));
  // bob got the request once: the sentinel (carol's request) is his second FRIEND_REQUEST.
  auto carol = login_user(node_, "carol");
  ASSERT_EQ(code_of(request(*carol, "carol", "bob")), 0);
  EXPECT_TRUE(has_fields(expect_message(*bob, "FRIEND_REQUEST"), "FRIEND_REQUEST",
                         json::object{{"sender", "alice@localhost"}}));
  EXPECT_TRUE(has_fields(expect_message(*bob, "FRIEND_REQUEST"), "FRIEND_REQUEST",
                         json::object{{"sender", "carol@localhost"}}));
}

TEST_F(IntegrationFriends, CrossingRequestsMakeThemFriendsAndEachSeesTheirRequestAccepted) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");

  // bob asks alice in turn: that accepts her request. He gets ACK 0, then his own request
  // answered; she gets hers answered.
  send_request(*bob, "FRIEND_REQUEST", json::object{{"sender", "bob"}, {"receiver", "alice"}}, "x1");
  const auto bob_ack = expect_next(*bob);
  EXPECT_TRUE(has_fields(bob_ack, "FRIEND_REQUEST_ACK", ack("bob", "alice", 0)));
  EXPECT_TRUE(has_id(bob_ack, "x1"));
  EXPECT_TRUE(has_fields(expect_message(*bob, "FRIEND_REQUEST_RESPONSE"), "FRIEND_REQUEST_RESPONSE",
                         ack("bob", "alice", 0)));
  EXPECT_TRUE(has_fields(expect_message(*alice, "FRIEND_REQUEST_RESPONSE"), "FRIEND_REQUEST_RESPONSE",
                         ack("alice", "bob", 0)));
  // alice gets no FRIEND_REQUEST from bob: his request accepted hers instead.
  EXPECT_FALSE(alice->has_queued("FRIEND_REQUEST"));

  EXPECT_TRUE(has_fields(friend_list(*alice, "alice"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "bob@localhost"},
                                                                           {"status", "online"}}}},
                                      {"incoming", json::array{}},
                                      {"outgoing", json::array{}}}));
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{json::object{{"user", "alice@localhost"},
                                                                           {"status", "online"}}}},
                                      {"incoming", json::array{}},
                                      {"outgoing", json::array{}}}));
}

TEST_F(IntegrationFriends, CrossingRequestReachesAnOfflineFirstRequesterAtHerNextLogin) {
  auto alice = login_user(node_, "alice");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  logout_user(*alice, "alice");

  auto bob = login_user(node_, "bob");
  EXPECT_EQ(type_of(expect_next(*bob)), "FRIEND_REQUEST");
  EXPECT_TRUE(has_fields(request(*bob, "bob", "alice"), "FRIEND_REQUEST_ACK", ack("bob", "alice", 0)));
  EXPECT_TRUE(has_fields(expect_message(*bob, "FRIEND_REQUEST_RESPONSE"), "FRIEND_REQUEST_RESPONSE",
                         ack("bob", "alice", 0)));

  auto alice2 = login_user(node_, "alice");
  EXPECT_TRUE(has_fields(expect_next(*alice2), "FRIEND_REQUEST_RESPONSE", ack("alice", "bob", 0)));
}

TEST_F(IntegrationFriends, ResponseWithoutAPendingRequestGetsError3007) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  respond(*bob, "alice", "bob", 0, "r7");
  const auto error = expect_message(*bob, "ERROR");
  EXPECT_TRUE(is_error(error, 3007, "FRIEND_REQUEST_RESPONSE"));
  EXPECT_TRUE(has_id(error, "r7"));
  // Nothing was forwarded and no friendship made.
  EXPECT_TRUE(has_fields(friend_list(*alice, "alice"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{}}}));
  EXPECT_FALSE(alice->has_queued("FRIEND_REQUEST_RESPONSE"));

  // Answering the same request twice: the second answer has nothing to answer.
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");
  respond(*bob, "alice", "bob", 0);
  expect_message(*alice, "FRIEND_REQUEST_RESPONSE");
  respond(*bob, "alice", "bob", 3004, "r8");
  EXPECT_TRUE(is_error(expect_message(*bob, "ERROR"), 3007, "FRIEND_REQUEST_RESPONSE"));
}

TEST_F(IntegrationFriends, ResponseWithAnotherCodeGetsError9003AndKeepsTheRequest) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");

  respond(*bob, "alice", "bob", 42, "r42");
  const auto error = expect_message(*bob, "ERROR");
  EXPECT_TRUE(is_error(error, 9003, "FRIEND_REQUEST_RESPONSE"));
  EXPECT_TRUE(has_id(error, "r42"));

  // Still pending: a proper answer goes through and is the first alice hears.
  respond(*bob, "alice", "bob", 0);
  EXPECT_TRUE(has_fields(expect_message(*alice, "FRIEND_REQUEST_RESPONSE"), "FRIEND_REQUEST_RESPONSE",
                         ack("alice", "bob", 0)));
}

TEST_F(IntegrationFriends, ResponseForSomeoneElseGetsError9005) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  // alice tries to accept her own request on bob's behalf: the acting user is `receiver`.
  respond(*alice, "alice", "bob", 0);
  EXPECT_TRUE(is_error(expect_message(*alice, "ERROR"), 9005, "FRIEND_REQUEST_RESPONSE"));
}

TEST_F(IntegrationFriends, RemoveIsAcknowledgedAndForwardedLiveAndEndsTexting) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");

  const auto reply = remove(*alice, "alice", "bob", "rm1");
  EXPECT_TRUE(has_fields(reply, "FRIEND_REMOVE_ACK", ack("alice", "bob", 0)));
  EXPECT_TRUE(has_id(reply, "rm1"));
  EXPECT_TRUE(has_fields(expect_message(*bob, "FRIEND_REMOVE"), "FRIEND_REMOVE",
                         json::object{{"sender", "alice@localhost"}, {"receiver", "bob@localhost"}}));

  EXPECT_TRUE(has_fields(send_text(*alice, "alice", "bob", "still there?"), "TEXT_MESSAGE_ACK",
                         json::object{{"code", 7002}, {"receiver", "bob"}}));
  EXPECT_TRUE(has_fields(send_text(*bob, "bob", "alice", "still there?"), "TEXT_MESSAGE_ACK",
                         json::object{{"code", 7002}, {"receiver", "alice"}}));
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE", json::object{{"friends", json::array{}}}));
}

TEST_F(IntegrationFriends, RemoveReachesAnOfflineFormerFriendAtHisNextLogin) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  make_friends(*alice, "alice", *bob, "bob");
  logout_user(*bob, "bob");
  expect_message(*alice, "USER_LOGOUT");

  EXPECT_TRUE(has_fields(remove(*alice, "alice", "bob"), "FRIEND_REMOVE_ACK", ack("alice", "bob", 0)));

  auto bob2 = login_user(node_, "bob");
  EXPECT_TRUE(has_fields(expect_next(*bob2), "FRIEND_REMOVE",
                         json::object{{"sender", "alice@localhost"}, {"receiver", "bob@localhost"}}));
  // No longer friends: no status of alice follows the inbox.
  send_request(*bob2, "FRIEND_LIST_REQUEST", json::object{{"username", "bob"}});
  const auto list = expect_next(*bob2);
  EXPECT_TRUE(has_fields(list, "FRIEND_LIST_RESPONSE", json::object{{"friends", json::array{}}}));
}

TEST_F(IntegrationFriends, RemovingANonFriendGets3008) {
  auto alice = login_user(node_, "alice");
  EXPECT_TRUE(has_fields(remove(*alice, "alice", "bob"), "FRIEND_REMOVE_ACK", ack("alice", "bob", 3008)));
}

TEST_F(IntegrationFriends, RemovingCancelsAPendingRequest) {
  auto alice = login_user(node_, "alice");
  auto bob = login_user(node_, "bob");
  ASSERT_EQ(code_of(request(*alice, "alice", "bob")), 0);
  expect_message(*bob, "FRIEND_REQUEST");

  EXPECT_TRUE(has_fields(remove(*alice, "alice", "bob"), "FRIEND_REMOVE_ACK", ack("alice", "bob", 0)));
  EXPECT_TRUE(has_fields(expect_message(*bob, "FRIEND_REMOVE"), "FRIEND_REMOVE",
                         json::object{{"sender", "alice@localhost"}, {"receiver", "bob@localhost"}}));
  EXPECT_TRUE(has_fields(friend_list(*bob, "bob"), "FRIEND_LIST_RESPONSE",
                         json::object{{"friends", json::array{}}, {"incoming", json::array{}}}));
  respond(*bob, "alice", "bob", 0);
  EXPECT_TRUE(is_error(expect_message(*bob, "ERROR"), 3007, "FRIEND_REQUEST_RESPONSE"));
}

}  // namespace
}  // namespace chatnode::testing
