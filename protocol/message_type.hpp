// The `type` strings of every protocol message and their enum.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace chatnode::protocol {

// X(enumerator, "WIRE_NAME"). Order is part of no contract; the wire name is.
#define CHATNODE_MESSAGE_TYPES(X)                                   \
  X(register_request, "REGISTER_REQUEST")                           \
  X(register_response, "REGISTER_RESPONSE")                         \
  X(login_request, "LOGIN_REQUEST")                                 \
  X(login_response, "LOGIN_RESPONSE")                               \
  X(friend_request, "FRIEND_REQUEST")                               \
  X(friend_request_ack, "FRIEND_REQUEST_ACK")                       \
  X(friend_request_response, "FRIEND_REQUEST_RESPONSE")             \
  X(friend_remove, "FRIEND_REMOVE")                                 \
  X(friend_remove_ack, "FRIEND_REMOVE_ACK")                         \
  X(group_create, "GROUP_CREATE")                                   \
  X(group_create_ack, "GROUP_CREATE_ACK")                           \
  X(group_invite, "GROUP_INVITE")                                   \
  X(group_invite_response, "GROUP_INVITE_RESPONSE")                 \
  X(group_leave, "GROUP_LEAVE")                                     \
  X(group_leave_ack, "GROUP_LEAVE_ACK")                             \
  X(group_remove, "GROUP_REMOVE")                                   \
  X(group_remove_ack, "GROUP_REMOVE_ACK")                           \
  X(group_leader_change, "GROUP_LEADER_CHANGE")                     \
  X(group_leader_change_ack, "GROUP_LEADER_CHANGE_ACK")             \
  X(text_message, "TEXT_MESSAGE")                                   \
  X(text_message_ack, "TEXT_MESSAGE_ACK")                           \
  X(media_message, "MEDIA_MESSAGE")                                 \
  X(media_message_ack, "MEDIA_MESSAGE_ACK")                         \
  X(media_message_data, "MEDIA_MESSAGE_DATA")                       \
  X(media_message_data_ack, "MEDIA_MESSAGE_DATA_ACK")               \
  X(media_message_complete, "MEDIA_MESSAGE_COMPLETE")               \
  X(media_message_complete_ack, "MEDIA_MESSAGE_COMPLETE_ACK")       \
  X(user_status_update, "USER_STATUS_UPDATE")                       \
  X(user_logout, "USER_LOGOUT")                                     \
  X(message_history_request, "MESSAGE_HISTORY_REQUEST")             \
  X(message_history_response, "MESSAGE_HISTORY_RESPONSE")           \
  X(message_history_begin, "MESSAGE_HISTORY_BEGIN")                 \
  X(message_history_begin_ack, "MESSAGE_HISTORY_BEGIN_ACK")         \
  X(message_history_data, "MESSAGE_HISTORY_DATA")                   \
  X(message_history_data_ack, "MESSAGE_HISTORY_DATA_ACK")           \
  X(message_history_complete, "MESSAGE_HISTORY_COMPLETE")           \
  X(message_history_complete_ack, "MESSAGE_HISTORY_COMPLETE_ACK")   \
  X(friend_list_request, "FRIEND_LIST_REQUEST")                     \
  X(friend_list_response, "FRIEND_LIST_RESPONSE")                   \
  X(group_list_request, "GROUP_LIST_REQUEST")                       \
  X(group_list_response, "GROUP_LIST_RESPONSE")                     \
  X(password_change_request, "PASSWORD_CHANGE_REQUEST")             \
  X(password_change_response, "PASSWORD_CHANGE_RESPONSE")           \
  X(account_delete_request, "ACCOUNT_DELETE_REQUEST")               \
  X(account_delete_response, "ACCOUNT_DELETE_RESPONSE")             \
  X(user_block, "USER_BLOCK")                                       \
  X(user_block_ack, "USER_BLOCK_ACK")                               \
  X(user_unblock, "USER_UNBLOCK")                                   \
  X(user_unblock_ack, "USER_UNBLOCK_ACK")                           \
  X(block_list_request, "BLOCK_LIST_REQUEST")                       \
  X(block_list_response, "BLOCK_LIST_RESPONSE")                     \
  X(error, "ERROR")

enum class message_type : std::uint8_t {
#define CHATNODE_X(e, s) e,
  CHATNODE_MESSAGE_TYPES(CHATNODE_X)
#undef CHATNODE_X
};

std::string_view to_string(message_type t) noexcept;
std::optional<message_type> message_type_from_string(std::string_view s) noexcept;

}  // namespace chatnode::protocol
