// Resumption tokens over the `tokens` (digest → expires, order, user) and `user_tokens`
// (user \0 order \0 digest) tables; `order` is a node-wide counter, so a user's tokens list
// oldest first even when several are made in one second.
#include "tokens.hpp"

#include "tables.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"
#include "keys.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace chatnode::store::tokens {

namespace {

constexpr std::size_t token_bytes = 32;
constexpr std::size_t digest_bytes = 32;

std::string base64url(std::span<const std::uint8_t> bytes) {
  std::string s = crypto::base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

// tokens value: u64 BE expires, u64 BE order, user.
struct record {
  std::int64_t expires = 0;
  std::uint64_t order = 0;
  std::string user;
};
std::optional<record> load(const txn& t, std::string_view digest) {
  auto v = t.get(table_id::tokens, digest);
  if (!v || v->size() < 16) return std::nullopt;
  return record{static_cast<std::int64_t>(read_be64(*v)), read_be64(*v, 8), std::string(v->substr(16))};
}
std::string index_key(std::string_view user, std::uint64_t order, std::string_view digest) {
  std::string k = key_seq(user, order);
  k.append(digest);
  return k;
}

}  // namespace

std::string digest(std::string_view token) {
  const auto d = crypto::sha256_digest(std::span(reinterpret_cast<const std::uint8_t*>(token.data()), token.size()));
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

issued issue(txn& t, std::string_view user, std::int64_t now, std::int64_t lifetime, std::size_t max_per_user) {
  std::array<std::uint8_t, token_bytes> raw{};
  crypto::random_bytes(raw);
  issued out{base64url(raw), {}, now + lifetime};
  out.digest = digest(out.token);
  const std::uint64_t order = next_counter(t, "token_order");
  std::string value = be64(static_cast<std::uint64_t>(out.expires));
  append_be64(value, order);
  value.append(user);
  t.put(table_id::tokens, out.digest, value);
  t.put(table_id::user_tokens, index_key(user, order, out.digest), "");
  // Oldest first in the index: drop from the front beyond the cap.
  std::vector<std::string> keys;
  for_each_under(t, table_id::user_tokens, user, [&](std::string_view suffix, std::string_view) {
    keys.emplace_back(suffix);
    return true;
  });
  for (std::size_t i = 0; i + max_per_user < keys.size(); ++i) revoke(t, keys[i].substr(8));
  return out;
}

std::optional<std::string> user_of(const txn& t, std::string_view digest, std::int64_t now) {
  if (digest.size() != digest_bytes) return std::nullopt;
  auto r = load(t, digest);
  if (!r || r->expires <= now) return std::nullopt;
  return r->user;
}

void revoke(txn& t, std::string_view digest) {
  auto r = load(t, digest);
  if (!r) return;
  t.del(table_id::user_tokens, index_key(r->user, r->order, digest));
  t.del(table_id::tokens, digest);
}

void revoke_all(txn& t, std::string_view user) { revoke_all_except(t, user, {}); }

void revoke_all_except(txn& t, std::string_view user, const std::vector<std::string>& keep) {
  std::vector<std::string> digests;
  for_each_under(t, table_id::user_tokens, user, [&](std::string_view suffix, std::string_view) {
    digests.emplace_back(suffix.substr(8));
    return true;
  });
  for (const auto& d : digests)
    if (std::find(keep.begin(), keep.end(), d) == keep.end()) revoke(t, d);
}

std::size_t count(const txn& t, std::string_view user) {
  std::size_t n = 0;
  for_each_under(t, table_id::user_tokens, user, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

}  // namespace chatnode::store::tokens
