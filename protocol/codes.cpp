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
    case code::friend_user_not_found: return "friend request: user not found";
    case code::friend_server_error: return "friend request: server error";
    case code::friend_rejected: return "friend request rejected";
    case code::group_not_friends: return "not all members are friends";
    case code::invite_rejected: return "group invitation rejected";
    case code::history_none: return "no history found";
    case code::text_unknown_receiver: return "unknown receiver";
    case code::text_not_friends: return "receiver is not a friend";
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
