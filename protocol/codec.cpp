// JSON codec of protocol messages: lenient Boost.JSON parse + validation into the structs of
// messages.hpp, and a hand-written strict JSON writer for the hot encode path.
#include "protocol/codec.hpp"

#include "protocol/ids.hpp"

#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

namespace chatnode::protocol {
namespace {

namespace json = boost::json;

// ---- schema -------------------------------------------------------------------------
// One list of fields per message, shared by decoder, encoder and size estimate, so the
// wire names and the order are written once. Order = struct order = encode order.

// What a field's value must look like beyond its JSON type.
enum class rule : std::uint8_t {
  none,      // numbers and flags: the C++ type says it all
  user,      // user id, bare or full (is_user_id_syntax), at most max_field_bytes
  name,      // free text, non-empty, at most max_field_bytes: names, media ids, statuses,
             // and receivers that may be a user id, a group id or a group name
  group_id,  // "#local@domain"
  text,      // any string, bounded only by the frame: content, data, error messages
  secret,    // non-empty, bounded only by the frame: passwordHash
  members,   // user ids, at most max_members of them (more is 9006)
  history,   // history items, at most max_history_items of them (more is 9003)
};
// An array of strings is checked element by element with the rule of the field; an array
// of objects (a struct with a schema) with the schemas of its items. Arrays are bounded
// only by the frame unless the rule says otherwise (members, history).

template <class T>
struct schema;

template <>
struct schema<register_request> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("passwordHash", m.password_hash, rule::secret);
  }
};
template <>
struct schema<register_response> {
  static void apply(auto& m, auto& v) {
    v("success", m.success, rule::none);
    v("code", m.code, rule::none);
  }
};
template <>
struct schema<login_request> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("passwordHash", m.password_hash, rule::secret);
    v("token", m.token, rule::secret);
    v("requestToken", m.request_token, rule::none);
  }
  // Checked after every field decoded: what no single field can say.
  static std::string_view problem(const login_request& m) noexcept {
    if (m.password_hash.has_value() == m.token.has_value()) return "payload: exactly one of passwordHash and token";
    return {};
  }
};
template <>
struct schema<login_response> {
  static void apply(auto& m, auto& v) {
    v("success", m.success, rule::none);
    v("code", m.code, rule::none);
    v("token", m.token, rule::secret);
    v("tokenExpires", m.token_expires, rule::none);
  }
};

// The friend messages differ only in whether they carry a code.
struct friend_schema {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("receiver", m.receiver, rule::user);
    if constexpr (requires { m.code; }) v("code", m.code, rule::none);
  }
};
template <>
struct schema<friend_request> : friend_schema {};
template <>
struct schema<friend_request_ack> : friend_schema {};
template <>
struct schema<friend_request_response> : friend_schema {};
template <>
struct schema<friend_remove> : friend_schema {};
template <>
struct schema<friend_remove_ack> : friend_schema {};

template <>
struct schema<group_create> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("members", m.members, rule::members);
    v("name", m.name, rule::name);
  }
};
template <>
struct schema<group_create_ack> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("members", m.members, rule::members);
    v("not-friends", m.not_friends, rule::members);
    v("name", m.name, rule::name);
    v("code", m.code, rule::none);
    v("groupId", m.group_id, rule::group_id);
  }
};
template <>
struct schema<group_invite> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("receiver", m.receiver, rule::user);
    v("group", m.group, rule::name);
    v("groupId", m.group_id, rule::group_id);
  }
};
template <>
struct schema<group_invite_response> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("receiver", m.receiver, rule::user);
    v("group", m.group, rule::name);
    v("code", m.code, rule::none);
    v("groupId", m.group_id, rule::group_id);
  }
};

// leave / remove and their acks: sender, group, [code], groupId.
struct group_action_schema {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("group", m.group, rule::name);
    if constexpr (requires { m.code; }) v("code", m.code, rule::none);
    v("groupId", m.group_id, rule::group_id);
  }
};
template <>
struct schema<group_leave> : group_action_schema {};
template <>
struct schema<group_leave_ack> : group_action_schema {};
template <>
struct schema<group_remove> : group_action_schema {};
template <>
struct schema<group_remove_ack> : group_action_schema {};

struct leader_change_schema {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("group", m.group, rule::name);
    v("newLeader", m.new_leader, rule::user);
    if constexpr (requires { m.code; }) v("code", m.code, rule::none);
    v("groupId", m.group_id, rule::group_id);
  }
};
template <>
struct schema<group_leader_change> : leader_change_schema {};
template <>
struct schema<group_leader_change_ack> : leader_change_schema {};

template <>
struct schema<text_message> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("receiver", m.receiver, rule::name);
    v("content", m.content, rule::text);
    v("messageId", m.message_id, rule::name);
    v("groupId", m.group_id, rule::group_id);
    v("group", m.group, rule::name);
  }
};
template <>
struct schema<text_message_ack> {
  static void apply(auto& m, auto& v) {
    v("messageId", m.message_id, rule::name);
    v("receiver", m.receiver, rule::name);
    v("code", m.code, rule::none);
  }
};

template <>
struct schema<media_message> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("receiver", m.receiver, rule::name);
    v("mediaId", m.media_id, rule::name);
    v("mediaType", m.media_type, rule::name);
    v("mediaSize", m.media_size, rule::none);
    v("sha256", m.sha256, rule::name);
    v("totalChunks", m.total_chunks, rule::none);
    v("messageId", m.message_id, rule::name);
    v("groupId", m.group_id, rule::group_id);
    v("group", m.group, rule::name);
  }
};
// MEDIA_MESSAGE_ACK, _DATA_ACK and _COMPLETE travel back from the media's receiver, so
// their `sender` is that receiver, which may be a group: both ends are free-form there.
template <>
struct schema<media_message_ack> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::name);
    v("receiver", m.receiver, rule::name);
    v("mediaId", m.media_id, rule::name);
    v("code", m.code, rule::none);
    v("receivedChunks", m.received_chunks, rule::none);
  }
};
template <>
struct schema<media_message_data> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("receiver", m.receiver, rule::name);
    v("mediaId", m.media_id, rule::name);
    v("data", m.data, rule::text);
    v("chunkIndex", m.chunk_index, rule::none);
    v("totalChunks", m.total_chunks, rule::none);
  }
};
template <>
struct schema<media_message_data_ack> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::name);
    v("receiver", m.receiver, rule::name);
    v("mediaId", m.media_id, rule::name);
    v("chunkIndex", m.chunk_index, rule::none);
    v("code", m.code, rule::none);
  }
};
template <>
struct schema<media_message_complete> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::name);
    v("receiver", m.receiver, rule::name);
    v("mediaId", m.media_id, rule::name);
    v("code", m.code, rule::none);
  }
};
template <>
struct schema<media_message_complete_ack> {
  static void apply(auto& m, auto& v) {
    v("sender", m.sender, rule::user);
    v("receiver", m.receiver, rule::name);
    v("mediaId", m.media_id, rule::name);
    v("code", m.code, rule::none);
  }
};

template <>
struct schema<user_status_update> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("status", m.status, rule::name);
  }
};
template <>
struct schema<user_logout> {
  static void apply(auto& m, auto& v) { v("username", m.username, rule::user); }
};

template <>
struct schema<history_item> {
  static void apply(auto& m, auto& v) {
    v("timestamp", m.timestamp, rule::none);
    v("sender", m.sender, rule::user);
    v("receiver", m.receiver, rule::name);
    v("content", m.content, rule::text);
    v("messageId", m.message_id, rule::name);
    v("groupId", m.group_id, rule::group_id);
    v("group", m.group, rule::name);
    v("mediaId", m.media_id, rule::name);
    v("mediaType", m.media_type, rule::name);
    v("mediaSize", m.media_size, rule::none);
  }
};
template <>
struct schema<message_history_request> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("with", m.with, rule::name);
    v("before", m.before, rule::name);
    v("after", m.after, rule::name);
    v("limit", m.limit, rule::none);
  }
};
// The history handshake messages that carry only username and code.
struct history_status_schema {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("code", m.code, rule::none);
  }
};
template <>
struct schema<message_history_response> : history_status_schema {};
template <>
struct schema<message_history_begin> : history_status_schema {};
// The client's acks may omit `code` (docs/protocol.md §12 shows them without one).
struct history_ack_schema {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("code", m.code, rule::none);
  }
};
template <>
struct schema<message_history_begin_ack> : history_ack_schema {};
template <>
struct schema<message_history_complete> : history_status_schema {};
template <>
struct schema<message_history_complete_ack> : history_ack_schema {};
template <>
struct schema<message_history_data> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("messages", m.messages, rule::history);
    v("chunkIndex", m.chunk_index, rule::none);
  }
};
template <>
struct schema<message_history_data_ack> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("chunkIndex", m.chunk_index, rule::none);
    v("code", m.code, rule::none);
  }
};

// Lists (addition): produced by the node, so their arrays are bounded only by the frame.
template <>
struct schema<friend_entry> {
  static void apply(auto& m, auto& v) {
    v("user", m.user, rule::user);
    v("status", m.status, rule::name);
  }
};
template <>
struct schema<friend_list_response> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("friends", m.friends, rule::none);
    v("incoming", m.incoming, rule::user);
    v("outgoing", m.outgoing, rule::user);
    v("code", m.code, rule::none);
  }
};
template <>
struct schema<group_entry> {
  static void apply(auto& m, auto& v) {
    v("groupId", m.group_id, rule::group_id);
    v("name", m.name, rule::name);
    v("leader", m.leader, rule::user);
    v("members", m.members, rule::user);
    v("invited", m.invited, rule::user);
  }
};
template <>
struct schema<group_invitation> {
  static void apply(auto& m, auto& v) {
    v("groupId", m.group_id, rule::group_id);
    v("name", m.name, rule::name);
    v("inviter", m.inviter, rule::user);
  }
};
template <>
struct schema<group_list_response> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("groups", m.groups, rule::none);
    v("invitations", m.invitations, rule::none);
    v("code", m.code, rule::none);
  }
};
// The list requests carry only the acting user.
struct list_request_schema {
  static void apply(auto& m, auto& v) { v("username", m.username, rule::user); }
};
template <>
struct schema<friend_list_request> : list_request_schema {};
template <>
struct schema<group_list_request> : list_request_schema {};

template <>
struct schema<block_list_request> : list_request_schema {};
template <>
struct schema<block_list_response> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("blocked", m.blocked, rule::user);
    v("code", m.code, rule::none);
  }
};

// Account lifecycle (addition): the acting user, and passwords as for LOGIN_REQUEST.
template <>
struct schema<password_change_request> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("passwordHash", m.password_hash, rule::secret);
    v("newPasswordHash", m.new_password_hash, rule::secret);
  }
};
template <>
struct schema<account_delete_request> {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("passwordHash", m.password_hash, rule::secret);
  }
};
// PASSWORD_CHANGE_RESPONSE and ACCOUNT_DELETE_RESPONSE: username and code.
struct account_status_schema {
  static void apply(auto& m, auto& v) {
    v("username", m.username, rule::user);
    v("code", m.code, rule::none);
  }
};
template <>
struct schema<password_change_response> : account_status_schema {};
template <>
struct schema<account_delete_response> : account_status_schema {};

// Blocks (addition) have the shape of the friend messages.
template <>
struct schema<user_block> : friend_schema {};
template <>
struct schema<user_block_ack> : friend_schema {};
template <>
struct schema<user_unblock> : friend_schema {};
template <>
struct schema<user_unblock_ack> : friend_schema {};

template <>
struct schema<error_message> {
  static void apply(auto& m, auto& v) {
    v("code", m.code, rule::none);
    v("message", m.message, rule::text);
    v("inReplyTo", m.in_reply_to, rule::name);
  }
};

// A struct with a schema of its own: a message, or an item nested in one (history_item,
// friend_entry, …). Every specialization above is complete by now.
template <class T>
concept has_schema = requires { sizeof(schema<T>); };

// ---- decoding -----------------------------------------------------------------------

// Integers arrive as int64, uint64 or (e.g. 1.63e9) double; accept any of them that is a
// whole number inside I's range.
enum class int_status : std::uint8_t { ok, not_integer, out_of_range };

template <std::integral I>
int_status to_integer(const json::value& v, I& out) noexcept {
  switch (v.kind()) {
    case json::kind::int64: {
      const std::int64_t x = v.get_int64();
      if (!std::in_range<I>(x)) return int_status::out_of_range;
      out = static_cast<I>(x);
      return int_status::ok;
    }
    case json::kind::uint64: {
      const std::uint64_t x = v.get_uint64();
      if (!std::in_range<I>(x)) return int_status::out_of_range;
      out = static_cast<I>(x);
      return int_status::ok;
    }
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d) || std::trunc(d) != d) return int_status::not_integer;
      // max()+1 is a power of two, so exact as a double even when max() is not.
      constexpr double lowest = static_cast<double>(std::numeric_limits<I>::min());
      constexpr double beyond = static_cast<double>(std::numeric_limits<I>::max() / 2 + 1) * 2.0;
      if (d < lowest || d >= beyond) return int_status::out_of_range;
      out = static_cast<I>(d);
      return int_status::ok;
    }
    default:
      return int_status::not_integer;
  }
}

std::string_view describe(int_status s) noexcept {
  return s == int_status::out_of_range ? "out of range" : "expected integer";
}

// Names are shown to people: no control characters (C0, DEL, C1, NUL among them) and no
// bidirectional overrides or isolates (U+202A–U+202E, U+2066–U+2069), which can make a
// name display as something else. `s` is valid UTF-8.
bool has_unsafe_characters(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) return true;  // U+0080–U+009F
    if (c == 0xe2 && i + 2 < s.size()) {
      const auto b1 = static_cast<unsigned char>(s[i + 1]), b2 = static_cast<unsigned char>(s[i + 2]);
      if (b1 == 0x80 && b2 >= 0xaa && b2 <= 0xae) return true;  // U+202A–U+202E
      if (b1 == 0x81 && b2 >= 0xa6 && b2 <= 0xa9) return true;  // U+2066–U+2069
    }
  }
  return false;
}

// Visits a schema against one JSON object, stopping at the first problem, which it
// records with the field's path ("payload.messages[2].sender: missing").
class payload_decoder {
 public:
  payload_decoder(const json::object& object, const decode_limits& limits) noexcept
      : object_(object), limits_(limits) {}

  bool failed() const noexcept { return failed_; }
  code error_code() const noexcept { return error_; }
  std::string take_message() noexcept { return std::move(message_); }

  template <class T>
  void operator()(std::string_view key, T& out, rule r) {
    if (failed_) return;
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return fail(key, "missing");
    read(key, *v, out, r);
  }

  template <class T>
  void operator()(std::string_view key, std::optional<T>& out, rule r) {
    if (failed_) return;
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return;
    read(key, *v, out.emplace(), r);
  }

 private:
  // Strings from the frame are already valid UTF-8 (Boost.JSON checks), so only the
  // protocol's own rules are left to check.
  std::string_view check(std::string_view s, rule r) const noexcept {
    switch (r) {
      case rule::user:
      case rule::members:
        if (s.size() > limits_.max_field_bytes) return "too long";
        return is_user_id_syntax(s) ? std::string_view{} : "invalid user id";
      case rule::name:
        if (s.empty()) return "empty";
        if (s.size() > limits_.max_field_bytes) return "too long";
        return has_unsafe_characters(s) ? "control or bidirectional-override characters" : std::string_view{};
      case rule::group_id:
        if (s.size() > limits_.max_field_bytes) return "too long";
        return is_group_id_syntax(s) ? std::string_view{} : "invalid group id";
      case rule::secret:
        return s.empty() ? "empty" : std::string_view{};
      case rule::none:
      case rule::text:
      case rule::history:
        break;
    }
    return {};
  }

  void read(std::string_view key, const json::value& v, std::string& out, rule r) {
    const json::string* s = v.if_string();
    if (s == nullptr) return fail(key, "expected string");
    const std::string_view sv(s->data(), s->size());
    if (const auto problem = check(sv, r); !problem.empty()) return fail(key, problem);
    out.assign(sv);
  }

  void read(std::string_view key, const json::value& v, bool& out, rule) {
    const bool* b = v.if_bool();
    if (b == nullptr) return fail(key, "expected boolean");
    out = *b;
  }

  template <std::integral I>
  void read(std::string_view key, const json::value& v, I& out, rule) {
    if (const auto status = to_integer(v, out); status != int_status::ok) {
      fail(key, describe(status));
    }
  }

  void read(std::string_view key, const json::value& v, history_bound& out, rule r) {
    if (v.is_string()) return read(key, v, out.emplace<std::string>(), r);
    if (v.is_number()) return read(key, v, out.emplace<std::int64_t>(), r);
    fail(key, "expected string or integer");
  }

  void read(std::string_view key, const json::value& v, std::vector<std::string>& out, rule r) {
    const json::array* a = v.if_array();
    if (a == nullptr) return fail(key, "expected array");
    if (r == rule::members && a->size() > limits_.max_members) {
      return fail(key, "too many members", code::too_large);
    }
    out.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      const json::string* s = (*a)[i].if_string();
      if (s == nullptr) return fail(key, "expected string", code::invalid_field, i);
      const std::string_view sv(s->data(), s->size());
      if (const auto problem = check(sv, r); !problem.empty()) {
        return fail(key, problem, code::invalid_field, i);
      }
      out.emplace_back(sv);
    }
  }

  void read(std::string_view key, const json::value& v, std::vector<std::uint32_t>& out, rule) {
    const json::array* a = v.if_array();
    if (a == nullptr) return fail(key, "expected array");
    out.resize(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (const auto status = to_integer((*a)[i], out[i]); status != int_status::ok) {
        return fail(key, describe(status), code::invalid_field, i);
      }
    }
  }

  // An array of objects, each decoded with its own schema; an item's error is reported
  // under the array's path ("payload.friends[0].status: missing").
  template <has_schema T>
  void read(std::string_view key, const json::value& v, std::vector<T>& out, rule r) {
    const json::array* a = v.if_array();
    if (a == nullptr) return fail(key, "expected array");
    if (r == rule::history && a->size() > limits_.max_history_items) {
      return fail(key, "too many items");
    }
    out.resize(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      const json::object* o = (*a)[i].if_object();
      if (o == nullptr) return fail(key, "expected object", code::invalid_field, i);
      payload_decoder item(*o, limits_);
      schema<T>::apply(out[i], item);
      if (item.failed_) return fail_in_item(key, i, item);
    }
  }

  // Re-roots an item's "payload.<field>: why" as "payload.<key>[i].<field>: why".
  void fail_in_item(std::string_view key, std::size_t index, payload_decoder& item) {
    constexpr std::string_view root = "payload.";
    const std::string inner = item.take_message();
    failed_ = true;
    error_ = item.error_;
    message_ = path(key, index);
    message_ += '.';
    message_.append(std::string_view(inner).substr(root.size()));
  }

  static std::string path(std::string_view key, std::optional<std::size_t> index) {
    std::string p = "payload.";
    p += key;
    if (index) {
      p += '[';
      p += std::to_string(*index);
      p += ']';
    }
    return p;
  }

  void fail(std::string_view key, std::string_view why, code c = code::invalid_field,
            std::optional<std::size_t> index = std::nullopt) {
    failed_ = true;
    error_ = c;
    message_ = path(key, index);
    message_ += ": ";
    message_ += why;
  }

  const json::object& object_;
  const decode_limits& limits_;
  bool failed_ = false;
  code error_ = code::invalid_field;
  std::string message_;
};

// emplace<I> for every alternative, indexed by message_type.
template <std::size_t... I>
constexpr auto make_emplacers(std::index_sequence<I...>) {
  return std::array<void (*)(payload&), sizeof...(I)>{
      [](payload& p) { p.template emplace<I>(); }...};
}
constexpr auto emplace_alternative =
    make_emplacers(std::make_index_sequence<std::variant_size_v<payload>>{});

decode_error make_decode_error(code c, std::string message) {
  decode_error e;
  e.error = c;
  e.message = std::move(message);
  return e;
}

// A JSON parse buffer that serves typical frames without touching the heap.
constexpr std::size_t parse_buffer_bytes = 4096;

decode_result decode_object(const json::object& message, const decode_limits& limits);

decode_result decode_unchecked(std::string_view text, const decode_limits& limits) {
  if (text.size() > limits.max_message_bytes) {
    return make_decode_error(code::too_large, "message: larger than " +
                                                  std::to_string(limits.max_message_bytes) +
                                                  " bytes");
  }

  alignas(std::max_align_t) unsigned char buffer[parse_buffer_bytes];
  json::monotonic_resource resource(buffer, sizeof buffer);
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  options.max_depth = limits.max_depth;
  json::error_code ec;
  const json::value root =
      json::parse(json::string_view(text.data(), text.size()), ec, &resource, options);
  if (ec) {
    if (ec == json::error::too_deep) {
      return make_decode_error(code::malformed_json, "message: nested deeper than " +
                                                         std::to_string(limits.max_depth) +
                                                         " levels");
    }
    return make_decode_error(code::malformed_json, "malformed JSON: " + ec.message());
  }

  const json::object* object = root.if_object();
  if (object == nullptr) return make_decode_error(code::malformed_json, "message: not a JSON object");
  return decode_object(*object, limits);
}

decode_result decode_object(const json::object& message, const decode_limits& limits) {
  const json::object* object = &message;
  // Read type and id first, so every later error can still be matched to its request.
  decode_error error;
  error.error = code::invalid_field;
  const json::value* type_value = object->if_contains("type");
  const json::string* type_string = type_value ? type_value->if_string() : nullptr;
  // A type too long to be ours is not echoed back: it is unknown either way.
  if (type_string != nullptr && type_string->size() <= limits.max_field_bytes) {
    error.in_reply_to.emplace(type_string->data(), type_string->size());
  }
  std::optional<std::string> id;
  if (const json::value* id_value = object->if_contains("id")) {
    const json::string* id_string = id_value->if_string();
    if (id_string == nullptr) {
      error.message = "id: expected string";
      return error;
    }
    if (id_string->size() > limits.max_field_bytes) {
      error.message = "id: too long";
      return error;
    }
    id.emplace(id_string->data(), id_string->size());
    error.id = id;
  }

  if (type_string == nullptr) {
    error.message = type_value == nullptr ? "type: missing" : "type: expected string";
    return error;
  }
  const auto type = message_type_from_string(std::string_view(type_string->data(), type_string->size()));
  if (!type) {
    error.error = code::unknown_type;
    error.message = "type: unknown message type";
    return error;
  }

  std::int64_t timestamp = 0;
  if (const json::value* ts = object->if_contains("timestamp")) {
    if (const auto status = to_integer(*ts, timestamp); status != int_status::ok) {
      error.message = "timestamp: ";
      error.message += describe(status);
      return error;
    }
  }

  const json::value* payload_value = object->if_contains("payload");
  if (payload_value == nullptr) {
    error.message = "payload: missing";
    return error;
  }
  const json::object* payload_object = payload_value->if_object();
  if (payload_object == nullptr) {
    error.message = "payload: expected object";
    return error;
  }

  envelope result;
  result.timestamp = timestamp;
  result.id = std::move(id);
  emplace_alternative[static_cast<std::size_t>(*type)](result.body);
  payload_decoder decoder(*payload_object, limits);
  std::visit([&](auto& m) { schema<std::decay_t<decltype(m)>>::apply(m, decoder); }, result.body);
  if (decoder.failed()) {
    error.error = decoder.error_code();
    error.message = decoder.take_message();
    return error;
  }
  std::string_view problem;
  std::visit(
      [&](const auto& m) {
        if constexpr (requires { schema<std::decay_t<decltype(m)>>::problem(m); })
          problem = schema<std::decay_t<decltype(m)>>::problem(m);
      },
      result.body);
  if (!problem.empty()) {
    error.message = problem;
    return error;
  }
  return result;
}

// ---- encoding -----------------------------------------------------------------------

// Writes strict JSON into a string. The string is sized up front and filled through a
// cursor, because per-character push_back dominated the encode profile. Commas are
// tracked with one flag: set after a value, cleared by a key or an opening bracket.
class json_writer {
 public:
  json_writer(std::string& out, std::size_t size_hint) : out_(out) { out_.resize(size_hint); }
  // Trims the string to what was written.
  void finish() { out_.resize(size_); }

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // Keys are our own ASCII literals, never in need of escaping.
  void key(std::string_view k) {
    char* p = room(k.size() + 4);
    if (need_comma_) *p++ = ',';
    *p++ = '"';
    p = copy(p, k);
    *p++ = '"';
    *p++ = ':';
    size_ = static_cast<std::size_t>(p - out_.data());
    need_comma_ = false;
  }
  void string(std::string_view s) {
    separate();
    append_escaped(s);
    need_comma_ = true;
  }
  void boolean(bool b) {
    separate();
    raw(b ? std::string_view("true") : std::string_view("false"));
    need_comma_ = true;
  }
  template <std::integral I>
  void integer(I i) {
    separate();
    char* p = room(max_integer_chars);
    size_ = static_cast<std::size_t>(std::to_chars(p, p + max_integer_chars, i).ptr - out_.data());
    need_comma_ = true;
  }

 private:
  static constexpr std::size_t max_integer_chars = 20;  // "-9223372036854775808"

  // A pointer to at least n writable bytes at the cursor.
  char* room(std::size_t n) {
    if (out_.size() - size_ < n) [[unlikely]] grow(n);
    return out_.data() + size_;
  }
  void grow(std::size_t n) { out_.resize(std::max(out_.size() * 2, size_ + n)); }
  static char* copy(char* p, std::string_view s) noexcept {
    std::char_traits<char>::copy(p, s.data(), s.size());
    return p + s.size();
  }
  void raw(std::string_view s) {
    copy(room(s.size()), s);
    size_ += s.size();
  }
  void put(char c) {
    *room(1) = c;
    ++size_;
  }
  void separate() {
    if (need_comma_) put(',');
  }
  void open(char bracket) {
    separate();
    put(bracket);
    need_comma_ = false;
  }
  void close(char bracket) {
    put(bracket);
    need_comma_ = true;
  }

  // For each byte, 0 if it is copied as is, else the letter after the backslash
  // ('u' for \u00XX).
  static constexpr std::array<char, 256> escapes = [] {
    std::array<char, 256> t{};
    for (std::size_t c = 0; c < 0x20; ++c) t[c] = 'u';
    t['\b'] = 'b';
    t['\f'] = 'f';
    t['\n'] = 'n';
    t['\r'] = 'r';
    t['\t'] = 't';
    t['"'] = '"';
    t['\\'] = '\\';
    return t;
  }();

  // Index of the first byte of s that JSON needs escaped, or s.size(). Looks at eight
  // bytes at a time (a control byte, '"' or '\\' among them) since most text has none.
  static std::size_t find_escape(std::string_view s) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101;
    constexpr std::uint64_t highs = 0x8080808080808080;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, sizeof w);
      const std::uint64_t quote = w ^ (ones * '"');
      const std::uint64_t backslash = w ^ (ones * '\\');
      // (x - ones) & ~x has a high bit set where a byte of x is zero; with 0x20 instead
      // of 1, where a byte is below 0x20.
      const std::uint64_t hits = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
                                 ((w - ones * 0x20) & ~w);
      if ((hits & highs) != 0) break;
    }
    for (; i < s.size(); ++i) {
      if (escapes[static_cast<unsigned char>(s[i])] != 0) break;
    }
    return i;
  }

  void append_escaped(std::string_view s) {
    constexpr std::string_view hex = "0123456789abcdef";
    room(s.size() + 2);  // enough unless something needs escaping
    put('"');
    while (true) {
      const std::size_t i = find_escape(s);
      raw(s.substr(0, i));
      if (i == s.size()) break;
      const auto byte = static_cast<unsigned char>(s[i]);
      const char e = escapes[byte];
      if (e == 'u') {
        const char seq[] = {'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0xf]};
        raw(std::string_view(seq, sizeof seq));
      } else {
        const char seq[] = {'\\', e};
        raw(std::string_view(seq, sizeof seq));
      }
      s.remove_prefix(i + 1);
    }
    put('"');
  }

  std::string& out_;
  std::size_t size_ = 0;  // bytes written; out_.size() is the room
  bool need_comma_ = false;
};

class payload_encoder {
 public:
  explicit payload_encoder(json_writer& w) noexcept : w_(w) {}

  template <class T>
  void operator()(std::string_view key, const T& value, rule) {
    w_.key(key);
    write(value);
  }
  template <class T>
  void operator()(std::string_view key, const std::optional<T>& value, rule r) {
    if (value) (*this)(key, *value, r);
  }

 private:
  void write(const std::string& s) { w_.string(s); }
  void write(bool b) { w_.boolean(b); }
  template <std::integral I>
  void write(I i) {
    w_.integer(i);
  }
  void write(const history_bound& b) {
    std::visit([this](const auto& x) { write(x); }, b);
  }
  template <has_schema T>
  void write(const T& item) {
    w_.begin_object();
    schema<T>::apply(item, *this);
    w_.end_object();
  }
  template <class T>
  void write(const std::vector<T>& items) {
    w_.begin_array();
    for (const auto& item : items) write(item);
    w_.end_array();
  }

  json_writer& w_;
};

// An upper-ish bound of the encoded size, so encode() allocates once in the usual case
// (escaping can still make it grow).
class size_estimator {
 public:
  std::size_t total() const noexcept { return total_; }

  template <class T>
  void operator()(std::string_view key, const T& value, rule) {
    total_ += key.size() + 4;
    add(value);
  }
  template <class T>
  void operator()(std::string_view key, const std::optional<T>& value, rule r) {
    if (value) (*this)(key, *value, r);
  }

 private:
  static constexpr std::size_t number_bytes = 20;

  void add(const std::string& s) { total_ += s.size() + 2; }
  void add(bool) { total_ += 5; }
  template <std::integral I>
  void add(I) {
    total_ += number_bytes;
  }
  void add(const history_bound& b) {
    std::visit([this](const auto& x) { add(x); }, b);
  }
  template <has_schema T>
  void add(const T& item) {
    total_ += 2;
    schema<T>::apply(item, *this);
  }
  template <class T>
  void add(const std::vector<T>& items) {
    total_ += 2 + items.size();
    for (const auto& item : items) add(item);
  }

  std::size_t total_ = 0;
};

}  // namespace

decode_result decode(const json::object& message, const decode_limits& limits) noexcept {
  try {
    return decode_object(message, limits);
  } catch (...) {
    return decode_error{code::malformed_json, "decode failed", std::nullopt, std::nullopt};
  }
}

decode_result decode(std::string_view text, const decode_limits& limits) noexcept {
  try {
    return decode_unchecked(text, limits);
  } catch (...) {
    // Only allocation can throw in there; the message fits the small-string buffer.
    return decode_error{code::malformed_json, "decode failed", std::nullopt, std::nullopt};
  }
}

std::string encode(const envelope& e) {
  // {"type":"…","timestamp":…,"id":"…","payload":{…}}
  constexpr std::size_t envelope_bytes = 64;
  size_estimator estimate;
  std::visit([&](const auto& m) { schema<std::decay_t<decltype(m)>>::apply(m, estimate); },
             e.body);

  std::string out;
  json_writer w(out, envelope_bytes + estimate.total() + (e.id ? e.id->size() : 0));
  w.begin_object();
  w.key("type");
  w.string(to_string(type_of(e.body)));
  w.key("timestamp");
  w.integer(e.timestamp);
  if (e.id) {
    w.key("id");
    w.string(*e.id);
  }
  w.key("payload");
  w.begin_object();
  payload_encoder encoder(w);
  std::visit([&](const auto& m) { schema<std::decay_t<decltype(m)>>::apply(m, encoder); },
             e.body);
  w.end_object();
  w.end_object();
  w.finish();
  return out;
}

envelope make_error(code c, std::string message, std::optional<std::string> in_reply_to,
                    std::optional<std::string> id, std::int64_t timestamp) {
  envelope e;
  e.body = error_message{to_int(c), std::move(message), std::move(in_reply_to)};
  e.timestamp = timestamp;
  e.id = std::move(id);
  return e;
}

}  // namespace chatnode::protocol
