// What nodes send each other on a federation link (docs/federation.md "Frames on a link"):
// the frames, typed, decoded and encoded through the same schemas as client messages
// (protocol/schema.hpp), and the events FED_EVENT carries. A client message inside an event
// is a JSON object (the client codec's strict encoding, spliced in as it is), never a
// string, so a receiver parses a frame once.
#pragma once

#include "codes.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chatnode::protocol::fed {

// An event's outcome, as FED_ACK carries it: 0 applied (or a duplicate), else the refusal
// with its reason; -1 (out of order) and 9008 (not stored) are not acknowledged, so the
// origin sends the event again.
struct event_result {
  int code = 0;
  std::string reason;
};

// How fetching a media's bytes from another node ended, once they were all in.
enum class fetch_outcome {
  published,  // the hash matched: the media is delivered to this node's recipients
  refetch,    // the hash did not match: the bytes were dropped, fetch again
  failed,     // given up (too many mismatches); the origin was told
  gone,       // the fetch no longer exists (purged meanwhile)
};

// ---- frames ----------------------------------------------------------------------------
// One struct per frame `type`; integers are JSON integers (17, not 17.0). A field marked
// "else: X" is read leniently, as the node always read it: absent, of the wrong type or out
// of its range, it is X; every other field is required and must be valid.

inline constexpr int protocol_version = 1;
// A hello is tiny; anything longer before authentication is refused unread.
inline constexpr std::size_t max_hello_bytes = 4096;

// FED_HELLO: the first frame of each side once the WebSocket is up.
struct hello {
  std::string origin;  // a domain, case-folded when decoded
  std::int64_t version = protocol_version;
  friend bool operator==(const hello&, const hello&) = default;
};
// FED_EVENT: event `seq` of the sender's `stream`; `after` is how far the sender knows the
// receiver acknowledged that stream.
struct event {
  std::string stream;
  std::uint64_t seq = 0;    // ≥ 1
  std::uint64_t after = 0;  // ≥ 0, else: 0
  boost::json::object event;  // one of the events below, not checked by decode_frame
  friend bool operator==(const fed::event&, const fed::event&) = default;
};
// FED_ACK: every event of `stream` up to `seq` applied (code 0), or event `seq` refused.
struct ack {
  std::string stream;
  std::uint64_t seq = 0;              // ≥ 1
  int code = 0;                       // else: 0
  std::optional<std::string> reason;  // with a refusal; else: none
  friend bool operator==(const ack&, const ack&) = default;
};
// FED_MEDIA_FETCH: send the chunks of the holder's media `media_id` from chunk `from` on.
struct media_fetch {
  std::string media_id;
  std::uint32_t from = 1;  // ≥ 1
  friend bool operator==(const media_fetch&, const media_fetch&) = default;
};
// FED_MEDIA_DATA: one chunk, its bytes in base64 (not checked by decode_frame).
struct media_data {
  std::string media_id;
  std::uint32_t chunk_index = 1;   // ≥ 1
  std::uint32_t total_chunks = 0;  // ≥ 1, else: 0 (the fetcher knows it from the announce)
  std::string data;
  friend bool operator==(const media_data&, const media_data&) = default;
};
// FED_MEDIA_DATA_ACK: chunk `chunk_index` is stored.
struct media_data_ack {
  std::string media_id;
  std::uint32_t chunk_index = 1;  // ≥ 1
  friend bool operator==(const media_data_ack&, const media_data_ack&) = default;
};
// FED_MEDIA_ERROR: the holder will not send `media_id` (8001: not announced to you, gone).
struct media_error {
  std::string media_id;
  int code = 0;        // else: 0
  std::string reason;  // else: empty
  friend bool operator==(const media_error&, const media_error&) = default;
};

using frame = std::variant<hello, event, ack, media_fetch, media_data, media_data_ack, media_error>;

// Why a frame or an event was not decoded, for the log.
struct frame_error {
  code error = code::invalid_field;  // 9001 not JSON / not an object / too deep, 9002 unknown
                                     // type or kind, 9003 a bad field, 9006 too large
  std::string type;                  // the frame's type or the event's kind, when it is one of ours
  std::string message;               // "seq: expected integer ≥ 1", "unknown type \"FED_X\""
  friend bool operator==(const frame_error&, const frame_error&) = default;
};
using frame_result = std::variant<frame, frame_error>;

struct frame_limits {
  std::size_t max_frame_bytes = 1024 * 1024;  // pass the link's (federation.max_frame_bytes): larger is 9006
  std::size_t max_depth = 32;                 // JSON nesting: deeper is 9001
};

// Strict JSON (no comments), one object with a known `type` and that frame's fields as
// above; other fields are ignored; null is a wrong type, not "absent". mediaId is a media id
// (is_media_id_syntax), origin a domain. FED_EVENT's `event` is moved out of the parsed
// text, not copied. No exceptions.
frame_result decode_frame(std::string_view text, const frame_limits& limits = {}) noexcept;
// The same for a frame already parsed (no size or depth limit).
frame_result decode_frame(const boost::json::object& parsed) noexcept;

// Strict JSON, `type` first, then the fields in the order above: the bytes a node sends
// (encode(fed::ack{stream, seq, 0, {}})).
std::string encode(const frame& f);
// "FED_HELLO", "FED_EVENT", …
std::string_view type_of(const frame& f) noexcept;

// ---- events (stored in outboxes, carried by FED_EVENT) -------------------------------
// One struct per event `kind`, read as the frames are ("else: X" as there). decode_event
// checks their shape; what the ids mean (whose they are, the authority rule) and the group
// record are for the receiver to check.

// "deliver": a client message the origin relays to users of the receiver.
struct deliver {
  std::vector<std::string> to;       // at least one
  boost::json::object message;       // a client message
  std::optional<std::string> ref;    // the request id a FRIEND_REQUEST's verdict echoes; else: none
  friend bool operator==(const deliver&, const deliver&) = default;
};
// "act": a member's group request to the group's home.
struct act {
  std::string actor;
  boost::json::object request;  // a client request message, naming the group by groupId
  friend bool operator==(const act&, const act&) = default;
};
// Where a group record has read the receiver's stream up to.
struct stream_pos {
  std::string stream;
  std::uint64_t seq = 0;
  friend bool operator==(const stream_pos&, const stream_pos&) = default;
};
// "group": the home's record of a group.
struct group {
  std::string group_id;
  std::optional<boost::json::object> record;  // wire `group`, required; null (nullopt): deleted
  std::optional<stream_pos> seen;             // else: none
  friend bool operator==(const group&, const group&) = default;
};
// "reset": the origin has just started: all its users are offline.
struct reset {
  friend bool operator==(const reset&, const reset&) = default;
};
// "media": a completed upload another node should fetch: ids as the sender's node
// wrote them (the receiver checks them against its domain and the authority rule).
struct media_announce {
  std::string media_id;
  std::string sender;
  std::string receiver;  // a user id or a group id
  std::optional<std::string> group;  // the group's name; else: none
  std::string media_type;
  std::uint64_t size = 0;
  std::uint32_t total_chunks = 0;
  std::string sha256;  // 64 lowercase hex digits
  std::optional<std::int64_t> timestamp;  // ≥ 0, else: none
  std::vector<std::string> to;  // the receiver's users it is for
  friend bool operator==(const media_announce&, const media_announce&) = default;
};
// "media_done": the receiver has the bytes of the origin's `media_id` (0) or will not fetch them.
struct media_done {
  std::string media_id;
  int code = 0;  // else: 0
  friend bool operator==(const media_done&, const media_done&) = default;
};

using event_kind = std::variant<deliver, act, group, reset, media_announce, media_done>;
using event_decode_result = std::variant<event_kind, frame_error>;

// An event object (FED_EVENT's `event`): a known `kind` and that kind's fields, checked as
// decode_frame checks frames; errors name the field under the kind ("deliver.to: missing").
// The client message of "deliver" and "act" is an object: the text form of nodes before 0.2
// (deliver.frame, act.request as a string) is refused, as core/inbound refuses it.
event_decode_result decode_event(const boost::json::object& event) noexcept;

// Strict JSON, `kind` first: the bytes a node stores in its outbox (encode(fed::reset{})).
std::string encode(const event_kind& e);
// "deliver", "act", …
std::string_view kind_of(const event_kind& e) noexcept;

// ---- builders -----------------------------------------------------------------------
// The encodings above for callers that hold a client message or a record as JSON text
// already (spliced in as it is, not parsed again).

// `message` / `request`: a client message as protocol::encode wrote it.
std::string deliver_event(const std::vector<std::string>& to, std::string_view message,
                          const std::optional<std::string>& ref);
std::string act_event(std::string_view actor, std::string_view request);
// `record`: the group record (a JSON object as the store keeps it), or nullopt when the
// group is gone. `seen`: how far the record has read the receiver's stream (none when seq is 0).
std::string group_event(std::string_view group_id, std::optional<std::string_view> record, std::string_view seen_stream,
                        std::uint64_t seen_seq);
std::string media_done_event(std::string_view media_id, int code);

// The largest chunk a node sends (the link's frame limit is 1 MiB of base64).
inline constexpr std::uint64_t max_chunk_bytes = 512 * 1024;
std::string media_event(const media_announce& a);

// `event`: one of the events above, as stored.
std::string event_frame(std::string_view stream, std::uint64_t seq, std::uint64_t after, std::string_view event);
// `data`: the chunk's bytes in base64.
std::string media_data_frame(std::string_view media_id, std::uint32_t index, std::uint32_t total, std::string_view data);

}  // namespace chatnode::protocol::fed
