// Stored records are small JSON objects, so they can gain fields without a migration. This
// is how every record codec in store/ reads one: nullopt for anything but a JSON object.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string_view>

namespace chatnode::store {

inline std::optional<boost::json::object> parse_record(std::string_view stored) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(stored, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

}  // namespace chatnode::store
