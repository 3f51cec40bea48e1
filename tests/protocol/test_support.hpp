// Helpers shared by the protocol tests: readable failure output for messages and decode
// results, and a checked "this decodes to a T" step.
#pragma once

#include "protocol/codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string_view>
#include <type_traits>
#include <variant>

namespace chatnode::protocol {

// GoogleTest finds these by ADL; without them a mismatch prints raw bytes.
inline void PrintTo(const envelope& e, std::ostream* os) { *os << encode(e); }

template <class T>
  requires std::is_constructible_v<payload, T>
void PrintTo(const T& m, std::ostream* os) {
  *os << encode(envelope{payload{m}, 0, std::nullopt});
}

inline void PrintTo(const decode_error& e, std::ostream* os) {
  *os << "decode_error{" << to_int(e.error) << ", \"" << e.message << "\", in_reply_to="
      << e.in_reply_to.value_or("<none>") << ", id=" << e.id.value_or("<none>") << "}";
}

inline void PrintTo(const decode_result& r, std::ostream* os) {
  std::visit([os](const auto& x) { PrintTo(x, os); }, r);
}

}  // namespace chatnode::protocol

namespace chatnode::protocol::test {

// The envelope decoded from text, or a test failure and nullopt.
inline std::optional<envelope> decode_ok(std::string_view text, const decode_limits& limits = {}) {
  auto result = decode(text, limits);
  if (auto* e = std::get_if<envelope>(&result)) return std::move(*e);
  ADD_FAILURE() << "expected a message, got " << testing::PrintToString(result) << "\nfrom "
                << text;
  return std::nullopt;
}

// The decode_error from text, or a test failure and a default decode_error with code 0.
inline decode_error decode_fails(std::string_view text, const decode_limits& limits = {}) {
  auto result = decode(text, limits);
  if (auto* e = std::get_if<decode_error>(&result)) return std::move(*e);
  ADD_FAILURE() << "expected a decode error, got " << testing::PrintToString(result)
                << "\nfrom " << text;
  decode_error none;
  none.error = code::ok;
  return none;
}

// The T decoded from text with the given timestamp, or a test failure and T{}.
template <class T>
T decode_as(std::string_view text, std::int64_t timestamp) {
  const auto e = decode_ok(text);
  if (!e) return T{};
  EXPECT_EQ(e->timestamp, timestamp);
  EXPECT_FALSE(e->id.has_value());
  if (const T* m = std::get_if<T>(&e->body)) return *m;
  ADD_FAILURE() << "decoded as " << to_string(type_of(e->body));
  return T{};
}

}  // namespace chatnode::protocol::test
