// What a node checks of its peers beyond the authority rule (docs/federation.md "Checks on
// every event"), and federation after a restore from a backup: a verdict must answer a
// pending request, group traffic must match this node's copy of the group, peer timestamps
// are bounded, and a node restored from a backup federates again at once, both ways.
#include "tests/integration/federation_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <iostream>
#include <set>
#include <thread>
#include <filesystem>
#include <string>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const std::string alpha_d = "alpha.test";
const std::string beta_d = "beta.test";
const std::string alice = user_at("alice", alpha_d);
const std::string carol = user_at("carol", alpha_d);
const std::string bob = user_at("bob", beta_d);

json::object client_frame(const std::string& type, json::object payload, std::int64_t timestamp = 0) {
  json::object f{{"type", type}, {"payload", std::move(payload)}};
  if (timestamp) f["timestamp"] = timestamp;
  return f;
}

TEST(IntegrationFederationChecks, AVerdictForARequestNobodySentIsRefused) {
  federation fed({alpha_d});
  fed.start_all();
  register_users(fed.node(alpha_d), {"alice"});
  auto a = login_user(fed.node(alpha_d), "alice");
  fake_peer liar(fed, alpha_d, beta_d);
  // "Already friends" for a request alice never sent.
  const auto forged = client_frame("FRIEND_REQUEST_ACK", {{"sender", alice}, {"receiver", bob}, {"code", 3003}});
  EXPECT_EQ(liar.event(1, fake_peer::deliver({alice}, forged)), 3007);
  // So texts from bob are still refused, and alice has no such friend.
  const auto text = client_frame("TEXT_MESSAGE", {{"sender", bob}, {"receiver", alice}, {"content", "hi"}});
  EXPECT_EQ(liar.event(2, fake_peer::deliver({alice}, text)), 7002);
  const auto list = friend_list(*a, "alice");
  EXPECT_TRUE(payload_of(list).at("friends").as_array().empty()) << json::serialize(list);
  EXPECT_FALSE(a->has_queued("FRIEND_REQUEST_ACK")) << drain_queued(*a);
  EXPECT_FALSE(a->has_queued("TEXT_MESSAGE")) << drain_queued(*a);
}

TEST(IntegrationFederationChecks, GroupTextMustMatchThisNodesCopyOfTheGroup) {
  federation fed({alpha_d});
  fed.start_all();
  register_users(fed.node(alpha_d), {"alice", "carol"});
  auto c = login_user(fed.node(alpha_d), "carol");
  fake_peer liar(fed, alpha_d, beta_d);
  // beta homes the group id, but carol is in no such group, and alice (of alpha) is no
  // member either: beta puts words in alice's mouth.
  const std::string group = "#forged@" + beta_d;
  const auto text = client_frame("TEXT_MESSAGE", {{"sender", alice},
                                                 {"receiver", group},
                                                 {"content", "I never said this"},
                                                 {"groupId", group},
                                                 {"group", "Book club"}});
  EXPECT_EQ(liar.event(1, fake_peer::deliver({carol}, text)), 7003);
  // A group record from beta that names carol as a member, and alice not: still refused.
  json::object record{{"name", "Book club"}, {"leader", bob}, {"members", json::array{bob, carol}}, {"invited", json::array{}},
                      {"created", 1}};
  EXPECT_EQ(liar.event(2, json::object{{"kind", "group"}, {"groupId", group}, {"group", record}}), 0);
  EXPECT_EQ(liar.event(3, fake_peer::deliver({carol}, text)), 7003);
  // From a member to a member, it goes through.
  auto from_bob = text;
  from_bob["payload"].as_object()["sender"] = bob;
  from_bob["payload"].as_object()["content"] = "from bob";
  EXPECT_EQ(liar.event(4, fake_peer::deliver({carol}, from_bob)), 0);
  const auto got = expect_message(*c, "TEXT_MESSAGE", federation_timeout);
  EXPECT_EQ(payload_string(got, "content"), "from bob");
  EXPECT_FALSE(c->has_queued("TEXT_MESSAGE")) << drain_queued(*c);
  EXPECT_EQ(contents(history(*c, "carol")), std::vector<std::string>{"from bob"});
}

TEST(IntegrationFederationChecks, PeerTimestampsAreBoundedByThisNodesClock) {
  federation fed({alpha_d});
  fed.start_all();
  register_users(fed.node(alpha_d), {"alice"});
  auto a = login_user(fed.node(alpha_d), "alice");
  fake_peer liar(fed, alpha_d, beta_d);
  // bob asks, alice accepts: they are friends.
  ASSERT_EQ(liar.event(1, fake_peer::deliver({alice}, client_frame("FRIEND_REQUEST", {{"sender", bob}, {"receiver", alice}}))), 0);
  expect_message(*a, "FRIEND_REQUEST", federation_timeout);
  send_request(*a, "FRIEND_REQUEST_RESPONSE", {{"sender", bob}, {"receiver", alice}, {"code", 0}});
  ASSERT_TRUE(eventually([&] {
    const auto list = friend_list(*a, "alice");
    return !payload_of(list).at("friends").as_array().empty();
  }));
  const std::int64_t before = std::time(nullptr);
  const auto old = client_frame("TEXT_MESSAGE", {{"sender", bob}, {"receiver", alice}, {"content", "from 2000"}}, 946684800);
  const auto future = client_frame("TEXT_MESSAGE", {{"sender", bob}, {"receiver", alice}, {"content", "from 2100"}}, 4102444800);
  const auto recent = client_frame("TEXT_MESSAGE", {{"sender", bob}, {"receiver", alice}, {"content", "a minute ago"}}, before - 60);
  EXPECT_EQ(liar.event(2, fake_peer::deliver({alice}, old)), 0);
  EXPECT_EQ(liar.event(3, fake_peer::deliver({alice}, future)), 0);
  EXPECT_EQ(liar.event(4, fake_peer::deliver({alice}, recent)), 0);
  const std::int64_t after = std::time(nullptr);
  const auto items = history(*a, "alice");
  ASSERT_EQ(items.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const auto ts = items[i].at("timestamp").to_number<std::int64_t>();
    EXPECT_GE(ts, before) << json::serialize(items[i]);
    EXPECT_LE(ts, after) << json::serialize(items[i]);
  }
  EXPECT_EQ(items[2].at("timestamp").to_number<std::int64_t>(), before - 60);  // within the bound: kept
}

// ---- restore from a backup ----

// A consistent copy of a running node's data dir (as `chatnode backup` makes it).
fs::path back_up(node_process& node, const std::string& name) {
  const fs::path dest = node.dir().parent_path() / name;
  const auto r = run_chatnode({"backup", "--config", node.config_file().string(), dest.string()}, node.dir().parent_path() / (name + ".log"));
  if (r.status != 0) throw std::runtime_error("chatnode backup failed: " + r.output);
  return dest;
}
void restore(node_process& node, const fs::path& backup) {
  const auto r = run_chatnode({"restore", "--config", node.config_file().string(), backup.string()},
                              node.dir().parent_path() / "restore.log");
  if (r.status != 0) throw std::runtime_error("chatnode restore failed: " + r.output);
}

class IntegrationFederationRestore : public ::testing::Test {
 protected:
  IntegrationFederationRestore() : fed_({alpha_d, beta_d}) {
    fed_.start_all();
    register_users(fed_.node(alpha_d), {"alice"});
    register_users(fed_.node(beta_d), {"bob"});
    auto a = login_user(fed_.node(alpha_d), "alice");
    auto b = login_user(fed_.node(beta_d), "bob");
    befriend(*a, alice, *b, bob);
  }
  // Both ways, after the restore: a message from each side arrives.
  void expect_both_ways(const std::string& tag) {
    auto a = login_user(fed_.node(alpha_d), "alice");
    auto b = login_user(fed_.node(beta_d), "bob");
    send_text_ok(*a, alice, bob, "alpha→beta " + tag);
    send_text_ok(*b, bob, alice, "beta→alpha " + tag);
    EXPECT_EQ(contents(texts_until(*b, {"alpha→beta " + tag})).back(), "alpha→beta " + tag);
    EXPECT_EQ(contents(texts_until(*a, {"beta→alpha " + tag})).back(), "beta→alpha " + tag);
  }
  federation fed_;
};

TEST_F(IntegrationFederationRestore, ARestoredSenderFederatesAgainBothWays) {
  node_process& alpha = fed_.node(alpha_d);
  const auto backup = back_up(alpha, "alpha-backup");
  {
    auto a = login_user(alpha, "alice");
    auto b = login_user(fed_.node(beta_d), "bob");
    send_text_ok(*a, alice, bob, "after the backup 1");
    send_text_ok(*a, alice, bob, "after the backup 2");
    texts_until(*b, {"after the backup 2"});
    send_text_ok(*b, bob, alice, "to alpha after the backup");
    texts_until(*a, {"to alpha after the backup"});
  }
  ASSERT_EQ(alpha.stop(), 0);
  restore(alpha, backup);
  alpha.start();
  fed_.wait_link(alpha_d, beta_d);
  // Before the fix, alpha's next events reused numbers beta had seen (dropped as duplicates).
  expect_both_ways("once restored");
  // Both outboxes drain (the last presence events included).
  EXPECT_TRUE(eventually([&] {
    return metric_value(metrics(alpha), "chatnode_federation_outbox_depth{peer=\"" + beta_d + "\"}") == 0 &&
           metric_value(metrics(fed_.node(beta_d)), "chatnode_federation_outbox_depth{peer=\"" + alpha_d + "\"}") == 0;
  })) << metrics(alpha);
}

// `chatnode backup` while alice sends 1,000 messages: after a restore of that backup, every
// message acknowledged before the backup started is in her history, and federation flows.
TEST_F(IntegrationFederationRestore, ABackupTakenUnderLoadKeepsEverythingAcknowledgedBeforeIt) {
  node_process& alpha = fed_.node(alpha_d);
  constexpr int total = 1000;
  std::atomic<int> acked{0};
  std::string sender_error;
  std::thread sender([&] {
    try {
      auto a = login_user(alpha, "alice");
      for (int i = 0; i < total; ++i) {
        send_text_ok(*a, alice, bob, "load " + std::to_string(i));
        acked = i + 1;
      }
    } catch (const std::exception& e) {
      sender_error = e.what();
    }
  });
  ASSERT_TRUE(eventually([&] { return acked >= 200 || !sender_error.empty(); }));
  const int acked_before = acked;
  const auto backup = back_up(alpha, "alpha-load-backup");
  const int acked_after = acked;
  sender.join();
  ASSERT_EQ(sender_error, "");
  std::cout << "[ info     ] acknowledged before the backup started: " << acked_before
            << ", while it ran: " << acked_after - acked_before << "\n";
  EXPECT_LT(acked_before, total) << "the backup should overlap the sending";

  ASSERT_EQ(alpha.stop(), 0);
  restore(alpha, backup);
  alpha.start();
  fed_.wait_link(alpha_d, beta_d);
  auto a = login_user(alpha, "alice");
  const auto kept = contents(history(*a, "alice"));
  std::set<std::string> have(kept.begin(), kept.end());
  int missing = 0;
  for (int i = 0; i < acked_before; ++i) missing += !have.contains("load " + std::to_string(i));
  EXPECT_EQ(missing, 0) << "of " << acked_before << " acknowledged before the backup";
  a.reset();
  expect_both_ways("after the restore under load");
}

TEST_F(IntegrationFederationRestore, ARestoredReceiverFederatesAgainBothWays) {
  node_process& beta = fed_.node(beta_d);
  const auto backup = back_up(beta, "beta-backup");
  {
    auto a = login_user(fed_.node(alpha_d), "alice");
    auto b = login_user(beta, "bob");
    send_text_ok(*a, alice, bob, "lost by the restore 1");
    send_text_ok(*a, alice, bob, "lost by the restore 2");
    texts_until(*b, {"lost by the restore 2"});
  }
  ASSERT_EQ(beta.stop(), 0);
  restore(beta, backup);
  beta.start();
  fed_.wait_link(alpha_d, beta_d);
  // Before the fix, beta waited for ever for the events it had acknowledged before.
  expect_both_ways("once restored");
  EXPECT_GE(metric_value(metrics(beta), "chatnode_federation_events_skipped_total"), 2u);
}

}  // namespace
}  // namespace chatnode::testing
