// Config reload (SIGHUP) against a real node: what changes takes effect at once, open
// connections stay, new handshakes get renewed certificates, and a config or certificate
// that cannot be loaded is refused with the running config kept.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/tls_probe.hpp"

#include "certs/certs.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using client::make_message;

// SIGHUP, then waits for the node's answer in its log: "reloaded" or "reload refused".
bool sighup(node_process& node, const std::string& expect) {
  const auto before = node.log_count(expect);
  node.signal(SIGHUP);
  return eventually([&] { return node.log_count(expect) > before; });
}

TEST(IntegrationReload, RegistrationClosesAtSighupAndOpenSessionsStay) {
  node_process node;
  node.start();
  auto alice = node.connect();
  ASSERT_TRUE(is_response(register_user(*alice, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*alice, "alice", "pw"), "LOGIN_RESPONSE", true, 0));

  node.rewrite_config([](json::object& c) { c["registration"] = "closed"; });
  ASSERT_TRUE(sighup(node, "reloaded "));
  EXPECT_TRUE(node.running());

  auto other = node.connect();
  EXPECT_TRUE(is_response(register_user(*other, "bob", "pw"), "REGISTER_RESPONSE", false, 1001));
  // alice's session went through the reload untouched.
  ASSERT_TRUE(alice->is_open());
  alice->send(make_message("FRIEND_LIST_REQUEST", json::object{{"username", "alice"}}));
  EXPECT_EQ(expect_reply(*alice, {"FRIEND_LIST_RESPONSE"}).at("type"), "FRIEND_LIST_RESPONSE");

  node.rewrite_config([](json::object& c) { c["registration"] = "open"; });
  ASSERT_TRUE(sighup(node, "reloaded "));
  EXPECT_TRUE(is_response(register_user(*other, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
}

TEST(IntegrationReload, ALimitChangeAppliesToTheNextRequest) {
  node_process node;
  node.start();
  auto conn = node.connect();
  ASSERT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*conn, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
  node.rewrite_config([](json::object& c) { c["limits"].as_object()["max_message_bytes"] = 1024; });
  ASSERT_TRUE(sighup(node, "reloaded "));
  conn->send(make_message("USER_STATUS_UPDATE", json::object{{"username", "alice"}, {"status", std::string(2000, 'a')}}));
  EXPECT_TRUE(is_error(expect_reply(*conn, {"ERROR"}), 9006));
}

TEST(IntegrationReload, ABrokenConfigIsRefusedAndTheRunningOneKept) {
  node_process node;
  node.start();
  const auto good = node.config_file();
  {
    std::ofstream out(good, std::ios::app);
    out << "\n{ this is not json";
  }
  ASSERT_TRUE(sighup(node, "reload refused"));
  EXPECT_TRUE(node.running());
  auto conn = node.connect();
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
}

TEST(IntegrationReload, AnUnreadableCertificateIsRefusedAndTheOldOneStillServed) {
  node_process node;
  node.start();
  const std::string before = served_certificate_pin(target_of(node));
  node.rewrite_config([](json::object& c) {
    c["registration"] = "closed";
    c["client"].as_object()["cert"] = "certs/missing.crt";
  });
  ASSERT_TRUE(sighup(node, "reload refused"));
  EXPECT_NE(node.log().find("missing.crt"), std::string::npos);
  EXPECT_EQ(served_certificate_pin(target_of(node)), before);
  // Nothing of the refused config applies: registration is still open.
  auto conn = node.connect();
  EXPECT_TRUE(is_response(register_user(*conn, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
}

TEST(IntegrationReload, RenewedCertificatesServeNewHandshakesWithoutDroppingConnections) {
  node_process node;
  node.start();
  auto alice = node.connect();
  ASSERT_TRUE(is_response(register_user(*alice, "alice", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(is_response(login(*alice, "alice", "pw"), "LOGIN_RESPONSE", true, 0));
  const std::string before = served_certificate_pin(target_of(node));
  EXPECT_EQ(before, certs::spki_sha256_pin(node.dir() / "certs" / "node.crt"));

  // What an operator does when a certificate is renewed with a new key: replace the files.
  certs::issue_node_cert(node.ca_file(), node.dir() / "ca" / "ca.key", node.domain(), node.dir() / "certs" / "node.crt",
                         node.dir() / "certs" / "node.key");
  const std::string renewed = certs::spki_sha256_pin(node.dir() / "certs" / "node.crt");
  ASSERT_NE(renewed, before);
  ASSERT_TRUE(sighup(node, "reloaded "));

  EXPECT_EQ(served_certificate_pin(target_of(node)), renewed);
  auto bob = node.connect();  // a client that trusts the CA connects as before
  EXPECT_TRUE(is_response(register_user(*bob, "bob", "pw"), "REGISTER_RESPONSE", true, 0));
  ASSERT_TRUE(alice->is_open());
  alice->send(make_message("FRIEND_LIST_REQUEST", json::object{{"username", "alice"}}));
  EXPECT_EQ(expect_reply(*alice, {"FRIEND_LIST_RESPONSE"}).at("type"), "FRIEND_LIST_RESPONSE");
}

}  // namespace
}  // namespace chatnode::testing
