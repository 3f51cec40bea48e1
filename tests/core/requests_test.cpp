// The request table of core/ (core/requests.hpp): which client requests have a rule here,
// that each reaches its rule, and what the requester gets when the store fails.
#include "core_fixture.hpp"

#include "core/requests.hpp"

#include <boost/json/parse.hpp>

namespace chatnode::core::testing {
namespace {

namespace p = chatnode::protocol;

class RequestsTest : public core_test {
 protected:
  RequestsTest() {
    add_user("alice");
    add_user("bob");
  }
  const actor alice{"alice@alpha.example", {}, false};

  // The failure reply to `body` (with id "r1") as JSON.
  boost::json::object failure(p::payload body) {
    return boost::json::parse(p::encode(failure_reply(cfg, alice, p::envelope{std::move(body), now, "r1"}, now))).as_object();
  }
};

TEST_F(RequestsTest, TheRulesOfCoreAreTheRequestsAfterLoginThatHoldNoConnectionState) {
  using mt = p::message_type;
  for (auto t : {mt::friend_request, mt::friend_request_response, mt::friend_remove, mt::friend_list_request,
                 mt::user_block, mt::user_unblock, mt::block_list_request, mt::text_message, mt::group_create,
                 mt::group_invite_response, mt::group_leave, mt::group_remove, mt::group_leader_change,
                 mt::group_list_request, mt::media_message})
    EXPECT_TRUE(has_rule(t)) << p::to_string(t);
  // Login, presence of a connection, transfers and history keep state of the connection.
  for (auto t : {mt::register_request, mt::login_request, mt::user_logout, mt::user_status_update,
                 mt::message_history_request, mt::message_history_data_ack, mt::media_message_data,
                 mt::media_message_ack, mt::password_change_request, mt::account_delete_request, mt::group_invite})
    EXPECT_FALSE(has_rule(t)) << p::to_string(t);
}

TEST_F(RequestsTest, EachRequestReachesItsRule) {
  befriend("alice@alpha.example", "bob@alpha.example");
  struct request_case {
    p::payload body;
    const char* reply;
  };
  const request_case cases[] = {
      {p::friend_list_request{"alice"}, "FRIEND_LIST_RESPONSE"},
      {p::block_list_request{"alice"}, "BLOCK_LIST_RESPONSE"},
      {p::group_list_request{"alice"}, "GROUP_LIST_RESPONSE"},
      {p::user_block{"alice", "mallory"}, "USER_BLOCK_ACK"},
      {p::user_unblock{"alice", "mallory"}, "USER_UNBLOCK_ACK"},
      {p::friend_remove{"alice", "carol"}, "FRIEND_REMOVE_ACK"},
      {p::friend_request{"alice", "carol"}, "FRIEND_REQUEST_ACK"},
      {p::text_message{"alice", "bob", "hi", std::nullopt, std::nullopt, std::nullopt}, "TEXT_MESSAGE_ACK"},
      {p::group_create{"alice", {"bob"}, "team"}, "GROUP_CREATE_ACK"},
      {p::group_leave{"alice", "nope", std::nullopt}, "GROUP_LEAVE_ACK"},
  };
  for (const auto& rc : cases) {
    auto fx = run([&](context& c) { apply_request(c, alice, p::envelope{rc.body, now, "r1"}); });
    auto r = replies(fx);
    ASSERT_FALSE(r.empty()) << rc.reply;
    EXPECT_EQ(type_of(r[0]), rc.reply);
    EXPECT_EQ(r[0].at("id").as_string(), "r1") << rc.reply;
  }
}

TEST_F(RequestsTest, AFailedStoreGetsTheRequestsAckWithAServerErrorCode) {
  auto ack = failure(p::friend_request{"alice", "bob"});
  EXPECT_EQ(type_of(ack), "FRIEND_REQUEST_ACK");
  EXPECT_EQ(payload(ack).at("code").as_int64(), 3002);
  EXPECT_EQ(payload(ack).at("receiver").as_string(), "bob@alpha.example");  // full ids out
  EXPECT_EQ(ack.at("id").as_string(), "r1");

  EXPECT_EQ(payload(failure(p::friend_remove{"alice", "bob"})).at("code").as_int64(), 3002);
  for (auto body : std::vector<p::payload>{p::user_block{"alice", "bob"}, p::user_unblock{"alice", "bob"},
                                           p::text_message{"alice", "bob", "hi", std::nullopt, std::nullopt, std::nullopt},
                                           p::group_create{"alice", {}, "team"}, p::group_leave{"alice", "team", std::nullopt},
                                           p::group_remove{"alice", "team", std::nullopt},
                                           p::group_leader_change{"alice", "team", "bob", std::nullopt}}) {
    auto reply = failure(body);
    EXPECT_NE(type_of(reply), "ERROR");
    EXPECT_EQ(payload(reply).at("code").as_int64(), 9008) << type_of(reply);
  }
  auto media = failure(p::media_message{"alice", "bob", "m1", "image/png", 10, std::nullopt, std::nullopt, std::nullopt,
                                        std::nullopt, std::nullopt});
  EXPECT_EQ(type_of(media), "MEDIA_MESSAGE_ACK");
  EXPECT_EQ(payload(media).at("code").as_int64(), 9008);
}

TEST_F(RequestsTest, AFailedStoreGetsAnErrorForRequestsWithoutAnAck) {
  for (auto body : std::vector<p::payload>{p::friend_list_request{"alice"}, p::group_list_request{"alice"},
                                           p::block_list_request{"alice"}, p::friend_request_response{"bob", "alice", 0},
                                           p::group_invite_response{"bob", "alice", "team", 0, std::nullopt}}) {
    auto reply = failure(body);
    EXPECT_EQ(type_of(reply), "ERROR");
    EXPECT_EQ(payload(reply).at("code").as_int64(), 9008);
    EXPECT_EQ(payload(reply).at("inReplyTo").as_string(), p::to_string(p::type_of(body)));
  }
}

}  // namespace
}  // namespace chatnode::core::testing
