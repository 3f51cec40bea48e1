// Local accounts: the record codec and the `users` table.
#include "accounts.hpp"
#include "record_json.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>
#include <string>

namespace chatnode::store {
namespace json = boost::json;

std::string encode_account(const account_record& r) {
  json::object o;
  o["credential"] = r.credential;
  o["created"] = r.created;
  if (r.locked) o["locked"] = true;
  return json::serialize(o);
}

std::optional<account_record> decode_account(std::string_view stored) {
  auto record = parse_record(stored);
  if (!record) return std::nullopt;
  const auto& o = *record;
  const auto* cred = o.if_contains("credential");
  const auto* created = o.if_contains("created");
  if (!cred || !cred->is_string() || !created || !created->is_int64()) return std::nullopt;
  const auto* locked = o.if_contains("locked");
  if (locked && !locked->is_bool()) return std::nullopt;
  return account_record{std::string(cred->as_string()), created->as_int64(), locked && locked->as_bool()};
}

bool account_exists(const txn& t, std::string_view name) { return t.get(table_id::users, name).has_value(); }

std::optional<account_record> load_account(const txn& t, std::string_view name) {
  auto stored = t.get(table_id::users, name);
  if (!stored) return std::nullopt;
  auto record = decode_account(*stored);
  if (!record) throw std::runtime_error("unreadable account record of " + std::string(name));
  return record;
}

bool create_account(txn& t, std::string_view name, const account_record& r) {
  return t.put_if_absent(table_id::users, name, encode_account(r));
}

void save_account(txn& t, std::string_view name, const account_record& r) { t.put(table_id::users, name, encode_account(r)); }

bool delete_account(txn& t, std::string_view name) { return t.del(table_id::users, name); }

void for_each_account(const txn& t,
                      const std::function<void(std::string_view, const std::optional<account_record>&)>& fn) {
  auto c = t.open_cursor(table_id::users);
  for (auto item = c.first(); item; item = c.next()) fn(item->first, decode_account(item->second));
}

}  // namespace chatnode::store
