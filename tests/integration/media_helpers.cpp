// Helpers for the media integration tests.
#include "tests/integration/media_helpers.hpp"

#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include "crypto/encoding.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace chatnode::testing {

namespace json = boost::json;
using client::make_message;

namespace {

[[noreturn]] void fail(client::connection& conn, const std::string& what) {
  const bool open = conn.is_open();
  const std::string queued = drain_queued(conn);
  throw std::runtime_error(what + (open ? "" : " (connection closed, code " + std::to_string(conn.close_code()) + ")") +
                           "; queued: " + (queued.empty() ? "nothing" : queued));
}

[[noreturn]] void fail_with(const std::string& what, const json::object& got) {
  std::string text = json::serialize(got);
  if (text.size() > 600) text = text.substr(0, 600) + "…";
  throw std::runtime_error(what + ", got " + text);
}

std::optional<std::uint64_t> payload_uint(const json::object& message, std::string_view key) {
  const auto* payload = message.if_contains("payload");
  if (payload == nullptr || !payload->is_object()) return std::nullopt;
  const auto* v = payload->get_object().if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return std::nullopt;
}

std::string payload_str(const json::object& message, std::string_view key) {
  const auto* payload = message.if_contains("payload");
  const json::value* v = payload != nullptr && payload->is_object() ? payload->get_object().if_contains(key) : nullptr;
  if (v == nullptr || !v->is_string()) fail_with("no string payload." + std::string(key), message);
  return std::string(v->get_string());
}

std::uint32_t payload_u32(const json::object& message, std::string_view key) {
  auto v = payload_uint(message, key);
  if (!v || *v > UINT32_MAX) fail_with("no 32-bit payload." + std::string(key), message);
  return static_cast<std::uint32_t>(*v);
}

std::string full_form(std::string_view user) {
  return user.find('@') == std::string_view::npos ? full_id(user) : std::string(user);
}

}  // namespace

std::vector<std::uint8_t> random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> out(size);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t v = rng();
    for (int b = 0; b < 8; ++b) out[i + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  for (std::uint64_t v = rng(); i < size; ++i, v >>= 8) out[i] = static_cast<std::uint8_t>(v);
  return out;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) { return crypto::to_hex(crypto::sha256_digest(bytes)); }

std::uint32_t chunk_count(std::uint64_t size, std::size_t chunk_size) {
  return static_cast<std::uint32_t>((size + chunk_size - 1) / chunk_size);
}

std::span<const std::uint8_t> chunk_of(std::span<const std::uint8_t> bytes, std::size_t chunk_size,
                                       std::uint32_t index) {
  const std::size_t begin = (static_cast<std::size_t>(index) - 1) * chunk_size;
  if (index == 0 || begin >= bytes.size()) throw std::out_of_range("chunk " + std::to_string(index) + " out of range");
  return bytes.subspan(begin, std::min(chunk_size, bytes.size() - begin));
}

node_options with_media(node_options options, json::object media) {
  auto previous = std::move(options.edit_config);
  options.edit_config = [previous = std::move(previous), media = std::move(media)](json::object& config) {
    if (previous) previous(config);
    json::value& section = config["media"];
    if (!section.is_object()) section = json::object{};
    for (const auto& [key, value] : media) section.as_object()[key] = value;
  };
  return options;
}

std::unique_ptr<client::connection> relogin(const node_process& node, std::string_view name) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto conn = node.connect();
    send_request(*conn, "LOGIN_REQUEST", json::object{{"username", name}, {"passwordHash", password_of(name)}});
    const auto reply = expect_next(*conn);
    if (code_of(reply) == 2002 && std::chrono::steady_clock::now() < deadline) {
      conn->close();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (!is_response(reply, "LOGIN_RESPONSE", true, 0)) fail_with("logging in " + std::string(name) + " again", reply);
    return conn;
  }
}

// ---- upload steps ---------------------------------------------------------------------

json::object open_upload(client::connection& conn, std::string_view sender, std::string_view receiver,
                         std::string_view media_id, std::uint64_t media_size, std::string_view media_type,
                         std::optional<std::string> id) {
  send_request(conn, "MEDIA_MESSAGE",
               json::object{{"sender", sender},
                            {"receiver", receiver},
                            {"mediaId", media_id},
                            {"mediaType", media_type},
                            {"mediaSize", media_size}},
               std::move(id));
  return expect_either(conn, "MEDIA_MESSAGE_ACK", "ERROR", media_timeout);
}

void send_chunk_data(client::connection& conn, std::string_view sender, std::string_view receiver,
                     std::string_view media_id, std::string data, std::uint32_t chunk_index,
                     std::uint32_t total_chunks, std::optional<std::string> id) {
  send_request(conn, "MEDIA_MESSAGE_DATA",
               json::object{{"sender", sender},
                            {"receiver", receiver},
                            {"mediaId", media_id},
                            {"data", std::move(data)},
                            {"chunkIndex", chunk_index},
                            {"totalChunks", total_chunks}},
               std::move(id));
}

void send_chunk(client::connection& conn, std::string_view sender, std::string_view receiver,
                std::string_view media_id, std::span<const std::uint8_t> bytes, std::uint32_t chunk_index,
                std::uint32_t total_chunks, std::optional<std::string> id) {
  send_chunk_data(conn, sender, receiver, media_id, crypto::base64_encode(bytes), chunk_index, total_chunks,
                  std::move(id));
}

json::object chunk_roundtrip(client::connection& conn, std::string_view sender, std::string_view receiver,
                             std::string_view media_id, std::span<const std::uint8_t> bytes,
                             std::uint32_t chunk_index, std::uint32_t total_chunks) {
  send_chunk(conn, sender, receiver, media_id, bytes, chunk_index, total_chunks);
  return expect_either(conn, "MEDIA_MESSAGE_DATA_ACK", "ERROR", media_timeout);
}

std::vector<std::uint32_t> received_chunks_of(const json::object& ack) {
  const auto* payload = ack.if_contains("payload");
  const json::value* list =
      payload != nullptr && payload->is_object() ? payload->get_object().if_contains("receivedChunks") : nullptr;
  if (list == nullptr || !list->is_array()) fail_with("no array payload.receivedChunks", ack);
  std::vector<std::uint32_t> out;
  for (const auto& v : list->get_array()) {
    if (v.is_uint64() && v.get_uint64() <= UINT32_MAX) {
      out.push_back(static_cast<std::uint32_t>(v.get_uint64()));
    } else if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= INT64_C(0xffffffff)) {
      out.push_back(static_cast<std::uint32_t>(v.get_int64()));
    } else {
      fail_with("a receivedChunks item that is not a chunk index", ack);
    }
  }
  return out;
}

void send_chunks(client::connection& conn, const media_upload& up, const std::vector<std::uint32_t>& indexes) {
  const std::uint32_t total = up.total_chunks();
  const std::size_t window = std::max<std::size_t>(1, up.window);
  std::multiset<std::uint32_t> in_flight;
  std::size_t next = 0;
  while (next < indexes.size() || !in_flight.empty()) {
    while (next < indexes.size() && in_flight.size() < window) {
      const std::uint32_t index = indexes[next++];
      send_chunk(conn, up.sender, up.receiver, up.media_id, chunk_of(up.bytes, up.chunk_size, index), index, total);
      in_flight.insert(index);
    }
    auto ack = conn.wait_for("MEDIA_MESSAGE_DATA_ACK", media_timeout);
    if (!ack) {
      fail(conn, "uploading " + up.media_id + ": no MEDIA_MESSAGE_DATA_ACK within " +
                     std::to_string(media_timeout.count()) + " ms (" + std::to_string(in_flight.size()) +
                     " chunks in flight)");
    }
    if (payload_str(*ack, "mediaId") != up.media_id) fail_with("uploading " + up.media_id + ": DATA_ACK of another media", *ack);
    const std::uint32_t index = payload_u32(*ack, "chunkIndex");
    auto it = in_flight.find(index);
    if (it == in_flight.end()) fail_with("uploading " + up.media_id + ": DATA_ACK of a chunk not in flight", *ack);
    if (code_of(*ack) != 0) fail_with("uploading " + up.media_id + ": DATA_ACK code not 0", *ack);
    in_flight.erase(it);
  }
}

json::object await_upload_complete(client::connection& conn, const media_upload& up, std::chrono::milliseconds timeout) {
  auto complete = conn.wait_for("MEDIA_MESSAGE_COMPLETE", timeout);
  if (!complete) fail(conn, "uploading " + up.media_id + ": no MEDIA_MESSAGE_COMPLETE within " + std::to_string(timeout.count()) + " ms");
  if (payload_str(*complete, "mediaId") != up.media_id)
    fail_with("uploading " + up.media_id + ": MEDIA_MESSAGE_COMPLETE of another media", *complete);
  if (code_of(*complete) == 0) {
    send_request(conn, "MEDIA_MESSAGE_COMPLETE_ACK",
                 json::object{{"sender", up.sender}, {"receiver", up.receiver}, {"mediaId", up.media_id}, {"code", 0}});
  }
  return std::move(*complete);
}

upload_result upload(client::connection& conn, const media_upload& up) {
  upload_result result;
  result.ack = open_upload(conn, up.sender, up.receiver, up.media_id, up.bytes.size(), up.media_type);
  if (type_of(result.ack) != "MEDIA_MESSAGE_ACK" || code_of(result.ack) != 0)
    fail_with("uploading " + up.media_id + ": expected MEDIA_MESSAGE_ACK code 0", result.ack);
  result.already_there = received_chunks_of(result.ack);
  const std::set<std::uint32_t> have(result.already_there.begin(), result.already_there.end());
  for (std::uint32_t i = 1; i <= up.total_chunks(); ++i)
    if (!have.count(i)) result.sent.push_back(i);
  send_chunks(conn, up, result.sent);
  result.complete = await_upload_complete(conn, up);
  return result;
}

upload_result upload(client::connection& conn, std::string_view sender, std::string_view receiver,
                     std::string_view media_id, std::span<const std::uint8_t> bytes, std::size_t chunk_size,
                     std::size_t window) {
  media_upload up;
  up.sender = sender;
  up.receiver = receiver;
  up.media_id = media_id;
  up.bytes = bytes;
  up.chunk_size = chunk_size;
  up.window = window;
  return upload(conn, up);
}

// ---- download -------------------------------------------------------------------------

download_result download(client::connection& conn, std::string_view me, download_options options) {
  download_result r;
  if (options.offer) {
    r.offer = std::move(*options.offer);
  } else {
    auto offer = conn.wait_for("MEDIA_MESSAGE", options.timeout);
    if (!offer) fail(conn, std::string(me) + ": no MEDIA_MESSAGE offer within " + std::to_string(options.timeout.count()) + " ms");
    r.offer = std::move(*offer);
  }
  r.uploader = payload_str(r.offer, "sender");
  r.media_id = payload_str(r.offer, "mediaId");
  r.sha256 = payload_str(r.offer, "sha256");
  const auto size = payload_uint(r.offer, "mediaSize");
  if (!size) fail_with("offer without an integer mediaSize", r.offer);
  r.media_size = *size;
  r.total_chunks = payload_u32(r.offer, "totalChunks");
  const std::string me_full = full_form(me);
  const std::string what = me_full + " downloading " + r.media_id;

  json::object ack{{"sender", me}, {"receiver", r.uploader}, {"mediaId", r.media_id}, {"code", 0}};
  if (options.received_chunks) {
    json::array list;
    for (auto i : *options.received_chunks) list.emplace_back(i);
    ack["receivedChunks"] = std::move(list);
  }
  send_request(conn, "MEDIA_MESSAGE_ACK", std::move(ack));

  crypto::sha256 hash;
  hash.update(std::span<const std::uint8_t>(options.prefix));
  r.received_bytes = options.prefix.size();
  if (options.keep_bytes) {
    r.bytes = std::move(options.prefix);
    r.bytes.reserve(static_cast<std::size_t>(r.media_size));
  }
  std::uint32_t acked = 0;
  for (;;) {
    auto data = conn.wait_for("MEDIA_MESSAGE_DATA", options.timeout);
    if (!data) {
      fail(conn, what + ": no MEDIA_MESSAGE_DATA within " + std::to_string(options.timeout.count()) + " ms after chunk " +
                     std::to_string(r.last_index));
    }
    if (payload_str(*data, "mediaId") != r.media_id) fail_with(what + ": a chunk of another media", *data);
    if (payload_str(*data, "sender") != r.uploader) fail_with(what + ": chunk sender is not the offer's", *data);
    if (payload_str(*data, "receiver") != me_full) fail_with(what + ": chunk receiver is not " + me_full, *data);
    if (payload_u32(*data, "totalChunks") != r.total_chunks) fail_with(what + ": totalChunks differs from the offer", *data);
    const std::uint32_t index = payload_u32(*data, "chunkIndex");
    if (acked == 0) {
      if (index < 1 || index > r.total_chunks) fail_with(what + ": first chunk index out of range", *data);
      r.first_index = index;
    } else if (index != r.last_index + 1) {
      fail_with(what + ": expected chunk " + std::to_string(r.last_index + 1), *data);
    }
    auto bytes = crypto::base64_decode(payload_str(*data, "data"));
    if (!bytes || bytes->empty()) fail_with(what + ": chunk data is not base64 of at least one byte", *data);
    r.received_bytes += bytes->size();
    if (r.received_bytes > r.media_size) fail_with(what + ": more bytes than mediaSize", *data);
    hash.update(std::span<const std::uint8_t>(*bytes));
    if (options.keep_bytes) r.bytes.insert(r.bytes.end(), bytes->begin(), bytes->end());
    send_request(conn, "MEDIA_MESSAGE_DATA_ACK",
                 json::object{{"sender", me}, {"receiver", r.uploader}, {"mediaId", r.media_id}, {"chunkIndex", index}, {"code", 0}});
    r.last_index = index;
    ++acked;
    if (options.stop_after && acked >= *options.stop_after) return r;
    if (index == r.total_chunks) break;
  }
  send_request(conn, "MEDIA_MESSAGE_COMPLETE",
               json::object{{"sender", me}, {"receiver", r.uploader}, {"mediaId", r.media_id}, {"code", 0}});
  const auto reply = expect_either(conn, "MEDIA_MESSAGE_COMPLETE_ACK", "ERROR", options.timeout);
  if (type_of(reply) != "MEDIA_MESSAGE_COMPLETE_ACK" || code_of(reply) != 0 || payload_str(reply, "mediaId") != r.media_id)
    fail_with(what + ": expected MEDIA_MESSAGE_COMPLETE_ACK code 0", reply);
  r.received_sha256 = crypto::to_hex(hash.finish());
  if (r.received_bytes != r.media_size) {
    throw std::runtime_error(what + ": received " + std::to_string(r.received_bytes) + " bytes, mediaSize is " +
                             std::to_string(r.media_size));
  }
  if (r.received_sha256 != r.sha256)
    throw std::runtime_error(what + ": SHA-256 " + r.received_sha256 + " differs from the offer's " + r.sha256);
  r.completed = true;
  return r;
}

}  // namespace chatnode::testing
