// Protocol knowledge of chatnode-client: request builders, code meanings and reply
// matching (docs/protocol.md).
#include "client/cli/commands.hpp"

#include "client/connection.hpp"
#include "client/password_hash.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <cctype>

namespace chatnode::cli {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::string> string_array(const json::object& payload, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* found = payload.if_contains(key); found != nullptr && found->is_array()) {
    for (const auto& item : found->get_array()) {
      if (item.is_string()) out.emplace_back(item.get_string());
    }
  }
  return out;
}

const json::array* array_field(const json::object& payload, std::string_view key) {
  const auto* found = payload.if_contains(key);
  return found != nullptr && found->is_array() ? &found->get_array() : nullptr;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

json::object message(std::string_view type, json::object payload) {
  return client::make_message(type, std::move(payload));
}

}  // namespace

// ---- codes ----------------------------------------------------------------------------

std::string_view describe_code(std::int64_t code) {
  switch (code) {
    case 0: return "success";
    case 1001: return "registration is closed on this node";
    case 1002: return "user already exists";
    case 1003: return "server error during registration";
    case 2001: return "wrong password";
    case 2002: return "already logged in elsewhere";
    case 2003: return "no such user";
    case 2004: return "server error during login";
    case 2005: return "this account is locked by the administrator";
    case 3001: return "no such user";
    case 3002: return "server error";
    case 3003: return "already friends";
    case 3004: return "friend request rejected";
    case 3005: return "that is you";
    case 3006: return "already asked; the request is pending";
    case 3007: return "no friend request to answer";
    case 3008: return "not friends";
    case 4001: return "not all members are friends";
    case 4002: return "no such group";
    case 4003: return "several of your groups have that name; use the #id";
    case 4004: return "not a member of the group";
    case 4005: return "not the leader of the group";
    case 4006: return "the new leader is not a member";
    case 4007: return "no invitation to answer";
    case 5001: return "invitation declined";
    case 6001: return "no messages match";
    case 7001: return "no such user or group";
    case 7002: return "not friends";
    case 7003: return "not a member of that group";
    case 8001: return "no such media for you (fetched already, declined or expired)";
    case 8002: return "chunk index out of range";
    case 8003: return "chunk is not valid base64";
    case 8004: return "chunk too large";
    case 8005: return "the bytes do not add up to the media size";
    case 8006: return "that media id belongs to someone else";
    case 8007: return "file too large for this node";
    case 8008: return "too many unfinished uploads";
    case 8009: return "storage quota exceeded";
    case 8010: return "already uploaded in full";
    case 9001: return "malformed JSON";
    case 9002: return "unknown message type";
    case 9003: return "missing or invalid field";
    case 9004: return "not logged in";
    case 9005: return "forbidden";
    case 9006: return "too large";
    case 9007: return "rate limited; try again later";
    case 9008: return "server error";
    case 11001: return "you cannot block yourself";
    case 11002: return "you do not block that user";
    case 11003: return "block list full";
    case 11004: return "you block that user; unblock them first";
    default: return "unknown code";
  }
}

std::string code_text(std::int64_t code) { return std::string(describe_code(code)) + " (" + std::to_string(code) + ")"; }

std::optional<failure> failure_of(const json::object& reply) {
  const auto code = code_of(reply);
  const auto& payload = payload_of(reply);
  if (type_of(reply) == "ERROR") return failure{code.value_or(9008), string_field(payload, "message")};
  if (!code || *code == 0) return std::nullopt;
  failure f{*code, {}};
  if (const auto not_friends = string_array(payload, "not-friends"); !not_friends.empty()) {
    f.detail = "not friends: " + join(not_friends);
  }
  return f;
}

std::string failure_text(const failure& f) {
  std::string text = code_text(f.code);
  if (!f.detail.empty()) text += ": " + f.detail;
  return text;
}

std::string_view reply_type_for(std::string_view request_type) {
  if (request_type == "REGISTER_REQUEST") return "REGISTER_RESPONSE";
  if (request_type == "LOGIN_REQUEST") return "LOGIN_RESPONSE";
  if (request_type == "FRIEND_REQUEST") return "FRIEND_REQUEST_ACK";
  if (request_type == "FRIEND_REMOVE") return "FRIEND_REMOVE_ACK";
  if (request_type == "FRIEND_LIST_REQUEST") return "FRIEND_LIST_RESPONSE";
  if (request_type == "GROUP_CREATE") return "GROUP_CREATE_ACK";
  if (request_type == "GROUP_LEAVE") return "GROUP_LEAVE_ACK";
  if (request_type == "GROUP_REMOVE") return "GROUP_REMOVE_ACK";
  if (request_type == "GROUP_LEADER_CHANGE") return "GROUP_LEADER_CHANGE_ACK";
  if (request_type == "GROUP_LIST_REQUEST") return "GROUP_LIST_RESPONSE";
  if (request_type == "TEXT_MESSAGE") return "TEXT_MESSAGE_ACK";
  if (request_type == "MESSAGE_HISTORY_REQUEST") return "MESSAGE_HISTORY_RESPONSE";
  if (request_type == "PASSWORD_CHANGE_REQUEST") return "PASSWORD_CHANGE_RESPONSE";
  if (request_type == "ACCOUNT_DELETE_REQUEST") return "ACCOUNT_DELETE_RESPONSE";
  if (request_type == "USER_BLOCK") return "USER_BLOCK_ACK";
  if (request_type == "USER_UNBLOCK") return "USER_UNBLOCK_ACK";
  if (request_type == "BLOCK_LIST_REQUEST") return "BLOCK_LIST_RESPONSE";
  return {};
}

bool is_reply_to(const json::object& message, std::string_view id, std::string_view request_type) {
  const std::string message_id = id_of(message);
  if (!message_id.empty()) return message_id == id;
  const std::string type = type_of(message);
  if (type == "ERROR") return string_field(payload_of(message), "inReplyTo") == request_type;
  const auto expected = reply_type_for(request_type);
  return !expected.empty() && type == expected;
}

// ---- building requests ----------------------------------------------------------------

void put_group(json::object& payload, const group_ref& group) {
  // `group` is required even when the group is named by id; the node then goes by groupId.
  payload["group"] = group.text;
  if (group.is_id()) payload["groupId"] = group.text;
}

json::object register_request(std::string_view user, std::string_view password) {
  return message("REGISTER_REQUEST", {{"username", user}, {"passwordHash", client::password_hash(user, password)}});
}

json::object login_request(std::string_view user, std::string_view password) {
  return message("LOGIN_REQUEST", {{"username", user}, {"passwordHash", client::password_hash(user, password)}});
}

json::object login_request_hashed(std::string_view user, std::string_view password_hash) {
  return message("LOGIN_REQUEST", {{"username", user}, {"passwordHash", password_hash}});
}

json::object logout(std::string_view self) { return message("USER_LOGOUT", {{"username", self}}); }

json::object friend_request(std::string_view self, std::string_view other) {
  return message("FRIEND_REQUEST", {{"sender", self}, {"receiver", other}});
}

json::object friend_response(std::string_view self, std::string_view requester, bool accept) {
  // The response keeps the request's fields: the requester is the sender.
  return message("FRIEND_REQUEST_RESPONSE", {{"sender", requester}, {"receiver", self}, {"code", accept ? 0 : 3004}});
}

json::object friend_remove(std::string_view self, std::string_view other) {
  return message("FRIEND_REMOVE", {{"sender", self}, {"receiver", other}});
}

json::object friend_list_request(std::string_view self) {
  return message("FRIEND_LIST_REQUEST", {{"username", self}});
}

json::object group_create(std::string_view self, std::string_view name, const std::vector<std::string>& members) {
  json::array list;
  for (const auto& m : members) list.emplace_back(m);
  return message("GROUP_CREATE", {{"sender", self}, {"members", std::move(list)}, {"name", name}});
}

json::object group_invite_response(std::string_view self, const invitation& invite, bool accept) {
  json::object payload{
      {"sender", invite.inviter}, {"receiver", self}, {"group", invite.name}, {"code", accept ? 0 : 5001}};
  if (!invite.group_id.empty()) payload["groupId"] = invite.group_id;
  return message("GROUP_INVITE_RESPONSE", std::move(payload));
}

json::object group_leave(std::string_view self, const group_ref& group) {
  json::object payload{{"sender", self}};
  put_group(payload, group);
  return message("GROUP_LEAVE", std::move(payload));
}

json::object group_remove(std::string_view self, const group_ref& group) {
  json::object payload{{"sender", self}};
  put_group(payload, group);
  return message("GROUP_REMOVE", std::move(payload));
}

json::object group_leader_change(std::string_view self, const group_ref& group, std::string_view new_leader) {
  json::object payload{{"sender", self}};
  put_group(payload, group);
  payload["newLeader"] = new_leader;
  return message("GROUP_LEADER_CHANGE", std::move(payload));
}

json::object group_list_request(std::string_view self) { return message("GROUP_LIST_REQUEST", {{"username", self}}); }

json::object status_update(std::string_view self, std::string_view status) {
  return message("USER_STATUS_UPDATE", {{"username", self}, {"status", status}});
}

json::object text_message(std::string_view self, std::string_view receiver, std::string_view content) {
  return message("TEXT_MESSAGE", {{"sender", self}, {"receiver", receiver}, {"content", content}});
}

json::object password_change_request(std::string_view self, std::string_view current_password,
                                     std::string_view new_password) {
  return message("PASSWORD_CHANGE_REQUEST", {{"username", self},
                                             {"passwordHash", client::password_hash(self, current_password)},
                                             {"newPasswordHash", client::password_hash(self, new_password)}});
}

json::object account_delete_request(std::string_view self, std::string_view password) {
  return message("ACCOUNT_DELETE_REQUEST", {{"username", self}, {"passwordHash", client::password_hash(self, password)}});
}

json::object user_block(std::string_view self, std::string_view other) {
  return message("USER_BLOCK", {{"sender", self}, {"receiver", other}});
}

json::object user_unblock(std::string_view self, std::string_view other) {
  return message("USER_UNBLOCK", {{"sender", self}, {"receiver", other}});
}

json::object block_list_request(std::string_view self) { return message("BLOCK_LIST_REQUEST", {{"username", self}}); }

json::object history_request(std::string_view self, const history_filter& filter) {
  json::object payload{{"username", self}};
  if (filter.with) payload["with"] = *filter.with;
  if (filter.after) payload["after"] = *filter.after;
  if (filter.after_time) payload["after"] = *filter.after_time;
  if (filter.before) payload["before"] = *filter.before;
  if (filter.limit) payload["limit"] = *filter.limit;
  return message("MESSAGE_HISTORY_REQUEST", std::move(payload));
}

// The acks' `code` is optional in the spec; sending 0 also suits a node that wants it.
json::object history_begin_ack(std::string_view self) {
  return message("MESSAGE_HISTORY_BEGIN_ACK", {{"username", self}, {"code", 0}});
}

json::object history_data_ack(std::string_view self, std::int64_t chunk_index) {
  return message("MESSAGE_HISTORY_DATA_ACK", {{"username", self}, {"chunkIndex", chunk_index}, {"code", 0}});
}

json::object history_complete_ack(std::string_view self) {
  return message("MESSAGE_HISTORY_COMPLETE_ACK", {{"username", self}, {"code", 0}});
}

bool is_valid_status(std::string_view status) {
  return status == "online" || status == "away" || status == "busy" || status == "offline";
}

// ---- lists ----------------------------------------------------------------------------

std::vector<group_entry> groups_of(const json::object& group_list_response) {
  std::vector<group_entry> found;
  const auto* groups = array_field(payload_of(group_list_response), "groups");
  if (groups == nullptr) return found;
  for (const auto& item : *groups) {
    if (!item.is_object()) continue;
    const auto& g = item.get_object();
    found.push_back({string_field(g, "groupId"), string_field(g, "name"), string_field(g, "leader"),
                     string_array(g, "members"), string_array(g, "invited")});
  }
  return found;
}

std::vector<invitation> invitations_of(const json::object& group_list_response) {
  std::vector<invitation> found;
  const auto* invitations = array_field(payload_of(group_list_response), "invitations");
  if (invitations == nullptr) return found;
  for (const auto& item : *invitations) {
    if (!item.is_object()) continue;
    const auto& invite = item.get_object();
    found.push_back(
        {string_field(invite, "groupId"), string_field(invite, "name"), string_field(invite, "inviter")});
  }
  return found;
}

std::vector<invitation> matching_invitations(const std::vector<invitation>& invitations, const group_ref& group) {
  std::vector<invitation> found;
  const std::string wanted = lower(group.text);
  for (const auto& invite : invitations) {
    bool match = false;
    if (group.is_id()) {
      // "#q7x" matches "#q7x@alpha.example": the domain may be left out.
      const std::string id = lower(invite.group_id);
      match = id == wanted || (wanted.find('@') == std::string::npos && id.substr(0, id.find('@')) == wanted);
    } else {
      match = invite.name == group.text;
    }
    if (match) found.push_back(invite);
  }
  return found;
}

std::vector<friend_entry> friends_of(const json::object& friend_list_response, std::string_view section) {
  std::vector<friend_entry> found;
  const auto* entries = array_field(payload_of(friend_list_response), section);
  if (entries == nullptr) return found;
  for (const auto& entry : *entries) {
    if (entry.is_string()) found.push_back({std::string(entry.get_string()), {}});
    if (entry.is_object()) {
      found.push_back({string_field(entry.get_object(), "user"), string_field(entry.get_object(), "status")});
    }
  }
  return found;
}

bool friend_list_has(const json::object& friend_list_response, std::string_view section, std::string_view user) {
  const auto entries = friends_of(friend_list_response, section);
  return std::any_of(entries.begin(), entries.end(), [&](const friend_entry& e) { return same_user(e.user, user); });
}

std::vector<std::string> blocked_of(const json::object& block_list_response) {
  return string_array(payload_of(block_list_response), "blocked");
}

bool same_user(std::string_view listed, std::string_view wanted) {
  const std::string a = lower(listed);
  const std::string b = lower(wanted);
  if (a == b) return true;
  // A bare name stands for a user of the own domain: it matches the name part.
  if (a.find('@') == std::string::npos || b.find('@') == std::string::npos) {
    return a.substr(0, a.find('@')) == b.substr(0, b.find('@'));
  }
  return false;
}

}  // namespace chatnode::cli
