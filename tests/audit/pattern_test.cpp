// The runner's placeholder substitution and matching (docs/vectors/README.md §3, §4): a
// runner that matched too loosely would pass anything, so the refusals are tested too.
#include "audit/pattern.hpp"
#include "audit/runner.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace chatnode::audit {
namespace {

namespace json = boost::json;

bindings sample() {
  bindings b;
  b.run = "r1";
  b.node_domains = {{"n1", "alpha.example"}, {"n2", "beta.example"}};
  b.users["alice"] = {"alice-r1", "alpha.example", "pw-r1-alice"};
  b.now = 1700000000;
  return b;
}

std::optional<std::string> m(const char* pattern, const char* actual, bindings& b) {
  return match(json::parse(pattern), json::parse(actual), b);
}

TEST(audit_pattern, Placeholders) {
  auto b = sample();
  EXPECT_EQ(substitute("{alice}", b), "alice-r1@alpha.example");
  EXPECT_EQ(substitute("to {alice.name} at {@n2} ({run})", b), "to alice-r1 at beta.example (r1)");
  EXPECT_EQ(substitute("{alice.password}|{alice.domain}", b), "pw-r1-alice|alpha.example");
  EXPECT_EQ(substitute("{repeat:3:ab}", b), "ababab");
  EXPECT_EQ(substitute("{{literal}", b), "{literal}");
  b.vars["gid"] = "#k3@alpha.example";
  b.vars["n"] = 42;
  EXPECT_EQ(substitute("{$gid}/{$n}", b), "#k3@alpha.example/42");
  EXPECT_EQ(substitute_value(json::value("{$n}"), b), json::value(42));  // a whole-string capture keeps its type
  EXPECT_THROW(substitute("{bob}", b), vector_error);
  EXPECT_THROW(substitute("{$nothing}", b), vector_error);
  EXPECT_THROW(substitute("{@n9}", b), vector_error);
  // Braces that are not placeholders stay as they are: JSON, regex quantifiers.
  EXPECT_EQ(substitute(R"({"a":{"b":"{alice.name}"}})", b), R"({"a":{"b":"alice-r1"}})");
  EXPECT_EQ(substitute("^[a-z]{1,64}$ {alice", b), "^[a-z]{1,64}$ {alice");
}

TEST(audit_pattern, ObjectsAreSubsetsArraysAreExact) {
  auto b = sample();
  EXPECT_FALSE(m(R"({"a":1})", R"({"a":1,"b":2})", b));
  EXPECT_TRUE(m(R"({"a":1,"c":3})", R"({"a":1,"b":2})", b));
  EXPECT_TRUE(m(R"({"a":1})", R"({"a":2})", b));
  EXPECT_TRUE(m(R"({"a":"1"})", R"({"a":1})", b));
  EXPECT_FALSE(m(R"([1,2])", R"([1,2])", b));
  EXPECT_TRUE(m(R"([1,2])", R"([2,1])", b));
  EXPECT_TRUE(m(R"([1])", R"([1,2])", b));
  EXPECT_FALSE(m(R"({"u":"{alice}"})", R"({"u":"alice-r1@alpha.example"})", b));
  EXPECT_TRUE(m(R"({"u":"{alice}"})", R"({"u":"alice-r2@alpha.example"})", b));
  const auto diff = m(R"({"payload":{"code":0}})", R"({"payload":{"code":3001}})", b);
  ASSERT_TRUE(diff);
  EXPECT_EQ(*diff, "payload.code: expected 0, got 3001");
}

TEST(audit_pattern, Matchers) {
  auto b = sample();
  EXPECT_FALSE(m(R"({"a":{"$any":true}})", R"({"a":null})", b));
  EXPECT_TRUE(m(R"({"a":{"$any":true}})", R"({})", b));
  EXPECT_FALSE(m(R"({"a":{"$absent":true}})", R"({"b":1})", b));
  EXPECT_TRUE(m(R"({"a":{"$absent":true}})", R"({"a":1})", b));
  EXPECT_FALSE(m(R"({"$type":"integer"})", "5", b));
  EXPECT_TRUE(m(R"({"$type":"integer"})", R"("5")", b));
  EXPECT_FALSE(m(R"({"$regex":"^[0-9]+$"})", R"("1042")", b));
  EXPECT_TRUE(m(R"({"$regex":"^[0-9]+$"})", R"("10a")", b));
  EXPECT_FALSE(m(R"({"$near_now":60})", "1700000030", b));
  EXPECT_TRUE(m(R"({"$near_now":60})", "1699990000", b));
  EXPECT_FALSE(m(R"({"$length":2})", "[1,2]", b));
  EXPECT_TRUE(m(R"({"$length":2})", "[1]", b));
  EXPECT_FALSE(m(R"({"$unordered":[2,1]})", "[1,2]", b));
  EXPECT_TRUE(m(R"({"$unordered":[1,1]})", "[1,2]", b));
  EXPECT_THROW(m(R"({"$bogus":1})", "1", b), vector_error);
}

TEST(audit_pattern, CapturesBindOnceAndCompareAfter) {
  auto b = sample();
  EXPECT_FALSE(m(R"({"id":{"$type":"string","$capture":"mid"}})", R"({"id":"17"})", b));
  EXPECT_EQ(b.vars.at("mid"), json::value("17"));
  EXPECT_FALSE(m(R"({"id":{"$capture":"mid"}})", R"({"id":"17"})", b));
  EXPECT_TRUE(m(R"({"id":{"$capture":"mid"}})", R"({"id":"18"})", b));
  EXPECT_FALSE(m(R"({"id":"{$mid}"})", R"({"id":"17"})", b));
  EXPECT_FALSE(m(R"({"id":{"$gt":"{$mid}"}})", R"({"id":"100"})", b));  // numeric, not lexicographic
  EXPECT_TRUE(m(R"({"id":{"$gt":"{$mid}"}})", R"({"id":"17"})", b));
  EXPECT_TRUE(m(R"({"id":{"$gt":"{$mid}"}})", R"({"id":"9"})", b));
}

TEST(audit_pattern, Targets) {
  const auto t = parse_target("alpha.example=127.0.0.1:7443");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->domain, "alpha.example");
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 7443);
  EXPECT_FALSE(parse_target("127.0.0.1:7443"));
  EXPECT_FALSE(parse_target("alpha.example=127.0.0.1"));
  EXPECT_FALSE(parse_target("alpha.example=127.0.0.1:0"));
  EXPECT_FALSE(parse_target("alpha.example=127.0.0.1:70000"));
  EXPECT_FALSE(parse_target("=h:1"));
}

}  // namespace
}  // namespace chatnode::audit
