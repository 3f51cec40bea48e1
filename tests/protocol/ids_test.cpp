// Syntax and case folding of user names, domains, user ids and group ids (DESIGN §3).
#include "protocol/ids.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatnode::protocol {
namespace {

TEST(Ids, ValidNames) {
  EXPECT_TRUE(is_valid_name("user123"));
  EXPECT_TRUE(is_valid_name("a"));
  EXPECT_TRUE(is_valid_name("a.b_c-d"));
  EXPECT_TRUE(is_valid_name("User123"));  // folds to user123
  EXPECT_TRUE(is_valid_name(std::string(max_name_length, 'x')));
}

TEST(Ids, InvalidNames) {
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name(std::string(max_name_length + 1, 'x')));
  EXPECT_FALSE(is_valid_name("user 1"));
  EXPECT_FALSE(is_valid_name("user@alpha"));
  EXPECT_FALSE(is_valid_name("user+tag"));
  EXPECT_FALSE(is_valid_name("#group"));
  EXPECT_FALSE(is_valid_name("us\xc3\xa9r"));  // non-ASCII
  EXPECT_FALSE(is_valid_name(std::string("us\0er", 5)));
}

TEST(Ids, ValidDomains) {
  EXPECT_TRUE(is_valid_domain("alpha.example"));
  EXPECT_TRUE(is_valid_domain("localhost"));
  EXPECT_TRUE(is_valid_domain("Alpha.EXAMPLE"));
  EXPECT_TRUE(is_valid_domain("a-b.c0.example"));
  EXPECT_TRUE(is_valid_domain("xn--bcher-kva.example"));
  EXPECT_TRUE(is_valid_domain(std::string(63, 'a') + ".example"));
  // 4 labels of 63 + 3 dots = 255 is too long; trim to exactly 253.
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                        std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(longest.size(), max_domain_length);
  EXPECT_TRUE(is_valid_domain(longest));
  EXPECT_FALSE(is_valid_domain(longest + "d"));
}

TEST(Ids, InvalidDomains) {
  EXPECT_FALSE(is_valid_domain(""));
  EXPECT_FALSE(is_valid_domain("."));
  EXPECT_FALSE(is_valid_domain("alpha..example"));
  EXPECT_FALSE(is_valid_domain(".alpha.example"));
  EXPECT_FALSE(is_valid_domain("alpha.example."));
  EXPECT_FALSE(is_valid_domain("-alpha.example"));
  EXPECT_FALSE(is_valid_domain("alpha-.example"));
  EXPECT_FALSE(is_valid_domain("alpha.-example"));
  EXPECT_FALSE(is_valid_domain("al_pha.example"));
  EXPECT_FALSE(is_valid_domain("al pha.example"));
  EXPECT_FALSE(is_valid_domain("alpha@example"));
  EXPECT_FALSE(is_valid_domain(std::string(64, 'a') + ".example"));
}

TEST(Ids, FoldCaseIsAsciiLowerOnly) {
  EXPECT_EQ(fold_case("Alice@Alpha.EXAMPLE"), "alice@alpha.example");
  EXPECT_EQ(fold_case("already-lower_1.2"), "already-lower_1.2");
  EXPECT_EQ(fold_case("\xc3\x89t\xc3\xa9"), "\xc3\x89t\xc3\xa9");  // "Été": bytes untouched
  EXPECT_EQ(fold_case(""), "");
}

TEST(Ids, ParseBareUserIdUsesLocalDomain) {
  const auto id = parse_user_id("Alice", "Alpha.Example");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->name, "alice");
  EXPECT_EQ(id->domain, "alpha.example");
  EXPECT_EQ(id->full(), "alice@alpha.example");
}

TEST(Ids, ParseFullUserIdFoldsCase) {
  const auto id = parse_user_id("Bob.Smith@BETA.example", "alpha.example");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, (user_id{"bob.smith", "beta.example"}));
  EXPECT_EQ(parse_user_id("bob@beta.example", "x"), parse_user_id("BOB@Beta.Example", "y"));
}

TEST(Ids, ParseUserIdRejectsBadSyntax) {
  EXPECT_FALSE(parse_user_id("", "alpha.example"));
  EXPECT_FALSE(parse_user_id("bob@", "alpha.example"));
  EXPECT_FALSE(parse_user_id("@beta.example", "alpha.example"));
  EXPECT_FALSE(parse_user_id("bob@beta@gamma", "alpha.example"));
  EXPECT_FALSE(parse_user_id("bob smith", "alpha.example"));
  EXPECT_FALSE(parse_user_id("bob@beta_example", "alpha.example"));
  EXPECT_FALSE(parse_user_id("#abc@alpha.example", "alpha.example"));
  // A bare name needs a usable local domain to become a full id.
  EXPECT_FALSE(parse_user_id("bob", ""));
}

TEST(Ids, UserIdSyntax) {
  EXPECT_TRUE(is_user_id_syntax("user123"));
  EXPECT_TRUE(is_user_id_syntax("User123"));
  EXPECT_TRUE(is_user_id_syntax("user123@alpha.example"));
  EXPECT_TRUE(is_user_id_syntax("USER123@ALPHA.EXAMPLE"));
  EXPECT_FALSE(is_user_id_syntax(""));
  EXPECT_FALSE(is_user_id_syntax("Group Chat 1"));
  EXPECT_FALSE(is_user_id_syntax("#abc@alpha.example"));
  EXPECT_FALSE(is_user_id_syntax("user@"));
  EXPECT_FALSE(is_user_id_syntax("@alpha.example"));
  EXPECT_FALSE(is_user_id_syntax("a@b@c"));
  EXPECT_FALSE(is_user_id_syntax(std::string(max_name_length + 1, 'u') + "@alpha.example"));
}

TEST(Ids, ParseGroupId) {
  const auto id = parse_group_id("#k3x9q2@alpha.example");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->local, "k3x9q2");
  EXPECT_EQ(id->domain, "alpha.example");
  EXPECT_EQ(id->full(), "#k3x9q2@alpha.example");
  EXPECT_EQ(parse_group_id("#K3X9Q2@Alpha.Example"), id);
  EXPECT_TRUE(parse_group_id("#" + std::string(max_name_length, '7') + "@localhost"));
}

TEST(Ids, InvalidGroupIds) {
  const std::vector<std::string> bad_ids = {
       "", "#", "abc@alpha.example", "#@alpha.example", "#abc", "#abc@", "#ab-c@alpha.example",
        "#ab.c@alpha.example", "#ab_c@alpha.example", "#abc@-alpha.example", "#abc@al pha",
        "##abc@alpha.example", "#abc@alpha@example",
        "#" + std::string(max_name_length + 1, '7') + "@alpha.example"};
  for (const auto& bad : bad_ids) {
    EXPECT_FALSE(parse_group_id(bad)) << bad;
    EXPECT_FALSE(is_group_id_syntax(bad)) << bad;
  }
  EXPECT_TRUE(is_group_id_syntax("#K3X9Q2@Alpha.Example"));
}

}  // namespace
}  // namespace chatnode::protocol
