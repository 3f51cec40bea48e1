// encode() → decode() gives back every message type unchanged, with all optional fields set
// and with none; encode() writes the documented wire form (names, key order, escaping).
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

namespace chatnode::protocol {
namespace {

using test::decode_ok;

constexpr std::int64_t ts = 1700000000;

// One message of each type with every field, optional or not, set to a non-default value.
std::vector<payload> full_samples() {
  const std::string gid = "#k3x9q2@alpha.example";
  const history_item text_item{.timestamp = 1630000001,
                               .sender = "alice@alpha.example",
                               .receiver = "Group Chat 1",
                               .content = "Hello!",
                               .message_id = "m-1",
                               .group_id = gid,
                               .group = "Group Chat 1",
                               .media_id = "media123",
                               .media_type = "image/jpeg",
                               .media_size = 10485760};
  return {
      register_request{.username = "alice", .password_hash = "hashed_password"},
      register_response{.success = true, .code = 1002},
      login_request{.username = "alice@alpha.example", .password_hash = "pw", .request_token = true},
      login_response{.success = true, .code = 0, .token = "q3VxT0kEn", .token_expires = 1702592000},
      friend_request{.sender = "alice", .receiver = "bob@beta.example"},
      friend_request_ack{.sender = "alice", .receiver = "bob", .code = 3001},
      friend_request_response{.sender = "alice", .receiver = "bob", .code = 3004},
      friend_remove{.sender = "alice", .receiver = "bob"},
      friend_remove_ack{.sender = "alice", .receiver = "bob", .code = 3002},
      group_create{.sender = "alice", .members = {"bob", "carol@beta.example"}, .name = "G 1"},
      group_create_ack{.sender = "alice",
                       .members = std::vector<std::string>{"bob"},
                       .not_friends = std::vector<std::string>{"carol", "dave"},
                       .name = "G 1",
                       .code = 4001,
                       .group_id = gid},
      group_invite{.sender = "alice", .receiver = "bob", .group = "G 1", .group_id = gid},
      group_invite_response{
          .sender = "alice", .receiver = "bob", .group = "G 1", .code = 5001, .group_id = gid},
      group_leave{.sender = "alice", .group = "G 1", .group_id = gid},
      group_leave_ack{.sender = "alice", .group = "G 1", .code = 9005, .group_id = gid},
      group_remove{.sender = "alice", .group = "G 1", .group_id = gid},
      group_remove_ack{.sender = "alice", .group = "G 1", .code = 9005, .group_id = gid},
      group_leader_change{
          .sender = "alice", .group = "G 1", .new_leader = "bob", .group_id = gid},
      group_leader_change_ack{.sender = "alice",
                              .group = "G 1",
                              .new_leader = "bob",
                              .code = 9005,
                              .group_id = gid},
      text_message{.sender = "alice",
                   .receiver = "G 1",
                   .content = "Hello, how are you?",
                   .message_id = "m-2",
                   .group_id = gid,
                   .group = "G 1"},
      text_message_ack{.message_id = "m-2", .receiver = "bob", .code = 7002},
      media_message{.sender = "alice",
                    .receiver = "bob",
                    .media_id = "media123",
                    .media_type = "image/jpeg",
                    .media_size = std::numeric_limits<std::uint64_t>::max(),
                    .sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    .total_chunks = 160,
                    .message_id = "m-3",
                    .group_id = gid,
                    .group = "G 1"},
      media_message_ack{.sender = "bob",
                        .receiver = "alice",
                        .media_id = "media123",
                        .code = 7001,
                        .received_chunks = std::vector<std::uint32_t>{1, 2, 4294967295u}},
      media_message_data{.sender = "alice",
                         .receiver = "bob",
                         .media_id = "media123",
                         .data = "aGVsbG8=",
                         .chunk_index = 3,
                         .total_chunks = 10},
      media_message_data_ack{
          .sender = "bob", .receiver = "alice", .media_id = "media123", .chunk_index = 3,
          .code = 9006},
      media_message_complete{
          .sender = "bob", .receiver = "alice", .media_id = "media123", .code = 9008},
      media_message_complete_ack{
          .sender = "alice", .receiver = "bob", .media_id = "media123", .code = 9008},
      user_status_update{.username = "alice", .status = "away"},
      user_logout{.username = "alice"},
      message_history_request{.username = "alice",
                              .with = "bob",
                              .before = history_bound{std::string("m-9")},
                              .after = history_bound{std::int64_t{-1}},
                              .limit = 50},
      message_history_response{.username = "alice", .code = 6001},
      message_history_begin{.username = "alice", .code = 1},
      message_history_begin_ack{.username = "alice", .code = 2},
      message_history_data{.username = "alice",
                           .messages = {text_item,
                                        history_item{.timestamp = 1630000002,
                                                     .sender = "bob",
                                                     .receiver = "alice",
                                                     .content = "Hi there!"}},
                           .chunk_index = 7},
      message_history_data_ack{.username = "alice", .chunk_index = 7, .code = 3},
      message_history_complete{.username = "alice", .code = 4},
      message_history_complete_ack{.username = "alice", .code = 5},
      friend_list_request{.username = "alice"},
      friend_list_response{
          .username = "alice@alpha.example",
          .friends = {friend_entry{.user = "bob@alpha.example", .status = "online"},
                      friend_entry{.user = "carol", .status = "away"}},
          .incoming = {"dave@alpha.example"},
          .outgoing = {"erin@beta.example", "frank"},
          .code = 9008},
      group_list_request{.username = "alice"},
      group_list_response{
          .username = "alice@alpha.example",
          .groups = {group_entry{.group_id = gid,
                                 .name = "G 1",
                                 .leader = "alice@alpha.example",
                                 .members = {"alice@alpha.example", "bob@alpha.example"},
                                 .invited = {"carol@alpha.example"}}},
          .invitations = {group_invitation{
              .group_id = "#z2@beta.example", .name = "Book club", .inviter = "dave@beta.example"}},
          .code = 9008},
      password_change_request{.username = "alice", .password_hash = "old", .new_password_hash = "new"},
      password_change_response{.username = "alice@alpha.example", .code = 2001},
      account_delete_request{.username = "alice", .password_hash = "pw"},
      account_delete_response{.username = "alice@alpha.example", .code = 2004},
      user_block{.sender = "alice", .receiver = "mallory@beta.example"},
      user_block_ack{.sender = "alice@alpha.example", .receiver = "alice@alpha.example", .code = 11001},
      user_unblock{.sender = "alice", .receiver = "bob"},
      user_unblock_ack{.sender = "alice@alpha.example", .receiver = "bob@alpha.example", .code = 11002},
      block_list_request{.username = "alice"},
      block_list_response{.username = "alice@alpha.example",
                          .blocked = {"bob@alpha.example", "mallory@beta.example"},
                          .code = 9008},
      error_message{.code = 9002, .message = "type: unknown message type",
                    .in_reply_to = "SEND_MONEY"},
  };
}

// The same messages with every optional field unset and required ones at their smallest.
std::vector<payload> minimal_samples() {
  return {
      register_request{.username = "a", .password_hash = "p"},
      register_response{},
      login_request{.username = "a", .password_hash = "p"},
      login_response{},
      friend_request{.sender = "a", .receiver = "b"},
      friend_request_ack{.sender = "a", .receiver = "b"},
      friend_request_response{.sender = "a", .receiver = "b"},
      friend_remove{.sender = "a", .receiver = "b"},
      friend_remove_ack{.sender = "a", .receiver = "b"},
      group_create{.sender = "a", .members = {}, .name = "g"},
      group_create_ack{.sender = "a", .name = "g"},
      group_invite{.sender = "a", .receiver = "b", .group = "g"},
      group_invite_response{.sender = "a", .receiver = "b", .group = "g"},
      group_leave{.sender = "a", .group = "g"},
      group_leave_ack{.sender = "a", .group = "g"},
      group_remove{.sender = "a", .group = "g"},
      group_remove_ack{.sender = "a", .group = "g"},
      group_leader_change{.sender = "a", .group = "g", .new_leader = "b"},
      group_leader_change_ack{.sender = "a", .group = "g", .new_leader = "b"},
      text_message{.sender = "a", .receiver = "b", .content = ""},
      text_message_ack{.receiver = "b"},
      media_message{.sender = "a", .receiver = "b", .media_id = "m", .media_type = "t"},
      media_message_ack{.sender = "b", .receiver = "a", .media_id = "m"},
      media_message_data{.sender = "a", .receiver = "b", .media_id = "m", .data = ""},
      media_message_data_ack{.sender = "b", .receiver = "a", .media_id = "m"},
      media_message_complete{.sender = "b", .receiver = "a", .media_id = "m"},
      media_message_complete_ack{.sender = "a", .receiver = "b", .media_id = "m"},
      user_status_update{.username = "a", .status = "s"},
      user_logout{.username = "a"},
      message_history_request{.username = "a"},
      message_history_response{.username = "a"},
      message_history_begin{.username = "a"},
      message_history_begin_ack{.username = "a"},
      message_history_data{.username = "a"},
      message_history_data_ack{.username = "a"},
      message_history_complete{.username = "a"},
      message_history_complete_ack{.username = "a"},
      friend_list_request{.username = "a"},
      friend_list_response{.username = "a"},
      group_list_request{.username = "a"},
      group_list_response{.username = "a"},
      password_change_request{.username = "a", .password_hash = "p", .new_password_hash = "q"},
      password_change_response{.username = "a"},
      account_delete_request{.username = "a", .password_hash = "p"},
      account_delete_response{.username = "a"},
      user_block{.sender = "a", .receiver = "b"},
      user_block_ack{.sender = "a", .receiver = "b"},
      user_unblock{.sender = "a", .receiver = "b"},
      user_unblock_ack{.sender = "a", .receiver = "b"},
      block_list_request{.username = "a"},
      block_list_response{.username = "a"},
      error_message{},
  };
}

void expect_one_sample_per_type(const std::vector<payload>& samples) {
  ASSERT_EQ(samples.size(), std::variant_size_v<payload>);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(samples[i].index(), i) << "sample " << i << " is out of order";
  }
}

void expect_round_trip(const envelope& e) {
  const std::string wire = encode(e);
  const auto back = decode_ok(wire);
  ASSERT_TRUE(back.has_value()) << wire;
  EXPECT_EQ(*back, e) << wire;
  // Encoding is deterministic, so a second trip gives the same bytes.
  EXPECT_EQ(encode(*back), wire);
}

TEST(RoundTrip, EveryTypeWithAllFieldsSet) {
  const auto samples = full_samples();
  expect_one_sample_per_type(samples);
  for (const auto& p : samples) {
    SCOPED_TRACE(std::string(to_string(type_of(p))));
    expect_round_trip(envelope{p, ts, "req-42"});
  }
}

TEST(RoundTrip, EveryTypeWithNoOptionalFields) {
  const auto samples = minimal_samples();
  expect_one_sample_per_type(samples);
  for (const auto& p : samples) {
    SCOPED_TRACE(std::string(to_string(type_of(p))));
    expect_round_trip(envelope{p, 0, std::nullopt});
  }
}

// Unset optionals are left out, not written as null or "".
TEST(RoundTrip, UnsetOptionalsAreOmitted) {
  EXPECT_EQ(encode(envelope{text_message{.sender = "a", .receiver = "b", .content = "c"}, 9,
                            std::nullopt}),
            R"({"type":"TEXT_MESSAGE","timestamp":9,"payload":{"sender":"a","receiver":"b","content":"c"}})");
  EXPECT_EQ(encode(envelope{group_create_ack{.sender = "a", .name = "g", .code = 0}, 9,
                            std::nullopt}),
            R"({"type":"GROUP_CREATE_ACK","timestamp":9,"payload":{"sender":"a","name":"g","code":0}})");
  EXPECT_EQ(encode(envelope{message_history_request{.username = "a"}, 9, std::nullopt}),
            R"({"type":"MESSAGE_HISTORY_REQUEST","timestamp":9,"payload":{"username":"a"}})");
}

TEST(RoundTrip, EmptyVectorsAreWrittenAsEmptyArrays) {
  EXPECT_EQ(encode(envelope{group_create{.sender = "a", .members = {}, .name = "g"}, 1,
                            std::nullopt}),
            R"({"type":"GROUP_CREATE","timestamp":1,"payload":{"sender":"a","members":[],"name":"g"}})");
  EXPECT_EQ(encode(envelope{message_history_data{.username = "a"}, 1, std::nullopt}),
            R"({"type":"MESSAGE_HISTORY_DATA","timestamp":1,"payload":{"username":"a","messages":[]}})");
  EXPECT_EQ(encode(envelope{friend_list_response{.username = "a"}, 1, std::nullopt}),
            R"({"type":"FRIEND_LIST_RESPONSE","timestamp":1,"payload":{"username":"a","friends":[],"incoming":[],"outgoing":[],"code":0}})");
  EXPECT_EQ(encode(envelope{group_list_response{.username = "a"}, 1, std::nullopt}),
            R"({"type":"GROUP_LIST_RESPONSE","timestamp":1,"payload":{"username":"a","groups":[],"invitations":[],"code":0}})");
  EXPECT_EQ(encode(envelope{block_list_response{.username = "a"}, 1, std::nullopt}),
            R"({"type":"BLOCK_LIST_RESPONSE","timestamp":1,"payload":{"username":"a","blocked":[],"code":0}})");
}

// Nested items keep their own empty arrays, and several items of each kind survive in order.
TEST(RoundTrip, ListsWithEmptyNestedArraysAndSeveralItems) {
  const envelope groups{
      group_list_response{
          .username = "a",
          .groups = {group_entry{.group_id = "#g1@x", .name = "g", .leader = "a"},
                     group_entry{.group_id = "#g2@x", .name = "h", .leader = "b",
                                 .members = {"b", "a"}}},
          .invitations = {group_invitation{.group_id = "#g3@x", .name = "i", .inviter = "c"},
                          group_invitation{.group_id = "#g4@x", .name = "i", .inviter = "d"}}},
      2, std::nullopt};
  EXPECT_EQ(
      encode(groups),
      R"({"type":"GROUP_LIST_RESPONSE","timestamp":2,"payload":{"username":"a","groups":[)"
      R"({"groupId":"#g1@x","name":"g","leader":"a","members":[],"invited":[]},)"
      R"({"groupId":"#g2@x","name":"h","leader":"b","members":["b","a"],"invited":[]}],)"
      R"("invitations":[{"groupId":"#g3@x","name":"i","inviter":"c"},)"
      R"({"groupId":"#g4@x","name":"i","inviter":"d"}],"code":0}})");
  expect_round_trip(groups);

  const envelope friends{
      friend_list_response{.username = "a",
                           .friends = {friend_entry{.user = "b", .status = "offline"},
                                       friend_entry{.user = "c", .status = "busy"}}},
      3, "f"};
  EXPECT_EQ(
      encode(friends),
      R"({"type":"FRIEND_LIST_RESPONSE","timestamp":3,"id":"f","payload":{"username":"a",)"
      R"("friends":[{"user":"b","status":"offline"},{"user":"c","status":"busy"}],)"
      R"("incoming":[],"outgoing":[],"code":0}})");
  expect_round_trip(friends);
}

// The exact bytes of every full sample: wire names (camelCase, "not-friends"), key order
// (type, timestamp, id, payload; then struct order) and number formats. Other modules and
// docs/ rely on this form.
TEST(RoundTrip, WireFormOfEveryType) {
  const std::vector<std::string_view> expected = {
#include "wire_forms.inc"
  };
  const auto samples = full_samples();
  ASSERT_EQ(expected.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(encode(envelope{samples[i], ts, "req-42"}), expected[i]);
  }
}

TEST(RoundTrip, StringsAreEscaped) {
  const std::string nasty = std::string("quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f ") +
                            std::string("nul\0 unit\x1f del\x7f", 15) + " utf8 \xc3\xa9\xe2\x82\xac";
  const envelope e{text_message{.sender = "a", .receiver = "b", .content = nasty}, 1,
                   "id\"with\\quotes"};
  const std::string wire = encode(e);
  EXPECT_EQ(wire,
            R"({"type":"TEXT_MESSAGE","timestamp":1,"id":"id\"with\\quotes","payload":{"sender":"a","receiver":"b","content":"quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f nul\u0000 unit\u001f del)"
            "\x7f"
            R"( utf8 )"
            "\xc3\xa9\xe2\x82\xac"
            R"("}})");
  expect_round_trip(e);
}

// The JSON escape of one ASCII byte, written out the slow way.
std::string reference_escape(char c) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
  }
  if (static_cast<unsigned char>(c) < 0x20) {
    constexpr std::string_view hex = "0123456789abcdef";
    return std::string("\\u00") + hex[static_cast<unsigned char>(c) >> 4] +
           hex[static_cast<unsigned char>(c) & 0xf];
  }
  return std::string(1, c);
}

// The encoder scans several bytes at a time: every ASCII byte, at every offset of a
// string longer than two such blocks, comes out escaped exactly when JSON requires it.
TEST(RoundTrip, EveryAsciiByteAtEveryOffset) {
  constexpr std::size_t length = 19;
  for (int c = 0; c < 0x80; ++c) {
    for (std::size_t offset = 0; offset < length; ++offset) {
      std::string content(length, 'x');
      content[offset] = static_cast<char>(c);
      const envelope e{text_message{.sender = "a", .receiver = "b", .content = content}, 1,
                       std::nullopt};
      const std::string expected =
          R"({"type":"TEXT_MESSAGE","timestamp":1,"payload":{"sender":"a","receiver":"b","content":")" +
          std::string(offset, 'x') + reference_escape(static_cast<char>(c)) +
          std::string(length - offset - 1, 'x') + R"("}})";
      ASSERT_EQ(encode(e), expected) << "byte " << c << " at " << offset;
      const auto back = decode_ok(expected);
      ASSERT_TRUE(back.has_value());
      ASSERT_EQ(*back, e);
    }
  }
}

TEST(RoundTrip, ExtremeIntegers) {
  expect_round_trip(envelope{
      friend_request_ack{.sender = "a", .receiver = "b", .code = std::numeric_limits<int>::min()},
      std::numeric_limits<std::int64_t>::min(), std::nullopt});
  expect_round_trip(envelope{
      friend_request_ack{.sender = "a", .receiver = "b", .code = std::numeric_limits<int>::max()},
      std::numeric_limits<std::int64_t>::max(), std::nullopt});
  EXPECT_EQ(encode(envelope{login_response{.success = false, .code = -1}, -7, std::nullopt}),
            R"({"type":"LOGIN_RESPONSE","timestamp":-7,"payload":{"success":false,"code":-1}})");
}

TEST(MakeError, BuildsAnErrorEnvelope) {
  const auto e = make_error(code::unknown_type, "type: unknown message type", "SEND_MONEY",
                            "req-9", 1700000001);
  EXPECT_EQ(e.timestamp, 1700000001);
  EXPECT_EQ(e.id, "req-9");
  EXPECT_EQ(std::get<error_message>(e.body),
            (error_message{.code = 9002, .message = "type: unknown message type",
                           .in_reply_to = "SEND_MONEY"}));
  EXPECT_EQ(
      encode(e),
      R"({"type":"ERROR","timestamp":1700000001,"id":"req-9","payload":{"code":9002,"message":"type: unknown message type","inReplyTo":"SEND_MONEY"}})");
}

TEST(MakeError, WithoutTypeOrId) {
  const auto e = make_error(code::malformed_json, "malformed JSON", std::nullopt, std::nullopt, 5);
  EXPECT_EQ(encode(e),
            R"({"type":"ERROR","timestamp":5,"payload":{"code":9001,"message":"malformed JSON"}})");
}

// The reply the node builds from a decode_error carries the request's type and id.
TEST(MakeError, FromDecodeError) {
  const auto result = decode(R"({"type":"NOPE","id":"x1","payload":{}})");
  const auto& err = std::get<decode_error>(result);
  const auto reply = make_error(err.error, err.message, err.in_reply_to, err.id, 7);
  EXPECT_EQ(
      encode(reply),
      R"({"type":"ERROR","timestamp":7,"id":"x1","payload":{"code":9002,"message":"type: unknown message type","inReplyTo":"NOPE"}})");
}

}  // namespace
}  // namespace chatnode::protocol
