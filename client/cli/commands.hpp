// What chatnode-client knows about the protocol, with no I/O: building requests, naming
// result codes, matching replies and turning received messages into human-readable lines.
// One-shot and interactive mode both use these.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::cli {

namespace json = boost::json;

// ---- codes ----------------------------------------------------------------------------

// The meaning of a result code (docs/protocol.md §3–§4), e.g. 1002 → "user already exists".
std::string_view describe_code(std::int64_t code);
// "1002 user already exists".
std::string code_text(std::int64_t code);

// ---- reading messages -----------------------------------------------------------------

std::string type_of(const json::object& message);
const json::object& payload_of(const json::object& message);
// payload[key] as a string ("" when absent or not a string).
std::string string_field(const json::object& payload, std::string_view key);
// payload.code; nullopt when absent or not an integer.
std::optional<std::int64_t> code_of(const json::object& message);
// The message's "id" ("" when absent).
std::string id_of(const json::object& message);

// The failure a reply reports: an ERROR, or a reply whose payload.code is not 0. nullopt
// for a success.
struct failure {
  std::int64_t code = 0;
  std::string detail;  // the ERROR's message, or the not-friends list of GROUP_CREATE_ACK
};
std::optional<failure> failure_of(const json::object& reply);
// "1002 user already exists" or "9003 missing or invalid field: payload.receiver: missing".
std::string failure_text(const failure& f);

// The type of the node's direct reply to a request type ("" for requests without one:
// USER_STATUS_UPDATE, USER_LOGOUT, FRIEND_REQUEST_RESPONSE, GROUP_INVITE_RESPONSE, acks).
std::string_view reply_type_for(std::string_view request_type);
// True when `message` is the node's reply to a request of `request_type` sent with id
// `id`: it echoes the id, or (from a node that does not echo ids) it carries no id and
// is of the reply type or an ERROR in reply to that request type.
bool is_reply_to(const json::object& message, std::string_view id, std::string_view request_type);

// ---- building requests ----------------------------------------------------------------
// `self` is the logged-in user (bare name or full id); the node checks it is the actor.

// How a command names a group: "#id" (or "#id@domain") means groupId, anything else the
// group's name among the user's groups.
struct group_ref {
  std::string text;  // as the user typed it
  bool is_id() const { return !text.empty() && text.front() == '#'; }
};
// Sets "group" (and "groupId" for an id) in a request payload.
void put_group(json::object& payload, const group_ref& group);

json::object register_request(std::string_view user, std::string_view password);
json::object login_request(std::string_view user, std::string_view password);
json::object logout(std::string_view self);
json::object friend_request(std::string_view self, std::string_view other);
// The answer to `requester`'s friend request: accept (code 0) or reject (3004).
json::object friend_response(std::string_view self, std::string_view requester, bool accept);
json::object friend_remove(std::string_view self, std::string_view other);
json::object friend_list_request(std::string_view self);
json::object group_create(std::string_view self, std::string_view name, const std::vector<std::string>& members);
// The answer to an invitation (from GROUP_INVITE or GROUP_LIST_RESPONSE.invitations).
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

struct history_filter {
  std::optional<std::string> with;
  std::optional<std::string> after;   // a message id
  std::optional<std::string> before;  // a message id
  std::optional<std::int64_t> limit;
};
json::object history_request(std::string_view self, const history_filter& filter);
json::object history_begin_ack(std::string_view self);
json::object history_data_ack(std::string_view self, std::int64_t chunk_index);
json::object history_complete_ack(std::string_view self);

// True for the statuses USER_STATUS_UPDATE accepts.
bool is_valid_status(std::string_view status);

// ---- lists ----------------------------------------------------------------------------

// The invitations listed in a GROUP_LIST_RESPONSE.
std::vector<invitation> invitations_of(const json::object& group_list_response);
// Those of `invitations` that `group` names: by id ("#q7x" or "#q7x@domain"), or by name.
std::vector<invitation> matching_invitations(const std::vector<invitation>& invitations, const group_ref& group);
// True when FRIEND_LIST_RESPONSE lists `user` (bare name or full id) in `section`
// ("friends", "incoming" or "outgoing").
bool friend_list_has(const json::object& friend_list_response, std::string_view section, std::string_view user);

// ---- showing messages -----------------------------------------------------------------

// A received message as one summary line plus optional detail lines (list entries,
// history items), without the type: the caller prefixes "<< TYPE " or prints details only.
struct description {
  std::string summary;
  std::vector<std::string> details;
};
description describe_message(const json::object& message);
// "<< TYPE summary" followed by "   detail" lines: what listen and interactive mode print.
std::vector<std::string> message_lines(const json::object& message);
// One history item: "[messageId] time sender -> receiver: content".
std::string history_line(const json::object& item);
// Seconds since the epoch as "2024-05-01T12:00:00Z".
std::string format_time(std::int64_t seconds);

}  // namespace chatnode::cli
