// The federation keys of the node config: pins, allow/deny, dial_on_start, validation.
#include "node/config.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace chatnode::node {
namespace {

config parse(std::string_view federation) {
  std::string text = R"({"domain":"alpha.example","data_dir":"data",
    "client":{"cert":"node.crt","key":"node.key"},"federation":)" +
                     std::string(federation) + "}";
  return parse_config(boost::json::parse(text).as_object(), "/etc/chatnode/chatnode.json");
}

void expect_refused(std::string_view federation, std::string_view needle) {
  try {
    parse(federation);
    FAIL() << "accepted " << federation;
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

const char* pin = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";

TEST(federation_config, defaults) {
  auto c = parse("{}");
  EXPECT_FALSE(c.federation.enabled());
  EXPECT_TRUE(c.federation.pins.empty());
  EXPECT_TRUE(c.federation.allow.empty());
  EXPECT_TRUE(c.federation.deny.empty());
  EXPECT_FALSE(c.federation.dial_on_start);
}

TEST(federation_config, reads_the_new_keys) {
  auto c = parse(std::string(R"({"ca":"ca.crt","peers":{"beta.example":"127.0.0.1:7444"},
    "pins":{"Beta.Example":")") + pin + R"("},"allow":["beta.example","Gamma.Example"],
    "deny":["evil.example"],"dial_on_start":true})");
  EXPECT_TRUE(c.federation.enabled());
  EXPECT_EQ(c.federation.ca, "/etc/chatnode/ca.crt");
  ASSERT_EQ(c.federation.pins.count("beta.example"), 1u);
  EXPECT_EQ(c.federation.pins.at("beta.example"), pin);
  EXPECT_EQ(c.federation.allow, (std::vector<std::string>{"beta.example", "gamma.example"}));
  EXPECT_EQ(c.federation.deny, (std::vector<std::string>{"evil.example"}));
  EXPECT_TRUE(c.federation.dial_on_start);
}

TEST(federation_config, refuses_bad_values) {
  expect_refused(R"({"pins":{"beta.example":"not base64!"}})", "federation.pins.beta.example");
  expect_refused(R"({"pins":{"beta.example":"AAAA"}})", "SPKI pin");  // base64, but not 32 bytes
  expect_refused(R"({"pins":{"beta.example":7}})", "federation.pins.beta.example");
  expect_refused(R"({"pins":{"not a domain":"AAAA"}})", "federation.pins");
  expect_refused(R"({"allow":"beta.example"})", "federation.allow");
  expect_refused(R"({"allow":[7]})", "federation.allow");
  expect_refused(R"({"deny":["bad domain"]})", "federation.deny");
  expect_refused(R"({"dial_on_start":"yes"})", "federation.dial_on_start");
  expect_refused(R"({"pin":{}})", "unknown key \"federation.pin\"");
}

}  // namespace
}  // namespace chatnode::node
