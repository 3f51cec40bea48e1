// Federation frames and events as strict JSON: strings go through Boost.JSON's serializer
// (escaped), client messages and records are spliced in (they are strict JSON objects).
#include "federation.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

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
