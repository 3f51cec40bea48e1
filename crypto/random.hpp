// Random bytes and ids from the operating system's CSPRNG (OpenSSL RAND_bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace chatnode::crypto {

void random_bytes(std::span<std::uint8_t> out);  // throws std::runtime_error on RNG failure

// `bytes` random bytes as lower-case base32 (RFC 4648 alphabet, lower case, no padding):
// 16 bytes → 26 characters of [a-z2-7]. Used for group ids and media ids.
std::string random_id(std::size_t bytes = 16);

}  // namespace chatnode::crypto
