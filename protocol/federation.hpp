// What nodes send each other on a federation link after the hello (docs/federation.md
// "What crosses a link"), built as strict JSON in one place. Events are the `event` objects
// of FED_EVENT; a client message inside one is a JSON object (the client codec's strict
// encoding, spliced in as it is), never a string, so a receiver parses a frame once.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

// ---- events (stored in outboxes, carried by FED_EVENT) -------------------------------
// `message` / `request`: a client message as protocol::encode wrote it.
std::string deliver_event(const std::vector<std::string>& to, std::string_view message,
                          const std::optional<std::string>& ref);
std::string act_event(std::string_view actor, std::string_view request);
// `record`: the group record (a JSON object as the store keeps it), or nullopt when the
// group is gone. `seen`: how far the record has read the receiver's stream (none when seq is 0).
std::string group_event(std::string_view group_id, std::optional<std::string_view> record, std::string_view seen_stream,
                        std::uint64_t seen_seq);
std::string media_done_event(std::string_view media_id, int code);

// A completed upload another node should fetch ("media" event): ids as the sender's node
// wrote them (the receiver checks them against its domain and the authority rule).
struct media_announce {
  std::string media_id;
  std::string sender;
  std::string receiver;  // a user id or a group id
  std::optional<std::string> group;  // the group's name
  std::string media_type;
  std::uint64_t size = 0;
  std::uint32_t total_chunks = 0;
  std::string sha256;  // 64 lowercase hex digits
  std::optional<std::int64_t> timestamp;
  std::vector<std::string> to;  // the receiver's users it is for
};
// The largest chunk a node sends (the link's frame limit is 1 MiB of base64).
inline constexpr std::uint64_t max_chunk_bytes = 512 * 1024;
std::string media_event(const media_announce& a);
// nullopt unless every field has its type and the sizes add up (0 < totalChunks <=
// mediaSize <= totalChunks * max_chunk_bytes); mediaId is not checked here.
std::optional<media_announce> parse_media_event(const boost::json::object& event);

// The string field `key` of a federation frame or event; null when absent or not a string.
const boost::json::string* string_field(const boost::json::object& o, std::string_view key);

// ---- frames ----------------------------------------------------------------------------
// `event`: one of the events above, as stored.
std::string event_frame(std::string_view stream, std::uint64_t seq, std::uint64_t after, std::string_view event);
// `data`: the chunk's bytes in base64.
std::string media_data_frame(std::string_view media_id, std::uint32_t index, std::uint32_t total, std::string_view data);

}  // namespace chatnode::protocol::fed
