// Download state machine (docs/protocol.md §13).
#include "client/media_download.hpp"

#include "client/connection.hpp"
#include "client/message_fields.hpp"

#include "crypto/encoding.hpp"

#include <boost/json/array.hpp>

namespace chatnode::client {

namespace {

// ERROR 9003 / COMPLETE_ACK codes for what the recipient finds wrong itself.
constexpr std::int64_t code_bad_chunk = 8002;
constexpr std::int64_t code_bad_base64 = 8003;
constexpr std::int64_t code_size_mismatch = 8005;
// receivedChunks lists at most this many indexes (the rest are simply sent again).
constexpr std::uint32_t max_listed_chunks = 4096;

}  // namespace

std::optional<media_offer> parse_media_offer(const boost::json::object& message) {
  if (type_of(message) != "MEDIA_MESSAGE") return std::nullopt;
  const auto& p = payload_of(message);
  media_offer o;
  o.sender = string_field(p, "sender");
  o.receiver = string_field(p, "receiver");
  o.media_id = string_field(p, "mediaId");
  o.media_type = string_field(p, "mediaType");
  o.size = uint_field(p, "mediaSize").value_or(0);
  o.sha256 = string_field(p, "sha256");
  const auto total = uint_field(p, "totalChunks").value_or(0);
  o.total_chunks = total <= UINT32_MAX ? static_cast<std::uint32_t>(total) : 0;
  o.message_id = string_field(p, "messageId");
  o.group_id = string_field(p, "groupId");
  o.group = string_field(p, "group");
  o.timestamp = int_field(message, "timestamp").value_or(0);
  if (o.media_id.empty() || o.sender.empty() || o.size == 0) return std::nullopt;
  return o;
}

media_download::media_download(std::string self, media_offer offer, std::uint32_t stored_chunks,
                               std::uint64_t stored_bytes)
    : self_(std::move(self)),
      offer_(std::move(offer)),
      stored_chunks_(stored_chunks),
      stored_bytes_(stored_bytes),
      id_prefix_("down:" + offer_.media_id + ":") {}

boost::json::object media_download::accept() {
  boost::json::object payload{
      {"sender", self_}, {"receiver", offer_.sender}, {"mediaId", offer_.media_id}, {"code", 0}};
  if (stored_chunks_ > 0) {
    boost::json::array held;
    const std::uint32_t first = stored_chunks_ > max_listed_chunks ? stored_chunks_ - max_listed_chunks + 1 : 1;
    for (std::uint32_t i = first; i <= stored_chunks_; ++i) held.emplace_back(i);
    payload["receivedChunks"] = std::move(held);
  }
  phase_ = phase::receiving;
  return make_message("MEDIA_MESSAGE_ACK", std::move(payload), id_prefix_ + "accept");
}

media_download::event media_download::on_message(const boost::json::object& message) {
  if (phase_ == phase::done || phase_ == phase::failed || phase_ == phase::idle) return event::not_mine;
  const std::string type = type_of(message);
  const auto& payload = payload_of(message);
  if (type == "ERROR") {
    if (id_of(message).rfind(id_prefix_, 0) != 0) return event::not_mine;
    return fail(code_of(message).value_or(9008), string_field(payload, "message"));
  }
  if (string_field(payload, "mediaId") != offer_.media_id) return event::not_mine;
  if (type == "MEDIA_MESSAGE_DATA") return on_data(payload);
  if (type == "MEDIA_MESSAGE_COMPLETE_ACK") {
    const std::int64_t code = int_field(payload, "code").value_or(9008);
    if (code != 0) return fail(code, "the node did not confirm the download");
    phase_ = phase::done;
    return event::completed;
  }
  return event::not_mine;
}

media_download::event media_download::on_data(const boost::json::object& payload) {
  if (phase_ != phase::receiving && phase_ != phase::finishing) return event::not_mine;
  const auto index = uint_field(payload, "chunkIndex").value_or(0);
  const auto total = uint_field(payload, "totalChunks").value_or(0);
  if (offer_.total_chunks == 0 && total > 0 && total <= UINT32_MAX) offer_.total_chunks = static_cast<std::uint32_t>(total);
  if (index >= 1 && index <= stored_chunks_) {
    duplicate_ = static_cast<std::uint32_t>(index);  // sent again after a reconnect
    return event::duplicate;
  }
  if (index != stored_chunks_ + 1 || total != offer_.total_chunks) {
    return fail(code_bad_chunk, "expected chunk " + std::to_string(stored_chunks_ + 1) + " of " +
                                    std::to_string(offer_.total_chunks) + ", got " + std::to_string(index) +
                                    " of " + std::to_string(total));
  }
  auto bytes = crypto::base64_decode(string_field(payload, "data"));
  if (!bytes || bytes->empty()) return fail(code_bad_base64, "chunk " + std::to_string(index) + " is not base64");
  if (stored_bytes_ + bytes->size() > offer_.size ||
      (index == offer_.total_chunks && stored_bytes_ + bytes->size() != offer_.size)) {
    return fail(code_size_mismatch, "the chunks do not add up to " + std::to_string(offer_.size) + " bytes");
  }
  chunk_ = std::move(*bytes);
  return event::chunk;
}

boost::json::object media_download::stored() {
  ++stored_chunks_;
  stored_bytes_ += chunk_.size();
  chunk_.clear();
  return data_ack(stored_chunks_);
}

boost::json::object media_download::complete() {
  phase_ = phase::finishing;
  return make_message("MEDIA_MESSAGE_COMPLETE",
                      {{"sender", self_}, {"receiver", offer_.sender}, {"mediaId", offer_.media_id}, {"code", 0}},
                      id_prefix_ + "complete");
}

boost::json::object media_download::reack() const { return data_ack(duplicate_); }

boost::json::object media_download::data_ack(std::uint32_t index) const {
  return make_message("MEDIA_MESSAGE_DATA_ACK", {{"sender", self_},
                                                 {"receiver", offer_.sender},
                                                 {"mediaId", offer_.media_id},
                                                 {"chunkIndex", index},
                                                 {"code", 0}},
                      id_prefix_ + std::to_string(index));
}

void media_download::connection_lost() {
  if (phase_ == phase::done || phase_ == phase::failed) return;
  phase_ = phase::idle;
}

media_download::event media_download::fail(std::int64_t code, std::string detail) {
  phase_ = phase::failed;
  failure_code_ = code;
  failure_detail_ = std::move(detail);
  return event::failed;
}

}  // namespace chatnode::client
