// Federation frames and events through the schema machinery of the client codec
// (protocol/schema.hpp): one schema for the frames and one for the events, shared by the
// decoder, the strict encoder and the builders that splice in JSON text they were given.
#include "federation.hpp"

#include "protocol/schema.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <span>
#include <type_traits>
#include <utility>

namespace chatnode::protocol {

// ---- schemas --------------------------------------------------------------------------
// schema.hpp says how they are read and written.

namespace detail {

// The index of T among a variant's alternatives (the variant's size when it is none of them).
template <class T, class Variant>
struct alternative;
template <class T, class... Ts>
struct alternative<T, std::variant<Ts...>> {
  static constexpr std::size_t index = [] {
    constexpr std::array<bool, sizeof...(Ts)> same{std::is_same_v<T, Ts>...};
    return static_cast<std::size_t>(std::find(same.begin(), same.end(), true) - same.begin());
  }();
};
template <class T, class Variant>
constexpr bool is_alternative = alternative<T, Variant>::index < std::variant_size_v<Variant>;

// Frames. A wire name means the same in every frame that has it, and the frames list their
// fields in one shared order, so one schema serves them all.
struct frame_schema {
  static void apply(auto& m, auto& v) {
    if constexpr (requires { m.origin; }) v("origin", m.origin, rule::domain);
    if constexpr (requires { m.version; }) v("version", m.version, rule::exact);
    if constexpr (requires { m.stream; }) v("stream", m.stream, rule::text);
    if constexpr (requires { m.seq; }) v("seq", m.seq, rule::positive);
    if constexpr (requires { m.after; }) v("after", lenient{m.after}, rule::count);
    if constexpr (requires { m.event; }) v("event", m.event, rule::none);
    if constexpr (requires { m.media_id; }) v("mediaId", m.media_id, rule::media_id);
    if constexpr (requires { m.from; }) v("from", m.from, rule::positive);
    if constexpr (requires { m.chunk_index; }) v("chunkIndex", m.chunk_index, rule::positive);
    if constexpr (requires { m.total_chunks; }) v("totalChunks", lenient{m.total_chunks}, rule::positive);
    if constexpr (requires { m.data; }) v("data", m.data, rule::text);
    if constexpr (requires { m.code; }) v("code", lenient{m.code}, rule::exact);
    if constexpr (requires { m.reason; }) v("reason", lenient{m.reason}, rule::text);
  }
};
template <class T>
  requires is_alternative<T, fed::frame>
struct schema<T> : frame_schema {};

// Events, likewise: every field an event can have, in the order the node writes them
// (`group` is the record in a "group" event, the group's name in a "media" one).
struct event_schema {
  static void apply(auto& m, auto& v) {
    if constexpr (requires { m.media_id; }) v("mediaId", m.media_id, rule::media_id);
    if constexpr (requires { m.sender; }) v("sender", m.sender, rule::text);
    if constexpr (requires { m.receiver; }) v("receiver", m.receiver, rule::text);
    if constexpr (requires { m.media_type; }) v("mediaType", m.media_type, rule::text);
    if constexpr (requires { m.size; }) v("mediaSize", m.size, rule::count);
    if constexpr (requires { m.total_chunks; }) v("totalChunks", m.total_chunks, rule::count);
    if constexpr (requires { m.sha256; }) v("sha256", m.sha256, rule::text);
    if constexpr (requires { m.to; }) v("to", m.to, rule::text);
    if constexpr (requires { m.message; }) v("message", m.message, rule::none);
    if constexpr (requires { m.ref; }) v("ref", lenient{m.ref}, rule::text);
    if constexpr (requires { m.timestamp; }) v("timestamp", lenient{m.timestamp}, rule::count);
    if constexpr (requires { m.group; }) v("group", lenient{m.group}, rule::text);
    if constexpr (requires { m.actor; }) v("actor", m.actor, rule::text);
    if constexpr (requires { m.request; }) v("request", m.request, rule::none);
    if constexpr (requires { m.group_id; }) v("groupId", m.group_id, rule::text);
    if constexpr (requires { m.record; }) v("group", m.record, rule::nullable);
    if constexpr (requires { m.seen; }) v("seen", lenient{m.seen}, rule::none);
    if constexpr (requires { m.code; }) v("code", lenient{m.code}, rule::exact);
  }
  static std::string_view problem(const fed::deliver& m) noexcept { return m.to.empty() ? "deliver.to: empty" : ""; }
  static std::string_view problem(const fed::media_announce& m) noexcept {
    const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    if (m.sha256.size() != 64 || !std::all_of(m.sha256.begin(), m.sha256.end(), hex))
      return "media.sha256: expected 64 lowercase hex digits";
    if (m.size == 0 || m.total_chunks == 0) return "media: empty";
    if (m.total_chunks > m.size) return "media.totalChunks: more chunks than bytes";
    if (m.size > m.total_chunks * fed::max_chunk_bytes) return "media.mediaSize: chunks larger than a node sends";
    return {};
  }
};
template <class T>
  requires is_alternative<T, fed::event_kind>
struct schema<T> : event_schema {};

// The `seen` of a "group" event.
template <>
struct schema<fed::stream_pos> {
  static void apply(auto& m, auto& v) {
    v("stream", m.stream, rule::text);
    v("seq", m.seq, rule::none);
  }
};

// Views for the builders: the fields of a frame or an event over text the caller holds,
// read and written with the schema of the struct they stand for.
namespace {

struct event_text {
  using stands_for = fed::event;
  std::string_view stream;
  std::uint64_t seq;
  std::uint64_t after;
  raw_json event;
};
struct media_data_text {
  using stands_for = fed::media_data;
  std::string_view media_id;
  std::uint32_t chunk_index;
  std::uint32_t total_chunks;
  std::string_view data;
};
struct deliver_text {
  using stands_for = fed::deliver;
  const std::vector<std::string>& to;
  raw_json message;
  const std::optional<std::string>& ref;
};
struct act_text {
  using stands_for = fed::act;
  std::string_view actor;
  raw_json request;
};
struct stream_pos_text {
  using stands_for = fed::stream_pos;
  std::string_view stream;
  std::uint64_t seq;
};
struct group_text {
  using stands_for = fed::group;
  std::string_view group_id;
  std::optional<raw_json> record;
  std::optional<stream_pos_text> seen;
};

}  // namespace

template <class T>
  requires requires { typename T::stands_for; }
struct schema<T> : schema<typename T::stands_for> {};

}  // namespace detail

namespace fed {
namespace json = boost::json;

namespace {

using detail::raw_json;

// Each variant's wire names, in the order of its alternatives.
constexpr std::array<std::string_view, std::variant_size_v<frame>> frame_types{
    "FED_HELLO", "FED_EVENT", "FED_ACK", "FED_MEDIA_FETCH", "FED_MEDIA_DATA", "FED_MEDIA_DATA_ACK", "FED_MEDIA_ERROR"};
constexpr std::array<std::string_view, std::variant_size_v<event_kind>> event_kinds{
    "deliver", "act", "group", "reset", "media", "media_done"};

using detail::alternative;
using detail::is_alternative;

// `m` as the frame or event `Struct` (m: a Struct, or a view of one with its schema).
template <class Struct, class T>
std::string encode_as(const T& m) {
  if constexpr (is_alternative<Struct, frame>) {
    return detail::encode_tagged("type", frame_types[alternative<Struct, frame>::index], m);
  } else {
    return detail::encode_tagged("kind", event_kinds[alternative<Struct, event_kind>::index], m);
  }
}

// How a frame or an event says what it is.
struct tag_set {
  std::string_view key;                     // "type", "kind"
  std::span<const std::string_view> names;  // in the order of the variant's alternatives
  bool rooted;                              // errors name the field under the name ("deliver.to")
};
constexpr tag_set frame_tags{"type", frame_types, false};
constexpr tag_set event_tags{"kind", event_kinds, true};

// A tag from the other side, fit for a log line: quoted, escaped, cut short (between two
// UTF-8 characters).
std::string quoted(std::string_view s) {
  constexpr std::size_t shown = 64;
  std::size_t cut = std::min(s.size(), shown);
  while (cut < s.size() && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  std::string out = json::serialize(json::string(s.substr(0, cut)));
  if (cut < s.size()) out += "…";
  return out;
}

// `o` as the alternative its tag names; `movable`: `o` itself when it was parsed for this
// decode only (its objects are moved out), else null.
template <class Variant>
std::variant<Variant, frame_error> decode_tagged(const json::object& o, json::object* movable, const tag_set& tags) {
  frame_error error;
  const json::value* tag = o.if_contains(tags.key);
  if (tag == nullptr || !tag->is_string()) {
    error.message = std::string(tags.key) + (tag == nullptr ? ": missing" : ": expected string");
    return error;
  }
  const std::string_view name(tag->get_string());
  const auto found = std::find(tags.names.begin(), tags.names.end(), name);
  if (found == tags.names.end()) {
    error.error = code::unknown_type;
    error.message = "unknown " + std::string(tags.key) + " " + quoted(name);
    return error;
  }
  error.type = name;
  const decode_limits limits;
  const std::string_view root = tags.rooted ? name : std::string_view();
  detail::field_decoder decoder =
      movable != nullptr ? detail::field_decoder(*movable, limits, root) : detail::field_decoder(o, limits, root);
  Variant body;
  if (auto failed = detail::decode_fields(body, static_cast<std::size_t>(found - tags.names.begin()), decoder)) {
    error.error = failed->error;
    error.message = std::move(failed->message);
    return error;
  }
  return body;
}

frame_error failure(code c, std::string message) { return frame_error{c, {}, std::move(message)}; }

// A decode, with what can only be an allocation failure as an error.
template <class Result, class Decode>
Result guarded(Decode&& decode) noexcept {
  try {
    return decode();
  } catch (...) {
    return failure(code::malformed_json, "decode failed");
  }
}

// A frame or an event, whichever alternative it holds.
template <class Variant>
std::string encode_alternative(const Variant& v) {
  return std::visit([](const auto& x) { return encode_as<std::decay_t<decltype(x)>>(x); }, v);
}

}  // namespace

// ---- frames --------------------------------------------------------------------------

frame_result decode_frame(std::string_view text, const frame_limits& limits) noexcept {
  return guarded<frame_result>([&]() -> frame_result {
    auto parsed = detail::parse_object(text, {limits.max_frame_bytes, limits.max_depth, false, "frame"});
    if (auto* e = std::get_if<detail::field_error>(&parsed)) return failure(e->error, std::move(e->message));
    json::object& o = std::get<json::value>(parsed).get_object();
    return decode_tagged<frame>(o, &o, frame_tags);
  });
}

frame_result decode_frame(const json::object& o) noexcept {
  return guarded<frame_result>([&] { return decode_tagged<frame>(o, nullptr, frame_tags); });
}

std::string encode(const frame& f) { return encode_alternative(f); }

std::string_view type_of(const frame& f) noexcept { return frame_types[f.index()]; }

std::string event_frame(std::string_view stream, std::uint64_t seq, std::uint64_t after, std::string_view ev) {
  return encode_as<event>(detail::event_text{stream, seq, after, raw_json{ev}});
}

std::string media_data_frame(std::string_view media_id, std::uint32_t index, std::uint32_t total, std::string_view data) {
  return encode_as<media_data>(detail::media_data_text{media_id, index, total, data});
}

// ---- events --------------------------------------------------------------------------

event_decode_result decode_event(const json::object& ev) noexcept {
  return guarded<event_decode_result>([&] { return decode_tagged<event_kind>(ev, nullptr, event_tags); });
}

std::string encode(const event_kind& e) { return encode_alternative(e); }

std::string_view kind_of(const event_kind& e) noexcept { return event_kinds[e.index()]; }

std::string deliver_event(const std::vector<std::string>& to, std::string_view message,
                          const std::optional<std::string>& ref) {
  return encode_as<deliver>(detail::deliver_text{to, raw_json{message}, ref});
}

std::string act_event(std::string_view actor, std::string_view request) {
  return encode_as<act>(detail::act_text{actor, raw_json{request}});
}

std::string group_event(std::string_view group_id, std::optional<std::string_view> record, std::string_view seen_stream,
                        std::uint64_t seen_seq) {
  detail::group_text g{group_id, std::nullopt, std::nullopt};
  if (record) g.record = raw_json{*record};
  if (seen_seq != 0) g.seen = detail::stream_pos_text{seen_stream, seen_seq};
  return encode_as<group>(g);
}

std::string media_done_event(std::string_view media_id, int code) {
  return encode_as<media_done>(media_done{std::string(media_id), code});
}

std::string media_event(const media_announce& a) { return encode_as<media_announce>(a); }

}  // namespace fed
}  // namespace chatnode::protocol
