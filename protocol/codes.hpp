// Result codes of the chatnode protocol: the seed's codes plus our own (see docs/protocol.md).
#pragma once

#include <string_view>

namespace chatnode::protocol {

enum class code : int {
  ok = 0,
  // Registration (seed)
  auth_failed = 1001,            // registration refused (registration closed on this node)
  user_exists = 1002,
  register_server_error = 1003,
  // Login (seed)
  invalid_credentials = 2001,
  already_logged_in = 2002,
  user_not_found = 2003,
  login_server_error = 2004,
  account_locked = 2005,  // addition: an administrator locked the account (chatnode admin user lock)
  // Friends (seed)
  friend_user_not_found = 3001,
  friend_server_error = 3002,
  already_friends = 3003,          // addition
  friend_rejected = 3004,
  friend_self = 3005,              // addition: a request to yourself
  friend_request_pending = 3006,   // addition: you already asked; waiting for the answer
  no_pending_request = 3007,       // addition: a response without a request to answer
  not_friends = 3008,              // addition: FRIEND_REMOVE of someone who is not a friend
  friend_requests_limited = 3009,  // addition: too many friend requests (per hour, or to one user)
  // Groups (seed)
  group_not_friends = 4001,
  unknown_group = 4002,            // addition
  ambiguous_group = 4003,          // addition: a name matching several groups; use groupId
  not_group_member = 4004,         // addition
  not_group_leader = 4005,         // addition
  new_leader_not_member = 4006,    // addition
  not_invited = 4007,              // addition: GROUP_INVITE_RESPONSE without an invitation
  invite_rejected = 5001,
  // History (seed)
  history_none = 6001,
  // Text (DESIGN §4)
  text_unknown_receiver = 7001,
  text_not_friends = 7002,
  text_not_group_member = 7003,    // addition: TEXT_MESSAGE to a group you are not a member of
  receiver_inbox_full = 7004,      // addition: the offline receiver has limits.max_inbox_messages waiting
  // Media (additions)
  media_unknown = 8001,            // DATA / COMPLETE_ACK / ACK for a mediaId the node does not know
  media_bad_chunk_index = 8002,    // chunkIndex outside 1..totalChunks, or totalChunks changed
  media_bad_data = 8003,           // `data` is not valid base64
  media_chunk_too_large = 8004,    // a chunk above media.max_chunk_bytes
  media_size_mismatch = 8005,      // the bytes received differ from mediaSize
  media_id_taken = 8006,           // mediaId in use by another sender
  media_too_large = 8007,          // mediaSize above media.max_bytes
  media_too_many_uploads = 8008,   // media.max_concurrent_uploads reached
  media_quota_exceeded = 8009,     // media.quota_bytes reached
  media_already_complete = 8010,   // MEDIA_MESSAGE for a media already received in full
  // Blocks (additions)
  block_self = 11001,              // USER_BLOCK of yourself
  not_blocked = 11002,             // USER_UNBLOCK of someone you do not block
  block_list_full = 11003,         // USER_BLOCK beyond limits.max_blocks
  receiver_blocked = 11004,        // FRIEND_REQUEST to someone you block: unblock first
  // Generic ERROR message (DESIGN §4)
  malformed_json = 9001,
  unknown_type = 9002,
  invalid_field = 9003,
  not_authenticated = 9004,
  forbidden = 9005,
  too_large = 9006,
  rate_limited = 9007,
  server_error = 9008,
};

constexpr int to_int(code c) noexcept { return static_cast<int>(c); }

// A short English description of a code, as used in docs and ERROR messages.
std::string_view describe(code c) noexcept;

}  // namespace chatnode::protocol
