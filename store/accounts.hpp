// Local accounts (table `users`): one small JSON object per local user, so
// fields can be added without a schema migration.
#pragma once

#include "txn.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chatnode::store {

struct account_record {
  std::string credential;  // crypto::hash_password output
  std::int64_t created = 0;  // seconds since the epoch
  bool locked = false;       // `chatnode admin user lock`: logins answer 2005
};

std::string encode_account(const account_record& r);
std::optional<account_record> decode_account(std::string_view stored);

// Local users by their folded name (without the domain).
bool account_exists(const txn& t, std::string_view name);
// nullopt when there is no such user; throws std::runtime_error when the record is unreadable.
std::optional<account_record> load_account(const txn& t, std::string_view name);
// False (and nothing is written) when the name is taken.
bool create_account(txn& t, std::string_view name, const account_record& r);
void save_account(txn& t, std::string_view name, const account_record& r);
bool delete_account(txn& t, std::string_view name);
// fn(name, record) for every local user in name order (record nullopt when unreadable).
void for_each_account(const txn& t, const std::function<void(std::string_view, const std::optional<account_record>&)>& fn);

}  // namespace chatnode::store
