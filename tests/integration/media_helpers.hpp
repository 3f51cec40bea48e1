// Helpers for the media integration tests (docs/protocol.md §13): building media, the
// single steps of an upload (MEDIA_MESSAGE, MEDIA_MESSAGE_DATA) and the two whole flows:
// upload() (pipelined chunks, then COMPLETE / COMPLETE_ACK) and download() (ACK the offer,
// ack every chunk in order, COMPLETE, COMPLETE_ACK, SHA-256 check).
//
// Like social_helpers, the steps that must succeed for a test to make sense throw
// std::runtime_error describing what came back instead; the single-step helpers return
// the node's reply for the test to check.
#pragma once

#include "tests/integration/node_process.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::testing {

// Every wait of the media helpers is bounded by this (or an explicit shorter timeout).
inline constexpr std::chrono::milliseconds media_timeout{30000};
inline constexpr std::size_t max_chunk_bytes = 64 * 1024;  // media.max_chunk_bytes default

// `size` pseudo-random bytes (deterministic for a seed).
std::vector<std::uint8_t> random_bytes(std::size_t size, std::uint64_t seed);
// Lower-case hex SHA-256.
std::string sha256_hex(std::span<const std::uint8_t> bytes);
// Number of chunks of `chunk_size` bytes (the last may be shorter) for `size` bytes.
std::uint32_t chunk_count(std::uint64_t size, std::size_t chunk_size);
// Chunk `index` (1-based) of `bytes` cut in `chunk_size` pieces.
std::span<const std::uint8_t> chunk_of(std::span<const std::uint8_t> bytes, std::size_t chunk_size,
                                       std::uint32_t index);

// Merges `media` key by key into the config's "media" section (through edit_config,
// keeping any edit already there).
node_options with_media(node_options options, boost::json::object media);

// Connects and logs `name` in (password password_of(name)), retrying while the node has
// not yet noticed that the user's previous connection dropped (2002). Throws unless it
// gets LOGIN_RESPONSE code 0 as the first message.
std::unique_ptr<client::connection> relogin(const node_process& node, std::string_view name);

// ---- upload steps ---------------------------------------------------------------------

// MEDIA_MESSAGE {sender, receiver, mediaId, mediaType, mediaSize}; returns MEDIA_MESSAGE_ACK
// or ERROR (other messages stay queued).
boost::json::object open_upload(client::connection& conn, std::string_view sender, std::string_view receiver,
                                std::string_view media_id, std::uint64_t media_size,
                                std::string_view media_type = "application/octet-stream",
                                std::optional<std::string> id = std::nullopt);
// MEDIA_MESSAGE_DATA with `data` sent as given (any string, valid base64 or not).
void send_chunk_data(client::connection& conn, std::string_view sender, std::string_view receiver,
                     std::string_view media_id, std::string data, std::uint32_t chunk_index,
                     std::uint32_t total_chunks, std::optional<std::string> id = std::nullopt);
// MEDIA_MESSAGE_DATA with `bytes` base64-encoded.
void send_chunk(client::connection& conn, std::string_view sender, std::string_view receiver,
                std::string_view media_id, std::span<const std::uint8_t> bytes, std::uint32_t chunk_index,
                std::uint32_t total_chunks, std::optional<std::string> id = std::nullopt);
// send_chunk, then the MEDIA_MESSAGE_DATA_ACK (or ERROR).
boost::json::object chunk_roundtrip(client::connection& conn, std::string_view sender, std::string_view receiver,
                                    std::string_view media_id, std::span<const std::uint8_t> bytes,
                                    std::uint32_t chunk_index, std::uint32_t total_chunks);
// payload.receivedChunks of a MEDIA_MESSAGE_ACK; throws when absent or not an array of
// non-negative integers.
std::vector<std::uint32_t> received_chunks_of(const boost::json::object& ack);

// One upload as the helpers below see it.
struct media_upload {
  std::string sender;
  std::string receiver;
  std::string media_id;
  std::span<const std::uint8_t> bytes;
  std::size_t chunk_size = max_chunk_bytes;
  std::size_t window = 8;  // MEDIA_MESSAGE_DATA sent ahead of their DATA_ACKs
  std::string media_type = "application/octet-stream";

  std::uint32_t total_chunks() const { return chunk_count(bytes.size(), chunk_size); }
};

// Sends the chunks `indexes` (in that order) with at most `up.window` unacknowledged, and
// waits for every DATA_ACK; throws on any DATA_ACK that is not code 0 for a chunk in
// flight, and when an ack does not come in time.
void send_chunks(client::connection& conn, const media_upload& up, const std::vector<std::uint32_t>& indexes);
// Waits for the uploader's MEDIA_MESSAGE_COMPLETE for up.media_id and returns it; answers
// MEDIA_MESSAGE_COMPLETE_ACK code 0 when its code is 0.
boost::json::object await_upload_complete(client::connection& conn, const media_upload& up,
                                          std::chrono::milliseconds timeout = media_timeout);

struct upload_result {
  boost::json::object ack;                   // MEDIA_MESSAGE_ACK (code 0)
  std::vector<std::uint32_t> already_there;  // its receivedChunks (skipped)
  std::vector<std::uint32_t> sent;           // the chunks this call sent
  boost::json::object complete;              // MEDIA_MESSAGE_COMPLETE (any code)
};

// The whole upload: MEDIA_MESSAGE (must be ACK code 0), every chunk not in the ACK's
// receivedChunks (pipelined, `window` in flight), MEDIA_MESSAGE_COMPLETE, and
// MEDIA_MESSAGE_COMPLETE_ACK when COMPLETE has code 0. Resumes a started upload.
upload_result upload(client::connection& conn, const media_upload& up);
upload_result upload(client::connection& conn, std::string_view sender, std::string_view receiver,
                     std::string_view media_id, std::span<const std::uint8_t> bytes,
                     std::size_t chunk_size = max_chunk_bytes, std::size_t window = 8);

// ---- download -------------------------------------------------------------------------

struct download_options {
  // The offer (MEDIA_MESSAGE), when the test already took it; else download() waits for one.
  std::optional<boost::json::object> offer;
  // Bytes of the chunks the recipient already holds (a resumed download): the result's
  // bytes and the SHA-256 check cover prefix + what arrives now.
  std::vector<std::uint8_t> prefix;
  // Return (without COMPLETE) after acknowledging this many chunks.
  std::optional<std::uint32_t> stop_after;
  // receivedChunks to put in the ACK, if any.
  std::optional<std::vector<std::uint32_t>> received_chunks;
  // false: only hash the bytes (for large media); result.bytes stays empty.
  bool keep_bytes = true;
  std::chrono::milliseconds timeout = media_timeout;  // for each message
};

struct download_result {
  boost::json::object offer;
  std::string uploader;     // offer.sender
  std::string media_id;
  std::string sha256;       // offer.sha256
  std::uint64_t media_size = 0;
  std::uint32_t total_chunks = 0;
  std::uint32_t first_index = 0;  // chunkIndex of the first MEDIA_MESSAGE_DATA received
  std::uint32_t last_index = 0;   // ... and of the last one acknowledged
  std::uint64_t received_bytes = 0;  // prefix + this download
  std::vector<std::uint8_t> bytes;   // prefix + this download, when keep_bytes
  std::string received_sha256;       // of prefix + this download (when complete)
  bool completed = false;            // COMPLETE sent and COMPLETE_ACK code 0 received
};

// The recipient's side (`me` as the client names itself): takes the offer, answers
// MEDIA_MESSAGE_ACK code 0, then takes each MEDIA_MESSAGE_DATA, checking that it is the
// next chunk (consecutive indexes, the offer's mediaId/sender/totalChunks, valid base64)
// and acknowledging it. After the last chunk: MEDIA_MESSAGE_COMPLETE, then the
// COMPLETE_ACK must have code 0, and the SHA-256 of the bytes must equal the offer's.
// Throws on any deviation.
download_result download(client::connection& conn, std::string_view me, download_options options = {});

}  // namespace chatnode::testing
