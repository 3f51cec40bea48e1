// Upgrades of older data dirs, one step per version:
//   1 → 2: tables added (outbox, fed_in, media_fetches): nothing to convert.
//   2 → 3: tables added (tokens, user_tokens); outbox values and pending group answers gain
//          the stream they belong to (the data dir's one stream until then, numbered like the
//          outbox); per-user inbox counts.
#include "upgrade.hpp"

#include "keys.hpp"

#include <map>
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
}

}  // namespace chatnode::store
