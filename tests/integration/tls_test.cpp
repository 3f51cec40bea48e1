// TLS and HTTP on the client port: /healthz, certificate verification from the client's
// side, and the protocol version floor (TLS 1.2).
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/tls_probe.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <iostream>
#include <system_error>

namespace chatnode::testing {
namespace {

TEST(IntegrationTls, HealthzAnswersOk) {
  node_process node;
  node.start();
  const auto result = https_get(target_of(node), "/healthz");
  EXPECT_EQ(result.status, 200U);
  EXPECT_EQ(result.body, "ok\n");
}

TEST(IntegrationTls, AClientThatDoesNotTrustTheCaCannotConnect) {
  node_process node;
  node.start();
  node_process stranger;  // only for its (different) dev CA; never started
  auto options = node.connect_options();
  options.ca_file = stranger.ca_file().string();
  try {
    client::connection::connect(options);
    ADD_FAILURE() << "connected although the CA is not trusted";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("TLS handshake"), std::string::npos) << e.what();
  }
  // The node is fine afterwards.
  auto conn = node.connect();
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
}

TEST(IntegrationTls, AClientExpectingAnotherNameCannotConnect) {
  node_process node;
  node.start();
  auto options = node.connect_options();
  options.server_name = "not-this-node.example";
  EXPECT_THROW(client::connection::connect(options), std::system_error);
}

TEST(IntegrationTls, Tls11IsRefusedTls12AndTls13AreAccepted) {
  node_process node;
  node.start();
  const auto target = target_of(node);
  for (const int version : {TLS1_1_VERSION, TLS1_VERSION}) {
    const auto old = tls_handshake(target, version, version);
    EXPECT_TRUE(old) << "a handshake with version " << std::hex << version << " succeeded";
    // The node refused it, not our own client (which would say "no protocols available").
    EXPECT_EQ(old.message().find("no protocols available"), std::string::npos) << old.message();
    std::cerr << "TLS version " << std::hex << version << std::dec << " refused: " << old.message() << '\n';
  }
  const auto tls12 = tls_handshake(target, TLS1_2_VERSION, TLS1_2_VERSION);
  EXPECT_FALSE(tls12) << tls12.message();
  const auto tls13 = tls_handshake(target, TLS1_3_VERSION, TLS1_3_VERSION);
  EXPECT_FALSE(tls13) << tls13.message();
}

TEST(IntegrationTls, AnUnknownPathIsNotAWebSocket) {
  node_process node;
  node.start();
  auto options = node.connect_options();
  options.path = "/not-ws";
  EXPECT_THROW(client::connection::connect(options), std::system_error);
  // And a plain GET of /ws is not a crash either.
  const auto result = https_get(target_of(node), "/ws");
  EXPECT_GE(result.status, 400U);
}

}  // namespace
}  // namespace chatnode::testing
