// The recipient's side of a media transfer (docs/protocol.md §13, "Delivery") as a state
// machine without I/O: it answers the node's offer, checks each chunk (the next index,
// valid base64, within mediaSize), hands its bytes to the caller to store, and builds the
// DATA_ACK (and after the last chunk the COMPLETE) once the caller says they are stored.
// After a lost connection the node offers the media again; accept() then lists the
// chunks already stored so the node resumes after them.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatnode::client {

// An offer (MEDIA_MESSAGE from the node) as the recipient sees it.
struct media_offer {
  std::string sender;      // the uploader (full id)
  std::string receiver;    // the recipient, or the group id
  std::string media_id;
  std::string media_type;
  std::uint64_t size = 0;
  std::string sha256;      // lowercase hex, when the node sent it
  std::uint32_t total_chunks = 0;
  std::string message_id;
  std::string group_id;    // set for a group's media
  std::string group;       // the group's name
  std::int64_t timestamp = 0;
};
// nullopt unless `message` is a MEDIA_MESSAGE with mediaId, sender and a positive size.
std::optional<media_offer> parse_media_offer(const boost::json::object& message);

class media_download {
 public:
  enum class phase {
    idle,       // nothing accepted on the current connection
    receiving,  // accepted; chunks arriving
    finishing,  // COMPLETE sent, waiting for COMPLETE_ACK
    done,
    failed,
  };
  enum class event { not_mine, chunk, duplicate, completed, failed };

  // `self`: the logged-in user. `stored_chunks`/`stored_bytes`: chunks 1..n already held
  // (a download resumed from an earlier run).
  media_download(std::string self, media_offer offer, std::uint32_t stored_chunks = 0,
                 std::uint64_t stored_bytes = 0);

  const media_offer& offer() const { return offer_; }
  phase state() const { return phase_; }

  // The MEDIA_MESSAGE_ACK (code 0) that starts or resumes delivery on this connection.
  boost::json::object accept();
  // Takes a node message. `chunk`: chunk_bytes() holds the next chunk's bytes, to be
  // stored before calling stored(); `duplicate`: a chunk already stored came again, to
  // be acknowledged again with reack().
  event on_message(const boost::json::object& message);
  const std::vector<std::uint8_t>& chunk_bytes() const { return chunk_; }
  std::uint32_t chunk_index() const { return stored_chunks_ + 1; }
  // The caller stored chunk_bytes(): the DATA_ACK to send.
  boost::json::object stored();
  boost::json::object reack() const;
  // Every chunk is stored: the caller checks the bytes (sha256) and then sends complete(),
  // which asks the node to confirm (COMPLETE_ACK) and end the delivery.
  bool all_stored() const { return offer_.total_chunks != 0 && stored_chunks_ == offer_.total_chunks; }
  boost::json::object complete();
  void connection_lost();

  std::uint32_t stored_chunks() const { return stored_chunks_; }
  std::uint64_t stored_bytes() const { return stored_bytes_; }
  std::int64_t failure_code() const { return failure_code_; }
  const std::string& failure_detail() const { return failure_detail_; }

 private:
  event on_data(const boost::json::object& payload);
  event fail(std::int64_t code, std::string detail);
  boost::json::object data_ack(std::uint32_t index) const;

  std::string self_;
  media_offer offer_;
  phase phase_ = phase::idle;
  std::uint32_t stored_chunks_ = 0;
  std::uint64_t stored_bytes_ = 0;
  std::uint32_t duplicate_ = 0;
  std::vector<std::uint8_t> chunk_;
  std::int64_t failure_code_ = 0;
  std::string failure_detail_;
  std::string id_prefix_;
};

}  // namespace chatnode::client
