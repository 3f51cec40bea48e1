// Message counters and their /metrics family.
#include "message_counters.hpp"

namespace chatnode::node {

std::string_view label_of(message_kind kind) noexcept {
  switch (kind) {
    case message_kind::text: return "text";
    case message_kind::group_text: return "group_text";
    case message_kind::media_chunk: return "media_chunk";
    case message_kind::friend_request: return "friend_request";
  }
  return "unknown";
}

void message_counters::add(const message_tally& tally) noexcept {
  for (std::size_t i = 0; i < message_kind_count; ++i)
    if (tally.counts[i] != 0) totals_[i].fetch_add(tally.counts[i], std::memory_order_relaxed);
}

void message_counters::write(std::ostream& out) const {
  out << "# HELP chatnode_messages_total Messages the node accepted from its users (and users of other nodes "
         "acting here), by type.\n"
         "# TYPE chatnode_messages_total counter\n";
  for (std::size_t i = 0; i < message_kind_count; ++i)
    out << "chatnode_messages_total{type=\"" << label_of(static_cast<message_kind>(i)) << "\"} "
        << totals_[i].load(std::memory_order_relaxed) << '\n';
}

}  // namespace chatnode::node
