// Big-endian fixed-width integer keys, so cursor order is numeric order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chatnode::store {

inline void append_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
inline void append_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
inline std::string be64(std::uint64_t v) { std::string s; s.reserve(8); append_be64(s, v); return s; }
inline std::string be32(std::uint32_t v) { std::string s; s.reserve(4); append_be32(s, v); return s; }

// Reads a big-endian integer at `offset`; the caller checks the length.
inline std::uint64_t read_be64(std::string_view s, std::size_t offset = 0) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[offset + i]);
  return v;
}
inline std::uint32_t read_be32(std::string_view s, std::size_t offset = 0) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[offset + i]);
  return v;
}

}  // namespace chatnode::store
