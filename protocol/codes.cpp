// Human-readable descriptions of protocol result codes, used in ERROR messages and docs.
#include "protocol/codes.hpp"

namespace chatnode::protocol {

std::string_view describe(code c) noexcept {
  switch (c) {
    case code::ok: return "success";
    case code::auth_failed: return "authentication failed";
    case code::user_exists: return "user already exists";
    case code::register_server_error: return "server error during registration";
    case code::invalid_credentials: return "invalid credentials";
    case code::already_logged_in: return "user already logged in";
    case code::user_not_found: return "user not found";
    case code::login_server_error: return "server error during login";
    case code::account_locked: return "account locked by the administrator";
    case code::friend_user_not_found: return "friend request: user not found";
    case code::friend_server_error: return "friend request: server error";
    case code::already_friends: return "already friends";
    case code::friend_rejected: return "friend request rejected";
    case code::friend_self: return "a friend request to yourself";
    case code::friend_request_pending: return "you already asked this user; the request is pending";
    case code::no_pending_request: return "no pending request to answer";
    case code::not_friends: return "not friends";
    case code::friend_requests_limited: return "too many friend requests; try again later";
    case code::group_not_friends: return "not all members are friends";
    case code::unknown_group: return "unknown group";
    case code::ambiguous_group:
      return "ambiguous group name: several of your groups have it; name the group by groupId";
    case code::not_group_member: return "not a member of the group";
    case code::not_group_leader: return "not the leader of the group";
    case code::new_leader_not_member: return "the new leader is not a member of the group";
    case code::not_invited: return "no invitation to answer";
    case code::invite_rejected: return "group invitation rejected";
    case code::history_none: return "no history found";
    case code::text_unknown_receiver: return "unknown receiver";
    case code::text_not_friends: return "receiver is not a friend";
    case code::text_not_group_member: return "not a member of the receiving group";
    case code::receiver_inbox_full: return "the receiver's inbox is full";
    case code::media_unknown: return "unknown media id";
    case code::media_bad_chunk_index: return "chunk index out of range";
    case code::media_bad_data: return "chunk data is not valid base64";
    case code::media_chunk_too_large: return "chunk too large";
    case code::media_size_mismatch: return "received bytes differ from mediaSize";
    case code::media_id_taken: return "media id used by another sender";
    case code::media_too_large: return "media too large";
    case code::media_too_many_uploads: return "too many uploads in progress";
    case code::media_quota_exceeded: return "media storage quota exceeded";
    case code::media_already_complete: return "media already received in full";
    case code::block_self: return "you cannot block yourself";
    case code::not_blocked: return "this user is not blocked";
    case code::block_list_full: return "too many blocked users";
    case code::receiver_blocked: return "you block this user; unblock them first";
    case code::malformed_json: return "malformed JSON";
    case code::unknown_type: return "unknown message type";
    case code::invalid_field: return "missing or invalid field";
    case code::not_authenticated: return "not authenticated";
    case code::forbidden: return "forbidden";
    case code::too_large: return "too large";
    case code::rate_limited: return "rate limited";
    case code::server_error: return "server error";
  }
  // A value cast from an int that no enumerator names (e.g. a code from a newer peer).
  return "unknown code";
}

}  // namespace chatnode::protocol
