// The uploader's side of a media transfer (docs/protocol.md §13, "Upload") as a state
// machine without I/O: it builds the messages to send, takes the node's replies, keeps at
// most `window` chunks unacknowledged, and after a lost connection re-opens the upload so
// that only the chunks the node does not list in `receivedChunks` are sent again.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace chatnode::client {

// A chunk carries at most this many raw bytes (the node's media.max_chunk_bytes default).
inline constexpr std::size_t media_chunk_bytes = 64 * 1024;
// Chunks sent ahead of their DATA_ACKs (like the node's media.delivery_window default).
inline constexpr std::size_t media_upload_window = 8;

class media_upload {
 public:
  struct params {
    std::string sender;      // the logged-in user
    std::string receiver;    // a user id or a group id
    std::string media_id;    // [A-Za-z0-9._~-]{1,128}
    std::string media_type;  // a MIME type
    std::uint64_t size = 0;  // bytes, at least 1
    std::size_t chunk_size = media_chunk_bytes;
    std::size_t window = media_upload_window;
  };
  enum class phase {
    idle,       // not open on the current connection (before open(), after connection_lost())
    opening,    // MEDIA_MESSAGE sent, its ACK not yet in
    sending,    // chunks going out
    finishing,  // every chunk acknowledged, waiting for the node's MEDIA_MESSAGE_COMPLETE
    done,       // COMPLETE code 0 (or 8010: the node already had every byte)
    failed,     // the node refused; failure_code() says why
  };
  enum class event { not_mine, opened, chunk_acked, completed, failed };

  // Throws std::invalid_argument for a size of 0 or a chunk size outside 1..64 KiB.
  explicit media_upload(params p);

  const params& info() const { return params_; }
  phase state() const { return phase_; }
  std::uint32_t total_chunks() const { return total_chunks_; }
  std::uint64_t chunk_offset(std::uint32_t index) const;
  std::size_t chunk_length(std::uint32_t index) const;

  // The MEDIA_MESSAGE that opens the upload, or re-opens it after connection_lost().
  boost::json::object open();
  // Takes a node message; not_mine when it is not about this upload.
  event on_message(const boost::json::object& message);
  // The next chunk to send now, if the window allows one.
  std::optional<std::uint32_t> next_chunk();
  boost::json::object data_message(std::uint32_t index, std::span<const std::uint8_t> bytes);
  // The MEDIA_MESSAGE_COMPLETE_ACK to send once on_message() said `completed` after a
  // COMPLETE from the node (nullopt when the node answered 8010 instead).
  std::optional<boost::json::object> complete_ack() const;
  // The connection ended: chunks in flight are unknown until the next open's ACK.
  void connection_lost();

  std::uint32_t acked_chunks() const { return acked_count_; }
  std::uint64_t acked_bytes() const { return acked_bytes_; }
  // Chunks the node listed as already held in the latest open's ACK.
  std::uint32_t chunks_already_there() const { return already_there_; }
  // The refusal's code (a flow code or 9001–9008) and the node's message for an ERROR.
  std::int64_t failure_code() const { return failure_code_; }
  const std::string& failure_detail() const { return failure_detail_; }

 private:
  event on_ack(const boost::json::object& payload);
  event on_data_ack(const boost::json::object& payload);
  event on_complete(const boost::json::object& payload);
  event fail(std::int64_t code, std::string detail);
  void mark_acked(std::uint32_t index);
  bool owns_id(const std::string& id) const;

  params params_;
  std::uint32_t total_chunks_ = 0;
  phase phase_ = phase::idle;
  std::vector<bool> acked_;   // [index - 1]
  std::vector<bool> in_flight_;
  std::size_t in_flight_count_ = 0;
  std::uint32_t cursor_ = 1;  // next index to consider sending
  std::uint32_t acked_count_ = 0;
  std::uint64_t acked_bytes_ = 0;
  std::uint32_t already_there_ = 0;
  bool completed_by_node_ = false;  // COMPLETE code 0 arrived (so COMPLETE_ACK is due)
  std::int64_t failure_code_ = 0;
  std::string failure_detail_;
  std::string id_prefix_;
};

}  // namespace chatnode::client
