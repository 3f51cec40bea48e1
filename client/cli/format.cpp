// Human-readable lines for everything the node sends (docs/cli.md, "Output").
#include "client/cli/format.hpp"

#include "client/cli/commands.hpp"
#include "client/cli/media_files.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>

namespace chatnode::cli {

namespace {

using lines = std::vector<std::string>;
using describer = std::function<lines(const json::object& payload, const json::object& message, const viewer& who)>;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::vector<std::string> users(const json::object& payload, std::string_view key, const viewer& who) {
  std::vector<std::string> out;
  if (const auto* found = payload.if_contains(key); found != nullptr && found->is_array()) {
    for (const auto& item : found->get_array()) {
      if (item.is_string()) out.push_back(show_user(item.get_string(), who));
    }
  }
  return out;
}

// The group's name (its id when the name is missing; both with --verbose).
std::string group_of(const json::object& payload, const viewer& who) {
  std::string name = string_field(payload, "group");
  if (name.empty()) name = string_field(payload, "name");
  const std::string id = string_field(payload, "groupId");
  if (name.empty()) return id;
  return who.verbose && !id.empty() ? name + " (" + id + ")" : name;
}

// "" for a success, else ": not friends (7002)".
std::string failure_suffix(const json::object& message) {
  const auto f = failure_of(message);
  return f ? ": " + failure_text(*f) : "";
}

std::string time_prefix(const json::object& message) {
  const auto t = int_field(message, "timestamp");
  return t && *t > 0 ? clock_time(*t) + " " : "";
}

lines friend_list(const json::object& message, const viewer& who) {
  lines out;
  for (const auto& f : friends_of(message, "friends")) {
    out.push_back(show_user(f.user, who) + ": " + (f.status.empty() ? "friend" : f.status));
  }
  for (const auto& f : friends_of(message, "incoming")) {
    const std::string name = show_user(f.user, who);
    out.push_back(name + ": asks to be your friend (accept " + name + " / reject " + name + ")");
  }
  for (const auto& f : friends_of(message, "outgoing")) {
    out.push_back(show_user(f.user, who) + ": friend request sent, no answer yet");
  }
  if (out.empty()) out.emplace_back("no friends and no friend requests yet");
  return out;
}

lines group_list(const json::object& message, const viewer& who) {
  lines out;
  for (const auto& g : groups_of(message)) {
    std::vector<std::string> members;
    for (const auto& m : g.members) members.push_back(show_user(m, who));
    std::string line = g.name + ": led by " + show_user(g.leader, who) + "; members " + join(members);
    if (!g.invited.empty()) {
      std::vector<std::string> invited;
      for (const auto& m : g.invited) invited.push_back(show_user(m, who));
      line += "; invited " + join(invited);
    }
    out.push_back(line + "; id " + g.group_id);
  }
  for (const auto& i : invitations_of(message)) {
    out.push_back("invitation to " + i.name + " from " + show_user(i.inviter, who) + " (group-accept " + i.name +
                  " / group-reject " + i.name + "); id " + i.group_id);
  }
  if (out.empty()) out.emplace_back("no groups and no invitations");
  return out;
}

// One describer per message type the node sends; the table is the whole of human output
// for messages that are not chat lines.
const std::map<std::string, describer, std::less<>>& describers() {
  static const std::map<std::string, describer, std::less<>> table = {
      {"REGISTER_RESPONSE",
       [](const json::object&, const json::object& m, const viewer&) -> lines {
         return {failure_of(m) ? "registration failed" + failure_suffix(m) : "registered"};
       }},
      {"LOGIN_RESPONSE",
       [](const json::object&, const json::object& m, const viewer& who) -> lines {
         return {failure_of(m) ? "login failed" + failure_suffix(m) : "logged in as " + show_user(who.self, who)};
       }},
      {"ERROR",
       [](const json::object& p, const json::object& m, const viewer&) -> lines {
         std::string line = "error: " + failure_text(*failure_of(m));
         if (const std::string in_reply_to = string_field(p, "inReplyTo"); !in_reply_to.empty()) {
           line += " (in reply to " + in_reply_to + ")";
         }
         return {line};
       }},
      {"FRIEND_REQUEST",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string name = show_user(string_field(p, "sender"), who);
         return {time_prefix(m) + name + " wants to be your friend (accept " + name + " / reject " + name + ")"};
       }},
      {"FRIEND_REQUEST_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string name = show_user(string_field(p, "receiver"), who);
         return {failure_of(m) ? "friend request to " + name + " failed" + failure_suffix(m)
                               : "friend request sent to " + name};
       }},
      {"FRIEND_REQUEST_RESPONSE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         // Forwarded to the requester (`sender`); `receiver` answered.
         const std::string name = show_user(string_field(p, "receiver"), who);
         const bool accepted = code_of(m).value_or(0) == 0;
         return {time_prefix(m) + name + (accepted ? " accepted" : " declined") + " your friend request"};
       }},
      {"FRIEND_REMOVE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         return {time_prefix(m) + show_user(string_field(p, "sender"), who) + " removed you from their friends"};
       }},
      {"FRIEND_REMOVE_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string name = show_user(string_field(p, "receiver"), who);
         return {failure_of(m) ? "unfriend " + name + " failed" + failure_suffix(m)
                               : name + " is no longer your friend"};
       }},
      {"FRIEND_LIST_RESPONSE",
       [](const json::object&, const json::object& m, const viewer& who) -> lines {
         return failure_of(m) ? lines{"friend list failed" + failure_suffix(m)} : friend_list(m, who);
       }},
      {"GROUP_CREATE_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         if (failure_of(m)) return {"group " + string_field(p, "name") + " not created" + failure_suffix(m)};
         const auto invited = users(p, "members", who);
         return {"created group " + string_field(p, "name") + " (" + string_field(p, "groupId") + ")" +
                 (invited.empty() ? "" : "; invited " + join(invited))};
       }},
      {"GROUP_INVITE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string name = string_field(p, "group");
         return {time_prefix(m) + show_user(string_field(p, "sender"), who) + " invites you to the group " +
                 group_of(p, who) + " (group-accept " + name + " / group-reject " + name + ")"};
       }},
      {"GROUP_INVITE_RESPONSE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string name = show_user(string_field(p, "receiver"), who);
         const bool joined = code_of(m).value_or(0) == 0;
         return {time_prefix(m) + name + (joined ? " joined " : " declined the invitation to ") + group_of(p, who)};
       }},
      {"GROUP_LEAVE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         return {time_prefix(m) + show_user(string_field(p, "sender"), who) + " left " + group_of(p, who)};
       }},
      {"GROUP_LEAVE_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         return {failure_of(m) ? "leaving " + group_of(p, who) + " failed" + failure_suffix(m)
                               : "you left " + group_of(p, who)};
       }},
      {"GROUP_REMOVE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         return {time_prefix(m) + show_user(string_field(p, "sender"), who) + " deleted the group " + group_of(p, who)};
       }},
      {"GROUP_REMOVE_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         return {failure_of(m) ? "deleting " + group_of(p, who) + " failed" + failure_suffix(m)
                               : "deleted the group " + group_of(p, who)};
       }},
      {"GROUP_LEADER_CHANGE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         return {time_prefix(m) + show_user(string_field(p, "newLeader"), who) + " now leads " + group_of(p, who) +
                 " (was " + show_user(string_field(p, "sender"), who) + ")"};
       }},
      {"GROUP_LEADER_CHANGE_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string leader = show_user(string_field(p, "newLeader"), who);
         return {failure_of(m) ? "making " + leader + " the leader of " + group_of(p, who) + " failed" +
                                     failure_suffix(m)
                               : leader + " now leads " + group_of(p, who)};
       }},
      {"GROUP_LIST_RESPONSE",
       [](const json::object&, const json::object& m, const viewer& who) -> lines {
         return failure_of(m) ? lines{"group list failed" + failure_suffix(m)} : group_list(m, who);
       }},
      {"TEXT_MESSAGE",
       [](const json::object&, const json::object& m, const viewer& who) -> lines {
         return {chat_line(chat_item_of_message(m), who, false)};
       }},
      {"TEXT_MESSAGE_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string to = show_user(string_field(p, "receiver"), who);
         return {failure_of(m) ? "message to " + to + " not sent" + failure_suffix(m) : "message to " + to + " stored"};
       }},
      {"MEDIA_MESSAGE",
       [](const json::object&, const json::object& m, const viewer& who) -> lines {
         return {offer_line(chat_item_of_message(m), who)};
       }},
      {"USER_STATUS_UPDATE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string status = string_field(p, "status");
         const std::string name = show_user(string_field(p, "username"), who);
         return {time_prefix(m) + name + (status == "offline" ? " went offline" : " is " + status)};
       }},
      {"PASSWORD_CHANGE_RESPONSE",
       [](const json::object&, const json::object& m, const viewer&) -> lines {
         return {failure_of(m) ? "password change failed" + failure_suffix(m) : "your password was changed"};
       }},
      {"ACCOUNT_DELETE_RESPONSE",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         if (failure_of(m)) return {"deleting the account failed" + failure_suffix(m)};
         std::string name = show_user(string_field(p, "username"), who);
         if (name.empty()) name = show_user(who.self, who);
         return {"the account " + name + " was deleted; the node closed the connection"};
       }},
      {"USER_BLOCK_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string name = show_user(string_field(p, "receiver"), who);
         return {failure_of(m) ? "blocking " + name + " failed" + failure_suffix(m) : "blocked " + name};
       }},
      {"USER_UNBLOCK_ACK",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         const std::string name = show_user(string_field(p, "receiver"), who);
         return {failure_of(m) ? "unblocking " + name + " failed" + failure_suffix(m) : "unblocked " + name};
       }},
      {"BLOCK_LIST_RESPONSE",
       [](const json::object&, const json::object& m, const viewer& who) -> lines {
         if (failure_of(m)) return {"block list failed" + failure_suffix(m)};
         lines out;
         for (const auto& user : blocked_of(m)) out.push_back(show_user(user, who));
         if (out.empty()) out.emplace_back("you block nobody");
         return out;
       }},
      {"USER_LOGOUT",
       [](const json::object& p, const json::object& m, const viewer& who) -> lines {
         return {time_prefix(m) + show_user(string_field(p, "username"), who) + " logged out"};
       }},
  };
  return table;
}

}  // namespace

void viewer::learn(const json::object& message) {
  const auto& p = payload_of(message);
  for (const char* key : {"receiver", "username", "sender"}) learn_id(string_field(p, key));
}

void viewer::learn_id(std::string_view id) {
  if (self.empty() || self.find('@') != std::string::npos) return;
  const auto at = id.find('@');
  if (at != std::string_view::npos && lower(id.substr(0, at)) == lower(self)) self = lower(id);
}

std::string viewer::domain() const {
  const auto at = self.find('@');
  return at == std::string::npos ? std::string() : self.substr(at + 1);
}

std::string clock_time(std::int64_t seconds) { return clock_time(seconds, now_seconds()); }

std::string clock_time(std::int64_t seconds, std::int64_t now) {
  const auto t = static_cast<std::time_t>(seconds);
  const auto n = static_cast<std::time_t>(now);
  std::tm local{};
  std::tm today{};
  if (::localtime_r(&t, &local) == nullptr || ::localtime_r(&n, &today) == nullptr) return std::to_string(seconds);
  const bool same_day =
      local.tm_year == today.tm_year && local.tm_mon == today.tm_mon && local.tm_mday == today.tm_mday;
  char buffer[32];
  const auto size = std::strftime(buffer, sizeof buffer, same_day ? "%H:%M" : "%Y-%m-%d %H:%M", &local);
  return size == 0 ? std::to_string(seconds) : std::string(buffer, size);
}

std::string show_user(std::string_view user, const viewer& who) {
  const auto at = user.find('@');
  if (at == std::string_view::npos) return std::string(user);
  const std::string domain = who.domain();
  if (!domain.empty() && lower(user.substr(at + 1)) == domain) return std::string(user.substr(0, at));
  return std::string(user);
}

std::string human_size(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %s", value, units[unit]);
  return buffer;
}

std::string media_summary(std::string_view media_id, std::string_view media_type, std::uint64_t size) {
  return display_media_name(media_id) + " (" + (media_type.empty() ? "unknown type" : std::string(media_type)) +
         ", " + human_size(size) + ")";
}

chat_item chat_item_of_message(const json::object& message) {
  chat_item item = chat_item_of_history(payload_of(message));
  item.timestamp = int_field(message, "timestamp").value_or(0);
  return item;
}

chat_item chat_item_of_history(const json::object& p) {
  chat_item item;
  item.timestamp = int_field(p, "timestamp").value_or(0);
  item.sender = string_field(p, "sender");
  item.receiver = string_field(p, "receiver");
  item.content = string_field(p, "content");
  item.message_id = string_field(p, "messageId");
  item.group_id = string_field(p, "groupId");
  item.group = string_field(p, "group");
  item.media_id = string_field(p, "mediaId");
  item.media_type = string_field(p, "mediaType");
  item.media_size = uint_field(p, "mediaSize").value_or(0);
  if (item.group_id.empty() && !item.receiver.empty() && item.receiver.front() == '#') item.group_id = item.receiver;
  return item;
}

std::string chat_line(const chat_item& item, const viewer& who, bool with_id) {
  std::string line;
  if ((with_id || who.verbose) && !item.message_id.empty()) line += "[" + item.message_id + "] ";
  if (item.timestamp > 0) line += clock_time(item.timestamp) + " ";
  const std::string sender = show_user(item.sender, who);
  if (!item.group_id.empty()) {
    line += "[" + (item.group.empty() ? item.group_id : item.group) + "] " + sender;
  } else if (!who.self.empty() && same_user(item.sender, who.self)) {
    line += sender + " -> " + show_user(item.receiver, who);
  } else {
    line += sender;
  }
  if (!item.media_id.empty()) {
    line += " sent " + media_summary(item.media_id, item.media_type, item.media_size);
    // In history the id is what `fetch` needs (while the media is still offered).
    return with_id ? line + "; media " + item.media_id : line;
  }
  return line + ": " + item.content;
}

std::string offer_line(const chat_item& item, const viewer& who) {
  return chat_line(item, who, false) + "; to download: fetch " + item.media_id;
}

std::vector<std::string> describe(const json::object& message, const viewer& who) {
  const std::string type = type_of(message);
  const auto& table = describers();
  if (const auto it = table.find(type); it != table.end()) return it->second(payload_of(message), message, who);
  if (type == "__unparsable__") return {"(not JSON from the node) " + string_field(message, "raw")};
  return {};
}

}  // namespace chatnode::cli
