// How the node answers bad input: malformed JSON, unknown types, missing or mistyped
// fields, requests before login, spoofed acting users; and that the seed's own
// examples (comments, trailing commas) are accepted as they are written.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using client::make_message;

// Verbatim from seed-protocol.md.
constexpr const char* seed_register_request = R"({
  "type": "REGISTER_REQUEST",
  "timestamp": 1630000000,
  "payload": {
    "username": "user123",
    "passwordHash": "hashed_password"
  }
})";
constexpr const char* seed_login_request = R"({
  "type": "LOGIN_REQUEST",
  "timestamp": 1630000002,
  "payload": {
    "username": "user123",
    "passwordHash": "hashed_password"
  }
})";
// The seed's example has an unterminated string: it is malformed JSON.
constexpr const char* seed_group_leader_change = R"({
  "type": "GROUP_LEADER_CHANGE",
  "timestamp": 1630000013,
  "payload": {
    "sender": "user123",
    "group": "Group Chat 1",
    "newLeader": "user456
   }
})";
// Trailing comma.
constexpr const char* seed_friend_remove = R"({
  "type": "FRIEND_REMOVE",
  "timestamp": 1630000006,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
  }
})";
// Line comment.
constexpr const char* seed_media_message = R"({
    "type": "MEDIA_MESSAGE",
    "timestamp": 1630000015,
    "payload": {
        "sender": "user123",
        "receiver": "user456",
        "mediaId": "media123",
        "mediaType": "image/jpeg",
        "mediaSize": 10485760 // Size in bytes
    }
})";

// Sends an unknown-type probe and returns everything received before the node's 9002
// answer to it: what the node said about the earlier requests, whatever it was.
std::vector<json::object> replies_before_probe(client::connection& conn) {
  conn.send(make_message("ZZ_PROBE", json::object{}, "probe"));
  std::vector<json::object> seen;
  for (;;) {
    auto message = conn.next(std::chrono::seconds(10));
    if (!message) throw std::runtime_error("no answer to the probe");
    if (type_of(*message) == "ERROR" && code_of(*message) == 9002) {
      const auto* reply_to = message->at("payload").as_object().if_contains("inReplyTo");
      if (reply_to != nullptr && reply_to->is_string() && reply_to->get_string() == "ZZ_PROBE") return seen;
    }
    seen.push_back(std::move(*message));
  }
}

TEST(IntegrationProtocol, RequestsBeforeLoginGet9004) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  for (const char* type : {"FRIEND_REQUEST", "USER_LOGOUT", "USER_STATUS_UPDATE", "TEXT_MESSAGE"}) {
    SCOPED_TRACE(type);
    conn->send(make_message(type, json::object{{"sender", "alice"},
                                               {"username", "alice"},
                                               {"receiver", "bob"},
                                               {"status", "online"},
                                               {"content", "hi"}}));
    EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9004, type));
  }
  EXPECT_TRUE(conn->is_open());
  EXPECT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationProtocol, MalformedJsonGets9001AndTheConnectionStaysOpen) {
  node_process node;
  node.start();
  auto conn = node.connect();
  for (const char* text : {seed_group_leader_change, "{not json", "", "[1,2", "{\"type\": \"REGISTER_REQUEST\""}) {
    SCOPED_TRACE(text);
    conn->send_text(text);
    EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9001));
  }
  EXPECT_TRUE(conn->is_open());
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
}

TEST(IntegrationProtocol, UnknownTypeGets9002) {
  node_process node;
  node.start();
  auto conn = node.connect();
  conn->send(make_message("FOO", json::object{{"x", 1}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9002, "FOO"));
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
}

TEST(IntegrationProtocol, MissingFieldGets9003) {
  node_process node;
  node.start();
  auto conn = node.connect();
  conn->send(make_message("REGISTER_REQUEST", json::object{{"username", "alice"}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9003, "REGISTER_REQUEST"));
  conn->send(make_message("LOGIN_REQUEST", json::object{{"passwordHash", "pw"}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9003, "LOGIN_REQUEST"));
  // Nothing was registered by the bad request.
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
}

TEST(IntegrationProtocol, WrongFieldTypeGets9003) {
  node_process node;
  node.start();
  auto conn = node.connect();
  conn->send(make_message("REGISTER_REQUEST", json::object{{"username", 5}, {"passwordHash", "pw"}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9003, "REGISTER_REQUEST"));
  conn->send(make_message("REGISTER_REQUEST", json::object{{"username", "alice"}, {"passwordHash", json::array{}}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9003, "REGISTER_REQUEST"));
  // A payload that is not an object.
  conn->send_text(R"({"type":"REGISTER_REQUEST","timestamp":1,"payload":"alice"})");
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9003, "REGISTER_REQUEST"));
  EXPECT_TRUE(conn->is_open());
}

TEST(IntegrationProtocol, SeedAccountExamplesWorkVerbatim) {
  node_process node;
  node.start();
  auto conn = node.connect();
  conn->send_text(seed_register_request);
  EXPECT_TRUE(is_response(expect_reply(*conn, {"REGISTER_RESPONSE", "ERROR"}), "REGISTER_RESPONSE", true, 0));
  conn->send_text(seed_login_request);
  EXPECT_TRUE(is_response(expect_reply(*conn, {"LOGIN_RESPONSE", "ERROR"}), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationProtocol, CommentsAndTrailingCommasAreAccepted) {
  node_process node;
  node.start();
  auto conn = node.connect();
  conn->send_text(R"({
    // a comment before the type
    "type": "REGISTER_REQUEST", /* and a block comment */
    "timestamp": 1630000000,
    "payload": {
      "username": "alice", // Success
      "passwordHash": "pw",
    },
  })");
  EXPECT_TRUE(is_response(expect_reply(*conn, {"REGISTER_RESPONSE", "ERROR"}), "REGISTER_RESPONSE", true, 0));

  // The seed's client examples with a trailing comma / a comment, sent as user123: the
  // node may refuse them for what they ask (user456 does not exist), but must parse them.
  conn->send_text(seed_register_request);
  ASSERT_TRUE(is_response(expect_reply(*conn, {"REGISTER_RESPONSE", "ERROR"}), "REGISTER_RESPONSE", true, 0));
  conn->send_text(seed_login_request);
  ASSERT_TRUE(is_response(expect_reply(*conn, {"LOGIN_RESPONSE", "ERROR"}), "LOGIN_RESPONSE", true, 0));
  for (const char* text : {seed_friend_remove, seed_media_message}) {
    SCOPED_TRACE(text);
    conn->send_text(text);
    for (const auto& reply : replies_before_probe(*conn)) {
      EXPECT_FALSE(type_of(reply) == "ERROR" && (code_of(reply) == 9001 || code_of(reply) == 9003))
          << json::serialize(reply);
    }
  }
  EXPECT_TRUE(conn->is_open());
}

TEST(IntegrationProtocol, SpoofedActingUserGets9005) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(register_user(*conn, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));

  conn->send(make_message("USER_STATUS_UPDATE", json::object{{"username", "bob"}, {"status", "away"}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9005, "USER_STATUS_UPDATE"));
  conn->send(make_message("USER_STATUS_UPDATE", json::object{{"username", "bob@localhost"}, {"status", "away"}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9005, "USER_STATUS_UPDATE"));
  conn->send(make_message("USER_LOGOUT", json::object{{"username", "bob"}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9005, "USER_LOGOUT"));
  // The spoofed logout did not log anyone out: the connection is open and still alice's.
  EXPECT_TRUE(conn->is_open());

  // alice's own name, bare or full, is alice: whatever the node answers to those (it may
  // answer nothing), it is not 9005; the spoofed request after them is.
  conn->send(make_message("USER_STATUS_UPDATE", json::object{{"username", "alice"}, {"status", "away"}}, "own-bare"));
  conn->send(
      make_message("USER_STATUS_UPDATE", json::object{{"username", "alice@localhost"}, {"status", "online"}}, "own-full"));
  conn->send(make_message("USER_STATUS_UPDATE", json::object{{"username", "bob"}, {"status", "away"}}, "spoof"));
  for (;;) {
    const auto error = expect_reply(*conn, {"ERROR"});
    const auto* id = error.if_contains("id");
    ASSERT_TRUE(id != nullptr && id->is_string()) << json::serialize(error);
    if (id->get_string() == "spoof") {
      EXPECT_TRUE(is_error(error, 9005, "USER_STATUS_UPDATE"));
      break;
    }
    EXPECT_NE(code_of(error), 9005) << "alice's own name was refused: " << json::serialize(error);
    EXPECT_NE(code_of(error), 9004) << json::serialize(error);
  }
  EXPECT_TRUE(conn->is_open());
}

}  // namespace
}  // namespace chatnode::testing
