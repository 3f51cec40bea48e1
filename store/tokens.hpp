// Resumption tokens (docs/protocol.md §5): a login with a token costs a SHA-256, not a KDF
// run. Only the token's SHA-256 is stored (tables `tokens` and `user_tokens`).
#pragma once

#include "txn.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::store::tokens {

// The stored form of a token: its SHA-256 (32 raw bytes).
std::string digest(std::string_view token);

struct issued {
  std::string token;  // 43 characters of base64url; given to the client once
  std::string digest;
  std::int64_t expires = 0;
};
// Makes a token for `user` (a full id) valid until now + lifetime; keeps at most
// `max_per_user` of the user's tokens (drops the oldest).
issued issue(txn& t, std::string_view user, std::int64_t now, std::int64_t lifetime, std::size_t max_per_user);
// The user a token logs in, if it is known and not expired.
std::optional<std::string> user_of(const txn& t, std::string_view digest, std::int64_t now);
void revoke(txn& t, std::string_view digest);
void revoke_all(txn& t, std::string_view user);
// Revokes every token of `user` but those whose digest is in `keep` (a password change keeps
// the tokens of the session that made it).
void revoke_all_except(txn& t, std::string_view user, const std::vector<std::string>& keep);
std::size_t count(const txn& t, std::string_view user);

}  // namespace chatnode::store::tokens
