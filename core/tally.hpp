// What a rule accepted from users, counted once its transaction committed: the node adds
// a tally to chatnode_messages_total{type="…"} (node/message_counters.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace chatnode::core {

enum class message_kind : std::uint8_t {
  text,            // TEXT_MESSAGE to a friend
  group_text,      // TEXT_MESSAGE to a group
  media_chunk,     // MEDIA_MESSAGE_DATA stored (a chunk sent again is not counted again)
  friend_request,  // FRIEND_REQUEST recorded, or accepted at once when the two asked each other
};
inline constexpr std::size_t message_kind_count = 4;

// Counts for one writer job (a job may run again after the map grows, so it counts into its
// own tally, which is added to the totals once the job committed).
struct message_tally {
  std::array<std::uint32_t, message_kind_count> counts{};
  void add(message_kind kind) noexcept { ++counts[static_cast<std::size_t>(kind)]; }
  std::uint32_t get(message_kind kind) const noexcept { return counts[static_cast<std::size_t>(kind)]; }
  void clear() noexcept { counts.fill(0); }
};

}  // namespace chatnode::core
