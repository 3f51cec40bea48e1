// Reading fields of a node message (an already parsed JSON object) without exceptions:
// an absent field or one of the wrong JSON type reads as "not there".
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::client {

// message.type ("" when absent).
std::string type_of(const boost::json::object& message);
// message.payload (an empty object when absent).
const boost::json::object& payload_of(const boost::json::object& message);
// message.id ("" when absent).
std::string id_of(const boost::json::object& message);
// object[key] as a string ("" when absent or not a string).
std::string string_field(const boost::json::object& object, std::string_view key);
// object[key] as a signed / non-negative integer.
std::optional<std::int64_t> int_field(const boost::json::object& object, std::string_view key);
std::optional<std::uint64_t> uint_field(const boost::json::object& object, std::string_view key);
// payload.code.
std::optional<std::int64_t> code_of(const boost::json::object& message);
// object[key] as an array of non-negative integers that fit 32 bits (others skipped).
std::vector<std::uint32_t> index_list(const boost::json::object& object, std::string_view key);

}  // namespace chatnode::client
