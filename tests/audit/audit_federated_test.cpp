// `chatnode audit` against three federated nodes (alpha, beta, gamma: n1, n2, n3) that share
// a federation CA made by `chatnode certs ca` and list each other as peers: every vector of
// docs/vectors/protocol/federated must pass (DESIGN §6: across nodes everything behaves as
// on one node).
#include "tests/audit/audit_helpers.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/tls_probe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <thread>

namespace chatnode::audit::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using chatnode::testing::node_options;
using chatnode::testing::node_process;
using namespace std::chrono_literals;

constexpr auto link_timeout = 30s;
constexpr auto audit_timeout = 240s;
const fs::path vectors = CHATNODE_VECTOR_DIR;
const std::array<std::string, 3> domains = {"alpha.example", "beta.example", "gamma.example"};

std::string at(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// A free loopback port (bound and released; good enough on a test machine).
std::uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

bool link_up(const node_process& node, const std::string& peer) {
  chatnode::testing::tls_target target;
  target.port = node.client_port();
  target.ca_file = node.ca_file().string();
  target.server_name = node.domain();
  const std::string line = "chatnode_federation_link_state{peer=\"" + peer + "\",state=\"up\"} 1";
  try {
    return chatnode::testing::https_get(target, "/metrics").body.find(line) != std::string::npos;
  } catch (const std::exception&) {
    return false;
  }
}

TEST(audit_federated, ThreeNodeVectorsPass) {
  temp_dir tmp;
  const auto ca = tmp.path() / "ca";
  const auto made = run_chatnode({"certs", "ca", "--dir", ca.string(), "--name", "audit federation CA"},
                                 tmp.path() / "certs.log", 30s);
  ASSERT_EQ(made.status, 0) << made.output;

  std::array<std::uint16_t, 3> ports{};
  for (auto& p : ports) p = free_port();
  std::vector<std::unique_ptr<node_process>> nodes;
  for (std::size_t i = 0; i < domains.size(); ++i) {
    node_options o;
    o.domain = domains[i];
    o.ca_dir = ca;
    o.edit_config = [i, ports](json::object& config) {
      auto& fed = config["federation"].as_object();
      fed["listen"] = at(ports[i]);
      json::object peers;
      for (std::size_t j = 0; j < domains.size(); ++j)
        if (j != i) peers[domains[j]] = at(ports[j]);
      fed["peers"] = std::move(peers);
      fed["dial_on_start"] = true;
    };
    nodes.push_back(std::make_unique<node_process>(o));
  }
  for (auto& n : nodes) n->start();

  const auto deadline = std::chrono::steady_clock::now() + link_timeout;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (std::size_t j = 0; j < nodes.size(); ++j) {
      if (i == j) continue;
      while (!link_up(*nodes[i], domains[j]) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
      ASSERT_TRUE(link_up(*nodes[i], domains[j])) << domains[i] << " has no link to " << domains[j];
    }
  }

  std::vector<std::string> args{"audit", "--ca", (ca / "ca.crt").string(), "--timeout", "10000"};
  for (const auto& n : nodes) {
    args.emplace_back("--target");
    args.push_back(n->domain() + "=" + at(n->client_port()));
  }
  args.push_back((vectors / "protocol" / "federated").string());
  const auto r = run_chatnode(args, tmp.path() / "audit.log", audit_timeout);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("6 vectors: 6 passed, 0 failed, 0 skipped"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace chatnode::audit::test
