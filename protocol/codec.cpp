// JSON codec of protocol messages: lenient Boost.JSON parse + validation into the structs of
// messages.hpp, and a hand-written strict JSON writer for the hot encode path, both driven
// by the schemas below (the machinery is protocol/schema.hpp, shared with federation.cpp).
#include "protocol/codec.hpp"

#include "protocol/schema.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace chatnode::protocol {

// ---- schema -------------------------------------------------------------------------
// One list of fields per message (schema.hpp says how they are read and written).

namespace detail {

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

}  // namespace detail

namespace {

namespace json = boost::json;
using namespace detail;

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
  alignas(std::max_align_t) unsigned char buffer[parse_buffer_bytes];
  json::monotonic_resource resource(buffer, sizeof buffer);
  auto parsed = parse_object(text, {limits.max_message_bytes, limits.max_depth, true, "message"}, &resource);
  if (auto* e = std::get_if<field_error>(&parsed)) return make_decode_error(e->error, std::move(e->message));
  return decode_object(std::get<json::value>(parsed).get_object(), limits);
}

// The error reply as far as the message's `type` and `id` say (in_reply_to, id), with
// `id`'s own problem in `message`. A type too long to be ours is not echoed back: it is
// unknown either way.
decode_error reply_context(const json::object& message, const decode_limits& limits) {
  decode_error error;
  error.error = code::invalid_field;
  const json::value* type = message.if_contains("type");
  if (const json::string* s = type ? type->if_string() : nullptr; s != nullptr && s->size() <= limits.max_field_bytes) {
    error.in_reply_to.emplace(s->data(), s->size());
  }
  const json::value* id = message.if_contains("id");
  if (id == nullptr) return error;
  const json::string* s = id->if_string();
  if (s == nullptr) {
    error.message = "id: expected string";
  } else if (s->size() > limits.max_field_bytes) {
    error.message = "id: too long";
  } else {
    error.id.emplace(s->data(), s->size());
  }
  return error;
}

// The message's type, or nullopt with the problem in `error`.
std::optional<message_type> read_type(const json::object& message, decode_error& error) {
  const json::value* value = message.if_contains("type");
  const json::string* s = value ? value->if_string() : nullptr;
  if (s == nullptr) {
    error.message = value == nullptr ? "type: missing" : "type: expected string";
    return std::nullopt;
  }
  const auto type = message_type_from_string(std::string_view(s->data(), s->size()));
  if (!type) {
    error.error = code::unknown_type;
    error.message = "type: unknown message type";
  }
  return type;
}

// The envelope's timestamp (absent: 0) and payload object, or null with the problem in `error`.
const json::object* read_envelope(const json::object& message, std::int64_t& timestamp, decode_error& error) {
  if (const json::value* ts = message.if_contains("timestamp")) {
    if (const auto status = to_integer(*ts, timestamp); status != int_status::ok) {
      error.message = "timestamp: ";
      error.message += describe(status);
      return nullptr;
    }
  }
  const json::value* payload = message.if_contains("payload");
  if (payload == nullptr || !payload->is_object()) {
    error.message = payload == nullptr ? "payload: missing" : "payload: expected object";
    return nullptr;
  }
  return &payload->get_object();
}

// Type and id first, so every later error can still be matched to its request.
decode_result decode_object(const json::object& message, const decode_limits& limits) {
  decode_error error = reply_context(message, limits);
  if (!error.message.empty()) return error;
  const auto type = read_type(message, error);
  if (!type) return error;
  envelope result;
  const json::object* payload = read_envelope(message, result.timestamp, error);
  if (payload == nullptr) return error;
  result.id = error.id;
  field_decoder decoder(*payload, limits, "payload");
  if (auto failed = decode_fields(result.body, static_cast<std::size_t>(*type), decoder)) {
    error.error = failed->error;
    error.message = std::move(failed->message);
    return error;
  }
  return result;
}

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
  detail::size_estimator estimate;
  std::visit([&](const auto& m) { detail::schema<std::decay_t<decltype(m)>>::apply(m, estimate); }, e.body);

  std::string out;
  detail::json_writer w(out, envelope_bytes + estimate.total() + (e.id ? e.id->size() : 0));
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
  detail::field_encoder encoder(w);
  std::visit([&](const auto& m) { detail::schema<std::decay_t<decltype(m)>>::apply(m, encoder); }, e.body);
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
