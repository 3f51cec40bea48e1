// `chatnode init` as a function: the config it writes is readable (indented, one key per
// line, in the documented order) and loads; --force keeps the node key unless --new-key;
// long domains work; the summary says how to start and reach the node.
#include "node/init.hpp"

#include "node/config.hpp"

#include "certs/certs.hpp"
#include "crypto/random.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace chatnode::node {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Init : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chatnode-init-" + crypto::random_id(8));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string init(init_options o) {
    if (o.dir.empty()) o.dir = dir_;
    std::ostringstream out;
    init_node(o, out);
    return out.str();
  }
  fs::path dir_;
};

TEST_F(Init, WritesIndentedJsonOneKeyPerLineInOrder) {
  init_options o;
  o.domain = "Alpha.Example";
  o.peers = {"beta.example=127.0.0.1:7444"};
  init(o);
  const std::string text = read_text(dir_ / "chatnode.json");
  EXPECT_EQ(text,
            "{\n"
            "  \"domain\": \"alpha.example\",\n"
            "  \"data_dir\": \"data\",\n"
            "  \"client\": {\n"
            "    \"listen\": \"0.0.0.0:7443\",\n"
            "    \"cert\": \"certs/node.crt\",\n"
            "    \"key\": \"certs/node.key\"\n"
            "  },\n"
            "  \"federation\": {\n"
            "    \"listen\": \"0.0.0.0:7444\",\n"
            "    \"ca\": \"ca/ca.crt\",\n"
            "    \"peers\": {\n"
            "      \"beta.example\": \"127.0.0.1:7444\"\n"
            "    }\n"
            "  },\n"
            "  \"kdf\": {\n"
            "    \"N\": 32768,\n"
            "    \"r\": 8,\n"
            "    \"p\": 1\n"
            "  }\n"
            "}\n");
  const config c = load_config(dir_ / "chatnode.json");
  EXPECT_EQ(c.domain, "alpha.example");
  EXPECT_EQ(c.federation.peers.at("beta.example"), "127.0.0.1:7444");
}

TEST_F(Init, TestLimitsAndEmptyPeersStayReadable) {
  init_options o;
  o.domain = "alpha.example";
  o.test_limits = true;
  init(o);
  const std::string text = read_text(dir_ / "chatnode.json");
  EXPECT_NE(text.find("\n    \"peers\": {}\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  \"limits\": {\n    \"address_max_failures\": 1000000,\n"), std::string::npos) << text;
  const auto parsed = json::parse(text).as_object();
  EXPECT_EQ(parsed.at("limits").as_object().size(), test_limits().size());
  EXPECT_EQ(load_config(dir_ / "chatnode.json").limits.requests_per_second, 1000000u);
}

TEST(PrettyJson, ArraysNestingAndEscapes) {
  const auto v = json::parse(R"({"a":[1,"x\"y",{"b":[]},[]],"c":{},"d":null,"e":true})");
  EXPECT_EQ(pretty_json(v),
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    \"x\\\"y\",\n"
            "    {\n"
            "      \"b\": []\n"
            "    },\n"
            "    []\n"
            "  ],\n"
            "  \"c\": {},\n"
            "  \"d\": null,\n"
            "  \"e\": true\n"
            "}");
  EXPECT_EQ(json::parse(pretty_json(v)), v);
  EXPECT_EQ(pretty_json(json::parse("[]")), "[]");
  EXPECT_EQ(pretty_json(json::parse(R"({"k":1})"), 4), "{\n    \"k\": 1\n}");
}

TEST_F(Init, SummarySaysHowToStartAndReachTheNode) {
  init_options o;
  o.domain = "alpha.example";
  o.client_listen = "127.0.0.1:8443";
  const std::string out = init(o);
  const std::string config_file = (dir_ / "chatnode.json").string();
  EXPECT_NE(out.find("made a development CA: " + (dir_ / "ca" / "ca.crt").string()), std::string::npos) << out;
  EXPECT_NE(out.find("wrote " + config_file), std::string::npos) << out;
  EXPECT_NE(out.find("chatnode serve --config " + config_file), std::string::npos) << out;
  EXPECT_NE(out.find("https://alpha.example:8443/"), std::string::npos) << out;
  EXPECT_NE(out.find("wss://alpha.example:8443/ws"), std::string::npos) << out;
  EXPECT_NE(out.find("docs/config.md"), std::string::npos) << out;

  // Port 0: serve picks the port; the summary says where to find it.
  const fs::path other = dir_ / "other";
  o.dir = other;
  o.client_listen = "127.0.0.1:0";
  const std::string out0 = init(o);
  EXPECT_NE(out0.find("https://alpha.example:PORT/"), std::string::npos) << out0;
  EXPECT_NE(out0.find("ready line"), std::string::npos) << out0;
}

TEST_F(Init, ForceKeepsTheNodeKeyUnlessNewKey) {
  init_options o;
  o.domain = "alpha.example";
  init(o);
  const fs::path cert = dir_ / "certs" / "node.crt", key = dir_ / "certs" / "node.key";
  const std::string pin = certs::spki_sha256_pin(cert);
  const std::string key_pem = read_text(key);
  const std::string ca_pem = read_text(dir_ / "ca" / "ca.crt");

  EXPECT_THROW(init(o), std::runtime_error);  // no --force: the config stays
  o.force = true;
  o.client_listen = "127.0.0.1:9443";
  const std::string out = init(o);
  EXPECT_NE(out.find("kept the node key"), std::string::npos) << out;
  EXPECT_EQ(read_text(key), key_pem);
  EXPECT_EQ(certs::spki_sha256_pin(cert), pin);
  EXPECT_EQ(read_text(dir_ / "ca" / "ca.crt"), ca_pem);  // the dev CA is kept too
  EXPECT_EQ(load_config(dir_ / "chatnode.json").client.listen.to_string(), "127.0.0.1:9443");

  o.new_key = true;
  const std::string renewed = init(o);
  EXPECT_EQ(renewed.find("kept the node key"), std::string::npos) << renewed;
  EXPECT_NE(read_text(key), key_pem);
  EXPECT_NE(certs::spki_sha256_pin(cert), pin);
}

// X.509 limits a CN to 64 characters; the domain goes into the subjectAltName in full.
TEST_F(Init, LongDomain) {
  const std::string label(63, 'a');
  const std::string domain = label + "." + std::string(63, 'b') + "." + std::string(63, 'c') + ".example";
  ASSERT_EQ(domain.size(), 199u);
  init_options o;
  o.domain = domain;
  const std::string out = init(o);
  EXPECT_EQ(certs::cert_dns_names(dir_ / "certs" / "node.crt"), std::vector<std::string>{domain});
  EXPECT_EQ(load_config(dir_ / "chatnode.json").domain, domain);
  EXPECT_NE(out.find("https://" + domain + ":7443/"), std::string::npos) << out;
}

}  // namespace
}  // namespace chatnode::node
