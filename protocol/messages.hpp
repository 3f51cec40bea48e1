// One struct per protocol message (seed-protocol.md + DESIGN §4), and the envelope around them.
// Field names are the wire names in snake_case; docs/protocol.md gives the wire form.
// Every struct compares with == (field by field), so tests and rules can compare messages.
// Every field has a default member initializer, so designated initializers may leave any
// field out without -Wmissing-field-initializers.
// Optional fields are our additions or fields a peer may omit; the codec leaves them
// unset when absent and omits them when unset.
#pragma once

#include "message_type.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace chatnode::protocol {

// ---- accounts -----------------------------------------------------------------------
struct register_request {
  std::string username{};
  std::string password_hash{};  // wire: passwordHash; the node treats it as the password
  friend bool operator==(const register_request&, const register_request&) = default;
};
struct register_response {
  bool success = false;
  int code = 0;
  friend bool operator==(const register_response&, const register_response&) = default;
};
// Exactly one of password_hash and token (a resumption token, docs/protocol.md §5).
struct login_request {
  std::string username{};
  std::optional<std::string> password_hash{};
  std::optional<std::string> token{};         // addition: instead of passwordHash
  std::optional<bool> request_token{};        // addition: wire requestToken
  friend bool operator==(const login_request&, const login_request&) = default;
};
struct login_response {
  bool success = false;
  int code = 0;
  std::optional<std::string> token{};          // addition: when requestToken was set
  std::optional<std::int64_t> token_expires{};  // addition: wire tokenExpires (seconds)
  friend bool operator==(const login_response&, const login_response&) = default;
};

// ---- friends ------------------------------------------------------------------------
struct friend_request {
  std::string sender{};
  std::string receiver{};
  friend bool operator==(const friend_request&, const friend_request&) = default;
};
struct friend_request_ack {
  std::string sender{};
  std::string receiver{};
  int code = 0;
  friend bool operator==(const friend_request_ack&, const friend_request_ack&) = default;
};
struct friend_request_response {
  std::string sender{};    // who asked
  std::string receiver{};  // who answers (the acting user when a client sends it)
  int code = 0;          // 0 accept, 3004 reject
  friend bool operator==(const friend_request_response&, const friend_request_response&) = default;
};
struct friend_remove {
  std::string sender{};
  std::string receiver{};
  friend bool operator==(const friend_remove&, const friend_remove&) = default;
};
struct friend_remove_ack {
  std::string sender{};
  std::string receiver{};
  int code = 0;
  friend bool operator==(const friend_remove_ack&, const friend_remove_ack&) = default;
};

// ---- groups -------------------------------------------------------------------------
// `group` is the group's display name (seed); `group_id` (wire: groupId) is ours.
struct group_create {
  std::string sender{};
  std::vector<std::string> members{};
  std::string name{};
  friend bool operator==(const group_create&, const group_create&) = default;
};
struct group_create_ack {
  std::string sender{};
  std::optional<std::vector<std::string>> members{};      // on success
  std::optional<std::vector<std::string>> not_friends{};  // wire: not-friends; on 4001
  std::string name{};
  int code = 0;
  std::optional<std::string> group_id{};
  friend bool operator==(const group_create_ack&, const group_create_ack&) = default;
};
struct group_invite {
  std::string sender{};
  std::string receiver{};
  std::string group{};
  std::optional<std::string> group_id{};
  friend bool operator==(const group_invite&, const group_invite&) = default;
};
struct group_invite_response {
  std::string sender{};    // the inviter
  std::string receiver{};  // the invitee (the acting user when a client sends it)
  std::string group{};
  int code = 0;          // 0 accept, 5001 reject
  std::optional<std::string> group_id{};
  friend bool operator==(const group_invite_response&, const group_invite_response&) = default;
};
struct group_leave {
  std::string sender{};
  std::string group{};
  std::optional<std::string> group_id{};
  friend bool operator==(const group_leave&, const group_leave&) = default;
};
struct group_leave_ack {
  std::string sender{};
  std::string group{};
  int code = 0;
  std::optional<std::string> group_id{};
  friend bool operator==(const group_leave_ack&, const group_leave_ack&) = default;
};
struct group_remove {
  std::string sender{};
  std::string group{};
  std::optional<std::string> group_id{};
  friend bool operator==(const group_remove&, const group_remove&) = default;
};
struct group_remove_ack {
  std::string sender{};
  std::string group{};
  int code = 0;
  std::optional<std::string> group_id{};
  friend bool operator==(const group_remove_ack&, const group_remove_ack&) = default;
};
struct group_leader_change {
  std::string sender{};
  std::string group{};
  std::string new_leader{};  // wire: newLeader
  std::optional<std::string> group_id{};
  friend bool operator==(const group_leader_change&, const group_leader_change&) = default;
};
struct group_leader_change_ack {
  std::string sender{};
  std::string group{};
  std::string new_leader{};
  int code = 0;
  std::optional<std::string> group_id{};
  friend bool operator==(const group_leader_change_ack&, const group_leader_change_ack&) = default;
};

// ---- messaging ----------------------------------------------------------------------
struct text_message {
  std::string sender{};
  std::string receiver{};  // user id, group id, or the name of one of the sender's groups
  std::string content{};
  std::optional<std::string> message_id{};  // wire: messageId; set by the node on delivery
  std::optional<std::string> group_id{};    // set by the node when delivered as a group message
  std::optional<std::string> group{};       // the group's name, likewise
  friend bool operator==(const text_message&, const text_message&) = default;
};
struct text_message_ack {
  std::optional<std::string> message_id{};  // absent when the message was refused
  std::string receiver{};
  int code = 0;
  friend bool operator==(const text_message_ack&, const text_message_ack&) = default;
};

struct media_message {
  std::string sender{};
  std::string receiver{};
  std::string media_id{};    // wire: mediaId
  std::string media_type{};  // wire: mediaType
  std::uint64_t media_size = 0;  // wire: mediaSize, bytes
  std::optional<std::string> sha256{};      // hex, set by the node when it delivers
  std::optional<std::uint32_t> total_chunks{};  // wire: totalChunks; set by the node on delivery
  std::optional<std::string> message_id{};
  std::optional<std::string> group_id{};
  std::optional<std::string> group{};
  friend bool operator==(const media_message&, const media_message&) = default;
};
struct media_message_ack {
  std::string sender{};
  std::string receiver{};
  std::string media_id{};
  int code = 0;
  // Resumable upload: chunk indexes the receiver already holds (wire: receivedChunks).
  std::optional<std::vector<std::uint32_t>> received_chunks{};
  friend bool operator==(const media_message_ack&, const media_message_ack&) = default;
};
struct media_message_data {
  std::string sender{};
  std::string receiver{};
  std::string media_id{};
  std::string data{};  // base64 on the wire and here (decoding is the node's job)
  std::uint32_t chunk_index = 0;   // wire: chunkIndex, 1..total_chunks
  std::uint32_t total_chunks = 0;  // wire: totalChunks
  friend bool operator==(const media_message_data&, const media_message_data&) = default;
};
struct media_message_data_ack {
  std::string sender{};
  std::string receiver{};
  std::string media_id{};
  std::uint32_t chunk_index = 0;
  int code = 0;
  friend bool operator==(const media_message_data_ack&, const media_message_data_ack&) = default;
};
struct media_message_complete {
  std::string sender{};
  std::string receiver{};
  std::string media_id{};
  int code = 0;
  friend bool operator==(const media_message_complete&, const media_message_complete&) = default;
};
struct media_message_complete_ack {
  std::string sender{};
  std::string receiver{};
  std::string media_id{};
  int code = 0;
  friend bool operator==(const media_message_complete_ack&, const media_message_complete_ack&) = default;
};

// ---- presence -----------------------------------------------------------------------
struct user_status_update {
  std::string username{};
  std::string status{};
  friend bool operator==(const user_status_update&, const user_status_update&) = default;
};
struct user_logout {
  std::string username{};
  friend bool operator==(const user_logout&, const user_logout&) = default;
};

// ---- history ------------------------------------------------------------------------
// A history filter bound: a message id (wire: a JSON string) or a timestamp in seconds
// (wire: a JSON number).
using history_bound = std::variant<std::string, std::int64_t>;

struct history_item {
  std::int64_t timestamp = 0;
  std::string sender{};
  std::string receiver{};
  std::string content{};  // text content; empty for media
  std::optional<std::string> message_id{};
  std::optional<std::string> group_id{};
  std::optional<std::string> group{};
  // Media notices in history (absent for text).
  std::optional<std::string> media_id{};
  std::optional<std::string> media_type{};
  std::optional<std::uint64_t> media_size{};
  friend bool operator==(const history_item&, const history_item&) = default;
};

struct message_history_request {
  std::string username{};
  std::optional<std::string> with{};        // peer user id or group id/name
  std::optional<history_bound> before{};
  std::optional<history_bound> after{};
  std::optional<std::uint32_t> limit{};
  friend bool operator==(const message_history_request&, const message_history_request&) = default;
};
struct message_history_response {
  std::string username{};
  int code = 0;
  friend bool operator==(const message_history_response&, const message_history_response&) = default;
};
struct message_history_begin {
  std::string username{};
  int code = 0;
  friend bool operator==(const message_history_begin&, const message_history_begin&) = default;
};
struct message_history_begin_ack {
  std::string username{};
  std::optional<int> code{};  // optional: docs/protocol.md §12 shows acks without one
  friend bool operator==(const message_history_begin_ack&, const message_history_begin_ack&) = default;
};
struct message_history_data {
  std::string username{};
  std::vector<history_item> messages{};
  std::optional<std::uint32_t> chunk_index{};  // 1-based; always set by the node
  friend bool operator==(const message_history_data&, const message_history_data&) = default;
};
struct message_history_data_ack {
  std::string username{};
  std::uint32_t chunk_index = 0;
  std::optional<int> code{};  // optional: docs/protocol.md §12 shows acks without one
  friend bool operator==(const message_history_data_ack&, const message_history_data_ack&) = default;
};
struct message_history_complete {
  std::string username{};
  int code = 0;
  friend bool operator==(const message_history_complete&, const message_history_complete&) = default;
};
struct message_history_complete_ack {
  std::string username{};
  std::optional<int> code{};  // optional: docs/protocol.md §12 shows acks without one
  friend bool operator==(const message_history_complete_ack&, const message_history_complete_ack&) = default;
};

// ---- lists (addition: what a client needs to draw its screen after login) ------------
struct friend_list_request {
  std::string username{};
  friend bool operator==(const friend_list_request&, const friend_list_request&) = default;
};
struct friend_entry {
  std::string user{};    // full id
  std::string status{};  // online, away, busy, offline
  friend bool operator==(const friend_entry&, const friend_entry&) = default;
};
struct friend_list_response {
  std::string username{};
  std::vector<friend_entry> friends{};
  std::vector<std::string> incoming{};  // users who asked this user, waiting for an answer
  std::vector<std::string> outgoing{};  // users this user asked, not answered yet
  int code = 0;
  friend bool operator==(const friend_list_response&, const friend_list_response&) = default;
};
struct group_list_request {
  std::string username{};
  friend bool operator==(const group_list_request&, const group_list_request&) = default;
};
struct group_entry {
  std::string group_id{};  // wire: groupId
  std::string name{};
  std::string leader{};
  std::vector<std::string> members{};  // accepted members, leader included
  std::vector<std::string> invited{};  // invited, not answered yet
  friend bool operator==(const group_entry&, const group_entry&) = default;
};
struct group_invitation {
  std::string group_id{};  // wire: groupId
  std::string name{};
  std::string inviter{};
  friend bool operator==(const group_invitation&, const group_invitation&) = default;
};
struct group_list_response {
  std::string username{};
  std::vector<group_entry> groups{};            // groups this user is a member of
  std::vector<group_invitation> invitations{};  // invitations waiting for this user's answer
  int code = 0;
  friend bool operator==(const group_list_response&, const group_list_response&) = default;
};

// ---- account lifecycle and blocks (addition, docs/protocol.md §5 and §15) ------------
struct password_change_request {
  std::string username{};
  std::string password_hash{};      // wire: passwordHash, the current one
  std::string new_password_hash{};  // wire: newPasswordHash
  friend bool operator==(const password_change_request&, const password_change_request&) = default;
};
struct password_change_response {
  std::string username{};
  int code = 0;  // 0 changed, 2001 wrong current password
  friend bool operator==(const password_change_response&, const password_change_response&) = default;
};
struct account_delete_request {
  std::string username{};
  std::string password_hash{};  // wire: passwordHash
  friend bool operator==(const account_delete_request&, const account_delete_request&) = default;
};
struct account_delete_response {
  std::string username{};
  int code = 0;  // 0 deleted (the node then closes the connection), 2001 wrong password
  friend bool operator==(const account_delete_response&, const account_delete_response&) = default;
};
struct user_block {
  std::string sender{};    // who blocks (the acting user)
  std::string receiver{};  // who is blocked
  friend bool operator==(const user_block&, const user_block&) = default;
};
struct user_block_ack {
  std::string sender{};
  std::string receiver{};
  int code = 0;
  friend bool operator==(const user_block_ack&, const user_block_ack&) = default;
};
struct user_unblock {
  std::string sender{};
  std::string receiver{};
  friend bool operator==(const user_unblock&, const user_unblock&) = default;
};
struct user_unblock_ack {
  std::string sender{};
  std::string receiver{};
  int code = 0;
  friend bool operator==(const user_unblock_ack&, const user_unblock_ack&) = default;
};
struct block_list_request {
  std::string username{};
  friend bool operator==(const block_list_request&, const block_list_request&) = default;
};
struct block_list_response {
  std::string username{};
  std::vector<std::string> blocked{};  // full user ids, sorted
  int code = 0;
  friend bool operator==(const block_list_response&, const block_list_response&) = default;
};

// ---- generic error (DESIGN §4) --------------------------------------------------------
struct error_message {
  int code = 0;
  std::string message{};
  std::optional<std::string> in_reply_to{};  // wire: inReplyTo, the request's type
  friend bool operator==(const error_message&, const error_message&) = default;
};

// Alternatives are in the order of CHATNODE_MESSAGE_TYPES, so index() == message_type.
using payload = std::variant<
    register_request, register_response, login_request, login_response,
    friend_request, friend_request_ack, friend_request_response, friend_remove,
    friend_remove_ack, group_create, group_create_ack, group_invite, group_invite_response,
    group_leave, group_leave_ack, group_remove, group_remove_ack, group_leader_change,
    group_leader_change_ack, text_message, text_message_ack, media_message,
    media_message_ack, media_message_data, media_message_data_ack, media_message_complete,
    media_message_complete_ack, user_status_update, user_logout, message_history_request,
    message_history_response, message_history_begin, message_history_begin_ack,
    message_history_data, message_history_data_ack, message_history_complete,
    message_history_complete_ack, friend_list_request, friend_list_response,
    group_list_request, group_list_response, password_change_request, password_change_response,
    account_delete_request, account_delete_response, user_block, user_block_ack, user_unblock,
    user_unblock_ack, block_list_request, block_list_response, error_message>;

// Checks the claim above for every alternative, so a reordering breaks the build rather
// than the wire.
namespace detail {
using error = error_message;  // the one enumerator whose struct has another name
#define CHATNODE_X(e, s)                                                                   \
  static_assert(                                                                         \
      std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(message_type::e), \
                                                payload>,                                  \
                     e>,                                                                   \
      "payload alternative order must match CHATNODE_MESSAGE_TYPES: " s);
CHATNODE_MESSAGE_TYPES(CHATNODE_X)
#undef CHATNODE_X
#define CHATNODE_X(e, s) +1
static_assert(std::variant_size_v<payload> == 0 CHATNODE_MESSAGE_TYPES(CHATNODE_X),
              "payload must have one alternative per message type");
#undef CHATNODE_X
}  // namespace detail

struct envelope {
  payload body{};
  std::int64_t timestamp = 0;     // seconds; the node stamps its own on what it emits
  std::optional<std::string> id{};  // optional client request id, echoed on the reply
  friend bool operator==(const envelope&, const envelope&) = default;
};

inline message_type type_of(const payload& p) noexcept {
  return static_cast<message_type>(p.index());
}

}  // namespace chatnode::protocol
