// What the node's users send, counted when the node has accepted it (stored, or for a
// friend request recorded): chatnode_messages_total{type="…"} in /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace chatnode::node {

enum class message_kind : std::uint8_t {
  text,            // TEXT_MESSAGE to a friend
  group_text,      // TEXT_MESSAGE to a group
  media_chunk,     // MEDIA_MESSAGE_DATA stored (a chunk sent again is not counted again)
  friend_request,  // FRIEND_REQUEST recorded, or accepted at once when the two asked each other
};
inline constexpr std::size_t message_kind_count = 4;
std::string_view label_of(message_kind kind) noexcept;

// Counts for one writer job (a job may run again after the map grows, so it counts into its
// own tally, which is added to the totals once the job committed).
struct message_tally {
  std::array<std::uint32_t, message_kind_count> counts{};
  void add(message_kind kind) noexcept { ++counts[static_cast<std::size_t>(kind)]; }
  void clear() noexcept { counts.fill(0); }
};

class message_counters {
 public:
  void add(message_kind kind, std::uint64_t n = 1) noexcept {
    totals_[static_cast<std::size_t>(kind)].fetch_add(n, std::memory_order_relaxed);
  }
  void add(const message_tally& tally) noexcept;
  std::uint64_t get(message_kind kind) const noexcept {
    return totals_[static_cast<std::size_t>(kind)].load(std::memory_order_relaxed);
  }
  // Every type, zeros included, so a rate() sees the series from the start.
  void write(std::ostream& out) const;

 private:
  std::array<std::atomic<std::uint64_t>, message_kind_count> totals_{};
};

}  // namespace chatnode::node
