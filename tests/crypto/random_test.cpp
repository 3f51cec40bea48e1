// Random bytes and base32 ids: lengths, alphabet, no repeats.
#include "crypto/random.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace chatnode::crypto {
namespace {

TEST(Random, BytesFillAndDiffer) {
  std::array<std::uint8_t, 32> a{};
  std::array<std::uint8_t, 32> b{};
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);
  EXPECT_NE(a, (std::array<std::uint8_t, 32>{}));
  random_bytes(std::span<std::uint8_t>{});  // empty is fine
}

TEST(Random, IdLengthAndAlphabet) {
  EXPECT_EQ(random_id().size(), 26u);
  EXPECT_EQ(random_id(5).size(), 8u);
  EXPECT_EQ(random_id(1).size(), 2u);
  EXPECT_EQ(random_id(10).size(), 16u);
  EXPECT_EQ(random_id(0), "");
  for (int i = 0; i < 100; ++i) {
    const std::string id = random_id();
    EXPECT_EQ(id.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos) << id;
  }
}

TEST(Random, IdsAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(random_id()).second);
}

TEST(Random, IdUsesWholeAlphabet) {
  std::set<char> chars;
  for (int i = 0; i < 200; ++i)
    for (const char c : random_id()) chars.insert(c);
  EXPECT_EQ(chars.size(), 32u);
}

}  // namespace
}  // namespace chatnode::crypto
