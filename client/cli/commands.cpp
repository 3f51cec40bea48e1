// Protocol knowledge of chatnode-client: request builders, code meanings and one-line
// descriptions of everything the node sends (docs/protocol.md).
#include "client/cli/commands.hpp"

#include "client/connection.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace chatnode::cli {

namespace {

const json::object empty_object;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Compares user ids the way the node does (case-insensitively); a bare name matches the
// name part of a full id.
bool same_user(std::string_view listed, std::string_view wanted) {
  const std::string a = lower(listed);
  const std::string b = lower(wanted);
  if (a == b) return true;
  if (b.find('@') == std::string::npos) return a.substr(0, a.find('@')) == b;
  return false;
}

std::string_view domain_of(std::string_view user) {
  const auto at = user.find('@');
  return at == std::string_view::npos ? std::string_view{} : user.substr(at + 1);
}

// `user` without its domain when it is the domain of `self` (how one would type it).
std::string short_user(std::string_view user, std::string_view self) {
  const auto domain = domain_of(user);
  if (!domain.empty() && lower(domain) == lower(domain_of(self))) return std::string(user.substr(0, user.find('@')));
  return std::string(user);
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

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// "Book club (#q7…@alpha.example)", or whichever of the two is known.
std::string group_label(const json::object& payload) {
  std::string name = string_field(payload, "group");
  if (name.empty()) name = string_field(payload, "name");
  const std::string id = string_field(payload, "groupId");
  if (id.empty() || id == name) return name.empty() ? id : name;
  return name.empty() ? id : name + " (" + id + ")";
}

// ": ok" or ": 3001 user not found".
std::string result_suffix(const json::object& message) {
  const auto f = failure_of(message);
  return f ? ": " + failure_text(*f) : ": ok";
}

std::int64_t int_field(const json::object& payload, std::string_view key, std::int64_t fallback) {
  if (const auto* found = payload.if_contains(key); found != nullptr && found->is_int64()) return found->get_int64();
  if (const auto* found = payload.if_contains(key); found != nullptr && found->is_uint64()) {
    return static_cast<std::int64_t>(found->get_uint64());
  }
  return fallback;
}

json::object message(std::string_view type, json::object payload) {
  return client::make_message(type, std::move(payload));
}

}  // namespace

// ---- codes ----------------------------------------------------------------------------

std::string_view describe_code(std::int64_t code) {
  switch (code) {
    case 0: return "success";
    case 1001: return "registration refused: registration is closed on this node";
    case 1002: return "user already exists";
    case 1003: return "server error (registration)";
    case 2001: return "invalid credentials (wrong password)";
    case 2002: return "user already logged in";
    case 2003: return "user not found";
    case 2004: return "server error (login)";
    case 3001: return "user not found";
    case 3002: return "server error (friends)";
    case 3003: return "already friends";
    case 3004: return "friend request rejected";
    case 3005: return "a friend request to yourself";
    case 3006: return "you already asked this user; the request is pending";
    case 3007: return "no pending friend request to answer";
    case 3008: return "not friends";
    case 4001: return "not all members are friends";
    case 4002: return "unknown group";
    case 4003: return "ambiguous group name: name the group by its #id";
    case 4004: return "not a member of the group";
    case 4005: return "not the leader of the group";
    case 4006: return "the new leader is not a member of the group";
    case 4007: return "no invitation to answer";
    case 5001: return "invitation rejected";
    case 6001: return "no history (nothing matches the request)";
    case 7001: return "unknown receiver (no such user or group)";
    case 7002: return "not friends";
    case 7003: return "not a member of the receiving group";
    case 9001: return "malformed JSON";
    case 9002: return "unknown message type";
    case 9003: return "missing or invalid field";
    case 9004: return "not authenticated (log in first)";
    case 9005: return "forbidden (not the logged-in user)";
    case 9006: return "too large";
    case 9007: return "rate limited";
    case 9008: return "server error or not supported by this node yet";
    default: return "unknown code";
  }
}

std::string code_text(std::int64_t code) { return std::to_string(code) + " " + std::string(describe_code(code)); }

// ---- reading messages -----------------------------------------------------------------

std::string type_of(const json::object& message) {
  const auto* found = message.if_contains("type");
  return found != nullptr && found->is_string() ? std::string(found->get_string()) : std::string{};
}

const json::object& payload_of(const json::object& message) {
  const auto* found = message.if_contains("payload");
  return found != nullptr && found->is_object() ? found->get_object() : empty_object;
}

std::string string_field(const json::object& payload, std::string_view key) {
  const auto* found = payload.if_contains(key);
  return found != nullptr && found->is_string() ? std::string(found->get_string()) : std::string{};
}

std::optional<std::int64_t> code_of(const json::object& message) {
  const auto& payload = payload_of(message);
  const auto* found = payload.if_contains("code");
  if (found == nullptr) return std::nullopt;
  if (found->is_int64()) return found->get_int64();
  if (found->is_uint64()) return static_cast<std::int64_t>(found->get_uint64());
  return std::nullopt;
}

std::string id_of(const json::object& message) { return string_field(message, "id"); }

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
  return message("REGISTER_REQUEST", {{"username", user}, {"passwordHash", password}});
}

json::object login_request(std::string_view user, std::string_view password) {
  return message("LOGIN_REQUEST", {{"username", user}, {"passwordHash", password}});
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

json::object history_request(std::string_view self, const history_filter& filter) {
  json::object payload{{"username", self}};
  if (filter.with) payload["with"] = *filter.with;
  if (filter.after) payload["after"] = *filter.after;
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

bool friend_list_has(const json::object& friend_list_response, std::string_view section, std::string_view user) {
  const auto* entries = array_field(payload_of(friend_list_response), section);
  if (entries == nullptr) return false;
  for (const auto& entry : *entries) {
    std::string listed;
    if (entry.is_string()) listed = entry.get_string();
    if (entry.is_object()) listed = string_field(entry.get_object(), "user");
    if (!listed.empty() && same_user(listed, user)) return true;
  }
  return false;
}

// ---- showing messages -----------------------------------------------------------------

std::string format_time(std::int64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  if (::gmtime_r(&t, &utc) == nullptr) return std::to_string(seconds);
  char buffer[32];
  const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return n == 0 ? std::to_string(seconds) : std::string(buffer, n);
}

std::string history_line(const json::object& item) {
  std::string receiver = string_field(item, "receiver");
  if (const std::string group = string_field(item, "group"); !group.empty()) receiver += " (" + group + ")";
  return "[" + string_field(item, "messageId") + "] " + format_time(int_field(item, "timestamp", 0)) + " " +
         string_field(item, "sender") + " -> " + receiver + ": " + string_field(item, "content");
}

description describe_message(const json::object& msg) {
  const std::string type = type_of(msg);
  const auto& p = payload_of(msg);
  const auto code = code_of(msg);
  const bool ok = !failure_of(msg).has_value();
  const std::string sender = string_field(p, "sender");
  const std::string receiver = string_field(p, "receiver");
  description d;

  if (type == "REGISTER_RESPONSE") {
    d.summary = ok ? "registered" : "registration failed" + result_suffix(msg);
  } else if (type == "LOGIN_RESPONSE") {
    d.summary = ok ? "logged in" : "login failed" + result_suffix(msg);
  } else if (type == "ERROR") {
    d.summary = failure_text(*failure_of(msg));
    if (const std::string in_reply_to = string_field(p, "inReplyTo"); !in_reply_to.empty()) {
      d.summary += " (in reply to " + in_reply_to + ")";
    }
  } else if (type == "FRIEND_REQUEST") {
    const std::string who = short_user(sender, receiver);
    d.summary = "from " + sender + " (accept " + who + " / reject " + who + ")";
  } else if (type == "FRIEND_REQUEST_ACK") {
    d.summary = "to " + receiver + result_suffix(msg);
  } else if (type == "FRIEND_REQUEST_RESPONSE") {
    // Forwarded to the requester (`sender`); `receiver` answered.
    d.summary = receiver + (code.value_or(0) == 0 ? " accepted" : " rejected") + " the friend request of " + sender;
  } else if (type == "FRIEND_REMOVE") {
    d.summary = sender + " removed " + receiver + " as a friend";
  } else if (type == "FRIEND_REMOVE_ACK") {
    d.summary = "unfriend " + receiver + result_suffix(msg);
  } else if (type == "FRIEND_LIST_RESPONSE") {
    const auto* friends = array_field(p, "friends");
    const auto incoming = string_array(p, "incoming");
    const auto outgoing = string_array(p, "outgoing");
    if (friends != nullptr) {
      for (const auto& f : *friends) {
        if (!f.is_object()) continue;
        d.details.push_back("friend " + string_field(f.get_object(), "user") + " " +
                            string_field(f.get_object(), "status"));
      }
    }
    for (const auto& u : incoming) d.details.push_back("incoming " + u + " (asks you; accept or reject)");
    for (const auto& u : outgoing) d.details.push_back("outgoing " + u + " (waiting for their answer)");
    d.summary = ok ? "friends: " + std::to_string(friends == nullptr ? 0 : friends->size()) +
                         ", incoming: " + std::to_string(incoming.size()) +
                         ", outgoing: " + std::to_string(outgoing.size())
                   : "failed" + result_suffix(msg);
  } else if (type == "GROUP_CREATE_ACK") {
    d.summary = ok ? "group " + group_label(p) + " created; invited: " + join(string_array(p, "members"))
                   : "group " + string_field(p, "name") + result_suffix(msg);
  } else if (type == "GROUP_INVITE") {
    const std::string id = string_field(p, "groupId");
    const std::string ref = id.empty() ? string_field(p, "group") : id;
    d.summary = "from " + sender + " to group " + group_label(p) + " (group-accept " + ref + " / group-reject " +
                ref + ")";
  } else if (type == "GROUP_INVITE_RESPONSE") {
    d.summary = receiver + (code.value_or(0) == 0 ? " joined group " : " declined to join group ") + group_label(p);
  } else if (type == "GROUP_LEAVE") {
    d.summary = sender + " left group " + group_label(p);
  } else if (type == "GROUP_LEAVE_ACK") {
    d.summary = "leave " + group_label(p) + result_suffix(msg);
  } else if (type == "GROUP_REMOVE") {
    d.summary = sender + " removed group " + group_label(p);
  } else if (type == "GROUP_REMOVE_ACK") {
    d.summary = "remove " + group_label(p) + result_suffix(msg);
  } else if (type == "GROUP_LEADER_CHANGE") {
    d.summary = string_field(p, "newLeader") + " now leads group " + group_label(p) + " (was " + sender + ")";
  } else if (type == "GROUP_LEADER_CHANGE_ACK") {
    d.summary = "leader of " + group_label(p) + " -> " + string_field(p, "newLeader") + result_suffix(msg);
  } else if (type == "GROUP_LIST_RESPONSE") {
    const auto* groups = array_field(p, "groups");
    const auto* invitations = array_field(p, "invitations");
    if (groups != nullptr) {
      for (const auto& g : *groups) {
        if (!g.is_object()) continue;
        const auto& group = g.get_object();
        std::string line = "group " + string_field(group, "groupId") + " \"" + string_field(group, "name") +
                           "\" leader " + string_field(group, "leader") + " members " +
                           join(string_array(group, "members"), ",");
        if (const auto invited = string_array(group, "invited"); !invited.empty()) {
          line += " invited " + join(invited, ",");
        }
        d.details.push_back(std::move(line));
      }
    }
    if (invitations != nullptr) {
      for (const auto& i : *invitations) {
        if (!i.is_object()) continue;
        const auto& invite = i.get_object();
        d.details.push_back("invitation " + string_field(invite, "groupId") + " \"" + string_field(invite, "name") +
                            "\" from " + string_field(invite, "inviter"));
      }
    }
    d.summary = ok ? "groups: " + std::to_string(groups == nullptr ? 0 : groups->size()) +
                         ", invitations: " + std::to_string(invitations == nullptr ? 0 : invitations->size())
                   : "failed" + result_suffix(msg);
  } else if (type == "TEXT_MESSAGE") {
    std::string where;
    if (!string_field(p, "groupId").empty() || (!receiver.empty() && receiver.front() == '#')) {
      const std::string name = string_field(p, "group");
      where = " in " + (name.empty() ? receiver : name + " (" + receiver + ")");
    }
    d.summary = sender + where + ": " + string_field(p, "content") + " [" + string_field(p, "messageId") + "]";
  } else if (type == "TEXT_MESSAGE_ACK") {
    d.summary = ok ? "to " + receiver + " [" + string_field(p, "messageId") + "]"
                   : "to " + receiver + result_suffix(msg);
  } else if (type == "USER_STATUS_UPDATE") {
    d.summary = string_field(p, "username") + " is " + string_field(p, "status");
  } else if (type == "USER_LOGOUT") {
    d.summary = string_field(p, "username") + " logged out";
  } else if (type == "MESSAGE_HISTORY_RESPONSE" || type == "MESSAGE_HISTORY_BEGIN" ||
             type == "MESSAGE_HISTORY_COMPLETE") {
    d.summary = ok ? "ok" : "failed" + result_suffix(msg);
  } else if (type == "MESSAGE_HISTORY_DATA") {
    const auto* items = array_field(p, "messages");
    d.summary = "chunk " + std::to_string(int_field(p, "chunkIndex", 0)) + ", messages: " +
                std::to_string(items == nullptr ? 0 : items->size());
    if (items != nullptr) {
      for (const auto& item : *items) {
        if (item.is_object()) d.details.push_back(history_line(item.get_object()));
      }
    }
  } else if (type == "__unparsable__") {
    d.summary = "(not JSON) " + string_field(msg, "raw");
  } else {
    // Media and anything newer than this client: show the payload as it came.
    d.summary = json::serialize(p);
  }
  return d;
}

std::vector<std::string> message_lines(const json::object& message) {
  auto d = describe_message(message);
  std::string type = type_of(message);
  if (type.empty()) type = "(no type)";
  std::vector<std::string> lines{"<< " + type + " " + d.summary};
  for (auto& detail : d.details) lines.push_back("   " + std::move(detail));
  return lines;
}

}  // namespace chatnode::cli
