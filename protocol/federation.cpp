// Federation frames and events as strict JSON: strings go through Boost.JSON's serializer
// (escaped), client messages and records are spliced in (they are strict JSON objects).
#include "federation.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>

namespace chatnode::protocol::fed {
namespace json = boost::json;

namespace {

void append_string(std::string& out, std::string_view s) { out += json::serialize(json::string(s)); }

}  // namespace

std::string deliver_event(const std::vector<std::string>& to, std::string_view message,
                          const std::optional<std::string>& ref) {
  std::string out;
  out.reserve(message.size() + 64 + 32 * to.size());
  out += R"({"kind":"deliver","to":[)";
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (i) out += ',';
    append_string(out, to[i]);
  }
  out += R"(],"message":)";
  out += message;
  if (ref) {
    out += R"(,"ref":)";
    append_string(out, *ref);
  }
  out += '}';
  return out;
}

std::string act_event(std::string_view actor, std::string_view request) {
  std::string out = R"({"kind":"act","actor":)";
  append_string(out, actor);
  out += R"(,"request":)";
  out += request;
  out += '}';
  return out;
}

std::string group_event(std::string_view group_id, std::optional<std::string_view> record, std::string_view seen_stream,
                        std::uint64_t seen_seq) {
  std::string out = R"({"kind":"group","groupId":)";
  append_string(out, group_id);
  out += R"(,"group":)";
  out += record ? *record : "null";
  if (seen_seq != 0) {
    out += R"(,"seen":{"stream":)";
    append_string(out, seen_stream);
    out += R"(,"seq":)" + std::to_string(seen_seq) + "}";
  }
  out += '}';
  return out;
}

std::string media_done_event(std::string_view media_id, int code) {
  std::string out = R"({"kind":"media_done","mediaId":)";
  append_string(out, media_id);
  out += R"(,"code":)" + std::to_string(code) + "}";
  return out;
}

std::string media_event(const media_announce& a) {
  json::array to;
  for (const auto& u : a.to) to.emplace_back(u);
  json::object ev{{"kind", "media"},         {"mediaId", a.media_id},     {"sender", a.sender},
                  {"receiver", a.receiver},  {"mediaType", a.media_type}, {"mediaSize", a.size},
                  {"totalChunks", a.total_chunks}, {"sha256", a.sha256}, {"to", std::move(to)}};
  if (a.timestamp) ev["timestamp"] = *a.timestamp;
  if (a.group) ev["group"] = *a.group;
  return json::serialize(ev);
}

const json::string* string_field(const json::object& o, std::string_view key) {
  const auto* f = o.if_contains(key);
  return f && f->is_string() ? &f->as_string() : nullptr;
}

namespace {

std::optional<std::uint64_t> count_field(const json::object& ev, std::string_view key) {
  const auto* f = ev.if_contains(key);
  if (!f || !f->is_int64() || f->as_int64() < 0) return std::nullopt;
  return static_cast<std::uint64_t>(f->as_int64());
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::optional<media_announce> parse_media_event(const json::object& ev) {
  const auto* media_id = string_field(ev, "mediaId");
  const auto* sender = string_field(ev, "sender");
  const auto* receiver = string_field(ev, "receiver");
  const auto* media_type = string_field(ev, "mediaType");
  const auto* sha = string_field(ev, "sha256");
  const auto* to = ev.if_contains("to");
  const auto size = count_field(ev, "mediaSize");
  const auto total = count_field(ev, "totalChunks");
  if (!media_id || !sender || !receiver || !media_type || !sha || !is_sha256_hex(*sha) || !to || !to->is_array() || !size ||
      !total || *size == 0 || *total == 0 || *total > *size || *total > 0xffffffffULL || *size > *total * max_chunk_bytes)
    return std::nullopt;
  media_announce a{std::string(*media_id), std::string(*sender), std::string(*receiver), std::nullopt,
                   std::string(*media_type), *size, static_cast<std::uint32_t>(*total), std::string(*sha), std::nullopt, {}};
  if (const auto* name = string_field(ev, "group")) a.group = std::string(*name);
  if (auto ts = count_field(ev, "timestamp")) a.timestamp = static_cast<std::int64_t>(*ts);
  for (const auto& u : to->as_array()) {
    if (!u.is_string()) return std::nullopt;
    a.to.emplace_back(u.as_string());
  }
  return a;
}

std::string event_frame(std::string_view stream, std::uint64_t seq, std::uint64_t after, std::string_view event) {
  std::string out;
  out.reserve(event.size() + stream.size() + 80);
  out += R"({"type":"FED_EVENT","stream":)";
  append_string(out, stream);
  out += R"(,"seq":)" + std::to_string(seq) + R"(,"after":)" + std::to_string(after) + R"(,"event":)";
  out += event;
  out += '}';
  return out;
}

std::string media_data_frame(std::string_view media_id, std::uint32_t index, std::uint32_t total, std::string_view data) {
  std::string out;
  out.reserve(data.size() + media_id.size() + 96);
  out += R"({"type":"FED_MEDIA_DATA","mediaId":)";
  append_string(out, media_id);
  out += R"(,"chunkIndex":)" + std::to_string(index) + R"(,"totalChunks":)" + std::to_string(total) + R"(,"data":")";
  out += data;  // base64: nothing to escape
  out += "\"}";
  return out;
}

}  // namespace chatnode::protocol::fed
