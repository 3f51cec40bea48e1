// The tables of a chatnode data dir. Keys that need an order are big-endian fixed-width
// integers behind a text prefix, so LMDB's byte order is the order we want.
//
// User and group ids in keys are full ids (`name@domain`, `#id@domain`); "\0" separates
// the parts of a composite key (ids never contain it).
//
//  table            key                                 value
//  ---------------  ----------------------------------  ----------------------------------------
//  meta             "schema_version"                    u32 BE: schema_version below
//  meta             "next_message_id"                   u64 BE: last message id handed out
//  meta             "next_inbox_seq"                    u64 BE: last inbox sequence handed out
//  users            folded local name                   account record (node/accounts.hpp)
//  friends          owner \0 friend                     u64 BE: since (seconds); both directions
//  requests_in      receiver \0 requester               u64 BE: asked at (seconds)
//  requests_out     requester \0 receiver               u64 BE: asked at (seconds)
//  inbox            user \0 u64 BE seq                  an encoded frame waiting for the user
//  messages         u64 BE message id                   stored message (node/stored_message.hpp)
//  history          user \0 u64 BE message id           "" (the message is stored once)
//  groups           group id                            group record (node/group_record.hpp)
//  user_groups      user \0 group id                    "m" member, "i" invited
//  media            media id                            media record (node/model.hpp)
//  media_chunks     media id \0 u32 BE chunk index       the chunk's raw bytes
//  media_deliveries recipient \0 media id               u32 BE: chunks acknowledged (a prefix)
//  user_uploads     sender \0 media id                  "" (quota and concurrency accounting)
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
  friends,
  requests_in,
  requests_out,
  inbox,
  messages,
  history,
  groups,
  user_groups,
  media,
  media_chunks,
  media_deliveries,
  user_uploads,
};

inline constexpr std::array<std::string_view, 14> table_names{
    "meta",     "users",    "friends", "requests_in", "requests_out",     "inbox",        "messages",
    "history",  "groups",   "user_groups", "media",   "media_chunks", "media_deliveries", "user_uploads",
};

}  // namespace chatnode::store
