// Hex, base64 (RFC 4648 §10 vectors and strictness) and SHA-256 (FIPS 180-2 vectors).
#include "crypto/encoding.hpp"

#include "crypto/random.hpp"

#include <gtest/gtest.h>

namespace chatnode::crypto {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Hex, LowerCase) {
  EXPECT_EQ(to_hex(std::vector<std::uint8_t>{}), "");
  EXPECT_EQ(to_hex(std::vector<std::uint8_t>{0x00, 0x01, 0xab, 0xff, 0x10}), "0001abff10");
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(bytes_of(plain)), encoded);
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, bytes_of(plain));
  }
}

TEST(Base64, AllByteValuesRoundTrip) {
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  const std::string encoded = base64_encode(all);
  EXPECT_NE(encoded.find('+'), std::string::npos);
  EXPECT_NE(encoded.find('/'), std::string::npos);
  EXPECT_EQ(base64_decode(encoded), all);
}

TEST(Base64, LargeRandomRoundTrip) {
  for (const std::size_t size : {65536u, 65535u, 65534u, 1u, 2u, 3u}) {
    std::vector<std::uint8_t> data(size);
    random_bytes(data);
    EXPECT_EQ(base64_decode(base64_encode(data)), data) << size;
  }
}

TEST(Base64, RejectsBadInput) {
  const std::string_view bad[] = {
      "Zg",        "Zg=",      "Zm9",      "Zm9vY",    // length not a multiple of 4
      "Zg==Zg==",  "Zm8=Zm9v",                         // padding in the middle
      "====",      "Z===",     "=Zg=",     "Zm=v",     // misplaced padding
      "Zm9v\n",    "Zm9v YmFy", " Zm9v",   "Zm\r\n9v", // whitespace
      "Zm9-",      "Zm9_",     "Zm9.",     "Zm9\x80",  // outside the standard alphabet
      std::string_view("Zm\0v", 4),
      "Zh==",      "Zm9=",                             // non-zero padding bits
  };
  for (const auto s : bad) EXPECT_FALSE(base64_decode(s).has_value()) << s;
}

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(to_hex(sha256_digest(bytes_of("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256_digest(std::vector<std::uint8_t>{})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256_digest(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::vector<std::uint8_t> data(200000);
  random_bytes(data);
  sha256 h;
  std::size_t offset = 0;
  for (std::size_t step = 1; offset < data.size(); step = step * 3 + 1) {
    const std::size_t n = std::min(step, data.size() - offset);
    h.update(std::span(data).subspan(offset, n));
    offset += n;
  }
  EXPECT_EQ(h.finish(), sha256_digest(data));

  // finish() starts over, so the object can be reused.
  h.update(std::string_view("ab"));
  h.update(std::string_view(""));
  h.update(std::string_view("c"));
  EXPECT_EQ(to_hex(h.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(h.finish()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace chatnode::crypto
