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
//  users            folded local name                   account record (store/accounts.hpp)
//  friends          owner \0 friend                     u64 BE: since (seconds); both directions
//  requests_in      receiver \0 requester               u64 BE: asked at (seconds)
//  requests_out     requester \0 receiver               u64 BE: asked at (seconds)
//  inbox            user \0 u64 BE seq                  an encoded frame waiting for the user
//  messages         u64 BE message id                   stored message (store/tables.hpp stored_message)
//  history          user \0 u64 BE message id           "" (the message is stored once)
//  groups           group id                            group record (store/tables.hpp group_record)
//  user_groups      user \0 group id                    "m" member, "i" invited
//  media            media id                            media record (store/tables.hpp)
//  media_chunks     media id \0 u32 BE chunk index       the chunk's raw bytes
//  media_deliveries recipient \0 media id               u32 BE: chunks acknowledged (a prefix); a
//                                                       recipient "@domain" is another node
//                                                       (it fetches the bytes; value unused)
//  user_uploads     sender \0 media id                  "" (quota and concurrency accounting)
//  outbox           peer domain \0 u64 BE seq           a federation event bound for the peer: u8 stream
//                                                       id length, stream id, u64 BE seq in that
//                                                       stream, the event (JSON, its client message
//                                                       an object since version 4) (store/tables.cpp)
//  fed_in           origin domain \0 stream id           u64 BE: last event sequence applied
//  media_fetches    media id                            remote media being fetched from its origin:
//                                                       JSON {origin, originId, sha256, to[],
//                                                       home, timestamp, attempts}
//                                                       (store/tables.hpp fetch_record)
//  meta             "fed_stream"                        this data dir's outbox stream id (random)
//  meta             "outbox_seq" \0 peer                u64 BE: last outbox sequence for the peer
//  meta             "outbox_base" \0 peer \0 stream     u64 BE: the peer's outbox seq before the
//                                                       stream's first event for it
//  meta             "fed_in_stream" \0 origin           the origin's current stream id
//  meta             "group_pending" \0 group id \0 u64 BE seq
//                                                       kind byte + user id: an answer forwarded to
//                                                       the group's home as outbox event seq
//  tokens           SHA-256 of a resumption token       u64 BE expires, u64 BE order, user id
//                                                       (store/tokens.hpp)
//  user_tokens      user \0 u64 BE order \0 SHA-256     "" (a user's tokens, oldest first)
//  meta             "token_order"                       u64 BE: last token order handed out
//  meta             "inbox_count" \0 user               u64 BE: frames in the user's inbox
//  blocks           blocker \0 blocked                  u64 BE: since (seconds); the blocker is a
//                                                       local user, the blocked one any user id
//
// Tables added without a new schema_version (every table is created empty when a data dir
// is opened, and an older chatnode of the same version ignores one it does not know):
// blocks.
//
// Opening a data dir whose schema_version differs from schema_version fails with a message
// that names both versions, except older versions, which are upgraded in place
// (store/upgrade.cpp says how).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace chatnode::store {

inline constexpr std::uint32_t schema_version = 4;

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
  outbox,
  fed_in,
  media_fetches,
  tokens,
  user_tokens,
  blocks,
};

inline constexpr std::array<std::string_view, 20> table_names{
    "meta",     "users",    "friends", "requests_in", "requests_out",     "inbox",        "messages",
    "history",  "groups",   "user_groups", "media",   "media_chunks", "media_deliveries", "user_uploads",
    "outbox",   "fed_in",   "media_fetches", "tokens", "user_tokens", "blocks",
};

}  // namespace chatnode::store
