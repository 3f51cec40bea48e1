// Config parsing: defaults, relative paths, and a clear refusal of unknown or bad keys.
#include "node/config.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace chatnode::node {
namespace {

boost::json::object parse(std::string_view text) { return boost::json::parse(text).as_object(); }

const char* minimal = R"({"domain":"Alpha.Example","data_dir":"data",
  "client":{"cert":"certs/node.crt","key":"certs/node.key"}})";

TEST(Config, MinimalHasDocumentedDefaults) {
  auto c = parse_config(parse(minimal), "/etc/chatnode/chatnode.json");
  EXPECT_EQ(c.domain, "alpha.example");
  EXPECT_EQ(c.data_dir, "/etc/chatnode/data");
  EXPECT_EQ(c.client.cert, "/etc/chatnode/certs/node.crt");
  EXPECT_EQ(c.client.listen.to_string(), "0.0.0.0:7443");
  EXPECT_EQ(c.federation.listen.to_string(), "0.0.0.0:7444");
  EXPECT_EQ(c.federation.cert, c.client.cert);  // one certificate serves both by default
  EXPECT_TRUE(c.federation.ca.empty());
  EXPECT_EQ(c.kdf.n, 32768u);
  EXPECT_EQ(c.kdf.r, 8u);
  EXPECT_EQ(c.kdf.p, 1u);
  EXPECT_TRUE(c.registration_open);
  EXPECT_EQ(c.limits.max_message_bytes, 131072u);
  EXPECT_EQ(c.limits.max_frame_bytes, 1048576u);
}

TEST(Config, ReadsEveryKey) {
  auto c = parse_config(parse(R"({"domain":"a.example","data_dir":"/var/lib/chatnode",
    "client":{"listen":"[::1]:9000","cert":"/c.pem","key":"/k.pem"},
    "federation":{"listen":"127.0.0.1:9001","cert":"f.pem","key":"fk.pem","ca":"ca.pem",
                  "peers":{"B.example":"127.0.0.1:9101"}},
    "kdf":{"N":1024,"r":8,"p":2},"registration":"closed","threads":3,"kdf_threads":2,
    "log_level":"debug","store":{"map_size_mb":8,"max_map_size_mb":64},
    "limits":{"max_message_bytes":2048,"max_frame_bytes":4096,"write_queue_messages":10,
      "write_queue_bytes":65536,"handshake_timeout_seconds":3,"idle_timeout_seconds":60,
      "login_max_failures":2,"login_lockout_seconds":9,"max_pending_kdf":4,"max_connections":7,
      "max_text_bytes":100}})"),
                        "/x/chatnode.json");
  EXPECT_EQ(c.client.listen.host, "::1");
  EXPECT_EQ(c.client.listen.port, 9000);
  EXPECT_EQ(c.federation.cert, "/x/f.pem");
  EXPECT_EQ(c.federation.ca, "/x/ca.pem");
  ASSERT_EQ(c.federation.peers.count("b.example"), 1u);
  EXPECT_EQ(c.kdf.p, 2u);
  EXPECT_FALSE(c.registration_open);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.store_max_map_size_mb, 64u);
  EXPECT_EQ(c.limits.login_max_failures, 2u);
  EXPECT_EQ(c.limits.login_lockout.count(), 9);
  EXPECT_EQ(c.limits.max_connections, 7u);
  EXPECT_EQ(c.limits.max_text_bytes, 100u);
}

void expect_refused(std::string_view text, std::string_view needle) {
  try {
    parse_config(parse(text), "/x/chatnode.json");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Config, RefusesUnknownKeysByName) {
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k"},"colour":1})", "\"colour\"");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k","lisen":"1.2.3.4:1"}})", "\"client.lisen\"");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k"},"limits":{"max_frame":1}})", "\"limits.max_frame\"");
}

TEST(Config, RefusesBadValues) {
  expect_refused(R"({"data_dir":"d","client":{"cert":"c","key":"k"}})", "domain: required");
  expect_refused(R"({"domain":"a..b","data_dir":"d","client":{"cert":"c","key":"k"}})", "not a valid domain");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c"}})", "client.key: required");
  // Present but empty names nothing (fuzz_config found "key":"" accepted as an empty path).
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":""}})", "client.key: must not be empty");
  expect_refused(R"({"domain":"a.example","data_dir":"","client":{"cert":"c","key":"k"}})", "data_dir: must not be empty");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k","listen":"nope"}})", "client.listen");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k","listen":"1.2.3.4:70000"}})", "port");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k"},"kdf":{"N":1000}})", "kdf");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k"},"registration":"maybe"})", "registration");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k"},"threads":-1})", "threads");
  expect_refused(R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k"},
    "limits":{"max_message_bytes":4096,"max_frame_bytes":2048}})", "max_frame_bytes");
}

TEST(Config, LogLevelAndFormat) {
  const std::string base = R"({"domain":"a.example","data_dir":"d","client":{"cert":"c","key":"k"})";
  const auto with = [&](const std::string& extra) { return parse_config(parse(base + "," + extra + "}"), "/x/chatnode.json"); };
  const auto defaults = parse_config(parse(base + "}"), "/x/chatnode.json");
  EXPECT_EQ(defaults.log_level, "info");
  EXPECT_EQ(defaults.log_format, "text");
  EXPECT_EQ(with(R"("log":{"level":"warn","format":"json"})").log_level, "warn");
  EXPECT_EQ(with(R"("log":{"level":"warn","format":"json"})").log_format, "json");
  EXPECT_EQ(with(R"("log":{"format":"json"})").log_level, "info");
  EXPECT_EQ(with(R"("log_level":"error","log":{"format":"json"})").log_level, "error");  // the older key still works
  EXPECT_EQ(with(R"("log":{})").log_format, "text");
  expect_refused(base + R"(,"log":{"format":"yaml"}})", "log.format");
  expect_refused(base + R"(,"log":{"level":"loud"}})", "log.level");
  expect_refused(base + R"(,"log_level":"loud"})", "log_level");
  expect_refused(base + R"(,"log":{"level":"info"},"log_level":"info"})", "keep one");
  expect_refused(base + R"(,"log":{"levle":"info"}})", "\"log.levle\"");
  expect_refused(base + R"(,"log":"json"})", "log: expected an object");
  expect_refused(base + R"(,"log":{"format":1}})", "log.format: expected a string");
}

}  // namespace
}  // namespace chatnode::node
