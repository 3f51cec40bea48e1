// Every example of seed-protocol.md, pasted verbatim (comments, trailing commas and the
// broken GROUP_LEADER_CHANGE included), decodes to exactly the fields it shows.
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>

namespace chatnode::protocol {
namespace {

using test::decode_as;

// ---- the examples, in the order of seed-protocol.md ------------------------------------
constexpr std::string_view seed_register_request = R"json({
  "type": "REGISTER_REQUEST",
  "timestamp": 1630000000,
  "payload": {
    "username": "user123",
    "passwordHash": "hashed_password"
  }
}
)json";

constexpr std::string_view seed_register_response = R"json({
  "type": "REGISTER_RESPONSE",
  "timestamp": 1630000001,
  "payload": {
    "success": true,
    "code": 0
  }
}
)json";

constexpr std::string_view seed_login_request = R"json({
  "type": "LOGIN_REQUEST",
  "timestamp": 1630000002,
  "payload": {
    "username": "user123",
    "passwordHash": "hashed_password"
  }
}
)json";

constexpr std::string_view seed_login_response = R"json({
    "type": "LOGIN_RESPONSE",
    "timestamp": 1630000003,
    "payload": {
        "success": true,
        "code": 0 // Success
    }
}
)json";

constexpr std::string_view seed_friend_request = R"json({
  "type": "FRIEND_REQUEST",
  "timestamp": 1630000004,
  "payload": {
    "sender": "user123",
    "receiver": "user456"
  }
}
)json";

constexpr std::string_view seed_friend_request_ack = R"json({
  "type": "FRIEND_REQUEST_ACK",
  "timestamp": 1630000004,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
    "code": 0 // Acknowledged
  }
}
)json";

constexpr std::string_view seed_friend_request_response = R"json({
  "type": "FRIEND_REQUEST_RESPONSE",
  "timestamp": 1630000005,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
    "code": 0 // Request accepted
  }
}
)json";

constexpr std::string_view seed_friend_remove = R"json({
  "type": "FRIEND_REMOVE",
  "timestamp": 1630000006,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
  }
}
)json";

constexpr std::string_view seed_friend_remove_ack = R"json({
  "type": "FRIEND_REMOVE_ACK",
  "timestamp": 1630000006,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
    "code": 0 // Acknowledged
  }
}
)json";

constexpr std::string_view seed_group_create = R"json({
  "type": "GROUP_CREATE",
  "timestamp": 1630000007,
  "payload": {
    "sender": "user123",
    "members": ["user456", "user789"],
    "name": "Group Chat 1"
  }
}
)json";

constexpr std::string_view seed_group_create_ack_success = R"json({
  "type": "GROUP_CREATE_ACK",
  "timestamp": 1630000008,
  "payload": {
    "sender": "user123",
    "members": ["user456", "user789"],
    "name": "Group Chat 1",
    "code": 0 // Success
  }
}
)json";

constexpr std::string_view seed_group_create_ack_failure = R"json({
  "type": "GROUP_CREATE_ACK",
  "timestamp": 1630000008,
  "payload": {
    "sender": "user123",
    "not-friends": ["user789"],
    "name": "Group Chat 1",
    "code": 4001 // Not all members are friends
  }
}
)json";

constexpr std::string_view seed_group_invite = R"json({
  "type": "GROUP_INVITE",
  "timestamp": 1630000009,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
    "group": "Group Chat 1"
  }
}
)json";

constexpr std::string_view seed_group_invite_response_accept = R"json({
  "type": "GROUP_INVITE_RESPONSE",
  "timestamp": 1630000010,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
    "group": "Group Chat 1",
    "code": 0 // Invitation accepted
  }
}
)json";

constexpr std::string_view seed_group_invite_response_reject = R"json({
  "type": "GROUP_INVITE_RESPONSE",
  "timestamp": 1630000010,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
    "group": "Group Chat 1",
    "code": 5001 // Invitation rejected
  }
}
)json";

constexpr std::string_view seed_group_leave = R"json({
  "type": "GROUP_LEAVE",
  "timestamp": 1630000011,
  "payload": {
    "sender": "user123",
    "group": "Group Chat 1"
  }
}
)json";

constexpr std::string_view seed_group_leave_ack = R"json({
  "type": "GROUP_LEAVE_ACK",
  "timestamp": 1630000011,
  "payload": {
    "sender": "user123",
    "group": "Group Chat 1",
    "code": 0
  }
}
)json";

constexpr std::string_view seed_group_remove = R"json({
  "type": "GROUP_REMOVE",
  "timestamp": 1630000012,
  "payload": {
    "sender": "user123",
    "group": "Group Chat 1"
  }
}
)json";

constexpr std::string_view seed_group_remove_ack = R"json({
  "type": "GROUP_REMOVE_ACK",
  "timestamp": 1630000012,
  "payload": {
    "sender": "user123",
    "group": "Group Chat 1",
    "code": 0 // Acknowledged
  }
}
)json";

constexpr std::string_view seed_group_leader_change = R"json({
  "type": "GROUP_LEADER_CHANGE",
  "timestamp": 1630000013,
  "payload": {
    "sender": "user123",
    "group": "Group Chat 1",
    "newLeader": "user456
   }
}
)json";

constexpr std::string_view seed_group_leader_change_ack = R"json({
  "type": "GROUP_LEADER_CHANGE_ACK",
  "timestamp": 1630000013,
  "payload": {
    "sender": "user123",
    "group": "Group Chat 1",
    "newLeader": "user456",
    "code": 0 // Acknowledged
  }
}
)json";

constexpr std::string_view seed_text_message = R"json({
  "type": "TEXT_MESSAGE",
  "timestamp": 1630000014,
  "payload": {
    "sender": "user123",
    "receiver": "user456",
    "content": "Hello, how are you?"
  }
}
)json";

constexpr std::string_view seed_media_message = R"json({
    "type": "MEDIA_MESSAGE",
    "timestamp": 1630000015,
    "payload": {
        "sender": "user123",
        "receiver": "user456",
        "mediaId": "media123",
        "mediaType": "image/jpeg",
        "mediaSize": 10485760 // Size in bytes
    }
}
)json";

constexpr std::string_view seed_media_message_ack = R"json({
    "type": "MEDIA_MESSAGE_ACK",
    "timestamp": 1630000016,
    "payload": {
        "sender": "user456",
        "receiver": "user123",
        "mediaId": "media123",
        "code": 0 // Acknowledged
    }
}
)json";

constexpr std::string_view seed_media_message_data = R"json({
    "type": "MEDIA_MESSAGE_DATA",
    "timestamp": 1630000017,
    "payload": {
        "sender": "user123",
        "receiver": "user456",
        "mediaId": "media123",
        "data": "base64_encoded_chunk",
        "chunkIndex": 1,
        "totalChunks": 10
    }
}
)json";

constexpr std::string_view seed_media_message_data_ack = R"json({
    "type": "MEDIA_MESSAGE_DATA_ACK",
    "timestamp": 1630000018,
    "payload": {
        "sender": "user456",
        "receiver": "user123",
        "mediaId": "media123",
        "chunkIndex": 1,
        "code": 0 // Acknowledged
    }
}
)json";

constexpr std::string_view seed_media_message_complete = R"json({
    "type": "MEDIA_MESSAGE_COMPLETE",
    "timestamp": 1630000019,
    "payload": {
        "sender": "user456",
        "receiver": "user123",
        "mediaId": "media123",
        "code": 0 // Transfer complete
    }
}
)json";

constexpr std::string_view seed_media_message_complete_ack = R"json({
    "type": "MEDIA_MESSAGE_COMPLETE_ACK",
    "timestamp": 1630000020,
    "payload": {
        "sender": "user123",
        "receiver": "user456",
        "mediaId": "media123",
        "code": 0 // Acknowledged
    }
}
)json";

constexpr std::string_view seed_user_status_update = R"json({
  "type": "USER_STATUS_UPDATE",
  "timestamp": 1630000021,
  "payload": {
    "username": "user123",
    "status": "online"
  }
}
)json";

constexpr std::string_view seed_user_logout = R"json({
  "type": "USER_LOGOUT",
  "timestamp": 1630000022,
  "payload": {
    "username": "user123"
  }
}
)json";

constexpr std::string_view seed_message_history_request = R"json({
  "type": "MESSAGE_HISTORY_REQUEST",
  "timestamp": 1630000023,
  "payload": {
  "username": "user123"
  }
}
)json";

constexpr std::string_view seed_message_history_response_success = R"json({
  "type": "MESSAGE_HISTORY_RESPONSE",
  "timestamp": 1630000024,
  "payload": {
  "username": "user123",
  "code": 0 // Success
  }
}
)json";

constexpr std::string_view seed_message_history_response_failure = R"json({
  "type": "MESSAGE_HISTORY_RESPONSE",
  "timestamp": 1630000024,
  "payload": {
  "username": "user123",
  "code": 6001 // No history found
  }
}
)json";

constexpr std::string_view seed_message_history_begin = R"json({
  "type": "MESSAGE_HISTORY_BEGIN",
  "timestamp": 1630000025,
  "payload": {
  "username": "user123",
  "code": 0 // Handshake initiated
  }
}
)json";

constexpr std::string_view seed_message_history_data = R"json({
  "type": "MESSAGE_HISTORY_DATA",
  "timestamp": 1630000026,
  "payload": {
  "username": "user123",
  "messages": [
    {
    "timestamp": 1630000001,
    "sender": "user123",
    "receiver": "user456",
    "content": "Hello!"
    },
    {
    "timestamp": 1630000002,
    "sender": "user456",
    "receiver": "user123",
    "content": "Hi there!"
    }
  ]
  }
}
)json";

constexpr std::string_view seed_message_history_complete = R"json({
  "type": "MESSAGE_HISTORY_COMPLETE",
  "timestamp": 1630000027,
  "payload": {
  "username": "user123",
  "code": 0 // Transfer complete
  }
}
)json";

// ---- accounts ---------------------------------------------------------------------------
TEST(SeedExamples, Registration) {
  EXPECT_EQ(decode_as<register_request>(seed_register_request, 1630000000),
            (register_request{.username = "user123", .password_hash = "hashed_password"}));
  EXPECT_EQ(decode_as<register_response>(seed_register_response, 1630000001),
            (register_response{.success = true, .code = 0}));
}

TEST(SeedExamples, Login) {
  EXPECT_EQ(decode_as<login_request>(seed_login_request, 1630000002),
            (login_request{.username = "user123", .password_hash = "hashed_password"}));
  EXPECT_EQ(decode_as<login_response>(seed_login_response, 1630000003),
            (login_response{.success = true, .code = 0}));
}

// ---- friends ----------------------------------------------------------------------------
TEST(SeedExamples, FriendRequest) {
  EXPECT_EQ(decode_as<friend_request>(seed_friend_request, 1630000004),
            (friend_request{.sender = "user123", .receiver = "user456"}));
  EXPECT_EQ(decode_as<friend_request_ack>(seed_friend_request_ack, 1630000004),
            (friend_request_ack{.sender = "user123", .receiver = "user456", .code = 0}));
  EXPECT_EQ(decode_as<friend_request_response>(seed_friend_request_response, 1630000005),
            (friend_request_response{.sender = "user123", .receiver = "user456", .code = 0}));
}

TEST(SeedExamples, FriendRemoveWithTrailingComma) {
  EXPECT_EQ(decode_as<friend_remove>(seed_friend_remove, 1630000006),
            (friend_remove{.sender = "user123", .receiver = "user456"}));
  EXPECT_EQ(decode_as<friend_remove_ack>(seed_friend_remove_ack, 1630000006),
            (friend_remove_ack{.sender = "user123", .receiver = "user456", .code = 0}));
}

// ---- groups -----------------------------------------------------------------------------
TEST(SeedExamples, GroupCreate) {
  EXPECT_EQ(decode_as<group_create>(seed_group_create, 1630000007),
            (group_create{.sender = "user123",
                          .members = {"user456", "user789"},
                          .name = "Group Chat 1"}));
}

TEST(SeedExamples, GroupCreateAckSuccessHasMembers) {
  const auto ack = decode_as<group_create_ack>(seed_group_create_ack_success, 1630000008);
  EXPECT_EQ(ack, (group_create_ack{.sender = "user123",
                                   .members = std::vector<std::string>{"user456", "user789"},
                                   .not_friends = std::nullopt,
                                   .name = "Group Chat 1",
                                   .code = 0,
                                   .group_id = std::nullopt}));
}

TEST(SeedExamples, GroupCreateAckFailureHasHyphenatedNotFriends) {
  const auto ack = decode_as<group_create_ack>(seed_group_create_ack_failure, 1630000008);
  EXPECT_EQ(ack, (group_create_ack{.sender = "user123",
                                   .members = std::nullopt,
                                   .not_friends = std::vector<std::string>{"user789"},
                                   .name = "Group Chat 1",
                                   .code = 4001,
                                   .group_id = std::nullopt}));
}

TEST(SeedExamples, GroupInvite) {
  EXPECT_EQ(decode_as<group_invite>(seed_group_invite, 1630000009),
            (group_invite{.sender = "user123", .receiver = "user456", .group = "Group Chat 1",
                          .group_id = std::nullopt}));
  EXPECT_EQ(
      decode_as<group_invite_response>(seed_group_invite_response_accept, 1630000010),
      (group_invite_response{.sender = "user123", .receiver = "user456",
                             .group = "Group Chat 1", .code = 0, .group_id = std::nullopt}));
  EXPECT_EQ(
      decode_as<group_invite_response>(seed_group_invite_response_reject, 1630000010),
      (group_invite_response{.sender = "user123", .receiver = "user456",
                             .group = "Group Chat 1", .code = 5001, .group_id = std::nullopt}));
}

TEST(SeedExamples, GroupLeaveAndRemove) {
  EXPECT_EQ(decode_as<group_leave>(seed_group_leave, 1630000011),
            (group_leave{.sender = "user123", .group = "Group Chat 1", .group_id = std::nullopt}));
  EXPECT_EQ(decode_as<group_leave_ack>(seed_group_leave_ack, 1630000011),
            (group_leave_ack{.sender = "user123", .group = "Group Chat 1", .code = 0,
                             .group_id = std::nullopt}));
  EXPECT_EQ(decode_as<group_remove>(seed_group_remove, 1630000012),
            (group_remove{.sender = "user123", .group = "Group Chat 1", .group_id = std::nullopt}));
  EXPECT_EQ(decode_as<group_remove_ack>(seed_group_remove_ack, 1630000012),
            (group_remove_ack{.sender = "user123", .group = "Group Chat 1", .code = 0,
                              .group_id = std::nullopt}));
}

// The seed's GROUP_LEADER_CHANGE example has an unterminated string ("user456 then a
// newline): it is not JSON, so it is refused as malformed rather than guessed at.
TEST(SeedExamples, GroupLeaderChangeExampleIsMalformed) {
  const auto result = decode(seed_group_leader_change);
  const auto* error = std::get_if<decode_error>(&result);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->error, code::malformed_json);
  EXPECT_FALSE(error->in_reply_to.has_value());
  EXPECT_FALSE(error->id.has_value());
}

TEST(SeedExamples, GroupLeaderChangeAck) {
  EXPECT_EQ(decode_as<group_leader_change_ack>(seed_group_leader_change_ack, 1630000013),
            (group_leader_change_ack{.sender = "user123", .group = "Group Chat 1",
                                     .new_leader = "user456", .code = 0,
                                     .group_id = std::nullopt}));
}

// ---- messaging --------------------------------------------------------------------------
TEST(SeedExamples, TextMessage) {
  EXPECT_EQ(decode_as<text_message>(seed_text_message, 1630000014),
            (text_message{.sender = "user123", .receiver = "user456",
                          .content = "Hello, how are you?", .message_id = std::nullopt,
                          .group_id = std::nullopt, .group = std::nullopt}));
}

TEST(SeedExamples, MediaMessage) {
  EXPECT_EQ(decode_as<media_message>(seed_media_message, 1630000015),
            (media_message{.sender = "user123", .receiver = "user456", .media_id = "media123",
                           .media_type = "image/jpeg", .media_size = 10485760,
                           .sha256 = std::nullopt, .total_chunks = std::nullopt,
                           .message_id = std::nullopt, .group_id = std::nullopt,
                           .group = std::nullopt}));
  EXPECT_EQ(decode_as<media_message_ack>(seed_media_message_ack, 1630000016),
            (media_message_ack{.sender = "user456", .receiver = "user123", .media_id = "media123",
                               .code = 0, .received_chunks = std::nullopt}));
}

TEST(SeedExamples, MediaMessageData) {
  EXPECT_EQ(decode_as<media_message_data>(seed_media_message_data, 1630000017),
            (media_message_data{.sender = "user123", .receiver = "user456",
                                .media_id = "media123", .data = "base64_encoded_chunk",
                                .chunk_index = 1, .total_chunks = 10}));
  EXPECT_EQ(decode_as<media_message_data_ack>(seed_media_message_data_ack, 1630000018),
            (media_message_data_ack{.sender = "user456", .receiver = "user123",
                                    .media_id = "media123", .chunk_index = 1, .code = 0}));
}

TEST(SeedExamples, MediaMessageComplete) {
  EXPECT_EQ(decode_as<media_message_complete>(seed_media_message_complete, 1630000019),
            (media_message_complete{.sender = "user456", .receiver = "user123",
                                    .media_id = "media123", .code = 0}));
  EXPECT_EQ(decode_as<media_message_complete_ack>(seed_media_message_complete_ack, 1630000020),
            (media_message_complete_ack{.sender = "user123", .receiver = "user456",
                                        .media_id = "media123", .code = 0}));
}

// ---- presence ---------------------------------------------------------------------------
TEST(SeedExamples, Presence) {
  EXPECT_EQ(decode_as<user_status_update>(seed_user_status_update, 1630000021),
            (user_status_update{.username = "user123", .status = "online"}));
  EXPECT_EQ(decode_as<user_logout>(seed_user_logout, 1630000022),
            (user_logout{.username = "user123"}));
}

// ---- history ----------------------------------------------------------------------------
TEST(SeedExamples, HistoryHandshake) {
  EXPECT_EQ(decode_as<message_history_request>(seed_message_history_request, 1630000023),
            (message_history_request{.username = "user123", .with = std::nullopt,
                                     .before = std::nullopt, .after = std::nullopt,
                                     .limit = std::nullopt}));
  EXPECT_EQ(
      decode_as<message_history_response>(seed_message_history_response_success, 1630000024),
      (message_history_response{.username = "user123", .code = 0}));
  EXPECT_EQ(
      decode_as<message_history_response>(seed_message_history_response_failure, 1630000024),
      (message_history_response{.username = "user123", .code = 6001}));
  EXPECT_EQ(decode_as<message_history_begin>(seed_message_history_begin, 1630000025),
            (message_history_begin{.username = "user123", .code = 0}));
  EXPECT_EQ(decode_as<message_history_complete>(seed_message_history_complete, 1630000027),
            (message_history_complete{.username = "user123", .code = 0}));
}

TEST(SeedExamples, HistoryData) {
  const auto data = decode_as<message_history_data>(seed_message_history_data, 1630000026);
  EXPECT_EQ(data.username, "user123");
  EXPECT_FALSE(data.chunk_index.has_value());
  ASSERT_EQ(data.messages.size(), 2u);
  EXPECT_EQ(data.messages[0], (history_item{.timestamp = 1630000001, .sender = "user123",
                                            .receiver = "user456", .content = "Hello!"}));
  EXPECT_EQ(data.messages[1], (history_item{.timestamp = 1630000002, .sender = "user456",
                                            .receiver = "user123", .content = "Hi there!"}));
}

// Whatever the seed examples decode to also survives our strict encoder unchanged.
TEST(SeedExamples, EveryValidExampleRoundTripsThroughEncode) {
  const std::array examples = {
      seed_register_request, seed_register_response, seed_login_request, seed_login_response,
      seed_friend_request, seed_friend_request_ack, seed_friend_request_response,
      seed_friend_remove, seed_friend_remove_ack, seed_group_create,
      seed_group_create_ack_success, seed_group_create_ack_failure, seed_group_invite,
      seed_group_invite_response_accept, seed_group_invite_response_reject, seed_group_leave,
      seed_group_leave_ack, seed_group_remove, seed_group_remove_ack,
      seed_group_leader_change_ack, seed_text_message, seed_media_message,
      seed_media_message_ack, seed_media_message_data, seed_media_message_data_ack,
      seed_media_message_complete, seed_media_message_complete_ack, seed_user_status_update,
      seed_user_logout, seed_message_history_request, seed_message_history_response_success,
      seed_message_history_response_failure, seed_message_history_begin,
      seed_message_history_data, seed_message_history_complete};
  for (const auto example : examples) {
    const auto decoded = test::decode_ok(example);
    ASSERT_TRUE(decoded.has_value());
    const auto again = test::decode_ok(encode(*decoded));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *decoded);
  }
}

}  // namespace
}  // namespace chatnode::protocol
