// Message history (docs/protocol.md §12), what it reads of the store: which of a user's
// messages a MESSAGE_HISTORY_REQUEST asks for, and the next DATA's page of them. The node
// keeps the sync's phase on the connection and sends the pages as the client acks them;
// between pages only the scan below is kept, never messages.
#pragma once

#include "protocol/codec.hpp"
#include "store/tables.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace chatnode::core {

// At most this many messages in one DATA (the seed's page size).
inline constexpr std::size_t history_chunk_messages = 100;
// A DATA also ends once its contents reach this many bytes (100 texts of the largest size
// would make a frame of several MiB); it always holds at least one message.
inline constexpr std::size_t history_chunk_content_bytes = 512 * 1024;
// `limit` must be in 1..history_max_limit.
inline constexpr std::uint32_t history_max_limit = 100000;
inline constexpr std::uint64_t history_no_limit = std::numeric_limits<std::uint64_t>::max();

// Where a history scan stands, and its filters. Ids are message ids in the owner's history
// index; [next_id, last_id] is what is left to scan.
struct history_scan {
  enum class with_kind { anyone, peer, group };

  std::string owner;  // full user id
  with_kind kind = with_kind::anyone;
  std::string with;   // the peer's full user id, or the group id
  std::optional<std::int64_t> after_time;   // exclusive, seconds
  std::optional<std::int64_t> before_time;  // exclusive, seconds
  std::uint64_t next_id = 0;   // the first id not examined yet
  std::uint64_t last_id = std::numeric_limits<std::uint64_t>::max();  // inclusive (fixed at the request)
  std::uint64_t remaining = history_no_limit;
  bool exhausted = false;      // nothing is left after the last DATA

  bool matches(const store::stored_message& m) const;
};

// How a MESSAGE_HISTORY_REQUEST starts: `ok` with the scan set on the first match;
// history_none when nothing matches; invalid_field or ambiguous_group (an ERROR, with
// `message`).
struct history_start {
  protocol::code code = protocol::code::ok;
  std::string message;
};
history_start start_history(const store::txn& t, const std::string& me, const protocol::message_history_request& req,
                            const std::string& domain, history_scan& scan);

// The next DATA's messages (empty: nothing is left); advances the scan. Ids the index names
// but the store cannot read are skipped and added to `unreadable`.
std::vector<protocol::history_item> next_history_page(const store::txn& t, history_scan& scan,
                                                      std::vector<std::uint64_t>& unreadable);

}  // namespace chatnode::core
