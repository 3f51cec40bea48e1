// How chatnode's own clients turn what a person typed into LOGIN/REGISTER `passwordHash`
// (docs/protocol.md §5), so one account works from chatnode-client and the web client.
#pragma once

#include <string>
#include <string_view>

namespace chatnode::client {

// `username` without any "@domain" part, folded to ASCII lower case.
std::string password_hash_name(std::string_view username);

// Lowercase hex of SHA-256 over "chatnode-password-v1:" + password_hash_name(username) +
// ":" + password (UTF-8 bytes as given). Callers refuse an empty password before this.
std::string password_hash(std::string_view username, std::string_view password);

}  // namespace chatnode::client
