// 1:1 text messages against a real node (docs/protocol.md §6, §9): live and offline
// delivery, order, messageIds, ACK codes and ERRORs.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;

std::uint64_t id_number(const std::string& message_id) {
  EXPECT_FALSE(message_id.empty());
  EXPECT_EQ(message_id.find_first_not_of("0123456789"), std::string::npos) << message_id << " is not decimal";
  return std::stoull(message_id);
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class IntegrationText : public ::testing::Test {
 protected:
  explicit IntegrationText(node_options options = {}) : node_(std::move(options)) {}

  void SetUp() override {
    node_.start();
    register_users(node_, {"alice", "bob", "carol"});
    alice_ = login_user(node_, "alice");
    bob_ = login_user(node_, "bob");
    make_friends(*alice_, "alice", *bob_, "bob");
  }

  node_process node_;
  std::unique_ptr<client::connection> alice_;
  std::unique_ptr<client::connection> bob_;
};

TEST_F(IntegrationText, ToAnOnlineFriendIsDeliveredWithTheAcknowledgedMessageId) {
  const auto before = now_seconds();
  const auto ack = send_text(*alice_, "alice", "bob", "Hello, how are you?", "m1");
  ASSERT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"receiver", "bob"}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "m1"));
  const std::string message_id = payload_string(ack, "messageId");
  id_number(message_id);

  const auto delivered = expect_message(*bob_, "TEXT_MESSAGE");
  EXPECT_TRUE(has_fields_without(delivered, "TEXT_MESSAGE",
                                 json::object{{"sender", "alice@localhost"},
                                              {"receiver", "bob@localhost"},
                                              {"content", "Hello, how are you?"},
                                              {"messageId", message_id}},
                                 {"groupId", "group"}));
  ASSERT_TRUE(is_envelope(delivered));
  const auto ts = delivered.at("timestamp").to_number<std::int64_t>();
  EXPECT_GE(ts, before - 5);
  EXPECT_LE(ts, now_seconds() + 5);
  EXPECT_FALSE(delivered.contains("id")) << json::serialize(delivered);
}

TEST_F(IntegrationText, TheAckEchoesTheReceiverAsSentAndDeliveryUsesFullIds) {
  const auto ack = send_text(*alice_, "alice@localhost", "BOB@localhost", "hi", "m2");
  ASSERT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"receiver", "BOB@localhost"}, {"code", 0}}));
  EXPECT_TRUE(has_id(ack, "m2"));
  EXPECT_TRUE(is_text(expect_message(*bob_, "TEXT_MESSAGE"), "alice@localhost", "bob@localhost", "hi"));
}

TEST_F(IntegrationText, MessageIdsIncreaseInTheOrderTheNodeStoredThem) {
  std::uint64_t last = 0;
  for (int i = 0; i < 10; ++i) {
    const bool from_alice = i % 2 == 0;
    const auto id = send_text_ok(from_alice ? *alice_ : *bob_, from_alice ? "alice" : "bob",
                                 from_alice ? "bob" : "alice", "n" + std::to_string(i));
    const auto n = id_number(id);
    EXPECT_GT(n, last) << "message " << i;
    last = n;
    const auto delivered = expect_message(from_alice ? *bob_ : *alice_, "TEXT_MESSAGE");
    EXPECT_TRUE(has_fields(delivered, "TEXT_MESSAGE",
                           json::object{{"content", "n" + std::to_string(i)}, {"messageId", id}}));
  }
}

TEST_F(IntegrationText, ToAnOfflineFriendArriveInOrderRightAfterHisNextLogin) {
  logout_user(*bob_, "bob");
  expect_message(*alice_, "USER_LOGOUT");

  constexpr int count = 50;
  // Pipelined: the ACKs come back in order, each with a larger messageId.
  for (int i = 0; i < count; ++i) {
    send_request(*alice_, "TEXT_MESSAGE",
                 json::object{{"sender", "alice"}, {"receiver", "bob"}, {"content", "offline " + std::to_string(i)}},
                 "o" + std::to_string(i));
  }
  std::vector<std::string> ids;
  std::uint64_t last = 0;
  for (int i = 0; i < count; ++i) {
    const auto ack = expect_either(*alice_, "TEXT_MESSAGE_ACK", "ERROR");
    ASSERT_TRUE(has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"code", 0}, {"receiver", "bob"}}));
    EXPECT_TRUE(has_id(ack, "o" + std::to_string(i)));
    ids.push_back(payload_string(ack, "messageId"));
    const auto n = id_number(ids.back());
    EXPECT_GT(n, last);
    last = n;
  }

  auto bob = login_user(node_, "bob");
  for (int i = 0; i < count; ++i) {
    const auto m = expect_next(*bob);
    ASSERT_TRUE(is_text(m, "alice@localhost", "bob@localhost", "offline " + std::to_string(i))) << "message " << i;
    EXPECT_TRUE(has_fields(m, "TEXT_MESSAGE", json::object{{"messageId", ids[static_cast<std::size_t>(i)]}}));
  }
  // After the inbox: alice's status.
  EXPECT_TRUE(has_fields(expect_next(*bob), "USER_STATUS_UPDATE",
                         json::object{{"username", "alice@localhost"}, {"status", "online"}}));
}

TEST_F(IntegrationText, UnknownReceiverGets7001) {
  EXPECT_TRUE(has_fields(send_text(*alice_, "alice", "nobody", "hi", "u1"), "TEXT_MESSAGE_ACK",
                         json::object{{"receiver", "nobody"}, {"code", 7001}}));
  const auto other_domain = send_text(*alice_, "alice", "bob@elsewhere.example", "hi");
  EXPECT_TRUE(has_fields_without(other_domain, "TEXT_MESSAGE_ACK",
                                 json::object{{"receiver", "bob@elsewhere.example"}, {"code", 7001}}, {"messageId"}));
}

TEST_F(IntegrationText, NonFriendGets7002AndReceivesNothing) {
  auto carol = login_user(node_, "carol");
  const auto ack = send_text(*alice_, "alice", "carol", "hello stranger");
  EXPECT_TRUE(has_fields_without(ack, "TEXT_MESSAGE_ACK", json::object{{"receiver", "carol"}, {"code", 7002}},
                                 {"messageId"}));
  // Sentinel: alice's friend request is the first thing carol gets.
  send_request(*alice_, "FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", "carol"}});
  const auto first = expect_next(*carol);
  EXPECT_EQ(type_of(first), "FRIEND_REQUEST") << json::serialize(first);
}

TEST_F(IntegrationText, EmptyContentGetsError9003) {
  send_request(*alice_, "TEXT_MESSAGE", json::object{{"sender", "alice"}, {"receiver", "bob"}, {"content", ""}}, "e1");
  const auto error = expect_either(*alice_, "TEXT_MESSAGE_ACK", "ERROR");
  EXPECT_TRUE(is_error(error, 9003, "TEXT_MESSAGE"));
  EXPECT_TRUE(has_id(error, "e1"));
  // Sentinel: bob's first text is the next one.
  send_text_ok(*alice_, "alice", "bob", "second");
  EXPECT_TRUE(is_text(expect_message(*bob_, "TEXT_MESSAGE"), "alice@localhost", "bob@localhost", "second"));
}

TEST_F(IntegrationText, SpoofedSenderGetsError9005) {
  send_request(*alice_, "TEXT_MESSAGE", json::object{{"sender", "bob"}, {"receiver", "alice"}, {"content", "fake"}},
               "sp");
  const auto error = expect_either(*alice_, "TEXT_MESSAGE_ACK", "ERROR");
  EXPECT_TRUE(is_error(error, 9005, "TEXT_MESSAGE"));
  EXPECT_TRUE(has_id(error, "sp"));
  EXPECT_FALSE(alice_->has_queued("TEXT_MESSAGE"));
  send_text_ok(*alice_, "alice", "bob", "real");
  EXPECT_TRUE(is_text(expect_message(*bob_, "TEXT_MESSAGE"), "alice@localhost", "bob@localhost", "real"));
}

node_options small_text_limit() {
  node_options options;
  options.limits = {{"max_text_bytes", 100}};
  return options;
}

class IntegrationTextLimits : public IntegrationText {
 protected:
  IntegrationTextLimits() : IntegrationText(small_text_limit()) {}
};

TEST_F(IntegrationTextLimits, ContentOverMaxTextBytesGets9006) {
  const std::string at_limit(100, 'a');
  const std::string over_limit(101, 'b');
  EXPECT_TRUE(has_fields(send_text(*alice_, "alice", "bob", at_limit), "TEXT_MESSAGE_ACK", json::object{{"code", 0}}));

  const auto ack = send_text(*alice_, "alice", "bob", over_limit, "big");
  EXPECT_TRUE(has_fields_without(ack, "TEXT_MESSAGE_ACK", json::object{{"receiver", "bob"}, {"code", 9006}},
                                 {"messageId"}));
  EXPECT_TRUE(has_id(ack, "big"));
  // Bytes, not characters: 34 three-byte characters are 102 bytes.
  std::string wide;
  for (int i = 0; i < 34; ++i) wide += "\xe2\x82\xac";
  EXPECT_TRUE(has_fields(send_text(*alice_, "alice", "bob", wide), "TEXT_MESSAGE_ACK", json::object{{"code", 9006}}));

  // Only the first was delivered: the sentinel is bob's second text.
  send_text_ok(*alice_, "alice", "bob", "sentinel");
  EXPECT_TRUE(is_text(expect_message(*bob_, "TEXT_MESSAGE"), "alice@localhost", "bob@localhost", at_limit));
  EXPECT_TRUE(is_text(expect_message(*bob_, "TEXT_MESSAGE"), "alice@localhost", "bob@localhost", "sentinel"));
}

}  // namespace
}  // namespace chatnode::testing
