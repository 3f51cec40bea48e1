// What nodes send each other on a federation link after the hello (docs/federation.md
// "What crosses a link"), built as strict JSON in one place. Events are the `event` objects
// of FED_EVENT; a client message inside one is a JSON object (the client codec's strict
// encoding, spliced in as it is), never a string, so a receiver parses a frame once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::protocol::fed {

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

// ---- frames ----------------------------------------------------------------------------
// `event`: one of the events above, as stored.
std::string event_frame(std::string_view stream, std::uint64_t seq, std::uint64_t after, std::string_view event);
// `data`: the chunk's bytes in base64.
std::string media_data_frame(std::string_view media_id, std::uint32_t index, std::uint32_t total, std::string_view data);

}  // namespace chatnode::protocol::fed
