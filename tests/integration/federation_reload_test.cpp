// Federation settings changed by a reload (SIGHUP) take effect at once: a domain denied
// loses its link and cannot link again; other links stay.
#include "tests/integration/federation_helpers.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <csignal>

namespace chatnode::testing {
namespace {

namespace json = boost::json;

TEST(IntegrationFederationReload, ADomainDeniedByAReloadLosesItsLinkAndStaysOut) {
  federation fed({"alpha.test", "beta.test", "gamma.test"});
  fed.start_all();
  node_process& beta = fed.node("beta.test");
  beta.rewrite_config([](json::object& c) { c["federation"].as_object()["deny"] = json::array{"alpha.test"}; });
  const auto reloads = beta.log_count("reloaded ");
  beta.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return beta.log_count("reloaded ") > reloads; }));

  EXPECT_TRUE(eventually([&] { return !link_up(beta, "alpha.test") && !link_up(fed.node("alpha.test"), "beta.test"); },
                         federation_timeout));
  // alpha dials again and is refused as denied; gamma's link was never touched.
  EXPECT_TRUE(eventually([&] { return metric_value(metrics(beta), "chatnode_federation_refused_total{reason=\"denied\"}") > 0; },
                         federation_timeout));
  EXPECT_FALSE(link_up(beta, "alpha.test"));
  EXPECT_TRUE(link_up(beta, "gamma.test"));
  EXPECT_EQ(metric_value(metrics(beta), "chatnode_federation_links_established_total{peer=\"gamma.test\"}"), 1u);
}

TEST(IntegrationFederationReload, AdminFederationStatusShowsEachPeer) {
  federation fed({"alpha.test", "beta.test"});
  fed.start_all();
  node_process& alpha = fed.node("alpha.test");
  auto r = run_chatnode({"admin", "--config", alpha.config_file().string(), "--json", "federation", "status"},
                        alpha.dir() / "admin.out");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto peers = json::parse(r.output).as_array();
  ASSERT_EQ(peers.size(), 1u) << r.output;
  EXPECT_EQ(peers[0].at("peer"), "beta.test");
  EXPECT_EQ(peers[0].at("state"), "up");
  EXPECT_EQ(peers[0].at("outbox").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(peers[0].at("configured"), true);
  // For people: one line per peer.
  auto text = run_chatnode({"admin", "--config", alpha.config_file().string(), "federation", "status"},
                           alpha.dir() / "admin.out");
  EXPECT_EQ(text.output, "beta.test: up, outbox 0\n");
}

}  // namespace
}  // namespace chatnode::testing
