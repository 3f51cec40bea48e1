// Field readers shared by the client library and chatnode-client.
#include "client/message_fields.hpp"

#include <limits>

namespace chatnode::client {

namespace {

const boost::json::object empty_object;

}  // namespace

std::string type_of(const boost::json::object& message) { return string_field(message, "type"); }

const boost::json::object& payload_of(const boost::json::object& message) {
  const auto* found = message.if_contains("payload");
  return found != nullptr && found->is_object() ? found->get_object() : empty_object;
}

std::string id_of(const boost::json::object& message) { return string_field(message, "id"); }

std::string string_field(const boost::json::object& object, std::string_view key) {
  const auto* found = object.if_contains(key);
  return found != nullptr && found->is_string() ? std::string(found->get_string()) : std::string{};
}

std::optional<std::int64_t> int_field(const boost::json::object& object, std::string_view key) {
  const auto* found = object.if_contains(key);
  if (found == nullptr) return std::nullopt;
  if (found->is_int64()) return found->get_int64();
  if (found->is_uint64() && found->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(found->get_uint64());
  }
  return std::nullopt;
}

std::optional<std::uint64_t> uint_field(const boost::json::object& object, std::string_view key) {
  const auto* found = object.if_contains(key);
  if (found == nullptr) return std::nullopt;
  if (found->is_uint64()) return found->get_uint64();
  if (found->is_int64() && found->get_int64() >= 0) return static_cast<std::uint64_t>(found->get_int64());
  return std::nullopt;
}

std::optional<std::int64_t> code_of(const boost::json::object& message) {
  return int_field(payload_of(message), "code");
}

std::vector<std::uint32_t> index_list(const boost::json::object& object, std::string_view key) {
  std::vector<std::uint32_t> out;
  const auto* found = object.if_contains(key);
  if (found == nullptr || !found->is_array()) return out;
  for (const auto& item : found->get_array()) {
    std::optional<std::uint64_t> v;
    if (item.is_uint64()) v = item.get_uint64();
    if (item.is_int64() && item.get_int64() >= 0) v = static_cast<std::uint64_t>(item.get_int64());
    if (v && *v <= std::numeric_limits<std::uint32_t>::max()) out.push_back(static_cast<std::uint32_t>(*v));
  }
  return out;
}

}  // namespace chatnode::client
