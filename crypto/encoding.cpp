// Hex, base64 (RFC 4648) and SHA-256. Base64 decoding sits on the media path (64 KiB
// chunks), so it is table-driven and decodes four characters per step.
#include "crypto/encoding.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace chatnode::crypto {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";
constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t b64_invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_b64_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = b64_invalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(b64_alphabet[i])] = i;
  return table;
}
constexpr std::array<std::uint8_t, 256> b64_table = make_b64_table();

std::uint8_t b64_value(char c) { return b64_table[static_cast<unsigned char>(c)]; }

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = hex_digits[bytes[i] >> 4];
    out[2 * i + 1] = hex_digits[bytes[i] & 0x0f];
  }
  return out;
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '\0');
  std::size_t i = 0;
  std::size_t o = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out[o++] = b64_alphabet[(v >> 18) & 0x3f];
    out[o++] = b64_alphabet[(v >> 12) & 0x3f];
    out[o++] = b64_alphabet[(v >> 6) & 0x3f];
    out[o++] = b64_alphabet[v & 0x3f];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) v |= std::uint32_t{bytes[i + 1]} << 8;
    out[o++] = b64_alphabet[(v >> 18) & 0x3f];
    out[o++] = b64_alphabet[(v >> 12) & 0x3f];
    out[o++] = rest == 2 ? b64_alphabet[(v >> 6) & 0x3f] : '=';
    out[o++] = '=';
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  if (text.empty()) return out;

  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(text.size() / 4 * 3 - padding);

  // Full quads, except the last one, which may carry padding.
  const std::size_t full = text.size() - 4;
  std::size_t o = 0;
  for (std::size_t i = 0; i < full; i += 4) {
    const std::uint32_t a = b64_value(text[i]);
    const std::uint32_t b = b64_value(text[i + 1]);
    const std::uint32_t c = b64_value(text[i + 2]);
    const std::uint32_t d = b64_value(text[i + 3]);
    // Any invalid character (including '=' before the end) sets a bit above the low 6.
    if ((a | b | c | d) & 0x80) return std::nullopt;
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    out[o++] = static_cast<std::uint8_t>(v >> 8);
    out[o++] = static_cast<std::uint8_t>(v);
  }

  const std::string_view last = text.substr(full);
  const std::uint32_t a = b64_value(last[0]);
  const std::uint32_t b = b64_value(last[1]);
  const std::uint32_t c = padding == 2 ? 0 : b64_value(last[2]);
  const std::uint32_t d = padding >= 1 ? 0 : b64_value(last[3]);
  if ((a | b | c | d) & 0x80) return std::nullopt;
  const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
  // Canonical form only: the bits that padding leaves over must be zero.
  if (padding == 2 && (v & 0xffff) != 0) return std::nullopt;
  if (padding == 1 && (v & 0xff) != 0) return std::nullopt;
  out[o++] = static_cast<std::uint8_t>(v >> 16);
  if (padding < 2) out[o++] = static_cast<std::uint8_t>(v >> 8);
  if (padding < 1) out[o++] = static_cast<std::uint8_t>(v);
  return out;
}

struct sha256::impl {
  EVP_MD_CTX* ctx = nullptr;
};

namespace {

void sha256_init(EVP_MD_CTX* ctx) {
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) throw std::runtime_error("sha256: EVP_DigestInit_ex failed");
}

}  // namespace

sha256::sha256() : impl_(new impl) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr) {
    delete impl_;
    throw std::bad_alloc();
  }
  try {
    sha256_init(impl_->ctx);
  } catch (...) {
    EVP_MD_CTX_free(impl_->ctx);
    delete impl_;
    throw;
  }
}

sha256::~sha256() {
  EVP_MD_CTX_free(impl_->ctx);
  delete impl_;
}

void sha256::update(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) != 1)
    throw std::runtime_error("sha256: EVP_DigestUpdate failed");
}

void sha256::update(std::string_view bytes) {
  update(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

// Returns the digest and starts over, so one object can hash several streams in turn.
std::array<std::uint8_t, 32> sha256::finish() {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, digest.data(), &length) != 1 || length != digest.size())
    throw std::runtime_error("sha256: EVP_DigestFinal_ex failed");
  sha256_init(impl_->ctx);
  return digest;
}

std::array<std::uint8_t, 32> sha256_digest(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size())
    throw std::runtime_error("sha256: EVP_Digest failed");
  return digest;
}

}  // namespace chatnode::crypto
