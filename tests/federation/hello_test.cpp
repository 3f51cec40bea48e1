// FED_HELLO parsing, the domain policy and the redial backoff: pure functions.
#include "federation/errors.hpp"
#include "federation/hello.hpp"
#include "federation/options.hpp"

#include <gtest/gtest.h>

namespace chatnode::federation {
namespace {

TEST(hello, round_trip) {
  hello h;
  ASSERT_FALSE(parse_hello(encode_hello("alpha.example"), h));
  EXPECT_EQ(h.origin, "alpha.example");
  EXPECT_EQ(h.version, 1);
  ASSERT_FALSE(parse_hello(R"({"type":"FED_HELLO","origin":"Beta.Example","version":1,"extra":true})", h));
  EXPECT_EQ(h.origin, "beta.example");
}

TEST(hello, refuses_anything_else) {
  hello h;
  for (const char* bad : {"", "nope", "[]", R"({"type":"HELLO","origin":"a.example","version":1})",
                          R"({"type":"FED_HELLO","version":1})", R"({"type":"FED_HELLO","origin":7,"version":1})",
                          R"({"type":"FED_HELLO","origin":"not a domain","version":1})",
                          R"({"type":"FED_HELLO","origin":"a.example"})",
                          R"({"type":"FED_HELLO","origin":"a.example","version":"1"})"})
    EXPECT_EQ(parse_hello(bad, h), errc::bad_hello) << bad;
  EXPECT_EQ(parse_hello(R"({"type":"FED_HELLO","origin":"a.example","version":2})", h), errc::unsupported_version);
  EXPECT_EQ(parse_hello(std::string(max_hello_bytes + 1, ' '), h), errc::bad_hello);
}

TEST(policy, allow_and_deny) {
  options o;
  o.domain = "alpha.example";
  EXPECT_FALSE(o.check_allowed("beta.example"));
  EXPECT_EQ(o.check_allowed("alpha.example"), errc::own_domain);
  o.deny = {"evil.example"};
  EXPECT_EQ(o.check_allowed("evil.example"), errc::denied);
  EXPECT_FALSE(o.check_allowed("beta.example"));
  o.allow = {"beta.example", "evil.example"};
  EXPECT_FALSE(o.check_allowed("beta.example"));
  EXPECT_EQ(o.check_allowed("gamma.example"), errc::not_allowed);
  EXPECT_EQ(o.check_allowed("evil.example"), errc::denied) << "deny wins over allow";
  o.pins = {{"beta.example", "pin"}};
  EXPECT_EQ(o.pin_for("beta.example"), "pin");
  EXPECT_FALSE(o.pin_for("gamma.example"));
}

TEST(backoff, doubles_to_the_cap_with_jitter) {
  options o;  // 0.5 s doubling to 30 s
  using ms = std::chrono::milliseconds;
  EXPECT_EQ(backoff_delay(o, 1, 0.0), ms(250));
  EXPECT_EQ(backoff_delay(o, 1, 1.0), ms(500));
  EXPECT_EQ(backoff_delay(o, 2, 1.0), ms(1000));
  EXPECT_EQ(backoff_delay(o, 3, 1.0), ms(2000));
  EXPECT_EQ(backoff_delay(o, 7, 1.0), ms(30000));
  EXPECT_EQ(backoff_delay(o, 1000, 1.0), ms(30000));
  EXPECT_EQ(backoff_delay(o, 1000, 0.0), ms(15000));
  const auto mid = backoff_delay(o, 4, 0.5);
  EXPECT_GE(mid, ms(2000));
  EXPECT_LE(mid, ms(4000));
}

}  // namespace
}  // namespace chatnode::federation
