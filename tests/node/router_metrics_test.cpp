// What the router counts for /metrics: messages once accepted (a refused one is not counted,
// a chunk sent twice is counted once), and the time from a request to its reply.
#include "router_fixture.hpp"

#include "node/request_latency.hpp"

#include <gtest/gtest.h>

namespace chatnode::node {
namespace {
using testing::eventually_true;
using testing::fake_session;
using protocol::message_type;

class RouterMetricsTest : public testing::router_fixture {
 protected:
  // As the WebSocket session does: each frame inside a request_scope.
  boost::json::object timed(const std::shared_ptr<fake_session>& s, const std::string& frame) {
    {
      request_scope scope(router_->latency());
      send(s, frame);
    }
    return s->next();
  }
  // Takes frames until one of `type` (others dropped).
  boost::json::object next_of(const std::shared_ptr<fake_session>& s, const std::string& type) {
    for (int i = 0; i < 20; ++i) {
      auto m = s->next();
      if (m.empty()) break;
      if (m.at("type").as_string() == type) return m;
    }
    ADD_FAILURE() << "no " << type;
    return {};
  }
  std::uint64_t count(message_kind kind) const { return router_->metrics().messages.get(kind); }
  std::uint64_t timed_count(message_type type) const { return router_->metrics().latency.of(type).read().count; }
};

TEST_F(RouterMetricsTest, CountsAcceptedMessagesByType) {
  auto alice = session(), bob = session();
  reg(alice, "alice");
  reg(bob, "bob");
  ASSERT_EQ(code(login(alice, "alice")), 0);
  ASSERT_EQ(code(login(bob, "bob")), 0);

  send(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"nobody"}})");
  EXPECT_EQ(code(next_of(alice, "FRIEND_REQUEST_ACK")), 3001);
  send(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":"not yet"}})");
  EXPECT_NE(code(next_of(alice, "TEXT_MESSAGE_ACK")), 0);
  EXPECT_EQ(count(message_kind::friend_request), 0u) << "refused requests are not counted";
  EXPECT_EQ(count(message_kind::text), 0u);

  send(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})");
  EXPECT_EQ(code(next_of(alice, "FRIEND_REQUEST_ACK")), 0);
  send(bob, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":"alice","receiver":"bob","code":0}})");
  next_of(alice, "FRIEND_REQUEST_RESPONSE");
  send(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":"hi"}})");
  EXPECT_EQ(code(next_of(alice, "TEXT_MESSAGE_ACK")), 0);
  send(alice, R"({"type":"GROUP_CREATE","payload":{"sender":"alice","members":["bob"],"name":"G"}})");
  EXPECT_EQ(code(next_of(alice, "GROUP_CREATE_ACK")), 0);
  send(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"G","content":"all"}})");
  EXPECT_EQ(code(next_of(alice, "TEXT_MESSAGE_ACK")), 0);

  send(alice, R"({"type":"MEDIA_MESSAGE","payload":{"sender":"alice","receiver":"bob","mediaId":"m1","mediaType":"text/plain","mediaSize":4}})");
  EXPECT_EQ(code(next_of(alice, "MEDIA_MESSAGE_ACK")), 0);
  const std::string chunk1 =
      R"({"type":"MEDIA_MESSAGE_DATA","payload":{"sender":"alice","receiver":"bob","mediaId":"m1","data":"YWI=","chunkIndex":1,"totalChunks":2}})";
  send(alice, chunk1);
  EXPECT_EQ(code(next_of(alice, "MEDIA_MESSAGE_DATA_ACK")), 0);
  send(alice, chunk1);  // again: acknowledged again, stored once
  EXPECT_EQ(code(next_of(alice, "MEDIA_MESSAGE_DATA_ACK")), 0);

  EXPECT_TRUE(eventually_true([&] { return count(message_kind::media_chunk) == 1; })) << count(message_kind::media_chunk);
  EXPECT_EQ(count(message_kind::friend_request), 1u);
  EXPECT_EQ(count(message_kind::text), 1u);
  EXPECT_EQ(count(message_kind::group_text), 1u);
}

TEST_F(RouterMetricsTest, CrossingFriendRequestsCountBoth) {
  auto alice = session(), bob = session();
  reg(alice, "alice");
  reg(bob, "bob");
  ASSERT_EQ(code(login(alice, "alice")), 0);
  ASSERT_EQ(code(login(bob, "bob")), 0);
  send(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})");
  EXPECT_EQ(code(next_of(alice, "FRIEND_REQUEST_ACK")), 0);
  send(bob, R"({"type":"FRIEND_REQUEST","payload":{"sender":"bob","receiver":"alice"}})");
  EXPECT_EQ(code(next_of(bob, "FRIEND_REQUEST_ACK")), 0);
  EXPECT_EQ(count(message_kind::friend_request), 2u);
}

TEST_F(RouterMetricsTest, TimesRequestsToTheirReply) {
  auto alice = session(), bob = session();
  reg(alice, "alice");
  reg(bob, "bob");
  ASSERT_EQ(code(login(alice, "alice")), 0);
  ASSERT_EQ(code(login(bob, "bob")), 0);

  // Answered after a writer job: timed when the reply is queued, once.
  EXPECT_EQ(timed(alice, R"({"type":"FRIEND_LIST_REQUEST","payload":{"username":"alice"}})").at("type"), "FRIEND_LIST_RESPONSE");
  EXPECT_TRUE(eventually_true([&] { return timed_count(message_type::friend_list_request) == 1; }));
  EXPECT_EQ(code(timed(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})")), 0);
  EXPECT_TRUE(eventually_true([&] { return timed_count(message_type::friend_request) == 1; }));
  EXPECT_EQ(code(timed(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":"x"}})")), 7002);
  EXPECT_TRUE(eventually_true([&] { return timed_count(message_type::text_message) == 1; }));
  // Refused at once: timed as well (the reply is the ERROR).
  EXPECT_EQ(timed(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"mallory","receiver":"bob","content":"x"}})").at("type"), "ERROR");
  EXPECT_EQ(timed_count(message_type::text_message), 2u);
  // Untimed frames (no scope: federation, tests) leave the histograms alone.
  send(alice, R"({"type":"FRIEND_LIST_REQUEST","payload":{"username":"alice"}})");
  alice->next();
  EXPECT_EQ(timed_count(message_type::friend_list_request), 1u);
  EXPECT_EQ(timed_count(message_type::friend_request), 1u);
}

}  // namespace
}  // namespace chatnode::node
