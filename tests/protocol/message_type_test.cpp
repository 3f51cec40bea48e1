// Message type names both ways, and the descriptions of result codes.
#include "protocol/codes.hpp"
#include "protocol/message_type.hpp"
#include "protocol/messages.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace chatnode::protocol {
namespace {

const std::vector<std::pair<message_type, std::string_view>>& all_types() {
  static const std::vector<std::pair<message_type, std::string_view>> types = {
#define CHATNODE_X(e, s) {message_type::e, s},
      CHATNODE_MESSAGE_TYPES(CHATNODE_X)
#undef CHATNODE_X
  };
  return types;
}

TEST(MessageType, EveryTypeRoundTrips) {
  ASSERT_EQ(all_types().size(), std::variant_size_v<payload>);
  for (const auto& [type, name] : all_types()) {
    EXPECT_EQ(to_string(type), name);
    EXPECT_EQ(message_type_from_string(name), type) << name;
  }
}

TEST(MessageType, SpotChecksOfWireNames) {
  EXPECT_EQ(to_string(message_type::register_request), "REGISTER_REQUEST");
  EXPECT_EQ(to_string(message_type::text_message_ack), "TEXT_MESSAGE_ACK");
  EXPECT_EQ(to_string(message_type::message_history_data_ack), "MESSAGE_HISTORY_DATA_ACK");
  EXPECT_EQ(to_string(message_type::error), "ERROR");
  EXPECT_EQ(message_type_from_string("GROUP_LEADER_CHANGE_ACK"),
            message_type::group_leader_change_ack);
  EXPECT_EQ(to_string(message_type::friend_list_request), "FRIEND_LIST_REQUEST");
  EXPECT_EQ(to_string(message_type::friend_list_response), "FRIEND_LIST_RESPONSE");
  EXPECT_EQ(to_string(message_type::group_list_request), "GROUP_LIST_REQUEST");
  EXPECT_EQ(to_string(message_type::group_list_response), "GROUP_LIST_RESPONSE");
  EXPECT_EQ(to_string(message_type::password_change_request), "PASSWORD_CHANGE_REQUEST");
  EXPECT_EQ(to_string(message_type::account_delete_response), "ACCOUNT_DELETE_RESPONSE");
  EXPECT_EQ(message_type_from_string("USER_BLOCK"), message_type::user_block);
  EXPECT_EQ(message_type_from_string("USER_UNBLOCK_ACK"), message_type::user_unblock_ack);
  EXPECT_EQ(message_type_from_string("BLOCK_LIST_RESPONSE"), message_type::block_list_response);
}

TEST(MessageType, UnknownNamesAreRejected) {
  for (const std::string_view bad :
       {"", "text_message", "Text_Message", "TEXT_MESSAGE ", " TEXT_MESSAGE", "TEXT_MESSAGEX",
        "TEXT", "AAAA", "ZZZZ", "ERRORS", "REGISTER_REQUES"}) {
    EXPECT_FALSE(message_type_from_string(bad).has_value()) << bad;
  }
  EXPECT_FALSE(message_type_from_string(std::string_view("ERROR\0", 6)).has_value());
}

TEST(MessageType, OutOfRangeEnumHasNoName) {
  EXPECT_EQ(to_string(static_cast<message_type>(200)), "");
}

// The payload alternative at index i is the message of type i (also a static_assert in
// messages.hpp); type_of relies on it.
TEST(MessageType, PayloadIndexMatchesType) {
  EXPECT_EQ(type_of(payload{register_request{}}), message_type::register_request);
  EXPECT_EQ(type_of(payload{group_create_ack{}}), message_type::group_create_ack);
  EXPECT_EQ(type_of(payload{text_message{}}), message_type::text_message);
  EXPECT_EQ(type_of(payload{message_history_complete_ack{}}),
            message_type::message_history_complete_ack);
  EXPECT_EQ(type_of(payload{friend_list_request{}}), message_type::friend_list_request);
  EXPECT_EQ(type_of(payload{friend_list_response{}}), message_type::friend_list_response);
  EXPECT_EQ(type_of(payload{group_list_request{}}), message_type::group_list_request);
  EXPECT_EQ(type_of(payload{group_list_response{}}), message_type::group_list_response);
  EXPECT_EQ(type_of(payload{password_change_response{}}), message_type::password_change_response);
  EXPECT_EQ(type_of(payload{user_block_ack{}}), message_type::user_block_ack);
  EXPECT_EQ(type_of(payload{block_list_request{}}), message_type::block_list_request);
  EXPECT_EQ(type_of(payload{error_message{}}), message_type::error);
}

// Every enumerator of `code`. EveryCodeIsListed catches a new code missing here.
const std::vector<code>& all_codes() {
  static const std::vector<code> codes = {
      code::ok, code::auth_failed, code::user_exists, code::register_server_error,
      code::invalid_credentials, code::already_logged_in, code::user_not_found,
      code::login_server_error, code::account_locked, code::friend_user_not_found, code::friend_server_error,
      code::already_friends, code::friend_rejected, code::friend_self,
      code::friend_request_pending, code::no_pending_request, code::not_friends, code::friend_requests_limited,
      code::group_not_friends, code::unknown_group, code::ambiguous_group,
      code::not_group_member, code::not_group_leader, code::new_leader_not_member,
      code::not_invited, code::invite_rejected, code::history_none,
      code::text_unknown_receiver, code::text_not_friends, code::text_not_group_member, code::receiver_inbox_full,
      code::media_unknown, code::media_bad_chunk_index, code::media_bad_data,
      code::media_chunk_too_large, code::media_size_mismatch, code::media_id_taken,
      code::media_too_large, code::media_too_many_uploads, code::media_quota_exceeded,
      code::media_already_complete, code::malformed_json, code::unknown_type, code::invalid_field, code::not_authenticated,
      code::block_self, code::not_blocked, code::block_list_full, code::receiver_blocked,
      code::forbidden, code::too_large, code::rate_limited, code::server_error};
  return codes;
}

TEST(Codes, EveryCodeHasADistinctDescription) {
  std::set<std::string_view> seen;
  for (const code c : all_codes()) {
    const auto text = describe(c);
    EXPECT_FALSE(text.empty()) << to_int(c);
    EXPECT_NE(text, "unknown code") << to_int(c);
    EXPECT_TRUE(seen.insert(text).second) << "duplicate description for " << to_int(c);
  }
}

// Every value describe() knows is in all_codes() (codes are 0, four digits, or five for the
// blocks category).
TEST(Codes, EveryCodeIsListed) {
  std::set<int> listed;
  for (const code c : all_codes()) listed.insert(to_int(c));
  EXPECT_EQ(listed.size(), all_codes().size()) << "a code is listed twice";
  for (int i = 0; i <= 99999; ++i) {
    if (describe(static_cast<code>(i)) != "unknown code") {
      EXPECT_TRUE(listed.contains(i)) << i << " is missing from all_codes()";
    }
  }
}

// Our additions, with the values and meanings of docs/protocol.md §4.
TEST(Codes, AdditionValuesAndDescriptions) {
  const std::vector<std::pair<code, std::pair<int, std::string_view>>> additions = {
      {code::already_friends, {3003, "already friends"}},
      {code::friend_self, {3005, "a friend request to yourself"}},
      {code::friend_request_pending,
       {3006, "you already asked this user; the request is pending"}},
      {code::no_pending_request, {3007, "no pending request to answer"}},
      {code::not_friends, {3008, "not friends"}},
      {code::unknown_group, {4002, "unknown group"}},
      {code::ambiguous_group,
       {4003, "ambiguous group name: several of your groups have it; name the group by groupId"}},
      {code::not_group_member, {4004, "not a member of the group"}},
      {code::not_group_leader, {4005, "not the leader of the group"}},
      {code::new_leader_not_member, {4006, "the new leader is not a member of the group"}},
      {code::not_invited, {4007, "no invitation to answer"}},
      {code::text_not_group_member, {7003, "not a member of the receiving group"}},
      {code::block_self, {11001, "you cannot block yourself"}},
      {code::not_blocked, {11002, "this user is not blocked"}},
      {code::block_list_full, {11003, "too many blocked users"}},
      {code::receiver_blocked, {11004, "you block this user; unblock them first"}},
  };
  for (const auto& [c, expected] : additions) {
    EXPECT_EQ(to_int(c), expected.first);
    EXPECT_EQ(describe(c), expected.second) << expected.first;
  }
}

TEST(Codes, SeedValuesAndDescriptions) {
  EXPECT_EQ(to_int(code::user_exists), 1002);
  EXPECT_EQ(to_int(code::already_logged_in), 2002);
  EXPECT_EQ(to_int(code::friend_rejected), 3004);
  EXPECT_EQ(to_int(code::group_not_friends), 4001);
  EXPECT_EQ(to_int(code::history_none), 6001);
  EXPECT_EQ(describe(code::ok), "success");
  EXPECT_EQ(describe(code::user_exists), "user already exists");
  EXPECT_EQ(describe(code::malformed_json), "malformed JSON");
  EXPECT_EQ(describe(code::unknown_type), "unknown message type");
  EXPECT_EQ(describe(static_cast<code>(1234)), "unknown code");
}

}  // namespace
}  // namespace chatnode::protocol
