// Wire names of message types, both ways. Lookup by name is a binary search in a table
// sorted at compile time, so decoding a frame never builds a map.
#include "protocol/message_type.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace chatnode::protocol {
namespace {

constexpr std::array wire_names{
#define CHATNODE_X(e, s) std::string_view{s},
    CHATNODE_MESSAGE_TYPES(CHATNODE_X)
#undef CHATNODE_X
};

using name_entry = std::pair<std::string_view, message_type>;

constexpr auto sorted_names = [] {
  std::array<name_entry, wire_names.size()> table{};
  for (std::size_t i = 0; i < wire_names.size(); ++i) {
    table[i] = {wire_names[i], static_cast<message_type>(i)};
  }
  std::sort(table.begin(), table.end(),
            [](const name_entry& a, const name_entry& b) { return a.first < b.first; });
  return table;
}();

constexpr bool names_are_unique() {
  for (std::size_t i = 1; i < sorted_names.size(); ++i) {
    if (sorted_names[i - 1].first == sorted_names[i].first) return false;
  }
  return true;
}
static_assert(names_are_unique(), "two message types share a wire name");

}  // namespace

std::string_view to_string(message_type t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < wire_names.size() ? wire_names[i] : std::string_view{};
}

std::optional<message_type> message_type_from_string(std::string_view s) noexcept {
  const auto it = std::lower_bound(
      sorted_names.begin(), sorted_names.end(), s,
      [](const name_entry& entry, std::string_view key) { return entry.first < key; });
  if (it == sorted_names.end() || it->first != s) return std::nullopt;
  return it->second;
}

}  // namespace chatnode::protocol
