// Password storage with scrypt (Crypto++). The stored line records its own parameters, so
// raising the configured cost later does not lock out existing users.
#include "crypto/kdf.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <cryptopp/scrypt.h>
#include <openssl/crypto.h>

#include <array>
#include <bit>
#include <charconv>
#include <stdexcept>

namespace chatnode::crypto {

namespace {

constexpr std::size_t salt_length = 16;
constexpr std::size_t hash_length = 32;
constexpr std::uint64_t max_memory = std::uint64_t{1} << 30;  // 128 * n * r, bytes
constexpr unsigned max_log2_n = 30;
constexpr std::string_view scheme = "scrypt$";

// Decimal digits only, no sign, no leading zero (one spelling per value), fits in T.
template <typename T>
std::optional<T> parse_number(std::string_view text) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  for (const char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Consumes `key=` and the number after it up to `stop` (or the end of `text`).
template <typename T>
std::optional<T> take_field(std::string_view& text, std::string_view key, char stop) {
  if (!text.starts_with(key)) return std::nullopt;
  text.remove_prefix(key.size());
  const std::size_t end = stop == '\0' ? text.size() : text.find(stop);
  if (end == std::string_view::npos) return std::nullopt;
  auto value = parse_number<T>(text.substr(0, end));
  text.remove_prefix(end == text.size() ? end : end + 1);
  return value;
}

struct parsed_credential {
  scrypt_params params;
  std::vector<std::uint8_t> salt;
  std::vector<std::uint8_t> hash;
};

std::optional<parsed_credential> parse_credential(std::string_view stored) {
  if (!stored.starts_with(scheme)) return std::nullopt;
  stored.remove_prefix(scheme.size());

  // ln=..,r=..,p=..$salt$hash
  const std::size_t params_end = stored.find('$');
  if (params_end == std::string_view::npos) return std::nullopt;
  std::string_view params_text = stored.substr(0, params_end);
  const auto ln = take_field<unsigned>(params_text, "ln=", ',');
  if (!ln) return std::nullopt;
  const auto r = take_field<std::uint32_t>(params_text, "r=", ',');
  if (!r) return std::nullopt;
  const auto p = take_field<std::uint32_t>(params_text, "p=", '\0');
  if (!p || !params_text.empty()) return std::nullopt;
  if (*ln < 1 || *ln > max_log2_n) return std::nullopt;

  parsed_credential out;
  out.params = scrypt_params{std::uint64_t{1} << *ln, *r, *p};
  try {
    check_params(out.params);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }

  stored.remove_prefix(params_end + 1);
  const std::size_t salt_end = stored.find('$');
  if (salt_end == std::string_view::npos) return std::nullopt;
  auto salt = base64_decode(stored.substr(0, salt_end));
  auto hash = base64_decode(stored.substr(salt_end + 1));
  if (!salt || salt->size() != salt_length || !hash || hash->size() != hash_length) return std::nullopt;
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

}  // namespace

void check_params(const scrypt_params& params) {
  if (params.n < 2 || !std::has_single_bit(params.n))
    throw std::invalid_argument("scrypt: N must be a power of two greater than 1 (got " +
                                std::to_string(params.n) + ")");
  if (params.r == 0) throw std::invalid_argument("scrypt: r must be at least 1");
  if (params.p == 0) throw std::invalid_argument("scrypt: p must be at least 1");
  // RFC 7914 §2: N < 2^(128 * r / 8).
  if (params.r < 4 && static_cast<std::uint32_t>(std::countr_zero(params.n)) >= 16 * params.r)
    throw std::invalid_argument("scrypt: N must be below 2^(16 * r) (N = " + std::to_string(params.n) +
                                ", r = " + std::to_string(params.r) + ")");
  // RFC 7914 §2: p <= (2^32 - 1) * 32 / (128 * r); Crypto++ further wants r * p < 2^30.
  if (std::uint64_t{params.r} * params.p >= (std::uint64_t{1} << 30))
    throw std::invalid_argument("scrypt: r * p must be below 2^30");
  if (params.n > max_memory / 128 / params.r)
    throw std::invalid_argument("scrypt: memory 128 * N * r exceeds 1 GiB (N = " + std::to_string(params.n) +
                                ", r = " + std::to_string(params.r) + ")");
}

std::vector<std::uint8_t> scrypt(std::string_view password, std::span<const std::uint8_t> salt,
                                 const scrypt_params& params, std::size_t length) {
  check_params(params);
  if (length == 0) throw std::invalid_argument("scrypt: output length must be at least 1");
  std::vector<std::uint8_t> out(length);
  // An empty string_view or span may hold a null pointer; give Crypto++ a valid one.
  static constexpr std::uint8_t empty = 0;
  const auto* secret = password.empty() ? &empty : reinterpret_cast<const CryptoPP::byte*>(password.data());
  const auto* salt_data = salt.empty() ? &empty : salt.data();
  CryptoPP::Scrypt kdf;
  kdf.DeriveKey(out.data(), out.size(), secret, password.size(), salt_data, salt.size(), params.n, params.r,
                params.p);
  return out;
}

std::string hash_password(std::string_view password, const scrypt_params& params) {
  check_params(params);
  std::array<std::uint8_t, salt_length> salt{};
  random_bytes(salt);
  const auto hash = scrypt(password, salt, params, hash_length);
  std::string out(scheme);
  out += "ln=" + std::to_string(std::countr_zero(params.n));
  out += ",r=" + std::to_string(params.r);
  out += ",p=" + std::to_string(params.p);
  out += '$' + base64_encode(salt);
  out += '$' + base64_encode(hash);
  return out;
}

bool verify_password(std::string_view password, std::string_view stored) {
  const auto credential = parse_credential(stored);
  if (!credential) return false;
  const auto hash = scrypt(password, credential->salt, credential->params, credential->hash.size());
  return constant_time_equal(hash, credential->hash);
}

std::optional<scrypt_params> stored_params(std::string_view stored) {
  auto credential = parse_credential(stored);
  if (!credential) return std::nullopt;
  return credential->params;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  // The lengths are public (fixed by the format); only the contents are secret.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace chatnode::crypto
