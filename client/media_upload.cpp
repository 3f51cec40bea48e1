// Upload state machine (docs/protocol.md §13).
#include "client/media_upload.hpp"

#include "client/connection.hpp"
#include "client/message_fields.hpp"

#include "crypto/encoding.hpp"

#include <boost/json/array.hpp>

#include <stdexcept>

namespace chatnode::client {

namespace {

// MEDIA_MESSAGE_ACK code 8010: the node already holds every byte of this media.
constexpr std::int64_t code_already_complete = 8010;

}  // namespace

media_upload::media_upload(params p) : params_(std::move(p)) {
  if (params_.size == 0) throw std::invalid_argument("media_upload: an empty file cannot be sent");
  if (params_.chunk_size == 0 || params_.chunk_size > media_chunk_bytes) {
    throw std::invalid_argument("media_upload: chunk size must be 1 to 65536 bytes");
  }
  if (params_.window == 0) params_.window = 1;
  const std::uint64_t chunks = (params_.size + params_.chunk_size - 1) / params_.chunk_size;
  if (chunks > UINT32_MAX) throw std::invalid_argument("media_upload: too many chunks");
  total_chunks_ = static_cast<std::uint32_t>(chunks);
  acked_.assign(total_chunks_, false);
  in_flight_.assign(total_chunks_, false);
  id_prefix_ = "up:" + params_.media_id + ":";
}

std::uint64_t media_upload::chunk_offset(std::uint32_t index) const {
  return static_cast<std::uint64_t>(index - 1) * params_.chunk_size;
}

std::size_t media_upload::chunk_length(std::uint32_t index) const {
  const std::uint64_t offset = chunk_offset(index);
  const std::uint64_t left = params_.size - offset;
  return static_cast<std::size_t>(std::min<std::uint64_t>(left, params_.chunk_size));
}

boost::json::object media_upload::open() {
  std::fill(in_flight_.begin(), in_flight_.end(), false);
  in_flight_count_ = 0;
  cursor_ = 1;
  phase_ = phase::opening;
  return make_message("MEDIA_MESSAGE",
                      {{"sender", params_.sender},
                       {"receiver", params_.receiver},
                       {"mediaId", params_.media_id},
                       {"mediaType", params_.media_type},
                       {"mediaSize", params_.size}},
                      id_prefix_ + "open");
}

bool media_upload::owns_id(const std::string& id) const { return id.rfind(id_prefix_, 0) == 0; }

media_upload::event media_upload::on_message(const boost::json::object& message) {
  if (phase_ == phase::done || phase_ == phase::failed) return event::not_mine;
  const std::string type = type_of(message);
  const auto& payload = payload_of(message);
  if (type == "ERROR") {
    if (!owns_id(id_of(message))) return event::not_mine;
    return fail(code_of(message).value_or(9008), string_field(payload, "message"));
  }
  if (string_field(payload, "mediaId") != params_.media_id) return event::not_mine;
  if (type == "MEDIA_MESSAGE_ACK") return on_ack(payload);
  if (type == "MEDIA_MESSAGE_DATA_ACK") return on_data_ack(payload);
  if (type == "MEDIA_MESSAGE_COMPLETE") return on_complete(payload);
  return event::not_mine;
}

media_upload::event media_upload::on_ack(const boost::json::object& payload) {
  if (phase_ != phase::opening) return event::not_mine;  // a stale ACK from before a reconnect
  const std::int64_t code = int_field(payload, "code").value_or(9008);
  if (code == code_already_complete) {
    phase_ = phase::done;
    return event::completed;
  }
  if (code != 0) return fail(code, {});
  already_there_ = 0;
  for (const std::uint32_t index : index_list(payload, "receivedChunks")) {
    if (index >= 1 && index <= total_chunks_ && !acked_[index - 1]) {
      mark_acked(index);
      ++already_there_;
    } else if (index >= 1 && index <= total_chunks_) {
      ++already_there_;
    }
  }
  phase_ = acked_count_ == total_chunks_ ? phase::finishing : phase::sending;
  return event::opened;
}

media_upload::event media_upload::on_data_ack(const boost::json::object& payload) {
  const auto index = uint_field(payload, "chunkIndex");
  if (!index || *index < 1 || *index > total_chunks_) return event::not_mine;
  const auto i = static_cast<std::uint32_t>(*index);
  const std::int64_t code = int_field(payload, "code").value_or(9008);
  if (code != 0) return fail(code, "chunk " + std::to_string(i));
  if (in_flight_[i - 1]) {
    in_flight_[i - 1] = false;
    --in_flight_count_;
  }
  mark_acked(i);
  if (phase_ == phase::sending && acked_count_ == total_chunks_) phase_ = phase::finishing;
  return event::chunk_acked;
}

media_upload::event media_upload::on_complete(const boost::json::object& payload) {
  const std::int64_t code = int_field(payload, "code").value_or(9008);
  if (code != 0) return fail(code, "the node discarded the upload");
  completed_by_node_ = true;
  phase_ = phase::done;
  return event::completed;
}

media_upload::event media_upload::fail(std::int64_t code, std::string detail) {
  phase_ = phase::failed;
  failure_code_ = code;
  failure_detail_ = std::move(detail);
  return event::failed;
}

void media_upload::mark_acked(std::uint32_t index) {
  if (acked_[index - 1]) return;
  acked_[index - 1] = true;
  ++acked_count_;
  acked_bytes_ += chunk_length(index);
}

std::optional<std::uint32_t> media_upload::next_chunk() {
  if (phase_ != phase::sending || in_flight_count_ >= params_.window) return std::nullopt;
  while (cursor_ <= total_chunks_ && (acked_[cursor_ - 1] || in_flight_[cursor_ - 1])) ++cursor_;
  if (cursor_ > total_chunks_) return std::nullopt;
  return cursor_;
}

boost::json::object media_upload::data_message(std::uint32_t index, std::span<const std::uint8_t> bytes) {
  if (!in_flight_[index - 1]) {
    in_flight_[index - 1] = true;
    ++in_flight_count_;
  }
  return make_message("MEDIA_MESSAGE_DATA",
                      {{"sender", params_.sender},
                       {"receiver", params_.receiver},
                       {"mediaId", params_.media_id},
                       {"data", crypto::base64_encode(bytes)},
                       {"chunkIndex", index},
                       {"totalChunks", total_chunks_}},
                      id_prefix_ + std::to_string(index));
}

std::optional<boost::json::object> media_upload::complete_ack() const {
  if (!completed_by_node_) return std::nullopt;
  return make_message("MEDIA_MESSAGE_COMPLETE_ACK", {{"sender", params_.sender},
                                                     {"receiver", params_.receiver},
                                                     {"mediaId", params_.media_id},
                                                     {"code", 0}});
}

void media_upload::connection_lost() {
  if (phase_ == phase::done || phase_ == phase::failed) return;
  std::fill(in_flight_.begin(), in_flight_.end(), false);
  in_flight_count_ = 0;
  phase_ = phase::idle;
}

}  // namespace chatnode::client
