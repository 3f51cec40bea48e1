// passwordHash derivation of docs/protocol.md §5 (vector: docs/vectors/crypto/password_hash.json).
#include "client/password_hash.hpp"

#include "crypto/encoding.hpp"

namespace chatnode::client {

namespace {

// Versioned so a future derivation can live beside this one.
constexpr std::string_view derivation_prefix = "chatnode-password-v1:";

}  // namespace

std::string password_hash_name(std::string_view username) {
  std::string name(username.substr(0, username.find('@')));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

std::string password_hash(std::string_view username, std::string_view password) {
  crypto::sha256 hash;
  hash.update(derivation_prefix);
  hash.update(password_hash_name(username));
  hash.update(std::string_view(":"));
  hash.update(password);
  const auto digest = hash.finish();
  return crypto::to_hex(digest);
}

}  // namespace chatnode::client
