// What chatnode-client knows about the protocol, with no I/O: building requests, the
// meaning of result codes, and matching replies to requests. Every mode uses these.
#pragma once

#include "client/message_fields.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::cli {

namespace json = boost::json;
using client::code_of;
using client::id_of;
using client::int_field;
using client::payload_of;
using client::string_field;
using client::type_of;
using client::uint_field;

// ---- codes ----------------------------------------------------------------------------

// The meaning of a result code (docs/protocol.md §3–§4), e.g. 7002 → "not friends".
std::string_view describe_code(std::int64_t code);
// "not friends (7002)".
std::string code_text(std::int64_t code);

// The failure a reply reports: an ERROR, or a reply whose payload.code is not 0. nullopt
// for a success.
struct failure {
  std::int64_t code = 0;
  std::string detail;  // the ERROR's message, or the not-friends list of GROUP_CREATE_ACK
};
std::optional<failure> failure_of(const json::object& reply);
// "not friends (7002)" or "missing or invalid field (9003): payload.receiver: missing".
std::string failure_text(const failure& f);

// The type of the node's direct reply to a request type ("" for requests without one).
std::string_view reply_type_for(std::string_view request_type);
// True when `message` is the node's reply to a request of `request_type` sent with id
// `id`: it echoes the id, or (from a node that does not echo ids) it carries no id and
// is of the reply type or an ERROR in reply to that request type.
bool is_reply_to(const json::object& message, std::string_view id, std::string_view request_type);

// ---- building requests ----------------------------------------------------------------
// `self` is the logged-in user (bare name or full id); the node checks it is the actor.

// How a request names a group: by id ("#q7x@alpha.example") or by name.
struct group_ref {
  std::string text;
  bool is_id() const { return !text.empty() && text.front() == '#'; }
};
// Sets "group" (and "groupId" for an id) in a request payload.
void put_group(json::object& payload, const group_ref& group);

// REGISTER/LOGIN with passwordHash derived from `password` as docs/protocol.md §5 says.
json::object register_request(std::string_view user, std::string_view password);
json::object login_request(std::string_view user, std::string_view password);
// LOGIN_REQUEST with an already derived passwordHash (what a reconnect sends).
json::object login_request_hashed(std::string_view user, std::string_view password_hash);
json::object logout(std::string_view self);
json::object friend_request(std::string_view self, std::string_view other);
// The answer to `requester`'s friend request: accept (code 0) or reject (3004).
json::object friend_response(std::string_view self, std::string_view requester, bool accept);
json::object friend_remove(std::string_view self, std::string_view other);
json::object friend_list_request(std::string_view self);
json::object group_create(std::string_view self, std::string_view name, const std::vector<std::string>& members);
// An invitation (from GROUP_INVITE or GROUP_LIST_RESPONSE.invitations).
struct invitation {
  std::string group_id;
  std::string name;
  std::string inviter;
};
json::object group_invite_response(std::string_view self, const invitation& invite, bool accept);
json::object group_leave(std::string_view self, const group_ref& group);
json::object group_remove(std::string_view self, const group_ref& group);
json::object group_leader_change(std::string_view self, const group_ref& group, std::string_view new_leader);
json::object group_list_request(std::string_view self);
json::object status_update(std::string_view self, std::string_view status);
json::object text_message(std::string_view self, std::string_view receiver, std::string_view content);
// PASSWORD_CHANGE_REQUEST and ACCOUNT_DELETE_REQUEST with the passwords derived as at login.
json::object password_change_request(std::string_view self, std::string_view current_password,
                                     std::string_view new_password);
json::object account_delete_request(std::string_view self, std::string_view password);
json::object user_block(std::string_view self, std::string_view other);
json::object user_unblock(std::string_view self, std::string_view other);
json::object block_list_request(std::string_view self);

struct history_filter {
  std::optional<std::string> with;
  std::optional<std::string> after;   // a message id
  std::optional<std::string> before;  // a message id
  std::optional<std::int64_t> after_time;  // seconds (catch-up before any message id is known)
  std::optional<std::int64_t> limit;
};
json::object history_request(std::string_view self, const history_filter& filter);
json::object history_begin_ack(std::string_view self);
json::object history_data_ack(std::string_view self, std::int64_t chunk_index);
json::object history_complete_ack(std::string_view self);

// True for the statuses USER_STATUS_UPDATE accepts.
bool is_valid_status(std::string_view status);

// ---- lists ----------------------------------------------------------------------------

// A group the user is a member of, from GROUP_LIST_RESPONSE.
struct group_entry {
  std::string group_id;
  std::string name;
  std::string leader;
  std::vector<std::string> members;
  std::vector<std::string> invited;
};
std::vector<group_entry> groups_of(const json::object& group_list_response);
std::vector<invitation> invitations_of(const json::object& group_list_response);
// Those of `invitations` that `group` names: by id ("#q7x" or "#q7x@domain"), or by name.
std::vector<invitation> matching_invitations(const std::vector<invitation>& invitations, const group_ref& group);
// A user id as listed in FRIEND_LIST_RESPONSE with its status ("" for incoming/outgoing).
struct friend_entry {
  std::string user;
  std::string status;
};
std::vector<friend_entry> friends_of(const json::object& friend_list_response, std::string_view section);
// True when FRIEND_LIST_RESPONSE lists `user` (bare name or full id) in `section`
// ("friends", "incoming" or "outgoing").
bool friend_list_has(const json::object& friend_list_response, std::string_view section, std::string_view user);
// Compares user ids the way the node does (case-insensitively); a bare name (either side)
// matches the name part of a full id.
bool same_user(std::string_view listed, std::string_view wanted);
// The user ids BLOCK_LIST_RESPONSE lists as `blocked`.
std::vector<std::string> blocked_of(const json::object& block_list_response);

}  // namespace chatnode::cli
