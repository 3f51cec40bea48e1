// passwordHash derivation (docs/protocol.md §5) against the published vector
// docs/vectors/crypto/password_hash.json, which the web client checks too.
#include "client/password_hash.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace chatnode::client {
namespace {

boost::json::object load_vector() {
  std::ifstream in(std::string(CHATNODE_VECTOR_DIR) + "/crypto/password_hash.json", std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return boost::json::parse(text).as_object();
}

TEST(PasswordHash, MatchesEveryCaseOfThePublishedVector) {
  const auto vector = load_vector();
  const auto& cases = vector.at("cases").as_array();
  ASSERT_GE(cases.size(), 5U);
  for (const auto& item : cases) {
    const auto& c = item.as_object();
    const std::string username(c.at("username").as_string());
    const std::string password(c.at("password").as_string());
    EXPECT_EQ(password_hash_name(username), std::string(c.at("name").as_string())) << username;
    EXPECT_EQ(password_hash(username, password), std::string(c.at("passwordHash").as_string()))
        << username << " / " << password;
  }
}

TEST(PasswordHash, NameFoldsCaseAndDropsTheDomain) {
  EXPECT_EQ(password_hash_name("Alice@Alpha.Example"), "alice");
  EXPECT_EQ(password_hash("ALICE", "pw"), password_hash("alice@elsewhere.example", "pw"));
  EXPECT_NE(password_hash("alice", "pw"), password_hash("alice", "Pw"));  // the password is not folded
  EXPECT_EQ(password_hash("bob", "x").size(), 64U);
}

}  // namespace
}  // namespace chatnode::client
