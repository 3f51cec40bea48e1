// The stored account record (table `users`): one small JSON object per local user, so
// fields can be added without a schema migration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatnode::node {

struct account_record {
  std::string credential;  // crypto::hash_password output
  std::int64_t created = 0;  // seconds since the epoch
  bool locked = false;       // `chatnode admin user lock`: logins answer 2005
};

std::string encode_account(const account_record& r);
std::optional<account_record> decode_account(std::string_view stored);

}  // namespace chatnode::node
