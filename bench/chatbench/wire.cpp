// Cheap scans of the node's strict JSON and the frames chatbench sends.
#include "wire.hpp"

#include <charconv>

namespace chatbench {

namespace {

// Position just after `"key":` (the node writes no spaces), npos when absent.
std::size_t after_key(std::string_view frame, std::string_view key) {
  std::size_t from = 0;
  for (;;) {
    const auto at = frame.find(key, from);
    if (at == std::string_view::npos) return at;
    const auto end = at + key.size();
    if (at > 0 && frame[at - 1] == '"' && end + 1 < frame.size() && frame[end] == '"' && frame[end + 1] == ':')
      return end + 2;
    from = end;
  }
}

}  // namespace

std::string_view string_field(std::string_view frame, std::string_view key) {
  const auto at = after_key(frame, key);
  if (at == std::string_view::npos || at >= frame.size() || frame[at] != '"') return {};
  const auto end = frame.find('"', at + 1);
  if (end == std::string_view::npos) return {};
  return frame.substr(at + 1, end - at - 1);
}

std::optional<std::int64_t> int_field(std::string_view frame, std::string_view key) {
  const auto at = after_key(frame, key);
  if (at == std::string_view::npos) return std::nullopt;
  std::int64_t v = 0;
  const auto r = std::from_chars(frame.data() + at, frame.data() + frame.size(), v);
  if (r.ec != std::errc{}) return std::nullopt;
  return v;
}

std::string format_stamp(const stamp& s) {
  return std::to_string(s.slot) + ' ' + std::to_string(s.seq) + ' ' + std::to_string(s.sent_ns);
}

std::optional<stamp> parse_stamp(std::string_view content) {
  stamp s;
  const char* p = content.data();
  const char* end = p + content.size();
  auto r = std::from_chars(p, end, s.slot);
  if (r.ec != std::errc{} || r.ptr == end) return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, s.seq);
  if (r.ec != std::errc{} || r.ptr == end) return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, s.sent_ns);
  if (r.ec != std::errc{}) return std::nullopt;
  return s;
}

std::string make_request(std::string_view type, std::string_view payload_json) {
  std::string f;
  f.reserve(32 + type.size() + payload_json.size());
  f.append(R"({"type":")").append(type).append(R"(","payload":)").append(payload_json).append("}");
  return f;
}

namespace {
std::string credentials(std::string_view user, std::string_view password) {
  return std::string(R"({"username":")").append(user).append(R"(","passwordHash":")").append(password).append(R"("})");
}
std::string pair_payload(std::string_view from, std::string_view to) {
  return std::string(R"({"sender":")").append(from).append(R"(","receiver":")").append(to).append("\"");
}
}  // namespace

std::string register_frame(std::string_view user, std::string_view password) {
  return make_request("REGISTER_REQUEST", credentials(user, password));
}
std::string login_frame(std::string_view user, std::string_view password) {
  return make_request("LOGIN_REQUEST", credentials(user, password));
}
std::string friend_request_frame(std::string_view from, std::string_view to) {
  return make_request("FRIEND_REQUEST", pair_payload(from, to) + "}");
}
std::string text_frame(std::string_view from, std::string_view to, std::string_view content) {
  return make_request("TEXT_MESSAGE", pair_payload(from, to) + R"(,"content":")" + std::string(content) + "\"}");
}

}  // namespace chatbench
