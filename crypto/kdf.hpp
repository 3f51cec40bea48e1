// Password storage: scrypt (Crypto++) with a per-user random salt, a self-describing
// stored format and constant-time verification.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::crypto {

struct scrypt_params {
  std::uint64_t n = 1u << 15;  // CPU/memory cost (power of two > 1): 32 MiB with r = 8
  std::uint32_t r = 8;
  std::uint32_t p = 1;
  friend bool operator==(const scrypt_params&, const scrypt_params&) = default;
};

// Throws std::invalid_argument when the parameters are not usable (n not a power of two
// greater than 1, r or p zero, or memory 128*n*r above 1 GiB).
void check_params(const scrypt_params& params);

// Raw scrypt (RFC 7914).
std::vector<std::uint8_t> scrypt(std::string_view password, std::span<const std::uint8_t> salt,
                                 const scrypt_params& params, std::size_t length);

// Stored credential, one printable line:
//   scrypt$ln=<log2 n>,r=<r>,p=<p>$<salt, base64>$<hash, base64>
// with a 16-byte random salt and a 32-byte hash.
std::string hash_password(std::string_view password, const scrypt_params& params);

// True when `password` matches `stored`. Recomputes with the parameters stored in `stored`
// (not the current config), compares in constant time; false for a malformed `stored`.
bool verify_password(std::string_view password, std::string_view stored);

// Parameters recorded in a stored credential, or nullopt when it is malformed.
std::optional<scrypt_params> stored_params(std::string_view stored);

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

}  // namespace chatnode::crypto
