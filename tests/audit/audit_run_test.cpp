// `chatnode audit` against a fresh node: the single-node vector set passes, a vector whose
// expected value was changed is reported as failed, options are checked.
#include "tests/audit/audit_helpers.hpp"
#include "tests/integration/node_process.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace chatnode::audit::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using chatnode::testing::node_options;
using chatnode::testing::node_process;
using namespace std::chrono_literals;

constexpr auto audit_timeout = 180s;  // the whole single-node set takes ~20 s
const fs::path vectors = CHATNODE_VECTOR_DIR;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> audit_args(const node_process& n, std::vector<std::string> rest) {
  std::vector<std::string> args{"audit", "--ca", n.ca_file().string(), "--target",
                                n.domain() + "=127.0.0.1:" + std::to_string(n.client_port())};
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(audit_run, SingleNodeVectorsPassAgainstAFreshNode) {
  node_process n;
  n.start();
  temp_dir tmp;
  const auto report = tmp.path() / "report.json";
  const auto r = run_chatnode(audit_args(n, {"--json", report.string(), (vectors / "protocol").string()}),
                              tmp.path() / "audit.log", audit_timeout);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_FALSE(contains(r.output, "FAIL ")) << r.output;
  EXPECT_TRUE(contains(r.output, "pass friends.request_accept")) << r.output;
  EXPECT_TRUE(contains(r.output, "skip federation.three_nodes.group: needs 3 nodes")) << r.output;

  const auto doc = json::parse(read_text(report));
  const auto& summary = doc.at("summary").as_object();
  EXPECT_EQ(summary.at("failed").to_number<int>(), 0);
  EXPECT_GE(summary.at("passed").to_number<int>(), 45);
  for (const auto& v : doc.at("vectors").as_array()) {
    const auto& o = v.as_object();
    if (o.at("outcome") == "skip") {
      const std::string detail(o.at("detail").as_string());
      EXPECT_TRUE(contains(detail, "needs")) << o.at("name") << ": " << detail;
    }
  }
}

TEST(audit_run, RegistrationClosedVectorRunsOnlyWithTheFeature) {
  node_options o;
  o.edit_config = [](json::object& config) { config["registration"] = "closed"; };
  node_process n(o);
  n.start();
  temp_dir tmp;
  const auto file = (vectors / "protocol" / "single" / "accounts_register_closed_1001.json").string();
  auto r = run_chatnode(audit_args(n, {file}), tmp.path() / "a.log", 60s);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "skip accounts.register_closed_1001: needs a node with feature")) << r.output;
  r = run_chatnode(audit_args(n, {"--feature", "registration-closed", file}), tmp.path() / "b.log", 60s);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "pass accounts.register_closed_1001")) << r.output;
}

// The locked-account vector against a node whose administrator locked `lockeduser`.
TEST(audit_run, LockedUserVectorPassesAfterTheAdminLockedTheUser) {
  node_process n;
  n.start();
  temp_dir tmp;
  const auto admin = [&](std::vector<std::string> args, std::optional<std::string> input = std::nullopt) {
    args.insert(args.begin(), {"admin", "--config", n.config_file().string()});
    return run_chatnode(args, tmp.path() / "admin.log", 60s, input);
  };
  ASSERT_EQ(admin({"user", "add", "lockeduser"}, std::string("locked-pw\n")).status, 0);
  ASSERT_EQ(admin({"user", "lock", "lockeduser"}).status, 0);
  const auto file = (vectors / "protocol" / "single" / "accounts_login_locked_2005.json").string();
  auto r = run_chatnode(audit_args(n, {"--feature", "locked-user", file}), tmp.path() / "a.log", 60s);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "pass accounts.login_locked_2005")) << r.output;
}

// The vectors of the abuse limits run against nodes configured as their features say.
TEST(audit_run, LimitVectorsPassOnNodesWithTheirFeature) {
  temp_dir tmp;
  {
    node_options o;
    o.test_limits = false;  // the documented defaults
    node_process n(o);
    n.start();
    const auto file = (vectors / "protocol" / "single" / "friends_request_limit_3009.json").string();
    auto r = run_chatnode(audit_args(n, {"--feature", "default-limits", file}), tmp.path() / "a.log", 60s);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "pass friends.request_limit_3009")) << r.output;
  }
  node_options o;
  o.limits = {{"max_inbox_messages", 3}};
  node_process n(o);
  n.start();
  const auto file = (vectors / "protocol" / "single" / "text_inbox_full_7004.json").string();
  auto r = run_chatnode(audit_args(n, {"--feature", "inbox-cap-3", file}), tmp.path() / "b.log", 60s);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "pass text.inbox_full_7004")) << r.output;
}

TEST(audit_run, BlockListCapVectorPassesOnANodeWithItsFeature) {
  temp_dir tmp;
  node_options o;
  o.limits = {{"max_blocks", 2}};
  node_process n(o);
  n.start();
  const auto file = (vectors / "protocol" / "single" / "blocks_list_full_11003.json").string();
  auto r = run_chatnode(audit_args(n, {"--feature", "blocks-cap-2", file}), tmp.path() / "a.log", 60s);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "pass blocks.list_full_11003")) << r.output;
}

// The runner is not a rubber stamp: one changed expected value fails exactly that vector.
TEST(audit_run, AChangedExpectedValueIsReportedAsFailed) {
  node_process n;
  n.start();
  temp_dir tmp;
  const auto original = vectors / "protocol" / "single" / "friends_self_3005.json";
  std::string text = read_text(original);
  const auto at = text.find("\"code\": 3005");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "\"code\": 3003");
  const auto changed = tmp.path() / "friends_self_3005.json";
  {
    std::ofstream out(changed, std::ios::binary);
    out << text;
  }
  const auto untouched = vectors / "protocol" / "single" / "friends_unknown_3001.json";
  const auto r = run_chatnode(audit_args(n, {changed.string(), untouched.string()}), tmp.path() / "audit.log", 60s);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "FAIL friends.self_3005: step 3 (alice receive FRIEND_REQUEST_ACK): payload.code: expected 3003, got 3005"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "pass friends.unknown_user_3001")) << r.output;
  EXPECT_TRUE(contains(r.output, "2 vectors: 1 passed, 1 failed, 0 skipped")) << r.output;
}

TEST(audit_run, AnUnreachableNodeFailsTheVectorInBoundedTime) {
  temp_dir tmp;
  node_process n;  // for its CA only; not started
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_chatnode({"audit", "--ca", n.ca_file().string(), "--target", "localhost=127.0.0.1:1",
                               (vectors / "protocol" / "single" / "friends_self_3005.json").string()},
                              tmp.path() / "audit.log", 60s);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "FAIL friends.self_3005: setup: cannot connect to localhost")) << r.output;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
}

TEST(audit_run, UsageErrorsExitWith2) {
  temp_dir tmp;
  const auto file = (vectors / "protocol" / "single" / "friends_self_3005.json").string();
  const auto log = tmp.path() / "audit.log";
  EXPECT_EQ(run_chatnode({"audit", "--ca", "ca.crt", file}, log, 30s).status, 2);  // no --target
  EXPECT_EQ(run_chatnode({"audit", "--ca", "ca.crt", "--target", "127.0.0.1:7443", file}, log, 30s).status, 2);
  EXPECT_EQ(run_chatnode({"audit", "--ca", "ca.crt", "--target", "a=127.0.0.1:7443"}, log, 30s).status, 2);  // no path
  EXPECT_EQ(run_chatnode({"audit", "--ca", "ca.crt", "--target", "a=127.0.0.1:7443", "/no/such/dir"}, log, 30s).status, 2);
  const auto help = run_chatnode({"audit", "--help"}, log, 30s);
  EXPECT_EQ(help.status, 0);
  EXPECT_TRUE(contains(help.output, "--target")) << help.output;
}

}  // namespace
}  // namespace chatnode::audit::test
