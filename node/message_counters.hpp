// What the node's users send, counted when the node has accepted it (stored, or for a
// friend request recorded): chatnode_messages_total{type="…"} in /metrics.
#pragma once

#include "core/tally.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace chatnode::node {

using core::message_kind;
using core::message_kind_count;
using core::message_tally;
std::string_view label_of(message_kind kind) noexcept;

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
