// Message-history sync against a real node (docs/protocol.md §12): two friends exchange
// messages, then sync all of them, sync with `after`, and resume a sync that a dropped
// connection cut short.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using client::make_message;
using namespace std::chrono_literals;

constexpr int message_count = 150;

struct sent_message {
  std::string id;
  std::string sender;
  std::string receiver;
  std::string content;
};

class IntegrationHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.start();
    alice_ = node_.connect();
    bob_ = node_.connect();
    ASSERT_TRUE(is_response(register_user(*alice_, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
    ASSERT_TRUE(is_response(register_user(*bob_, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
    ASSERT_TRUE(is_response(login(*alice_, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
    ASSERT_TRUE(is_response(login(*bob_, "bob", "pw"), "LOGIN_RESPONSE", true, 0));
  }

  // alice asks, bob accepts (docs §7).
  void make_friends() {
    alice_->send(make_message("FRIEND_REQUEST", json::object{{"sender", "alice"}, {"receiver", "bob"}}));
    auto ack = expect_reply(*alice_, {"FRIEND_REQUEST_ACK", "ERROR"});
    ASSERT_EQ(type_of(ack), "FRIEND_REQUEST_ACK") << json::serialize(ack);
    ASSERT_EQ(code_of(ack), 0);
    auto request = expect_reply(*bob_, {"FRIEND_REQUEST"});
    EXPECT_EQ(request.at("payload").at("sender"), "alice@localhost");
    bob_->send(make_message("FRIEND_REQUEST_RESPONSE",
                            json::object{{"sender", "alice"}, {"receiver", "bob"}, {"code", 0}}));
    auto response = expect_reply(*alice_, {"FRIEND_REQUEST_RESPONSE", "ERROR"});
    ASSERT_EQ(type_of(response), "FRIEND_REQUEST_RESPONSE") << json::serialize(response);
    ASSERT_EQ(code_of(response), 0);
  }

  // message_count messages, alternating alice→bob and bob→alice, each acknowledged
  // before the next (docs §9).
  void exchange_messages() {
    for (int i = 0; i < message_count; ++i) {
      const bool from_alice = i % 2 == 0;
      auto& conn = from_alice ? *alice_ : *bob_;
      sent_message m{{}, from_alice ? "alice@localhost" : "bob@localhost", from_alice ? "bob@localhost" : "alice@localhost",
                     "message " + std::to_string(i + 1)};
      conn.send(make_message("TEXT_MESSAGE",
                             json::object{{"sender", from_alice ? "alice" : "bob"},
                                          {"receiver", from_alice ? "bob" : "alice"},
                                          {"content", m.content}},
                             "t" + std::to_string(i)));
      auto ack = expect_reply(conn, {"TEXT_MESSAGE_ACK", "ERROR"});
      ASSERT_EQ(type_of(ack), "TEXT_MESSAGE_ACK") << json::serialize(ack);
      ASSERT_EQ(code_of(ack), 0) << json::serialize(ack);
      ASSERT_EQ(ack.at("id"), json::value("t" + std::to_string(i)));
      m.id = std::string(ack.at("payload").at("messageId").as_string());
      sent_.push_back(std::move(m));
    }
  }

  // Sends MESSAGE_HISTORY_REQUEST and expects RESPONSE 0 and BEGIN 0.
  static void start_sync(client::connection& conn, json::object filters = {}) {
    filters["username"] = "alice";
    conn.send(make_message("MESSAGE_HISTORY_REQUEST", std::move(filters), "h"));
    auto response = expect_reply(conn, {"MESSAGE_HISTORY_RESPONSE", "ERROR"});
    ASSERT_EQ(type_of(response), "MESSAGE_HISTORY_RESPONSE") << json::serialize(response);
    ASSERT_EQ(code_of(response), 0);
    EXPECT_EQ(response.at("payload").at("username"), "alice@localhost");
    auto begin = expect_reply(conn, {"MESSAGE_HISTORY_BEGIN", "ERROR"});
    ASSERT_EQ(type_of(begin), "MESSAGE_HISTORY_BEGIN") << json::serialize(begin);
    ASSERT_EQ(code_of(begin), 0);
  }
  static json::object next_step(client::connection& conn) {
    return expect_reply(conn, {"MESSAGE_HISTORY_DATA", "MESSAGE_HISTORY_COMPLETE", "ERROR"});
  }
  static void send_data_ack(client::connection& conn, std::int64_t chunk) {
    conn.send(make_message("MESSAGE_HISTORY_DATA_ACK",
                           json::object{{"username", "alice"}, {"chunkIndex", chunk}, {"code", 0}}));
  }

  // A whole sync on `conn`; returns the chunks' items.
  static std::vector<std::vector<json::object>> sync(client::connection& conn, json::object filters = {}) {
    std::vector<std::vector<json::object>> chunks;
    start_sync(conn, std::move(filters));
    if (::testing::Test::HasFatalFailure()) return chunks;
    conn.send(make_message("MESSAGE_HISTORY_BEGIN_ACK", json::object{{"username", "alice"}, {"code", 0}}));
    auto step = next_step(conn);
    while (type_of(step) == "MESSAGE_HISTORY_DATA" && chunks.size() < 100) {
      const auto chunk = step.at("payload").at("chunkIndex").as_int64();
      EXPECT_EQ(chunk, static_cast<std::int64_t>(chunks.size()) + 1);
      std::vector<json::object> items;
      for (const auto& item : step.at("payload").at("messages").as_array()) items.push_back(item.as_object());
      chunks.push_back(std::move(items));
      send_data_ack(conn, chunk);
      step = next_step(conn);
    }
    EXPECT_EQ(type_of(step), "MESSAGE_HISTORY_COMPLETE") << json::serialize(step);
    EXPECT_EQ(code_of(step), 0);
    conn.send(make_message("MESSAGE_HISTORY_COMPLETE_ACK", json::object{{"username", "alice"}, {"code", 0}}));
    return chunks;
  }

  // The items must be sent_[first..] in order, with every field right.
  void expect_items(const std::vector<json::object>& items, std::size_t first) {
    ASSERT_LE(first + items.size(), sent_.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& item = items[i];
      const auto& want = sent_[first + i];
      EXPECT_EQ(item.at("messageId"), json::value(want.id)) << i;
      EXPECT_EQ(item.at("sender"), json::value(want.sender)) << i;
      EXPECT_EQ(item.at("receiver"), json::value(want.receiver)) << i;
      EXPECT_EQ(item.at("content"), json::value(want.content)) << i;
      EXPECT_GT(item.at("timestamp").as_int64(), 1600000000) << i;
    }
  }

  node_process node_;
  std::unique_ptr<client::connection> alice_;
  std::unique_ptr<client::connection> bob_;
  std::vector<sent_message> sent_;
};

std::vector<json::object> flatten(const std::vector<std::vector<json::object>>& chunks) {
  std::vector<json::object> out;
  for (const auto& chunk : chunks) out.insert(out.end(), chunk.begin(), chunk.end());
  return out;
}

TEST_F(IntegrationHistory, FullSyncAfterFilterAndResumeAfterADrop) {
  ASSERT_NO_FATAL_FAILURE(make_friends());
  ASSERT_NO_FATAL_FAILURE(exchange_messages());
  for (std::size_t i = 1; i < sent_.size(); ++i)
    EXPECT_LT(std::stoull(sent_[i - 1].id), std::stoull(sent_[i].id)) << "messageIds must increase";

  // Everything, in two chunks.
  auto all = sync(*alice_);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].size(), 100u);
  EXPECT_EQ(all[1].size(), 50u);
  expect_items(flatten(all), 0);

  // bob's history holds the same messages.
  {
    bob_->send(make_message("MESSAGE_HISTORY_REQUEST", json::object{{"username", "bob"}, {"limit", 1}}));
    auto response = expect_reply(*bob_, {"MESSAGE_HISTORY_RESPONSE", "ERROR"});
    EXPECT_EQ(code_of(response), 0) << json::serialize(response);
  }

  // After the 100th message: the last 50.
  auto rest = sync(*alice_, json::object{{"after", sent_[99].id}});
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].size(), 50u);
  expect_items(rest[0], 100);

  // The connection drops after the first DATA; a new connection asks again with `after`.
  start_sync(*alice_);
  ASSERT_FALSE(HasFatalFailure());
  alice_->send(make_message("MESSAGE_HISTORY_BEGIN_ACK", json::object{{"username", "alice"}, {"code", 0}}));
  auto first = next_step(*alice_);
  ASSERT_EQ(type_of(first), "MESSAGE_HISTORY_DATA") << json::serialize(first);
  const auto& items = first.at("payload").at("messages").as_array();
  ASSERT_EQ(items.size(), 100u);
  const std::string last_seen(items.back().at("messageId").as_string());
  alice_->abort();

  auto again = node_.connect();
  json::object reply;
  for (int attempt = 0; attempt < 50; ++attempt) {  // until the node noticed the drop
    reply = login(*again, "alice", "pw");
    if (code_of(reply) != 2002) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(is_response(reply, "LOGIN_RESPONSE", true, 0));
  auto resumed = sync(*again, json::object{{"after", last_seen}});
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].size(), 50u);
  expect_items(resumed[0], 100);
}

TEST_F(IntegrationHistory, AFreshUserHasNoHistory) {
  auto carol = node_.connect();
  ASSERT_TRUE(is_response(register_user(*carol, "carol", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*carol, "carol", "pw"), "LOGIN_RESPONSE", true, 0));
  carol->send(make_message("MESSAGE_HISTORY_REQUEST", json::object{{"username", "carol"}}, "h"));
  auto response = expect_reply(*carol, {"MESSAGE_HISTORY_RESPONSE", "ERROR"});
  EXPECT_EQ(type_of(response), "MESSAGE_HISTORY_RESPONSE") << json::serialize(response);
  EXPECT_EQ(code_of(response), 6001);
  EXPECT_EQ(response.at("payload").at("username"), "carol@localhost");
  EXPECT_EQ(response.at("id"), "h");
  // No BEGIN follows; an ack has no sync to belong to.
  carol->send(make_message("MESSAGE_HISTORY_BEGIN_ACK", json::object{{"username", "carol"}, {"code", 0}}));
  auto error = expect_reply(*carol, {"ERROR", "MESSAGE_HISTORY_BEGIN"});
  EXPECT_TRUE(is_error(error, 9003, "MESSAGE_HISTORY_BEGIN_ACK")) << json::serialize(error);
}

}  // namespace
}  // namespace chatnode::testing
