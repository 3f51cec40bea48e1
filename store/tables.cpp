// Data model over the LMDB tables. Records are small JSON objects so they can gain fields
// without a migration; keys follow store/schema.hpp.
#include "tables.hpp"
#include "record_json.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"
#include "protocol/ids.hpp"
#include "store/keys.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace chatnode::store {
namespace json = boost::json;


std::string key2(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + 1 + b.size());
  k.append(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

std::string key_seq(std::string_view a, std::uint64_t n) {
  std::string k;
  k.reserve(a.size() + 9);
  k.append(a);
  k.push_back('\0');
  append_be64(k, n);
  return k;
}

void for_each_under(const txn& t, table_id table, std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& fn) {
  std::string start(prefix);
  start.push_back('\0');
  auto c = t.open_cursor(table);
  for (auto item = c.seek(start); item; item = c.next()) {
    if (item->first.size() < start.size() || item->first.substr(0, start.size()) != start) break;
    if (!fn(item->first.substr(start.size()), item->second)) break;
  }
}

std::uint64_t next_counter(txn& t, std::string_view name) {
  std::uint64_t v = 0;
  if (auto cur = t.get(table_id::meta, name); cur && cur->size() == 8) v = read_be64(*cur);
  ++v;
  t.put(table_id::meta, name, be64(v));
  return v;
}

bool local_user_exists(const txn& t, std::string_view name) {
  return t.get(table_id::users, name).has_value();
}

bool are_friends(const txn& t, std::string_view a, std::string_view b) {
  return t.get(table_id::friends, key2(a, b)).has_value();
}

namespace {
std::vector<std::string> suffixes(const txn& t, table_id table, std::string_view prefix) {
  std::vector<std::string> out;
  for_each_under(t, table, prefix, [&](std::string_view suffix, std::string_view) {
    out.emplace_back(suffix);
    return true;
  });
  return out;
}
}  // namespace

std::vector<std::string> friends_of(const txn& t, std::string_view user) {
  return suffixes(t, table_id::friends, user);
}

void add_friendship(txn& t, std::string_view a, std::string_view b, std::int64_t since) {
  const auto value = be64(static_cast<std::uint64_t>(since));
  t.put(table_id::friends, key2(a, b), value);
  t.put(table_id::friends, key2(b, a), value);
}

void remove_friendship(txn& t, std::string_view a, std::string_view b) {
  t.del(table_id::friends, key2(a, b));
  t.del(table_id::friends, key2(b, a));
}

bool has_request(const txn& t, std::string_view requester, std::string_view receiver) {
  return t.get(table_id::requests_out, key2(requester, receiver)).has_value();
}

void add_request(txn& t, std::string_view requester, std::string_view receiver, std::int64_t at) {
  const auto value = be64(static_cast<std::uint64_t>(at));
  t.put(table_id::requests_out, key2(requester, receiver), value);
  t.put(table_id::requests_in, key2(receiver, requester), value);
}

bool remove_request(txn& t, std::string_view requester, std::string_view receiver) {
  bool had = t.del(table_id::requests_out, key2(requester, receiver));
  had = t.del(table_id::requests_in, key2(receiver, requester)) || had;
  return had;
}

std::vector<std::string> requests_in(const txn& t, std::string_view receiver) {
  return suffixes(t, table_id::requests_in, receiver);
}

std::vector<std::string> requests_out(const txn& t, std::string_view requester) {
  return suffixes(t, table_id::requests_out, requester);
}

bool blocks(const txn& t, std::string_view blocker, std::string_view blocked) {
  return t.get(table_id::blocks, key2(blocker, blocked)).has_value();
}

bool add_block(txn& t, std::string_view blocker, std::string_view blocked, std::int64_t since) {
  return t.put_if_absent(table_id::blocks, key2(blocker, blocked), be64(static_cast<std::uint64_t>(since)));
}

bool remove_block(txn& t, std::string_view blocker, std::string_view blocked) {
  return t.del(table_id::blocks, key2(blocker, blocked));
}

std::vector<std::string> blocked_by(const txn& t, std::string_view blocker) {
  return suffixes(t, table_id::blocks, blocker);
}

namespace {
std::string inbox_count_key(std::string_view user) { return key2("inbox_count", user); }
void add_inbox_count(txn& t, std::string_view user, std::int64_t delta) {
  const std::string key = inbox_count_key(user);
  std::uint64_t n = 0;
  if (auto cur = t.get(table_id::meta, key); cur && cur->size() == 8) n = read_be64(*cur);
  n = delta < 0 ? n - std::min<std::uint64_t>(n, static_cast<std::uint64_t>(-delta)) : n + static_cast<std::uint64_t>(delta);
  if (n == 0) {
    t.del(table_id::meta, key);
  } else {
    t.put(table_id::meta, key, be64(n));
  }
}
}  // namespace

void inbox_append(txn& t, std::string_view user, std::string_view frame) {
  t.put(table_id::inbox, key_seq(user, next_counter(t, "next_inbox_seq")), frame);
  add_inbox_count(t, user, 1);
}

std::vector<inbox_entry> inbox_read(const txn& t, std::string_view user, std::uint64_t after, std::size_t max_count,
                                    std::size_t max_bytes, bool& more) {
  std::vector<inbox_entry> entries;
  std::size_t bytes = 0;
  more = false;
  auto c = t.open_cursor(table_id::inbox);
  const std::string prefix = key2(user, "");
  for (auto item = c.seek(key_seq(user, after + 1)); item; item = c.next()) {
    if (!item->first.starts_with(prefix) || item->first.size() != prefix.size() + 8) break;
    // At least one entry per page, however large.
    if (entries.size() == max_count || (!entries.empty() && bytes + item->second.size() > max_bytes)) {
      more = true;
      break;
    }
    bytes += item->second.size();
    entries.push_back({read_be64(item->first, prefix.size()), std::string(item->second)});
  }
  return entries;
}

void inbox_remove(txn& t, std::string_view user, std::uint64_t upto) {
  std::vector<std::uint64_t> seqs;
  for_each_under(t, table_id::inbox, user, [&](std::string_view suffix, std::string_view) {
    if (suffix.size() != 8 || read_be64(suffix) > upto) return false;
    seqs.push_back(read_be64(suffix));
    return true;
  });
  for (auto seq : seqs) t.del(table_id::inbox, key_seq(user, seq));
  add_inbox_count(t, user, -static_cast<std::int64_t>(seqs.size()));
}

std::uint64_t inbox_size(const txn& t, std::string_view user) {
  auto cur = t.get(table_id::meta, inbox_count_key(user));
  return cur && cur->size() == 8 ? read_be64(*cur) : 0;
}

void erase_inbox(txn& t, std::string_view user) {
  for (const auto& suffix : suffixes(t, table_id::inbox, user)) t.del(table_id::inbox, key2(user, suffix));
  t.del(table_id::meta, inbox_count_key(user));
}

void erase_history(txn& t, std::string_view user, const std::function<bool(std::string_view)>& is_local) {
  std::vector<std::uint64_t> ids;
  for_each_under(t, table_id::history, user, [&](std::string_view suffix, std::string_view) {
    if (suffix.size() == 8) ids.push_back(read_be64(suffix));
    return true;
  });
  for (const auto id : ids) {
    t.del(table_id::history, key_seq(user, id));
    auto m = load_message(t, id);
    if (!m || !m->group_id.empty()) continue;
    const std::string& other = m->sender == user ? m->receiver : m->sender;
    if (!is_local(other) || !t.get(table_id::history, key_seq(other, id))) t.del(table_id::messages, be64(id));
  }
}

void erase_blocks(txn& t, std::string_view user) {
  for (const auto& blocked : blocked_by(t, user)) remove_block(t, user, blocked);
}

void erase_group_index(txn& t, std::string_view user) {
  for (const auto& group_id : suffixes(t, table_id::user_groups, user)) t.del(table_id::user_groups, key2(user, group_id));
}

std::string encode_message(const stored_message& m) {
  json::object o;
  o["t"] = m.timestamp;
  o["s"] = m.sender;
  o["r"] = m.receiver;
  o["c"] = m.content;
  if (!m.group_id.empty()) {
    o["g"] = m.group_id;
    o["n"] = m.group_name;
  }
  if (!m.media_id.empty()) {
    o["mi"] = m.media_id;
    o["mt"] = m.media_type;
    o["ms"] = m.media_size;
  }
  return json::serialize(o);
}

std::optional<stored_message> decode_message(std::string_view stored) {
  auto record = parse_record(stored);
  if (!record) return std::nullopt;
  const auto& o = *record;
  stored_message m;
  const auto* t = o.if_contains("t");
  const auto* s = o.if_contains("s");
  const auto* r = o.if_contains("r");
  const auto* c = o.if_contains("c");
  if (!t || !t->is_int64() || !s || !s->is_string() || !r || !r->is_string() || !c || !c->is_string())
    return std::nullopt;
  m.timestamp = t->as_int64();
  m.sender = s->as_string();
  m.receiver = r->as_string();
  m.content = c->as_string();
  if (const auto* g = o.if_contains("g"); g && g->is_string()) m.group_id = g->as_string();
  if (const auto* n = o.if_contains("n"); n && n->is_string()) m.group_name = n->as_string();
  if (const auto* mi = o.if_contains("mi"); mi && mi->is_string()) m.media_id = mi->as_string();
  if (const auto* mt = o.if_contains("mt"); mt && mt->is_string()) m.media_type = mt->as_string();
  if (const auto* ms = o.if_contains("ms")) {
    // Written as an unsigned integer; anything else (a fraction, 12e45, a negative) is not
    // a record this node wrote.
    boost::system::error_code number_ec;
    m.media_size = ms->to_number<std::uint64_t>(number_ec);
    if (number_ec) return std::nullopt;
  }
  return m;
}

void store_message(txn& t, std::uint64_t id, const stored_message& m,
                   const std::vector<std::string_view>& history_owners) {
  t.put(table_id::messages, be64(id), encode_message(m));
  for (auto owner : history_owners) t.put(table_id::history, key_seq(owner, id), std::string_view{});
}

namespace {
// The message id of a history key of `owner` (owner \0 u64 BE id).
std::optional<std::uint64_t> history_id(std::string_view key, std::string_view owner) {
  if (key.size() != owner.size() + 9 || key.substr(0, owner.size()) != owner || key[owner.size()] != '\0')
    return std::nullopt;
  return read_be64(key, owner.size() + 1);
}
}  // namespace

void history_up(const txn& t, std::string_view owner, std::uint64_t from, const std::function<bool(std::uint64_t)>& fn) {
  auto c = t.open_cursor(table_id::history);
  for (auto item = c.seek(key_seq(owner, from)); item; item = c.next()) {
    auto id = history_id(item->first, owner);
    if (!id || !fn(*id)) return;
  }
}

void history_down(const txn& t, std::string_view owner, std::uint64_t at_most,
                  const std::function<bool(std::uint64_t)>& fn) {
  auto c = t.open_cursor(table_id::history);
  auto item = c.seek(key_seq(owner, at_most));
  if (!item || history_id(item->first, owner) != at_most) item = item ? c.prev() : c.last();
  for (; item; item = c.prev()) {
    auto id = history_id(item->first, owner);
    if (!id || !fn(*id)) return;
  }
}

std::optional<stored_message> load_message(const txn& t, std::uint64_t id) {
  auto v = t.get(table_id::messages, be64(id));
  if (!v) return std::nullopt;
  return decode_message(*v);
}

bool group_record::is_member(std::string_view user) const {
  return std::find(members.begin(), members.end(), user) != members.end();
}

const invitation* group_record::invitation_of(std::string_view user) const {
  for (const auto& i : invited)
    if (i.user == user) return &i;
  return nullptr;
}

std::string encode_group(const group_record& g) {
  json::object o;
  o["name"] = g.name;
  o["leader"] = g.leader;
  json::array members;
  for (const auto& m : g.members) members.emplace_back(m);
  o["members"] = std::move(members);
  json::array invited;
  for (const auto& i : g.invited) invited.emplace_back(json::object{{"user", i.user}, {"inviter", i.inviter}});
  o["invited"] = std::move(invited);
  o["created"] = g.created;
  return json::serialize(o);
}

std::optional<group_record> decode_group(std::string_view stored) {
  auto record = parse_record(stored);
  return record ? decode_group(*record) : std::nullopt;
}

std::optional<group_record> decode_group(const json::object& o) {
  try {
    group_record g;
    g.name = o.at("name").as_string();
    g.leader = o.at("leader").as_string();
    for (const auto& m : o.at("members").as_array()) g.members.emplace_back(m.as_string());
    for (const auto& i : o.at("invited").as_array())
      g.invited.push_back({std::string(i.at("user").as_string()), std::string(i.at("inviter").as_string())});
    g.created = o.at("created").as_int64();
    return g;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<group_record> load_group(const txn& t, std::string_view group_id) {
  auto v = t.get(table_id::groups, group_id);
  if (!v) return std::nullopt;
  return decode_group(*v);
}

void save_group(txn& t, std::string_view group_id, const group_record& g, const group_record* before) {
  t.put(table_id::groups, group_id, encode_group(g));
  if (before) {
    for (const auto& m : before->members)
      if (!g.is_member(m) && !g.invitation_of(m)) t.del(table_id::user_groups, key2(m, group_id));
    for (const auto& i : before->invited)
      if (!g.is_member(i.user) && !g.invitation_of(i.user)) t.del(table_id::user_groups, key2(i.user, group_id));
  }
  for (const auto& m : g.members) t.put(table_id::user_groups, key2(m, group_id), "m");
  for (const auto& i : g.invited) t.put(table_id::user_groups, key2(i.user, group_id), "i");
}

void delete_group(txn& t, std::string_view group_id, const group_record& g) {
  for (const auto& m : g.members) t.del(table_id::user_groups, key2(m, group_id));
  for (const auto& i : g.invited) t.del(table_id::user_groups, key2(i.user, group_id));
  t.del(table_id::groups, group_id);
}

std::vector<std::pair<std::string, group_record>> groups_of(const txn& t, std::string_view user, group_role role) {
  const std::string_view want = role == group_role::member ? "m" : "i";
  std::vector<std::pair<std::string, group_record>> out;
  for_each_under(t, table_id::user_groups, user, [&](std::string_view gid, std::string_view value) {
    if (value == want)
      if (auto g = load_group(t, gid)) out.emplace_back(std::string(gid), std::move(*g));
    return true;
  });
  return out;
}

}  // namespace chatnode::store

namespace chatnode::store {

group_lookup find_group(const txn& t, std::string_view user, std::string_view group,
                        const std::optional<std::string>& group_id, group_role role) {
  group_lookup out;
  std::optional<std::string> id = group_id;
  if (!id && !group.empty() && group.front() == '#') id = std::string(group);
  if (id) {
    auto parsed = protocol::parse_group_id(*id);
    auto record = parsed ? load_group(t, parsed->full()) : std::nullopt;
    if (!record) {
      out.code = 4002;
      return out;
    }
    out.id = parsed->full();
    out.record = std::move(*record);
    return out;
  }
  int matches = 0;
  for (auto& [gid, record] : groups_of(t, user, role)) {
    if (record.name != group) continue;
    if (++matches == 1) {
      out.id = gid;
      out.record = std::move(record);
    }
  }
  out.code = matches == 0 ? 4002 : matches > 1 ? 4003 : 0;
  return out;
}

}  // namespace chatnode::store

namespace chatnode::store {

std::string encode_media(const media_record& m) {
  json::object o;
  o["sender"] = m.sender;
  o["receiver"] = m.receiver;
  o["group_name"] = m.group_name;
  o["media_type"] = m.media_type;
  o["size"] = m.size;
  o["total_chunks"] = m.total_chunks;
  o["bytes"] = m.bytes;
  o["chunks"] = m.chunks;
  o["complete"] = m.complete;
  o["sha256"] = m.sha256;
  o["message_id"] = m.message_id;
  o["pending"] = m.pending;
  json::array recipients;
  for (const auto& r : m.recipients) recipients.emplace_back(r);
  o["recipients"] = std::move(recipients);
  o["created"] = m.created;
  return json::serialize(o);
}

std::optional<media_record> decode_media(std::string_view stored) {
  auto record = parse_record(stored);
  if (!record) return std::nullopt;
  try {
    const auto& o = *record;
    media_record m;
    m.sender = o.at("sender").as_string();
    m.receiver = o.at("receiver").as_string();
    m.group_name = o.at("group_name").as_string();
    m.media_type = o.at("media_type").as_string();
    m.size = o.at("size").to_number<std::uint64_t>();
    m.total_chunks = o.at("total_chunks").to_number<std::uint32_t>();
    m.bytes = o.at("bytes").to_number<std::uint64_t>();
    m.chunks = o.at("chunks").to_number<std::uint32_t>();
    m.complete = o.at("complete").as_bool();
    m.sha256 = o.at("sha256").as_string();
    m.message_id = o.at("message_id").to_number<std::uint64_t>();
    m.pending = o.at("pending").to_number<std::uint32_t>();
    for (const auto& r : o.at("recipients").as_array()) m.recipients.emplace_back(r.as_string());
    m.created = o.at("created").to_number<std::int64_t>();
    return m;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<media_record> load_media(const txn& t, std::string_view media_id) {
  auto v = t.get(table_id::media, media_id);
  if (!v) return std::nullopt;
  return decode_media(*v);
}

void save_media(txn& t, std::string_view media_id, const media_record& m) {
  t.put(table_id::media, media_id, encode_media(m));
}

std::string chunk_key(std::string_view media_id, std::uint32_t index) {
  std::string k;
  k.reserve(media_id.size() + 5);
  k.append(media_id);
  k.push_back('\0');
  append_be32(k, index);
  return k;
}

std::string hash_chunks(const txn& t, std::string_view media_id, std::uint32_t total_chunks) {
  crypto::sha256 hash;
  for (std::uint32_t i = 1; i <= total_chunks; ++i) {
    auto chunk = t.get(table_id::media_chunks, chunk_key(media_id, i));
    if (!chunk) throw std::runtime_error("chunk " + std::to_string(i) + " missing");
    hash.update(*chunk);
  }
  return crypto::to_hex(hash.finish());
}

void release_media(txn& t, std::string_view media_id) {
  auto m = load_media(t, media_id);
  if (!m) return;
  if (m->pending) --m->pending;
  if (m->pending == 0) {
    purge_media(t, media_id, *m);  // every recipient has it: the node lets go
  } else {
    save_media(t, media_id, *m);
  }
}

void for_each_media(const txn& t, const std::function<bool(std::string_view, const media_record&)>& fn) {
  auto c = t.open_cursor(table_id::media);
  for (auto item = c.first(); item; item = c.next()) {
    if (auto m = decode_media(item->second); m && !fn(item->first, *m)) return;
  }
}

std::optional<std::string_view> load_chunk(const txn& t, std::string_view media_id, std::uint32_t index) {
  return t.get(table_id::media_chunks, chunk_key(media_id, index));
}

bool store_chunk(txn& t, std::string_view media_id, std::uint32_t index, std::string_view bytes) {
  return t.put_if_absent(table_id::media_chunks, chunk_key(media_id, index), bytes);
}

void drop_chunks(txn& t, std::string_view media_id, std::uint32_t total_chunks) {
  for (std::uint32_t i = 1; i <= total_chunks; ++i) t.del(table_id::media_chunks, chunk_key(media_id, i));
}

std::vector<std::uint32_t> stored_chunks(const txn& t, std::string_view media_id, std::uint32_t total) {
  std::vector<std::uint32_t> out;
  for_each_under(t, table_id::media_chunks, media_id, [&](std::string_view suffix, std::string_view) {
    if (suffix.size() != 4) return true;
    const auto index = read_be32(suffix);
    if (index >= 1 && (total == 0 || index <= total)) out.push_back(index);
    return true;
  });
  return out;
}

std::uint32_t first_missing_chunk(const txn& t, std::string_view media_id, std::uint32_t total) {
  std::uint32_t expect = 1;
  for_each_under(t, table_id::media_chunks, media_id, [&](std::string_view suffix, std::string_view) {
    if (expect > total || suffix.size() != 4 || read_be32(suffix) != expect) return false;
    ++expect;
    return true;
  });
  return expect;
}

void add_upload(txn& t, std::string_view sender, std::string_view media_id) {
  t.put(table_id::user_uploads, key2(sender, media_id), std::string_view{});
}

std::vector<std::string> uploads_of(const txn& t, std::string_view sender) {
  return suffixes(t, table_id::user_uploads, sender);
}

void remove_upload(txn& t, std::string_view sender, std::string_view media_id) {
  t.del(table_id::user_uploads, key2(sender, media_id));
}

void add_delivery(txn& t, std::string_view recipient, std::string_view media_id) {
  t.put(table_id::media_deliveries, key2(recipient, media_id), be32(0));
}

std::optional<std::uint32_t> delivery_progress(const txn& t, std::string_view recipient, std::string_view media_id) {
  auto v = t.get(table_id::media_deliveries, key2(recipient, media_id));
  if (!v) return std::nullopt;
  return v->size() == 4 ? read_be32(*v) : 0;
}

void advance_delivery(txn& t, std::string_view recipient, std::string_view media_id, std::uint32_t acked) {
  const auto key = key2(recipient, media_id);
  if (auto cur = t.get(table_id::media_deliveries, key); cur && cur->size() == 4 && read_be32(*cur) < acked)
    t.put(table_id::media_deliveries, key, be32(acked));
}

bool remove_delivery(txn& t, std::string_view recipient, std::string_view media_id) {
  return t.del(table_id::media_deliveries, key2(recipient, media_id));
}

std::vector<std::string> deliveries_of(const txn& t, std::string_view recipient) {
  return suffixes(t, table_id::media_deliveries, recipient);
}

std::string encode_fetch(const fetch_record& f) {
  json::array to;
  for (const auto& u : f.to) to.emplace_back(u);
  json::object o{{"origin", f.origin}, {"originId", f.origin_id}, {"sha256", f.sha256}, {"to", std::move(to)},
                 {"home", f.home}, {"timestamp", f.timestamp}, {"attempts", f.attempts}};
  return json::serialize(o);
}

std::optional<fetch_record> decode_fetch(std::string_view stored) {
  auto record = parse_record(stored);
  if (!record) return std::nullopt;
  try {
    const auto& o = *record;
    fetch_record f;
    f.origin = o.at("origin").as_string();
    f.origin_id = o.at("originId").as_string();
    f.sha256 = o.at("sha256").as_string();
    for (const auto& u : o.at("to").as_array()) f.to.emplace_back(u.as_string());
    f.home = o.at("home").as_bool();
    f.timestamp = o.at("timestamp").to_number<std::int64_t>();
    f.attempts = o.at("attempts").to_number<std::uint32_t>();
    return f;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<fetch_record> load_fetch(const txn& t, std::string_view media_id) {
  auto v = t.get(table_id::media_fetches, media_id);
  if (!v) return std::nullopt;
  return decode_fetch(*v);
}

bool fetch_exists(const txn& t, std::string_view media_id) { return t.get(table_id::media_fetches, media_id).has_value(); }

void save_fetch(txn& t, std::string_view media_id, const fetch_record& f) {
  t.put(table_id::media_fetches, media_id, encode_fetch(f));
}

bool drop_fetch(txn& t, std::string_view media_id) { return t.del(table_id::media_fetches, media_id); }

std::vector<std::pair<std::string, fetch_record>> fetches(const txn& t) {
  std::vector<std::pair<std::string, fetch_record>> out;
  auto c = t.open_cursor(table_id::media_fetches);
  for (auto item = c.first(); item; item = c.next()) {
    if (auto f = decode_fetch(item->second)) out.emplace_back(std::string(item->first), std::move(*f));
  }
  return out;
}

void purge_media(txn& t, std::string_view media_id, const media_record& m) {
  for (std::uint32_t i = 1; i <= m.total_chunks; ++i) t.del(table_id::media_chunks, chunk_key(media_id, i));
  for (const auto& r : m.recipients) t.del(table_id::media_deliveries, key2(r, media_id));
  t.del(table_id::user_uploads, key2(m.sender, media_id));
  t.del(table_id::media, media_id);
}

}  // namespace chatnode::store

namespace chatnode::store {

namespace {
// An outbox value: u8 stream length, stream, u64 BE seq in the stream, the event (JSON).
std::string outbox_value(std::string_view stream, std::uint64_t seq, std::string_view event) {
  std::string v;
  v.reserve(1 + stream.size() + 8 + event.size());
  v.push_back(static_cast<char>(stream.size()));
  v.append(stream);
  append_be64(v, seq);
  v.append(event);
  return v;
}
std::optional<outbox_entry> parse_outbox_value(std::uint64_t global, std::string_view v) {
  if (v.empty()) return std::nullopt;
  const std::size_t n = static_cast<unsigned char>(v[0]);
  if (v.size() < 1 + n + 8) return std::nullopt;
  return outbox_entry{global, {std::string(v.substr(1, n)), read_be64(v, 1 + n)}, std::string(v.substr(1 + n + 8))};
}
// The first 12 characters of our stream ids are the start time in milliseconds (hex), so
// this node can tell which of two of its streams came later, even across a restore.
std::uint64_t stream_started(std::string_view stream) {
  if (stream.size() < 13 || stream[12] != '.') return 0;  // a version-2 id: older than any
  std::uint64_t ms = 0;
  for (char c : stream.substr(0, 12)) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return 0;
    ms = ms * 16 + static_cast<std::uint64_t>(d);
  }
  return ms;
}
}  // namespace

std::string new_fed_stream(txn& t, std::int64_t now_ms) {
  char prefix[13];
  std::snprintf(prefix, sizeof prefix, "%012llx", static_cast<unsigned long long>(now_ms) & 0xffffffffffffULL);
  std::string id = std::string(prefix) + "." + crypto::random_id(10);
  t.put(table_id::meta, "fed_stream", id);
  return id;
}

std::string fed_stream(const txn& t) {
  if (auto v = t.get(table_id::meta, "fed_stream")) return std::string(*v);
  return {};
}

bool stream_read_past(const stream_pos& seen, const stream_pos& event) {
  if (seen.stream == event.stream) return seen.seq >= event.seq;
  const auto a = stream_started(seen.stream), b = stream_started(event.stream);
  return a != 0 && a > b;
}

stream_pos outbox_append(txn& t, std::string_view peer, std::string_view event) {
  std::string stream = fed_stream(t);
  if (stream.empty()) {
    // The relay opens a stream at start-up; code that appends without one (tests) gets one here.
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    stream = new_fed_stream(t, std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  }
  const std::uint64_t global = next_counter(t, key2("outbox_seq", peer));
  // Numbered from 1 within the stream: the stream's first event for this peer records the base.
  const std::string base_key = key2(key2("outbox_base", peer), stream);
  std::uint64_t base = global - 1;
  if (auto b = t.get(table_id::meta, base_key); b && b->size() == 8) {
    base = read_be64(*b);
  } else {
    t.put(table_id::meta, base_key, be64(base));
  }
  t.put(table_id::outbox, key_seq(peer, global), outbox_value(stream, global - base, event));
  return {stream, global - base};
}

std::vector<outbox_entry> outbox_read(const txn& t, std::string_view peer, std::uint64_t after, std::size_t max) {
  std::vector<outbox_entry> out;
  if (max == 0) return out;
  const std::string prefix = key2(peer, "");
  auto c = t.open_cursor(table_id::outbox);
  for (auto item = c.seek(key_seq(peer, after + 1)); item && out.size() < max; item = c.next()) {
    if (item->first.size() != prefix.size() + 8 || item->first.substr(0, prefix.size()) != prefix) break;
    auto e = parse_outbox_value(read_be64(item->first.substr(prefix.size())), item->second);
    if (!e) throw std::runtime_error("outbox: malformed entry for " + std::string(peer));
    out.push_back(std::move(*e));
  }
  return out;
}

void outbox_trim(txn& t, std::string_view peer, std::uint64_t upto) {
  const std::string prefix = key2(peer, "");
  auto c = t.open_cursor(table_id::outbox);
  for (auto item = c.seek(prefix); item; item = c.seek(prefix)) {
    if (item->first.size() != prefix.size() + 8 || item->first.substr(0, prefix.size()) != prefix) break;
    if (read_be64(item->first.substr(prefix.size())) > upto) break;
    c.del();
  }
}

std::uint64_t outbox_depth(const txn& t, std::string_view peer) {
  const std::string prefix = key2(peer, "");
  auto c = t.open_cursor(table_id::outbox);
  auto first = c.seek(prefix);
  if (!first || first->first.size() != prefix.size() + 8 || first->first.substr(0, prefix.size()) != prefix) return 0;
  const std::uint64_t lo = read_be64(first->first.substr(prefix.size()));
  std::uint64_t hi = lo;
  if (auto v = t.get(table_id::meta, key2("outbox_seq", peer)); v && v->size() == 8) hi = read_be64(*v);
  return hi >= lo ? hi - lo + 1 : 0;
}

std::vector<std::string> outbox_peers(const txn& t) {
  std::vector<std::string> peers;
  auto c = t.open_cursor(table_id::outbox);
  for (auto item = c.first(); item;) {
    const auto cut = item->first.find('\0');
    std::string peer(item->first.substr(0, cut));
    peers.push_back(peer);
    // Jump past this peer's keys: the next key after peer \1.
    std::string next = peer;
    next.push_back('\1');
    item = c.seek(next);
  }
  return peers;
}

std::uint64_t fed_in_last(const txn& t, std::string_view origin, std::string_view stream) {
  if (auto v = t.get(table_id::fed_in, key2(origin, stream)); v && v->size() == 8) return read_be64(*v);
  return 0;
}

void fed_in_set(txn& t, std::string_view origin, std::string_view stream, std::uint64_t seq) {
  t.put(table_id::fed_in, key2(origin, stream), be64(seq));
  const std::string current = key2("fed_in_stream", origin);
  if (auto v = t.get(table_id::meta, current); !v || *v != stream) t.put(table_id::meta, current, stream);
}

stream_pos fed_in_current(const txn& t, std::string_view origin) {
  stream_pos pos;
  if (auto v = t.get(table_id::meta, key2("fed_in_stream", origin))) {
    pos.stream = std::string(*v);
    pos.seq = fed_in_last(t, origin, pos.stream);
  }
  return pos;
}

namespace {
// group_pending value: kind, u8 stream length, stream, u64 BE seq, user.
std::string pending_value(char kind, const stream_pos& at, std::string_view user) {
  std::string v(1, kind);
  v.push_back(static_cast<char>(at.stream.size()));
  v.append(at.stream);
  append_be64(v, at.seq);
  v.append(user);
  return v;
}
}  // namespace

void group_pending_add(txn& t, std::string_view group_id, const stream_pos& at, char kind, std::string_view user) {
  t.put(table_id::meta, key_seq(key2("group_pending", group_id), next_counter(t, "group_pending_seq")),
        pending_value(kind, at, user));
}

std::vector<pending_group_change> group_pending(const txn& t, std::string_view group_id) {
  std::vector<pending_group_change> out;
  for_each_under(t, table_id::meta, key2("group_pending", group_id), [&](std::string_view suffix, std::string_view v) {
    if (suffix.size() != 8 || v.size() < 2) return true;
    const std::size_t n = static_cast<unsigned char>(v[1]);
    if (v.size() < 2 + n + 8) return true;
    out.push_back({read_be64(suffix), {std::string(v.substr(2, n)), read_be64(v, 2 + n)}, v.front(),
                   std::string(v.substr(2 + n + 8))});
    return true;
  });
  return out;
}

void group_pending_drop(txn& t, std::string_view group_id, const std::function<bool(const pending_group_change&)>& done) {
  const std::string prefix = key2("group_pending", group_id);
  for (const auto& change : group_pending(t, group_id))
    if (done(change)) t.del(table_id::meta, key_seq(prefix, change.key));
}

}  // namespace chatnode::store
