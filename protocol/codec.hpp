// Decode (lenient JSON, then validate), encode (strict JSON) of protocol messages.
// No I/O and no exceptions on the decode path: bad input becomes a decode_error that
// carries the ERROR code to send back.
#pragma once

#include "codes.hpp"
#include "messages.hpp"

#include <boost/json/fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace chatnode::protocol {

struct decode_limits {
  std::size_t max_message_bytes = 128 * 1024;  // larger input: 9006
  std::size_t max_depth = 16;                  // JSON nesting: deeper is 9001
  std::size_t max_field_bytes = 320;           // ids, names, types, statuses: longer is 9003
  std::size_t max_members = 256;               // GROUP_CREATE members: more is 9006
  std::size_t max_history_items = 100;         // MESSAGE_HISTORY_DATA messages: more is 9003
};

struct decode_error {
  code error = code::malformed_json;    // 9001, 9002, 9003 or 9006
  std::string message;                  // for a human: "payload.receiver: missing"
  std::optional<std::string> in_reply_to;  // the message's `type`, when it could be read
  std::optional<std::string> id;           // the request's `id`, when it could be read
};

using decode_result = std::variant<envelope, decode_error>;

// Parses one frame. Comments and trailing commas are accepted (the seed's examples use
// both); unknown fields are ignored; a missing `timestamp` is accepted as 0.
// Also:
// - A field that is present must have the right JSON type even when it is optional;
//   null is a wrong type, not "absent".
// - Integers may be written as whole floats (1.0, 1.63e9) and must fit the field's type.
// - User-id fields are checked with is_user_id_syntax but kept as sent (not folded).
//   The receiver of TEXT_MESSAGE(_ACK) and MEDIA_MESSAGE*, and the sender of the media
//   replies that travel back (MEDIA_MESSAGE_ACK, _DATA_ACK, _COMPLETE), may also be a
//   group id or group name: they are only checked non-empty and short.
// - `groupId` must satisfy is_group_id_syntax.
// - decode_error.in_reply_to / .id are set only for string values of at most
//   max_field_bytes; a longer `id` is itself a 9003.
decode_result decode(std::string_view text, const decode_limits& limits = {}) noexcept;
// The same for a message already parsed (a client message carried inside a federation
// event): every rule above but the size and depth limits, which bound the whole frame.
decode_result decode(const boost::json::object& message, const decode_limits& limits = {}) noexcept;

// Strict JSON: {"type":…,"timestamp":…,["id":…,]"payload":{…}}. Unset optionals are omitted.
std::string encode(const envelope& e);

// Convenience for the node: an ERROR envelope.
envelope make_error(code c, std::string message, std::optional<std::string> in_reply_to,
                    std::optional<std::string> id, std::int64_t timestamp);

}  // namespace chatnode::protocol
