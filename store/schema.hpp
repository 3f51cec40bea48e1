// The tables of a chatnode data dir. Keys that need an order are big-endian fixed-width
// integers behind a text prefix, so LMDB's byte order is the order we want.
//
//  table     key                                   value
//  -------   -----------------------------------   ------------------------------------------
//  meta      "schema_version"                      u32 BE: schema_version below
//  meta      "next_message_id"                     u64 BE: last message id handed out
//  users     folded local name                     user record (node/account_record.hpp)
//
// Opening a data dir whose schema_version differs from schema_version fails with a message
// that names both versions.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace chatnode::store {

inline constexpr std::uint32_t schema_version = 1;

enum class table_id : std::uint8_t {
  meta,
  users,
};

inline constexpr std::array<std::string_view, 2> table_names{
    "meta",
    "users",
};

}  // namespace chatnode::store
