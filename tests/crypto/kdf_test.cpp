// scrypt against RFC 7914 §12, and the stored-credential format around it.
#include "crypto/kdf.hpp"

#include "crypto/encoding.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace chatnode::crypto {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

const scrypt_params cheap{1024, 8, 1};

struct rfc_vector {
  std::string_view password;
  std::string_view salt;
  scrypt_params params;
  std::string_view hex;
};

// RFC 7914 §12. The fourth vector (N = 2^20, r = 8) needs 1 GiB and several seconds, too much
// for a unit test run next to other builds; the first three exercise the same code paths.
const rfc_vector rfc_vectors[] = {
    {"", "", {16, 1, 1},
     "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
     "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"},
    {"password", "NaCl", {1024, 8, 16},
     "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
     "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
    {"pleaseletmein", "SodiumChloride", {16384, 8, 1},
     "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
     "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"},
};

TEST(Scrypt, Rfc7914Vectors) {
  for (const auto& v : rfc_vectors) {
    SCOPED_TRACE(v.password);
    EXPECT_EQ(to_hex(scrypt(v.password, bytes_of(v.salt), v.params, 64)), v.hex);
  }
}

TEST(Scrypt, CheckParams) {
  EXPECT_NO_THROW(check_params({}));
  EXPECT_NO_THROW(check_params(cheap));
  EXPECT_NO_THROW(check_params({1u << 20, 8, 1}));           // exactly 1 GiB
  EXPECT_THROW(check_params({1u << 21, 8, 1}), std::invalid_argument);  // 2 GiB
  EXPECT_THROW(check_params({0, 8, 1}), std::invalid_argument);
  EXPECT_THROW(check_params({1, 8, 1}), std::invalid_argument);
  EXPECT_THROW(check_params({1000, 8, 1}), std::invalid_argument);
  EXPECT_THROW(check_params({1024, 0, 1}), std::invalid_argument);
  EXPECT_THROW(check_params({1024, 8, 0}), std::invalid_argument);
  EXPECT_THROW(check_params({1u << 16, 1, 1}), std::invalid_argument);  // N must be < 2^(16 r)
  EXPECT_THROW(check_params({1024, 1u << 15, 1u << 15}), std::invalid_argument);
  try {
    check_params({1000, 8, 1});
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("power of two"), std::string::npos) << e.what();
  }
}

TEST(Password, RoundTrip) {
  const std::string stored = hash_password("correct horse", cheap);
  EXPECT_TRUE(verify_password("correct horse", stored));
  EXPECT_FALSE(verify_password("correct horse ", stored));
  EXPECT_FALSE(verify_password("Correct horse", stored));
  EXPECT_FALSE(verify_password("", stored));
}

TEST(Password, EmptyPassword) {
  const std::string stored = hash_password("", cheap);
  EXPECT_TRUE(verify_password("", stored));
  EXPECT_FALSE(verify_password("x", stored));
}

// Matches scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}= by hand: GCC 12's
// std::regex trips -Wmaybe-uninitialized under the sanitizer presets.
bool matches_stored_format(std::string_view s) {
  const auto b64_run = [&s](std::size_t count) {
    if (s.size() < count) return false;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = s[i];
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
        return false;
    }
    s.remove_prefix(count);
    return true;
  };
  const auto literal = [&s](std::string_view text) {
    if (!s.starts_with(text)) return false;
    s.remove_prefix(text.size());
    return true;
  };
  return literal("scrypt$ln=10,r=8,p=1$") && b64_run(22) && literal("==$") && b64_run(43) && literal("=") &&
         s.empty();
}

TEST(Password, StoredFormat) {
  const std::string stored = hash_password("pw", cheap);
  EXPECT_TRUE(matches_stored_format(stored)) << stored;
  EXPECT_FALSE(matches_stored_format(stored + "x"));
  EXPECT_FALSE(matches_stored_format("scrypt$ln=10,r=8,p=1$" + std::string(24, '=') + "$" + std::string(44, 'A')));
}

TEST(Password, SaltMakesHashesDiffer) {
  const std::string a = hash_password("same", cheap);
  const std::string b = hash_password("same", cheap);
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password("same", a));
  EXPECT_TRUE(verify_password("same", b));
}

TEST(Password, StoredParams) {
  const std::string stored = hash_password("pw", {2048, 4, 2});
  const auto params = stored_params(stored);
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ(*params, (scrypt_params{2048, 4, 2}));
  EXPECT_TRUE(verify_password("pw", stored));  // uses the stored params, not the defaults
  EXPECT_FALSE(stored_params("scrypt$ln=10,r=8,p=1$AAAA$AAAA").has_value());
}

// Flips one bit inside the base64 field `field` (2 = salt, 3 = hash) of a stored line.
std::string tamper(const std::string& stored, int field) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t pos; (pos = stored.find('$', start)) != std::string::npos; start = pos + 1)
    parts.push_back(stored.substr(start, pos - start));
  parts.push_back(stored.substr(start));
  auto raw = base64_decode(parts.at(static_cast<std::size_t>(field)));
  EXPECT_TRUE(raw.has_value());
  raw->at(3) ^= 0x01;
  parts[static_cast<std::size_t>(field)] = base64_encode(*raw);
  return parts[0] + '$' + parts[1] + '$' + parts[2] + '$' + parts[3];
}

TEST(Password, TamperedFails) {
  const std::string stored = hash_password("pw", cheap);
  const std::string bad_salt = tamper(stored, 2);
  const std::string bad_hash = tamper(stored, 3);
  ASSERT_NE(bad_salt, stored);
  ASSERT_NE(bad_hash, stored);
  EXPECT_TRUE(stored_params(bad_salt).has_value());  // still well-formed
  EXPECT_FALSE(verify_password("pw", bad_salt));
  EXPECT_FALSE(verify_password("pw", bad_hash));
  // Same salt and hash under other parameters no longer match.
  std::string other = stored;
  other.replace(other.find("r=8"), 3, "r=4");
  EXPECT_FALSE(verify_password("pw", other));
}

TEST(Password, MalformedIsFalse) {
  const std::string stored = hash_password("pw", cheap);
  const std::string tail = stored.substr(stored.find("$", 7));  // "$salt$hash"
  const std::string salt = tail.substr(1, tail.find('$', 1) - 1);
  const std::string hash = tail.substr(tail.find('$', 1) + 1);
  const std::string short_b64 = base64_encode(std::vector<std::uint8_t>(8, 1));
  const std::vector<std::string> bad = {
      "",
      "garbage",
      "scrypt$",
      "scrypt$ln=10,r=8,p=1",
      "scrypt$ln=10,r=8,p=1$" + salt,
      "scrypt$ln=10,r=8,p=1$" + salt + "$",
      "scrypt$ln=10,r=8,p=1$$" + hash,
      "SCRYPT$ln=10,r=8,p=1" + tail,
      "bcrypt$ln=10,r=8,p=1" + tail,
      "scrypt$ln=10,r=8" + tail,
      "scrypt$ln=10,r=8,p=1,x=1" + tail,
      "scrypt$r=8,ln=10,p=1" + tail,
      "scrypt$ln=0,r=8,p=1" + tail,
      "scrypt$ln=31,r=8,p=1" + tail,
      "scrypt$ln=64,r=8,p=1" + tail,
      "scrypt$ln=99999999999,r=8,p=1" + tail,
      "scrypt$ln=-1,r=8,p=1" + tail,
      "scrypt$ln=+10,r=8,p=1" + tail,
      "scrypt$ln=010,r=8,p=1" + tail,
      "scrypt$ln= 10,r=8,p=1" + tail,
      "scrypt$ln=10,r=0,p=1" + tail,
      "scrypt$ln=10,r=8,p=0" + tail,
      "scrypt$ln=,r=8,p=1" + tail,
      "scrypt$ln=10,r=8,p=1x" + tail,
      "scrypt$ln=24,r=8,p=1" + tail,  // 128 * 2^24 * 8 = 16 GiB
      "scrypt$ln=20,r=1,p=1" + tail,  // N >= 2^(16 r)
      "scrypt$ln=10,r=8,p=1$" + short_b64 + "$" + hash,
      "scrypt$ln=10,r=8,p=1$" + salt + "$" + short_b64,
      "scrypt$ln=10,r=8,p=1$" + salt + "$" + hash + "$",
      "scrypt$ln=10,r=8,p=1$" + salt + "$" + hash + "\n",
      "scrypt$ln=10,r=8,p=1$" + salt + "$ " + hash,
      "scrypt$ln=10,r=8,p=1$" + salt + "$" + hash.substr(0, hash.size() - 1),
      " " + stored,
  };
  EXPECT_TRUE(verify_password("pw", stored));
  for (const auto& s : bad) {
    EXPECT_FALSE(verify_password("pw", s)) << s;
    EXPECT_FALSE(stored_params(s).has_value()) << s;
  }
}

TEST(ConstantTimeEqual, Basics) {
  const std::vector<std::uint8_t> a{1, 2, 3, 4};
  const std::vector<std::uint8_t> b{1, 2, 3, 4};
  const std::vector<std::uint8_t> c{1, 2, 3, 5};
  const std::vector<std::uint8_t> d{1, 2, 3};
  const std::vector<std::uint8_t> none;
  EXPECT_TRUE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, c));
  EXPECT_FALSE(constant_time_equal(a, d));
  EXPECT_FALSE(constant_time_equal(d, a));
  EXPECT_TRUE(constant_time_equal(none, none));
  EXPECT_FALSE(constant_time_equal(none, a));
}

}  // namespace
}  // namespace chatnode::crypto
