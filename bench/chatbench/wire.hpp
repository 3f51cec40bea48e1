// The few bits of the chat protocol chatbench reads and writes. Replies are scanned, not
// parsed: the generator must stay cheap next to the node it measures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatbench {

// The value of the first `"key":"…"` string field (no escapes in the values we look at).
std::string_view string_field(std::string_view frame, std::string_view key);
// The value of the first `"key":<integer>` field.
std::optional<std::int64_t> int_field(std::string_view frame, std::string_view key);
inline std::string_view frame_type(std::string_view frame) { return string_field(frame, "type"); }

// What chatbench puts in a TEXT_MESSAGE's content: who sent it (the sender's slot as the
// receiver numbers its senders), its sequence number from that sender, and when it was sent.
struct stamp {
  std::uint32_t slot = 0;
  std::uint64_t seq = 0;
  std::int64_t sent_ns = 0;  // steady clock
};
std::string format_stamp(const stamp& s);
std::optional<stamp> parse_stamp(std::string_view content);

// Frames. Names are bare user names; `content` is inserted as is (no escaping needed).
std::string make_request(std::string_view type, std::string_view payload_json);
std::string register_frame(std::string_view user, std::string_view password);
std::string login_frame(std::string_view user, std::string_view password);
std::string friend_request_frame(std::string_view from, std::string_view to);
std::string text_frame(std::string_view from, std::string_view to, std::string_view content);

}  // namespace chatbench
