// Upgrades of older data dirs, one step per version:
//   1 → 2: tables added (outbox, fed_in, media_fetches): nothing to convert.
//   2 → 3: tables added (tokens, user_tokens); outbox values and pending group answers gain
//          the stream they belong to (the data dir's one stream until then, numbered like the
//          outbox); per-user inbox counts.
//   3 → 4: outbox events carry their client message as a JSON object, as the events of
//          chatnode 0.2 do: a "deliver" event's "frame" (the message as text) becomes
//          "message", an "act" event's "request" text becomes the object it held. A text that
//          is not a JSON object stays as it was (the peer refuses that event, as it did).
#include "upgrade.hpp"

#include "keys.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace chatnode::store {
namespace {

std::string with_stream(std::string_view stream, std::uint64_t seq, std::string_view rest) {
  std::string v;
  v.push_back(static_cast<char>(stream.size()));
  v.append(stream);
  append_be64(v, seq);
  v.append(rest);
  return v;
}

void outbox_2_to_3(txn& t, const std::string& stream) {
  std::vector<std::pair<std::string, std::string>> rewritten;
  {
    auto c = t.open_cursor(table_id::outbox);
    for (auto item = c.first(); item; item = c.next()) {
      const auto& key = item->first;
      if (key.size() < 9 || key[key.size() - 9] != '\0') throw std::runtime_error("upgrade: malformed outbox key");
      const std::uint64_t seq = read_be64(key, key.size() - 8);
      rewritten.emplace_back(std::string(key), with_stream(stream, seq, item->second));
    }
  }
  for (const auto& [k, v] : rewritten) t.put(table_id::outbox, k, v);
}

void group_pending_2_to_3(txn& t, const std::string& stream) {
  // "group_pending" \0 group \0 u64 seq -> kind + user  became
  // "group_pending" \0 group \0 u64 n   -> kind + u8 len + stream + u64 seq + user
  const std::string prefix("group_pending\0", 14);
  std::vector<std::pair<std::string, std::string>> old_entries;
  {
    auto c = t.open_cursor(table_id::meta);
    for (auto item = c.seek(prefix); item && item->first.starts_with(prefix); item = c.next())
      old_entries.emplace_back(std::string(item->first), std::string(item->second));
  }
  std::uint64_t n = 0;
  for (const auto& [key, value] : old_entries) {
    if (key.size() < prefix.size() + 9 || value.empty()) throw std::runtime_error("upgrade: malformed pending group answer");
    const std::uint64_t seq = read_be64(key, key.size() - 8);
    std::string v(1, value.front());
    v += with_stream(stream, seq, value.substr(1));
    t.del(table_id::meta, key);
    std::string new_key = key.substr(0, key.size() - 8);
    append_be64(new_key, ++n);
    t.put(table_id::meta, new_key, v);
  }
  if (n) t.put(table_id::meta, "group_pending_seq", be64(n));
}

void inbox_counts(txn& t) {
  std::map<std::string, std::uint64_t> counts;
  {
    auto c = t.open_cursor(table_id::inbox);
    for (auto item = c.first(); item; item = c.next()) {
      const auto cut = item->first.find('\0');
      ++counts[std::string(item->first.substr(0, cut))];
    }
  }
  for (const auto& [user, count] : counts) {
    std::string key("inbox_count\0", 12);
    key += user;
    t.put(table_id::meta, key, be64(count));
  }
}

// The client message under `from` as text, parsed, moved to `to` (true when it moved).
bool carry_as_object(boost::json::object& event, std::string_view from, std::string_view to) {
  const auto* text = event.if_contains(from);
  if (!text || !text->is_string()) return false;
  boost::system::error_code ec;
  auto message = boost::json::parse(text->as_string(), ec);
  if (ec || !message.is_object()) return false;
  event.erase(from);
  event[to] = std::move(message);
  return true;
}

// An outbox value: u8 stream id length, stream id, u64 BE seq, the event; nullopt when the
// event needs no change.
std::optional<std::string> event_3_to_4(std::string_view value) {
  const std::size_t header = value.empty() ? 0 : 1u + static_cast<unsigned char>(value[0]) + 8;
  if (header == 0 || value.size() < header) throw std::runtime_error("upgrade: malformed outbox value");
  boost::system::error_code ec;
  auto parsed = boost::json::parse(value.substr(header), ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  auto& event = parsed.as_object();
  const auto* kind = event.if_contains("kind");
  if (!kind || !kind->is_string()) return std::nullopt;
  const bool moved = kind->as_string() == "deliver" ? carry_as_object(event, "frame", "message")
                     : kind->as_string() == "act"   ? carry_as_object(event, "request", "request")
                                                    : false;
  if (!moved) return std::nullopt;
  return std::string(value.substr(0, header)) + boost::json::serialize(event);
}

void outbox_3_to_4(txn& t) {
  std::vector<std::pair<std::string, std::string>> rewritten;
  {
    auto c = t.open_cursor(table_id::outbox);
    for (auto item = c.first(); item; item = c.next())
      if (auto v = event_3_to_4(item->second)) rewritten.emplace_back(std::string(item->first), std::move(*v));
  }
  for (const auto& [k, v] : rewritten) t.put(table_id::outbox, k, v);
}

}  // namespace

void upgrade(txn& t, std::uint32_t from) {
  if (from <= 2) {
    std::string stream;
    if (auto v = t.get(table_id::meta, "fed_stream")) stream = std::string(*v);
    if (stream.empty() || stream.size() > 255) stream = "v2";
    outbox_2_to_3(t, stream);
    group_pending_2_to_3(t, stream);
    inbox_counts(t);
  }
  if (from <= 3) outbox_3_to_4(t);
}

}  // namespace chatnode::store
