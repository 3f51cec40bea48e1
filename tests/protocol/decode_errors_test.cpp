// Every way decode() refuses a frame (9001, 9002, 9003, 9006), what it accepts at the edges,
// and that the request's type and id are captured for the ERROR reply.
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace chatnode::protocol {
namespace {

using test::decode_fails;
using test::decode_ok;

static_assert(noexcept(decode(std::string_view{})), "decode must not throw");

// A frame of the given type and payload body (the text between the payload's braces).
std::string frame(std::string_view type, std::string_view payload_body) {
  std::string f = R"({"type":")";
  f += type;
  f += R"(","timestamp":1630000000,"id":"req-1","payload":{)";
  f += payload_body;
  f += "}}";
  return f;
}

// Expects a 9003 naming `message`, with the request's type and id captured.
void expect_invalid_field(std::string_view type, std::string_view payload_body,
                          std::string_view message) {
  const auto e = decode_fails(frame(type, payload_body));
  EXPECT_EQ(e.error, code::invalid_field) << payload_body;
  EXPECT_EQ(e.message, message) << payload_body;
  EXPECT_EQ(e.in_reply_to, std::string(type));
  EXPECT_EQ(e.id, "req-1");
}

template <class T>
T decode_payload(std::string_view type, std::string_view payload_body) {
  const auto e = decode_ok(frame(type, payload_body));
  if (!e) return T{};
  EXPECT_EQ(e->id, "req-1");
  if (const T* m = std::get_if<T>(&e->body)) return *m;
  ADD_FAILURE() << "decoded as " << to_string(type_of(e->body));
  return T{};
}

constexpr std::string_view text_body = R"("sender":"alice","receiver":"bob","content":"hi")";

// ---- 9001: not JSON ---------------------------------------------------------------------
TEST(DecodeErrors, NotJsonIsMalformed) {
  for (const std::string_view bad :
       {"", "   ", "not json", "{", R"({"type":"TEXT_MESSAGE")", R"({"type":TEXT_MESSAGE})",
        R"({"type":"USER_LOGOUT","payload":{"username":"a"}} trailing)",
        R"({"type":"USER_LOGOUT","payload":{"username":"a"}}{})",
        "{\"type\":\"USER_LOGOUT\",\"payload\":{\"username\":\"a\nb\"}}",  // raw newline
        "{\"type\":\"USER_LOGOUT\",\"payload\":{\"username\":\"\xff\"}}",   // bad UTF-8
        R"({"type":"USER_LOGOUT","timestamp":NaN,"payload":{"username":"a"}})",
        R"({'type':'USER_LOGOUT'})"}) {
    const auto e = decode_fails(bad);
    EXPECT_EQ(e.error, code::malformed_json) << bad;
    EXPECT_FALSE(e.in_reply_to.has_value()) << bad;
    EXPECT_FALSE(e.id.has_value()) << bad;
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(DecodeErrors, CommentsAndTrailingCommasAreAccepted) {
  const auto e = decode_ok(R"(
    // a client that writes like the seed
    {"type": "USER_LOGOUT", /* inline */ "timestamp": 5,
     "payload": {"username": "alice",},})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(std::get<user_logout>(e->body).username, "alice");
}

// ---- depth ------------------------------------------------------------------------------
std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(DecodeErrors, NestingBeyondMaxDepthIsMalformed) {
  const decode_limits limits;  // max_depth 16: the envelope and payload use 2 of them
  const auto at_limit = frame("USER_LOGOUT", R"("username":"a","x":)" + nested_arrays(14));
  EXPECT_TRUE(decode_ok(at_limit, limits).has_value());

  const auto beyond = frame("USER_LOGOUT", R"("username":"a","x":)" + nested_arrays(15));
  const auto e = decode_fails(beyond, limits);
  EXPECT_EQ(e.error, code::malformed_json);
  EXPECT_EQ(e.message, "message: nested deeper than 16 levels");
}

TEST(DecodeErrors, MaxDepthComesFromLimits) {
  // envelope → payload → messages array → item: 4 levels.
  const auto history = frame("MESSAGE_HISTORY_DATA", R"("username":"a","messages":[
      {"timestamp":1,"sender":"a","receiver":"b","content":"x"}])");
  decode_limits limits;
  limits.max_depth = 4;
  EXPECT_TRUE(decode_ok(history, limits).has_value());
  limits.max_depth = 3;
  EXPECT_EQ(decode_fails(history, limits).error, code::malformed_json);
}

// ---- 9006: frame too large ----------------------------------------------------------------
TEST(DecodeErrors, OversizeFrameIsTooLargeBeforeParsing) {
  decode_limits limits;
  limits.max_message_bytes = 64;
  // Not even JSON: the size check comes first.
  const auto e = decode_fails(std::string(65, '{'), limits);
  EXPECT_EQ(e.error, code::too_large);
  EXPECT_EQ(e.message, "message: larger than 64 bytes");

  std::string fits = R"({"type":"USER_LOGOUT","payload":{"username":"a"}})";
  fits.resize(64, ' ');
  EXPECT_TRUE(decode_ok(fits, limits).has_value());
  fits += ' ';
  EXPECT_EQ(decode_fails(fits, limits).error, code::too_large);
}

TEST(DecodeErrors, DefaultFrameLimitIs128KiB) {
  constexpr std::size_t limit = 128 * 1024;
  const std::string head = R"({"type":"TEXT_MESSAGE","payload":{"sender":"a","receiver":"b","content":")";
  const std::string tail = R"("}})";
  const std::string content(limit - head.size() - tail.size(), 'x');
  const auto e = decode_ok(head + content + tail);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(std::get<text_message>(e->body).content, content);
  EXPECT_EQ(decode_fails(head + content + "x" + tail).error, code::too_large);
}

TEST(DecodeErrors, TooManyGroupMembersIsTooLarge) {
  decode_limits limits;
  limits.max_members = 2;
  const auto two = frame("GROUP_CREATE", R"("sender":"a","members":["b","c"],"name":"g")");
  EXPECT_TRUE(decode_ok(two, limits).has_value());
  const auto three = frame("GROUP_CREATE", R"("sender":"a","members":["b","c","d"],"name":"g")");
  const auto e = decode_fails(three, limits);
  EXPECT_EQ(e.error, code::too_large);
  EXPECT_EQ(e.message, "payload.members: too many members");
  EXPECT_EQ(e.in_reply_to, "GROUP_CREATE");
  EXPECT_EQ(e.id, "req-1");
}

// ---- envelope: 9003 / 9002 ---------------------------------------------------------------
// docs/protocol.md §3: a frame that is JSON but not an object is malformed (9001).
TEST(DecodeErrors, JsonThatIsNotAnObjectIsMalformed) {
  for (const std::string_view bad : {"[]", "42", R"("TEXT_MESSAGE")", "null", "true"}) {
    const auto e = decode_fails(bad);
    EXPECT_EQ(e.error, code::malformed_json) << bad;
    EXPECT_EQ(e.message, "message: not a JSON object");
  }
}

TEST(DecodeErrors, MissingOrNonStringTypeIsInvalid) {
  auto e = decode_fails(R"({"id":"r7","payload":{}})");
  EXPECT_EQ(e.error, code::invalid_field);
  EXPECT_EQ(e.message, "type: missing");
  EXPECT_EQ(e.id, "r7");
  EXPECT_FALSE(e.in_reply_to.has_value());

  e = decode_fails(R"({"type":7,"id":"r8","payload":{}})");
  EXPECT_EQ(e.error, code::invalid_field);
  EXPECT_EQ(e.message, "type: expected string");
  EXPECT_EQ(e.id, "r8");
  EXPECT_FALSE(e.in_reply_to.has_value());
}

TEST(DecodeErrors, UnknownTypeEchoesTypeAndId) {
  const auto e = decode_fails(R"({"type":"SEND_MONEY","id":"abc","payload":{}})");
  EXPECT_EQ(e.error, code::unknown_type);
  EXPECT_EQ(e.in_reply_to, "SEND_MONEY");
  EXPECT_EQ(e.id, "abc");
  EXPECT_EQ(e.message, "type: unknown message type");
}

TEST(DecodeErrors, TypeNamesAreCaseSensitive) {
  const auto e = decode_fails(frame("text_message", text_body));
  EXPECT_EQ(e.error, code::unknown_type);
  EXPECT_EQ(e.in_reply_to, "text_message");
}

// A type longer than any field cannot be ours; it is not echoed back.
TEST(DecodeErrors, OverlongUnknownTypeIsNotEchoed) {
  const auto e = decode_fails(frame(std::string(400, 'X'), text_body));
  EXPECT_EQ(e.error, code::unknown_type);
  EXPECT_FALSE(e.in_reply_to.has_value());
  EXPECT_EQ(e.id, "req-1");
}

TEST(DecodeErrors, IdMustBeAShortString) {
  for (const std::string_view id : {"5", "null", "{}", "[\"a\"]", "true"}) {
    const auto e = decode_fails(R"({"type":"USER_LOGOUT","id":)" + std::string(id) +
                                R"(,"payload":{"username":"a"}})");
    EXPECT_EQ(e.error, code::invalid_field) << id;
    EXPECT_EQ(e.message, "id: expected string") << id;
    EXPECT_EQ(e.in_reply_to, "USER_LOGOUT");
    EXPECT_FALSE(e.id.has_value());
  }
  const auto e = decode_fails(R"({"type":"USER_LOGOUT","id":")" + std::string(321, 'i') +
                              R"(","payload":{"username":"a"}})");
  EXPECT_EQ(e.error, code::invalid_field);
  EXPECT_EQ(e.message, "id: too long");
  EXPECT_FALSE(e.id.has_value());
}

TEST(DecodeErrors, IdIsKeptOnSuccess) {
  const auto e = decode_ok(R"({"id":"","type":"USER_LOGOUT","payload":{"username":"a"}})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->id, "");
  const auto f = decode_ok(frame("USER_LOGOUT", R"("username":"a")"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->id, "req-1");
}

TEST(DecodeErrors, PayloadMustBeAnObject) {
  auto e = decode_fails(R"({"type":"USER_LOGOUT","id":"r"})");
  EXPECT_EQ(e.error, code::invalid_field);
  EXPECT_EQ(e.message, "payload: missing");
  EXPECT_EQ(e.in_reply_to, "USER_LOGOUT");
  EXPECT_EQ(e.id, "r");
  e = decode_fails(R"({"type":"USER_LOGOUT","payload":["username","a"]})");
  EXPECT_EQ(e.error, code::invalid_field);
  EXPECT_EQ(e.message, "payload: expected object");
}

// ---- timestamp --------------------------------------------------------------------------
TEST(DecodeErrors, TimestampIsOptionalAndIntegral) {
  const std::string_view logout = R"("payload":{"username":"a"}})";
  auto e = decode_ok(R"({"type":"USER_LOGOUT",)" + std::string(logout));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->timestamp, 0);
  e = decode_ok(R"({"type":"USER_LOGOUT","timestamp":1630000000.0,)" + std::string(logout));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->timestamp, 1630000000);
  e = decode_ok(R"({"type":"USER_LOGOUT","timestamp":1.63e9,)" + std::string(logout));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->timestamp, 1630000000);
  e = decode_ok(R"({"type":"USER_LOGOUT","timestamp":-5,)" + std::string(logout));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->timestamp, -5);

  const std::pair<std::string_view, std::string_view> bad[] = {
      {"1.5", "timestamp: expected integer"},
      {"\"1630000000\"", "timestamp: expected integer"},
      {"null", "timestamp: expected integer"},
      {"1e30", "timestamp: out of range"},
      {"9223372036854775808", "timestamp: out of range"}};
  for (const auto& [value, message] : bad) {
    const auto err = decode_fails(R"({"type":"USER_LOGOUT","id":"t","timestamp":)" +
                                  std::string(value) + "," + std::string(logout));
    EXPECT_EQ(err.error, code::invalid_field) << value;
    EXPECT_EQ(err.message, message) << value;
    EXPECT_EQ(err.id, "t");
    EXPECT_EQ(err.in_reply_to, "USER_LOGOUT");
  }
}

// ---- payload fields: 9003 ------------------------------------------------------------------
TEST(DecodeErrors, MissingFieldIsNamed) {
  expect_invalid_field("TEXT_MESSAGE", R"("sender":"alice","content":"hi")",
                       "payload.receiver: missing");
  expect_invalid_field("REGISTER_REQUEST", R"("username":"alice")",
                       "payload.passwordHash: missing");
  expect_invalid_field("GROUP_LEADER_CHANGE", R"("sender":"a","group":"g")",
                       "payload.newLeader: missing");
  expect_invalid_field("MEDIA_MESSAGE_DATA",
                       R"("sender":"a","receiver":"b","mediaId":"m","data":"","chunkIndex":1)",
                       "payload.totalChunks: missing");
  expect_invalid_field("REGISTER_RESPONSE", R"("code":0)", "payload.success: missing");
  expect_invalid_field("MESSAGE_HISTORY_DATA_ACK", R"("username":"a","code":0)",
                       "payload.chunkIndex: missing");
  expect_invalid_field("ERROR", R"("code":9001)", "payload.message: missing");
}

TEST(DecodeErrors, WrongTypeIsNamed) {
  expect_invalid_field("FRIEND_REQUEST_ACK", R"("sender":"a","receiver":"b","code":"0")",
                       "payload.code: expected integer");
  expect_invalid_field("FRIEND_REQUEST_ACK", R"("sender":"a","receiver":"b","code":0.5)",
                       "payload.code: expected integer");
  expect_invalid_field("TEXT_MESSAGE", R"("sender":"a","receiver":"b","content":42)",
                       "payload.content: expected string");
  expect_invalid_field("LOGIN_RESPONSE", R"("success":1,"code":0)",
                       "payload.success: expected boolean");
  expect_invalid_field("GROUP_CREATE", R"("sender":"a","members":"b","name":"g")",
                       "payload.members: expected array");
  expect_invalid_field("GROUP_CREATE", R"("sender":"a","members":["b",3],"name":"g")",
                       "payload.members[1]: expected string");
  expect_invalid_field("TEXT_MESSAGE", R"("sender":null,"receiver":"b","content":"x")",
                       "payload.sender: expected string");
  // An optional field, when present, must have the right type too (null included).
  expect_invalid_field("TEXT_MESSAGE", std::string(text_body) + R"(,"messageId":7)",
                       "payload.messageId: expected string");
  expect_invalid_field("TEXT_MESSAGE", std::string(text_body) + R"(,"groupId":null)",
                       "payload.groupId: expected string");
  expect_invalid_field("MEDIA_MESSAGE_ACK",
                       R"("sender":"a","receiver":"b","mediaId":"m","code":0,"receivedChunks":[1,"2"])",
                       "payload.receivedChunks[1]: expected integer");
}

TEST(DecodeErrors, IntegerRanges) {
  const auto data = [](std::string_view chunk) {
    return R"("sender":"a","receiver":"b","mediaId":"m","data":"","totalChunks":9,"chunkIndex":)" +
           std::string(chunk);
  };
  EXPECT_EQ(decode_payload<media_message_data>("MEDIA_MESSAGE_DATA", data("4294967295")).chunk_index,
            std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(decode_payload<media_message_data>("MEDIA_MESSAGE_DATA", data("0")).chunk_index, 0u);
  EXPECT_EQ(decode_payload<media_message_data>("MEDIA_MESSAGE_DATA", data("3.0")).chunk_index, 3u);
  expect_invalid_field("MEDIA_MESSAGE_DATA", data("-1"), "payload.chunkIndex: out of range");
  expect_invalid_field("MEDIA_MESSAGE_DATA", data("4294967296"),
                       "payload.chunkIndex: out of range");

  const auto media = [](std::string_view size) {
    return R"("sender":"a","receiver":"b","mediaId":"m","mediaType":"image/png","mediaSize":)" +
           std::string(size);
  };
  EXPECT_EQ(decode_payload<media_message>("MEDIA_MESSAGE", media("18446744073709551615")).media_size,
            std::numeric_limits<std::uint64_t>::max());
  expect_invalid_field("MEDIA_MESSAGE", media("-1"), "payload.mediaSize: out of range");
  expect_invalid_field("MEDIA_MESSAGE", media("18446744073709551616"),
                       "payload.mediaSize: out of range");

  const auto ack = [](std::string_view c) {
    return R"("sender":"a","receiver":"b","code":)" + std::string(c);
  };
  EXPECT_EQ(decode_payload<friend_request_ack>("FRIEND_REQUEST_ACK", ack("-2147483648")).code,
            std::numeric_limits<int>::min());
  expect_invalid_field("FRIEND_REQUEST_ACK", ack("2147483648"), "payload.code: out of range");
}

TEST(DecodeErrors, UserIdFieldsNeedUserIdSyntax) {
  expect_invalid_field("FRIEND_REQUEST", R"("sender":"bad user!","receiver":"bob")",
                       "payload.sender: invalid user id");
  expect_invalid_field("FRIEND_REQUEST", R"("sender":"alice","receiver":"Group Chat 1")",
                       "payload.receiver: invalid user id");
  expect_invalid_field("FRIEND_REQUEST", R"("sender":"alice","receiver":"")",
                       "payload.receiver: invalid user id");
  expect_invalid_field("USER_LOGOUT", R"("username":"a@b@c")",
                       "payload.username: invalid user id");
  expect_invalid_field("GROUP_LEADER_CHANGE", R"("sender":"a","group":"g","newLeader":"#x@y")",
                       "payload.newLeader: invalid user id");
  expect_invalid_field("GROUP_CREATE", R"("sender":"a","members":["b","c d"],"name":"g")",
                       "payload.members[1]: invalid user id");
  expect_invalid_field("GROUP_CREATE_ACK",
                       R"("sender":"a","not-friends":["-ok","x@-bad"],"name":"g","code":4001)",
                       "payload.not-friends[1]: invalid user id");

  // Bare and full forms, any case.
  const auto req = decode_payload<friend_request>(
      "FRIEND_REQUEST", R"("sender":"Alice@Alpha.Example","receiver":"bob@beta.example")");
  EXPECT_EQ(req.sender, "Alice@Alpha.Example");  // kept as sent; folding is the node's job
  EXPECT_EQ(req.receiver, "bob@beta.example");
}

TEST(DecodeErrors, MessageReceiversMayNameAGroup) {
  for (const std::string_view receiver : {"bob", "bob@beta.example", "#k3x9@alpha.example",
                                          "Group Chat 1"}) {
    const auto body = R"("sender":"alice","receiver":")" + std::string(receiver) +
                      R"(","content":"hi")";
    EXPECT_EQ(decode_payload<text_message>("TEXT_MESSAGE", body).receiver, receiver);
    const auto media = R"("sender":"alice","receiver":")" + std::string(receiver) +
                       R"(","mediaId":"m","mediaType":"image/png","mediaSize":1)";
    EXPECT_EQ(decode_payload<media_message>("MEDIA_MESSAGE", media).receiver, receiver);
  }
  expect_invalid_field("TEXT_MESSAGE", R"("sender":"alice","receiver":"","content":"hi")",
                       "payload.receiver: empty");
  expect_invalid_field("TEXT_MESSAGE",
                       R"("sender":"alice","receiver":")" + std::string(321, 'g') +
                           R"(","content":"hi")",
                       "payload.receiver: too long");
  // The sender of a message is still a user.
  expect_invalid_field("TEXT_MESSAGE", R"("sender":"Group Chat 1","receiver":"b","content":"x")",
                       "payload.sender: invalid user id");
}

// Acks and completion notices of media travel back from the media's receiver, which may be
// a group, so their sender is free-form too.
TEST(DecodeErrors, MediaRepliesMayComeFromAGroup) {
  const auto ack = decode_payload<media_message_ack>(
      "MEDIA_MESSAGE_ACK", R"("sender":"Group Chat 1","receiver":"alice","mediaId":"m","code":0)");
  EXPECT_EQ(ack.sender, "Group Chat 1");
  const auto complete = decode_payload<media_message_complete>(
      "MEDIA_MESSAGE_COMPLETE", R"("sender":"#g1@alpha.example","receiver":"alice","mediaId":"m","code":0)");
  EXPECT_EQ(complete.sender, "#g1@alpha.example");
  expect_invalid_field("MEDIA_MESSAGE_COMPLETE_ACK",
                       R"("sender":"Group Chat 1","receiver":"b","mediaId":"m","code":0)",
                       "payload.sender: invalid user id");
}

TEST(DecodeErrors, FieldLengthLimits) {
  const std::string name320(320, 'n');
  const std::string name321(321, 'n');
  EXPECT_EQ(decode_payload<group_leave>("GROUP_LEAVE", R"("sender":"a","group":")" + name320 + "\"")
                .group,
            name320);
  expect_invalid_field("GROUP_LEAVE", R"("sender":"a","group":")" + name321 + "\"",
                       "payload.group: too long");
  expect_invalid_field("GROUP_LEAVE", R"("sender":"a","group":"")", "payload.group: empty");
  expect_invalid_field("GROUP_CREATE", R"("sender":"a","members":[],"name":")" + name321 + "\"",
                       "payload.name: too long");
  expect_invalid_field("USER_STATUS_UPDATE", R"("username":"a","status":")" + name321 + "\"",
                       "payload.status: too long");
  expect_invalid_field(
      "MEDIA_MESSAGE",
      R"("sender":"a","receiver":"b","mediaId":"m","mediaSize":1,"mediaType":")" + name321 + "\"",
      "payload.mediaType: too long");
  expect_invalid_field("MEDIA_MESSAGE_COMPLETE",
                       R"("sender":"a","receiver":"b","mediaId":"","code":0)",
                       "payload.mediaId: empty");

  // The limit comes from decode_limits.
  decode_limits limits;
  limits.max_field_bytes = 8;
  EXPECT_TRUE(decode_ok(frame("GROUP_LEAVE", R"("sender":"a","group":"12345678")"), limits));
  EXPECT_EQ(decode_fails(frame("GROUP_LEAVE", R"("sender":"a","group":"123456789")"), limits)
                .message,
            "payload.group: too long");

  // content, data and passwordHash are bounded only by the frame.
  const std::string long_text(10000, 'c');
  EXPECT_EQ(decode_payload<text_message>(
                "TEXT_MESSAGE", R"("sender":"a","receiver":"b","content":")" + long_text + "\"")
                .content,
            long_text);
  EXPECT_EQ(decode_payload<register_request>(
                "REGISTER_REQUEST", R"("username":"a","passwordHash":")" + long_text + "\"")
                .password_hash,
            long_text);
  EXPECT_EQ(decode_payload<media_message_data>(
                "MEDIA_MESSAGE_DATA",
                R"("sender":"a","receiver":"b","mediaId":"m","chunkIndex":1,"totalChunks":1,"data":")" +
                    long_text + "\"")
                .data,
            long_text);
}

TEST(DecodeErrors, PasswordHashMustNotBeEmpty) {
  expect_invalid_field("LOGIN_REQUEST", R"("username":"a","passwordHash":"")",
                       "payload.passwordHash: empty");
}

TEST(DecodeErrors, GroupIdNeedsGroupIdSyntax) {
  expect_invalid_field("GROUP_LEAVE", R"("sender":"a","group":"g","groupId":"Group Chat 1")",
                       "payload.groupId: invalid group id");
  expect_invalid_field("TEXT_MESSAGE", std::string(text_body) + R"(,"groupId":"#a-b@x")",
                       "payload.groupId: invalid group id");
  EXPECT_EQ(decode_payload<group_leave>("GROUP_LEAVE",
                                        R"("sender":"a","group":"g","groupId":"#k3x9@alpha.example")")
                .group_id,
            "#k3x9@alpha.example");
}

TEST(DecodeErrors, HistoryBoundsAreIdsOrTimestamps) {
  const auto req = decode_payload<message_history_request>(
      "MESSAGE_HISTORY_REQUEST",
      R"("username":"a","with":"bob","before":"m-42","after":1630000000,"limit":50)");
  EXPECT_EQ(req.with, "bob");
  EXPECT_EQ(req.before, history_bound{std::string("m-42")});
  EXPECT_EQ(req.after, history_bound{std::int64_t{1630000000}});
  EXPECT_EQ(req.limit, 50u);

  expect_invalid_field("MESSAGE_HISTORY_REQUEST", R"("username":"a","before":true)",
                       "payload.before: expected string or integer");
  expect_invalid_field("MESSAGE_HISTORY_REQUEST", R"("username":"a","after":1.5)",
                       "payload.after: expected integer");
  expect_invalid_field("MESSAGE_HISTORY_REQUEST", R"("username":"a","after":"")",
                       "payload.after: empty");
  expect_invalid_field("MESSAGE_HISTORY_REQUEST", R"("username":"a","limit":-1)",
                       "payload.limit: out of range");
}

TEST(DecodeErrors, HistoryItemsAreValidatedWithTheirPath) {
  expect_invalid_field("MESSAGE_HISTORY_DATA",
                       R"("username":"a","messages":[
                          {"timestamp":1,"sender":"a","receiver":"b","content":"x"},
                          {"timestamp":2,"receiver":"b","content":"y"}])",
                       "payload.messages[1].sender: missing");
  expect_invalid_field("MESSAGE_HISTORY_DATA",
                       R"("username":"a","messages":[{"timestamp":"x","sender":"a","receiver":"b","content":"x"}])",
                       "payload.messages[0].timestamp: expected integer");
  expect_invalid_field("MESSAGE_HISTORY_DATA", R"("username":"a","messages":["hello"])",
                       "payload.messages[0]: expected object");
  expect_invalid_field("MESSAGE_HISTORY_DATA", R"("username":"a","messages":{})",
                       "payload.messages: expected array");
}

TEST(DecodeErrors, TooManyHistoryItemsIsInvalid) {
  decode_limits limits;
  limits.max_history_items = 1;
  const std::string item = R"({"timestamp":1,"sender":"a","receiver":"b","content":"x"})";
  EXPECT_TRUE(decode_ok(frame("MESSAGE_HISTORY_DATA", R"("username":"a","messages":[)" + item + "]"),
                        limits));
  const auto e = decode_fails(
      frame("MESSAGE_HISTORY_DATA", R"("username":"a","messages":[)" + item + "," + item + "]"),
      limits);
  EXPECT_EQ(e.error, code::invalid_field);
  EXPECT_EQ(e.message, "payload.messages: too many items");
}

// ---- lists (addition): nested objects, validated with their schemas ------------------------
constexpr std::string_view friend_lists_tail = R"(,"incoming":[],"outgoing":[],"code":0)";
constexpr std::string_view group_lists_tail = R"(,"invitations":[],"code":0)";

std::string friend_list(std::string_view friends) {
  return R"("username":"a","friends":)" + std::string(friends) + std::string(friend_lists_tail);
}
std::string group_list(std::string_view groups) {
  return R"("username":"a","groups":)" + std::string(groups) + std::string(group_lists_tail);
}

TEST(DecodeErrors, FriendListEntriesAreValidatedWithTheirPath) {
  expect_invalid_field("FRIEND_LIST_RESPONSE", friend_list(R"([{"user":"b"}])"),
                       "payload.friends[0].status: missing");
  expect_invalid_field("FRIEND_LIST_RESPONSE",
                       friend_list(R"([{"user":"b","status":"online"},{"status":"away"}])"),
                       "payload.friends[1].user: missing");
  expect_invalid_field("FRIEND_LIST_RESPONSE",
                       friend_list(R"([{"user":"Group Chat 1","status":"online"}])"),
                       "payload.friends[0].user: invalid user id");
  expect_invalid_field("FRIEND_LIST_RESPONSE", friend_list(R"([{"user":"b","status":""}])"),
                       "payload.friends[0].status: empty");
  expect_invalid_field("FRIEND_LIST_RESPONSE", friend_list(R"([{"user":"b","status":7}])"),
                       "payload.friends[0].status: expected string");
  expect_invalid_field("FRIEND_LIST_RESPONSE",
                       friend_list(R"([{"user":"b","status":")" + std::string(321, 's') + "\"}]"),
                       "payload.friends[0].status: too long");
  expect_invalid_field("FRIEND_LIST_RESPONSE", friend_list(R"(["b"])"),
                       "payload.friends[0]: expected object");
  expect_invalid_field("FRIEND_LIST_RESPONSE", friend_list(R"({"user":"b","status":"online"})"),
                       "payload.friends: expected array");

  // The id arrays hold user ids, and every field is required (arrays may be empty).
  expect_invalid_field("FRIEND_LIST_RESPONSE",
                       R"("username":"a","friends":[],"incoming":["b","c d"],"outgoing":[],"code":0)",
                       "payload.incoming[1]: invalid user id");
  expect_invalid_field("FRIEND_LIST_RESPONSE",
                       R"("username":"a","friends":[],"incoming":[],"outgoing":[{}],"code":0)",
                       "payload.outgoing[0]: expected string");
  expect_invalid_field("FRIEND_LIST_RESPONSE", R"("username":"a","incoming":[],"outgoing":[],"code":0)",
                       "payload.friends: missing");
  expect_invalid_field("FRIEND_LIST_RESPONSE", R"("username":"a","friends":[],"outgoing":[],"code":0)",
                       "payload.incoming: missing");
  expect_invalid_field("FRIEND_LIST_RESPONSE", R"("username":"a","friends":[],"incoming":[],"code":0)",
                       "payload.outgoing: missing");
  expect_invalid_field("FRIEND_LIST_RESPONSE", R"("username":"a","friends":[],"incoming":[],"outgoing":[])",
                       "payload.code: missing");
  expect_invalid_field("FRIEND_LIST_RESPONSE", R"("friends":[],"incoming":[],"outgoing":[],"code":0)",
                       "payload.username: missing");
}

TEST(DecodeErrors, GroupListEntriesAreValidatedWithTheirPath) {
  constexpr std::string_view g = R"("groupId":"#g1@x","name":"g","leader":"a")";
  const auto group = [&](std::string_view rest) { return "[{" + std::string(g) + std::string(rest) + "}]"; };
  EXPECT_TRUE(decode_ok(frame("GROUP_LIST_RESPONSE", group_list(group(R"(,"members":[],"invited":[])")))));

  expect_invalid_field("GROUP_LIST_RESPONSE", group_list(group(R"(,"members":["a"])")),
                       "payload.groups[0].invited: missing");
  expect_invalid_field("GROUP_LIST_RESPONSE",
                       group_list(group(R"(,"members":["a","Group Chat 1"],"invited":[])")),
                       "payload.groups[0].members[1]: invalid user id");
  expect_invalid_field("GROUP_LIST_RESPONSE",
                       group_list(group(R"(,"members":["a"],"invited":"b")")),
                       "payload.groups[0].invited: expected array");
  expect_invalid_field(
      "GROUP_LIST_RESPONSE",
      group_list(R"([{"groupId":"Group Chat 1","name":"g","leader":"a","members":[],"invited":[]}])"),
      "payload.groups[0].groupId: invalid group id");
  expect_invalid_field(
      "GROUP_LIST_RESPONSE",
      group_list(R"([{"groupId":"#g1@x","name":"","leader":"a","members":[],"invited":[]}])"),
      "payload.groups[0].name: empty");
  expect_invalid_field(
      "GROUP_LIST_RESPONSE",
      group_list(R"([{"groupId":"#g1@x","name":"g","leader":"a b","members":[],"invited":[]}])"),
      "payload.groups[0].leader: invalid user id");

  expect_invalid_field("GROUP_LIST_RESPONSE",
                       R"("username":"a","groups":[],"invitations":[{"groupId":"#g1@x","name":"g"}],"code":0)",
                       "payload.invitations[0].inviter: missing");
  expect_invalid_field(
      "GROUP_LIST_RESPONSE",
      R"("username":"a","groups":[],"invitations":[{"groupId":"#g1@x","name":"g","inviter":"c@-x"}],"code":0)",
      "payload.invitations[0].inviter: invalid user id");
  expect_invalid_field("GROUP_LIST_RESPONSE", R"("username":"a","groups":[],"invitations":[null],"code":0)",
                       "payload.invitations[0]: expected object");
  expect_invalid_field("GROUP_LIST_RESPONSE", R"("username":"a","invitations":[],"code":0)",
                       "payload.groups: missing");
  expect_invalid_field("GROUP_LIST_RESPONSE", R"("username":"a","groups":[],"code":0)",
                       "payload.invitations: missing");
  expect_invalid_field("GROUP_LIST_RESPONSE", R"("username":"a","groups":[],"invitations":[])",
                       "payload.code: missing");
}

TEST(DecodeErrors, ListRequestsNeedAUsername) {
  for (const std::string_view type : {"FRIEND_LIST_REQUEST", "GROUP_LIST_REQUEST"}) {
    expect_invalid_field(type, "", "payload.username: missing");
    expect_invalid_field(type, R"("username":"not a user")", "payload.username: invalid user id");
  }
  EXPECT_EQ(decode_payload<friend_list_request>("FRIEND_LIST_REQUEST", R"("username":"alice")"),
            (friend_list_request{.username = "alice"}));
  EXPECT_EQ(decode_payload<group_list_request>("GROUP_LIST_REQUEST", R"("username":"alice")"),
            (group_list_request{.username = "alice"}));
}

// The node produces the lists: their arrays are bounded by the frame, not by max_members or
// max_history_items.
TEST(DecodeErrors, ListArraysAreBoundOnlyByTheFrame) {
  decode_limits limits;
  limits.max_members = 1;
  limits.max_history_items = 1;
  const std::string ids = R"(["u1","u2","u3"])";
  const std::string friends =
      R"([{"user":"u1","status":"online"},{"user":"u2","status":"away"},{"user":"u3","status":"busy"}])";
  const auto f = decode_ok(
      frame("FRIEND_LIST_RESPONSE", R"("username":"a","friends":)" + friends + R"(,"incoming":)" +
                                        ids + R"(,"outgoing":)" + ids + R"(,"code":0)"),
      limits);
  ASSERT_TRUE(f.has_value());
  const auto& fl = std::get<friend_list_response>(f->body);
  EXPECT_EQ(fl.friends.size(), 3u);
  EXPECT_EQ(fl.friends[2], (friend_entry{.user = "u3", .status = "busy"}));
  EXPECT_EQ(fl.incoming.size(), 3u);
  EXPECT_EQ(fl.outgoing.size(), 3u);

  const std::string group =
      R"({"groupId":"#g1@x","name":"g","leader":"u1","members":)" + ids + R"(,"invited":)" + ids + "}";
  const std::string invitation = R"({"groupId":"#g2@x","name":"h","inviter":"u2"})";
  const auto g = decode_ok(
      frame("GROUP_LIST_RESPONSE", R"("username":"a","groups":[)" + group + "," + group + "," +
                                       group + R"(],"invitations":[)" + invitation + "," +
                                       invitation + R"(],"code":0)"),
      limits);
  ASSERT_TRUE(g.has_value());
  const auto& gl = std::get<group_list_response>(g->body);
  ASSERT_EQ(gl.groups.size(), 3u);
  EXPECT_EQ(gl.groups[1].members, (std::vector<std::string>{"u1", "u2", "u3"}));
  EXPECT_EQ(gl.groups[1].invited.size(), 3u);
  EXPECT_EQ(gl.invitations.size(), 2u);

  // Nested fields still have the field length limit.
  limits.max_field_bytes = 5;  // "req-1" and "#g2@x" fit
  EXPECT_EQ(decode_fails(frame("GROUP_LIST_RESPONSE",
                               R"("username":"a","groups":[],"invitations":[{"groupId":"#g2@x","name":"hhhhhh","inviter":"u2"}],"code":0)"),
                         limits)
                .message,
            "payload.invitations[0].name: too long");
}

// The examples of docs/protocol.md §11, with concrete group ids for the elided ones.
TEST(DecodeErrors, ListExamplesOfTheDocsDecode) {
  EXPECT_EQ(
      decode_payload<friend_list_response>("FRIEND_LIST_RESPONSE", R"("username":"alice@alpha.example",
        "friends":[{"user":"bob@alpha.example","status":"online"}],
        "incoming":["dave@alpha.example"],"outgoing":["erin@alpha.example"],"code":0)"),
      (friend_list_response{.username = "alice@alpha.example",
                            .friends = {{.user = "bob@alpha.example", .status = "online"}},
                            .incoming = {"dave@alpha.example"},
                            .outgoing = {"erin@alpha.example"},
                            .code = 0}));
  EXPECT_EQ(
      decode_payload<group_list_response>("GROUP_LIST_RESPONSE", R"("username":"alice@alpha.example",
        "groups":[{"groupId":"#q7@alpha.example","name":"Group Chat 1","leader":"alice@alpha.example",
                   "members":["alice@alpha.example","bob@alpha.example"],"invited":["carol@alpha.example"]}],
        "invitations":[{"groupId":"#z2@alpha.example","name":"Book club","inviter":"dave@alpha.example"}],
        "code":0)"),
      (group_list_response{
          .username = "alice@alpha.example",
          .groups = {{.group_id = "#q7@alpha.example",
                      .name = "Group Chat 1",
                      .leader = "alice@alpha.example",
                      .members = {"alice@alpha.example", "bob@alpha.example"},
                      .invited = {"carol@alpha.example"}}},
          .invitations = {{.group_id = "#z2@alpha.example",
                           .name = "Book club",
                           .inviter = "dave@alpha.example"}},
          .code = 0}));
}

// envelope → payload → groups → group → members: 5 levels.
TEST(DecodeErrors, GroupListDepth) {
  const auto groups = frame(
      "GROUP_LIST_RESPONSE",
      group_list(R"([{"groupId":"#g1@x","name":"g","leader":"a","members":["a"],"invited":[]}])"));
  decode_limits limits;
  limits.max_depth = 5;
  EXPECT_TRUE(decode_ok(groups, limits).has_value());
  limits.max_depth = 4;
  EXPECT_EQ(decode_fails(groups, limits).error, code::malformed_json);
}

// Names are shown to people: no control characters, no bidirectional overrides or isolates
// (a name that displays as something else). Free text (content) may hold line breaks.
TEST(DecodeErrors, NamesRefuseControlAndBidiOverrideCharacters) {
  const std::string why = "payload.name: control or bidirectional-override characters";
  for (const std::string_view bad : {R"(evil\u202egnp.exe)", R"(a\u2066b)", R"(nul\u0000)", R"(tab\there)",
                                     R"(del\u007f)", R"(c1\u0085)"}) {
    expect_invalid_field("GROUP_CREATE", R"("sender":"alice","members":[],"name":")" + std::string(bad) + "\"", why);
  }
  // Other scripts, emoji and marks that do not override are fine.
  EXPECT_TRUE(decode_ok(R"({"type":"GROUP_CREATE","payload":{"sender":"alice","members":[],"name":"Κλαμπ 📚 \u200f"}})"));
  EXPECT_TRUE(decode_ok(R"({"type":"TEXT_MESSAGE","payload":{"sender":"a","receiver":"b","content":"two\nlines"}})"));
  expect_invalid_field("USER_STATUS_UPDATE", R"("username":"alice","status":"away\n")",
                       "payload.status: control or bidirectional-override characters");
}

// A login carries exactly one of passwordHash and token (docs/protocol.md §5).
TEST(DecodeErrors, LoginNeedsExactlyOneCredential) {
  expect_invalid_field("LOGIN_REQUEST", R"("username":"alice")", "payload: exactly one of passwordHash and token");
  expect_invalid_field("LOGIN_REQUEST", R"("username":"alice","passwordHash":"p","token":"t")",
                       "payload: exactly one of passwordHash and token");
  EXPECT_EQ(decode_payload<login_request>("LOGIN_REQUEST", R"("username":"alice","token":"t","requestToken":true)"),
            (login_request{.username = "alice", .token = "t", .request_token = true}));
}

// Account lifecycle (docs/protocol.md §5): both passwords present and non-empty, the
// acting user an id.
TEST(DecodeErrors, PasswordChangeAndAccountDeleteNeedTheirFields) {
  expect_invalid_field("PASSWORD_CHANGE_REQUEST", R"("username":"alice","passwordHash":"old")",
                       "payload.newPasswordHash: missing");
  expect_invalid_field("PASSWORD_CHANGE_REQUEST", R"("username":"alice","newPasswordHash":"new")",
                       "payload.passwordHash: missing");
  expect_invalid_field("PASSWORD_CHANGE_REQUEST", R"("username":"alice","passwordHash":"old","newPasswordHash":"")",
                       "payload.newPasswordHash: empty");
  expect_invalid_field("PASSWORD_CHANGE_REQUEST", R"("username":"alice","passwordHash":"old","newPasswordHash":7)",
                       "payload.newPasswordHash: expected string");
  expect_invalid_field("PASSWORD_CHANGE_REQUEST", R"("username":"a b","passwordHash":"old","newPasswordHash":"new")",
                       "payload.username: invalid user id");
  expect_invalid_field("ACCOUNT_DELETE_REQUEST", R"("username":"alice")", "payload.passwordHash: missing");
  expect_invalid_field("ACCOUNT_DELETE_REQUEST", R"("username":"alice","passwordHash":"")", "payload.passwordHash: empty");
  expect_invalid_field("ACCOUNT_DELETE_REQUEST", R"("passwordHash":"pw")", "payload.username: missing");
  EXPECT_EQ(decode_payload<password_change_request>(
                "PASSWORD_CHANGE_REQUEST", R"("username":"Alice","passwordHash":"old","newPasswordHash":"new")"),
            (password_change_request{.username = "Alice", .password_hash = "old", .new_password_hash = "new"}));
  EXPECT_EQ(decode_payload<account_delete_request>("ACCOUNT_DELETE_REQUEST", R"("username":"alice@alpha.example","passwordHash":"pw")"),
            (account_delete_request{.username = "alice@alpha.example", .password_hash = "pw"}));
}

// Blocks (docs/protocol.md §15): sender and receiver are user ids (of any domain), never a
// group; the block list holds user ids.
TEST(DecodeErrors, BlockMessagesNeedUserIds) {
  for (const std::string_view type : {"USER_BLOCK", "USER_UNBLOCK"}) {
    expect_invalid_field(type, R"("sender":"alice")", "payload.receiver: missing");
    expect_invalid_field(type, R"("receiver":"bob")", "payload.sender: missing");
    expect_invalid_field(type, R"("sender":"alice","receiver":"#g1@alpha.example")", "payload.receiver: invalid user id");
    expect_invalid_field(type, R"("sender":"alice","receiver":"Group Chat 1")", "payload.receiver: invalid user id");
    expect_invalid_field(type, R"("sender":"alice","receiver":["bob"])", "payload.receiver: expected string");
  }
  expect_invalid_field("USER_BLOCK_ACK", R"("sender":"alice","receiver":"bob")", "payload.code: missing");
  expect_invalid_field("BLOCK_LIST_REQUEST", "", "payload.username: missing");
  expect_invalid_field("BLOCK_LIST_RESPONSE", R"("username":"a","blocked":["b","c d"],"code":0)",
                       "payload.blocked[1]: invalid user id");
  expect_invalid_field("BLOCK_LIST_RESPONSE", R"("username":"a","blocked":"b","code":0)", "payload.blocked: expected array");
  EXPECT_EQ(decode_payload<user_block>("USER_BLOCK", R"("sender":"alice","receiver":"Mallory@Beta.Example")"),
            (user_block{.sender = "alice", .receiver = "Mallory@Beta.Example"}));
  EXPECT_EQ(decode_payload<block_list_response>("BLOCK_LIST_RESPONSE", R"("username":"a","blocked":[],"code":0)"),
            (block_list_response{.username = "a"}));
}

TEST(DecodeErrors, UnknownFieldsAreIgnored) {
  const auto e = decode_ok(R"({"type":"TEXT_MESSAGE","timestamp":3,"extra":{"a":[1,2]},
      "payload":{"sender":"a","receiver":"b","content":"hi","mood":"happy","code":"x"}})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(std::get<text_message>(e->body),
            (text_message{.sender = "a", .receiver = "b", .content = "hi"}));
}

}  // namespace
}  // namespace chatnode::protocol
