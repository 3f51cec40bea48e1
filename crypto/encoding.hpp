// Hex and base64 (RFC 4648, with padding) encodings, and SHA-256.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::crypto {

std::string to_hex(std::span<const std::uint8_t> bytes);
std::string base64_encode(std::span<const std::uint8_t> bytes);
// Strict: standard alphabet, padding required, no whitespace; nullopt on any bad input.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// Incremental SHA-256 (for media streams and fingerprints).
class sha256 {
 public:
  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;
  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view bytes);
  std::array<std::uint8_t, 32> finish();
 private:
  struct impl;
  impl* impl_;
};

std::array<std::uint8_t, 32> sha256_digest(std::span<const std::uint8_t> bytes);

}  // namespace chatnode::crypto
