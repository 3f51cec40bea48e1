// Random bytes and ids from OpenSSL's CSPRNG (seeded from the operating system).
#include "crypto/random.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace chatnode::crypto {

void random_bytes(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int length; feed it in bounded pieces.
  constexpr std::size_t max_chunk = 1u << 20;
  while (!out.empty()) {
    const std::size_t n = std::min(out.size(), max_chunk);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      throw std::runtime_error(std::string("random_bytes: RAND_bytes failed: ") + buf);
    }
    out = out.subspan(n);
  }
}

std::string random_id(std::size_t bytes) {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::vector<std::uint8_t> raw(bytes);
  random_bytes(raw);

  std::string out;
  out.reserve((bytes * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const std::uint8_t b : raw) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(alphabet[(buffer >> bits) & 0x1f]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

}  // namespace chatnode::crypto
