// Account record encoding.
#include "accounts.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace chatnode::node {
namespace json = boost::json;

std::string encode_account(const account_record& r) {
  json::object o;
  o["credential"] = r.credential;
  o["created"] = r.created;
  if (r.locked) o["locked"] = true;
  return json::serialize(o);
}

std::optional<account_record> decode_account(std::string_view stored) {
  boost::system::error_code ec;
  json::value v = json::parse(stored, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto* cred = o.if_contains("credential");
  const auto* created = o.if_contains("created");
  if (!cred || !cred->is_string() || !created || !created->is_int64()) return std::nullopt;
  const auto* locked = o.if_contains("locked");
  if (locked && !locked->is_bool()) return std::nullopt;
  return account_record{std::string(cred->as_string()), created->as_int64(), locked && locked->as_bool()};
}

}  // namespace chatnode::node
