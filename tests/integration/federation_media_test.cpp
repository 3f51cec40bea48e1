// Media between nodes (docs/federation.md "Media between nodes") with two real federated node processes on
// 127.0.0.1 and certificates made at test time: 1:1 media to a remote friend online and
// offline, group media with members on the home node and another node (sent from either),
// the receiving node killed mid-fetch and restarted (the fetch resumes where it stopped and
// the bytes arrive intact), and each node's history holding the media message of its users.
#include "tests/integration/federation_helpers.hpp"
#include "tests/integration/media_helpers.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"
#include "tests/integration/tls_probe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace chatnode::testing::federation_media {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr auto fed_timeout = 30s;  // links come up, media crosses (a few MiB on a shared machine)
const std::string alpha_domain = "alpha.test";
const std::string beta_domain = "beta.test";

std::string at_(std::string_view name, const std::string& domain) { return std::string(name) + "@" + domain; }


std::uint64_t metric(const node_process& node, const std::string& series) { return metric_value(metrics(node), series); }

std::string fetched_series(const std::string& peer) { return "chatnode_federation_media_fetched_total{peer=\"" + peer + "\"}"; }
std::string received_series(const std::string& peer) {
  return "chatnode_federation_media_chunks_received_total{peer=\"" + peer + "\"}";
}

// MEDIA_MESSAGE offers are the first thing a download takes: wait for one of this mediaId.
json::object expect_offer(client::connection& conn, const std::string& media_id,
                          std::chrono::milliseconds timeout = fed_timeout) {
  const auto offer = expect_message(conn, "MEDIA_MESSAGE", timeout);
  EXPECT_EQ(payload_string(offer, "mediaId"), media_id) << json::serialize(offer);
  return offer;
}

// The whole MESSAGE_HISTORY sync of `username`; its items in order (empty on 6001).
std::vector<json::object> history_of(client::connection& conn, const std::string& username) {
  std::vector<json::object> items;
  conn.send(client::make_message("MESSAGE_HISTORY_REQUEST", json::object{{"username", username}}));
  const auto response = expect_reply(conn, {"MESSAGE_HISTORY_RESPONSE", "ERROR"});
  if (code_of(response) != 0) return items;
  expect_reply(conn, {"MESSAGE_HISTORY_BEGIN"});
  conn.send(client::make_message("MESSAGE_HISTORY_BEGIN_ACK", json::object{{"username", username}, {"code", 0}}));
  for (int guard = 0; guard < 1000; ++guard) {
    const auto step = expect_reply(conn, {"MESSAGE_HISTORY_DATA", "MESSAGE_HISTORY_COMPLETE", "ERROR"});
    if (type_of(step) != "MESSAGE_HISTORY_DATA") break;
    for (const auto& item : step.at("payload").at("messages").as_array()) items.push_back(item.as_object());
    conn.send(client::make_message("MESSAGE_HISTORY_DATA_ACK",
                           json::object{{"username", username}, {"chunkIndex", step.at("payload").at("chunkIndex")}, {"code", 0}}));
  }
  conn.send(client::make_message("MESSAGE_HISTORY_COMPLETE_ACK", json::object{{"username", username}, {"code", 0}}));
  return items;
}

// No MEDIA_MESSAGE arrives within `quiet`.
bool no_offer(client::connection& conn, std::chrono::milliseconds quiet = 700ms) {
  try {
    expect_message(conn, "MEDIA_MESSAGE", quiet);
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

std::string dump(const std::vector<json::object>& items) {
  json::array a;
  for (const auto& item : items) a.push_back(item);
  return json::serialize(a);
}

const json::object* media_item(const std::vector<json::object>& items, const std::string& media_id) {
  for (const auto& item : items)
    if (const auto* m = item.if_contains("mediaId"); m && m->is_string() && m->as_string() == media_id) return &item;
  return nullptr;
}

// ---- fixture: a federation CA, alpha.test and beta.test peered on fixed loopback ports ----

class federation_media : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "chatnode-fedmedia-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    ASSERT_EQ(run_chatnode({"certs", "ca", "--dir", (root_ / "ca").string(), "--name", "media test CA"}, root_ / "ca.log").status, 0);
    const auto alpha_port = free_port(), beta_port = free_port();
    alpha_ = std::make_unique<node_process>(node(alpha_domain, alpha_port, beta_domain, beta_port));
    beta_ = std::make_unique<node_process>(node(beta_domain, beta_port, alpha_domain, alpha_port));
    alpha_->start();
    beta_->start();
    wait_link();
  }
  void TearDown() override {
    alpha_.reset();
    beta_.reset();
    std::error_code ignored;
    if (!HasFailure()) fs::remove_all(root_, ignored);
  }

  node_options node(const std::string& domain, std::uint16_t port, const std::string& peer, std::uint16_t peer_port) {
    node_options o;
    o.domain = domain;
    o.ca_dir = root_ / "ca";
    o.edit_config = [port, peer, peer_port](json::object& config) {
      auto& fed = config["federation"].as_object();
      fed["listen"] = loopback(port);
      fed["peers"] = json::object{{peer, loopback(peer_port)}};
      fed["dial_on_start"] = true;
    };
    return o;
  }

  void wait_link() {
    ASSERT_TRUE(eventually([&] { return link_up(*alpha_, beta_domain) && link_up(*beta_, alpha_domain); }, fed_timeout))
        << metrics(*alpha_) << metrics(*beta_);
  }

  // a (on its node) asks b (on the other); b accepts; both see each other online.
  // alice (alpha, logged in, returned) and bob (beta, logged out) are friends.
  std::unique_ptr<client::connection> alice_with_offline_friend_bob() {
    register_users(*alpha_, {"alice"});
    register_users(*beta_, {"bob"});
    auto alice = login_user(*alpha_, "alice");
    auto bob = login_user(*beta_, "bob");
    befriend(*alice, at_("alice", alpha_domain), *bob, at_("bob", beta_domain));
    if (!HasFatalFailure()) logout_user(*bob, "bob");
    return alice;
  }

  static void befriend(client::connection& a, const std::string& a_full, client::connection& b, const std::string& b_full) {
    send_request(a, "FRIEND_REQUEST", json::object{{"sender", a_full}, {"receiver", b_full}});
    const auto ack = expect_either(a, "FRIEND_REQUEST_ACK", "ERROR", fed_timeout);
    ASSERT_EQ(code_of(ack), 0) << json::serialize(ack);
    const auto request = expect_message(b, "FRIEND_REQUEST", fed_timeout);
    ASSERT_TRUE(has_fields(request, "FRIEND_REQUEST", json::object{{"sender", a_full}}));
    send_request(b, "FRIEND_REQUEST_RESPONSE", json::object{{"sender", a_full}, {"receiver", b_full}, {"code", 0}});
    const auto response = expect_message(a, "FRIEND_REQUEST_RESPONSE", fed_timeout);
    ASSERT_EQ(code_of(response), 0) << json::serialize(response);
    expect_message(a, "USER_STATUS_UPDATE", fed_timeout);
    expect_message(b, "USER_STATUS_UPDATE", fed_timeout);
  }

  // Waits until `node` fetched `count` media from `peer` in full.
  static ::testing::AssertionResult fetched(const node_process& node, const std::string& peer, std::uint64_t count) {
    if (eventually([&] { return metric(node, fetched_series(peer)) >= count; }, fed_timeout)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << node.domain() << " fetched " << metric(node, fetched_series(peer)) << " media from "
                                         << peer << ", expected " << count << "\n" << node.log();
  }

  // The holder let go of the media (every node and user has it): the same sender may use
  // the media id again for a new upload (a held, complete one would get 8010).
  static ::testing::AssertionResult released(client::connection& uploader, const std::string& sender,
                                             const std::string& receiver, const std::string& media_id) {
    json::object ack;
    const bool ok = eventually([&] {
      ack = open_upload(uploader, sender, receiver, media_id, 10);
      return code_of(ack) == 0;
    }, fed_timeout, 200ms);
    if (ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "media " << media_id << " still held: " << json::serialize(ack);
  }

  fs::path root_;
  std::unique_ptr<node_process> alpha_;
  std::unique_ptr<node_process> beta_;
};

TEST_F(federation_media, one_to_one_to_an_online_friend_and_history_on_both_nodes) {
  register_users(*alpha_, {"alice"});
  register_users(*beta_, {"bob"});
  auto alice = login_user(*alpha_, "alice");
  auto bob = login_user(*beta_, "bob");
  const auto alice_id = at_("alice", alpha_domain), bob_id = at_("bob", beta_domain);
  befriend(*alice, alice_id, *bob, bob_id);
  ASSERT_FALSE(HasFatalFailure());

  // CHATNODE_FEDMEDIA_MIB=N measures with a bigger media (by hand; the default stays quick).
  const char* mib = std::getenv("CHATNODE_FEDMEDIA_MIB");
  const std::size_t size = (mib ? std::stoul(mib) : 3) * 1024 * 1024 + 12345;
  const auto bytes = random_bytes(size, 1);
  const auto t0 = steady::now();
  const auto up = upload(*alice, alice_id, bob_id, "cat-video", bytes);
  ASSERT_EQ(code_of(up.complete), 0) << json::serialize(up.complete);
  const auto t1 = steady::now();

  download_options o;
  o.offer = expect_offer(*bob, "cat-video");  // sent once beta has every byte, checked
  const auto t2 = steady::now();
  o.timeout = fed_timeout;
  const auto got = download(*bob, bob_id, o);
  const auto t3 = steady::now();
  auto rate = [&](auto from, auto to) {
    return static_cast<double>(size) / (1024.0 * 1024.0) / std::chrono::duration<double>(to - from).count();
  };
  std::cout << "[ measure  ] " << size / (1024.0 * 1024.0) << " MiB alice@alpha -> bob@beta: upload " << rate(t0, t1)
            << " MiB/s, node-to-node fetch (upload complete -> offer) " << rate(t1, t2) << " MiB/s, download "
            << rate(t2, t3) << " MiB/s\n";
  EXPECT_TRUE(got.completed);
  EXPECT_EQ(got.bytes, bytes);
  EXPECT_EQ(got.sha256, sha256_hex(bytes));
  EXPECT_EQ(got.uploader, alice_id);
  EXPECT_TRUE(has_fields(got.offer, "MEDIA_MESSAGE", json::object{{"sender", alice_id}, {"receiver", bob_id},
                                                                   {"mediaSize", bytes.size()}}));
  EXPECT_TRUE(fetched(*beta_, alpha_domain, 1));

  // History: each node records the media message for its own user.
  const auto alice_history = history_of(*alice, "alice");
  const auto* a = media_item(alice_history, "cat-video");
  ASSERT_NE(a, nullptr) << dump(alice_history);
  EXPECT_EQ(a->at("sender").as_string(), alice_id);
  EXPECT_EQ(a->at("receiver").as_string(), bob_id);
  EXPECT_EQ(a->at("mediaSize").to_number<std::uint64_t>(), bytes.size());
  const auto bob_history = history_of(*bob, "bob");
  const auto* b = media_item(bob_history, "cat-video");
  ASSERT_NE(b, nullptr) << dump(bob_history);
  EXPECT_EQ(b->at("sender").as_string(), alice_id);
  EXPECT_EQ(b->at("receiver").as_string(), bob_id);
  EXPECT_EQ(b->at("mediaType").as_string(), "application/octet-stream");

  // beta told alpha it has everything; bob finished too: both let go of the bytes.
  EXPECT_TRUE(released(*alice, alice_id, bob_id, "cat-video"));
}

TEST_F(federation_media, one_to_one_to_an_offline_friend_is_offered_at_login) {
  const auto alice_id = at_("alice", alpha_domain), bob_id = at_("bob", beta_domain);
  auto alice = alice_with_offline_friend_bob();
  ASSERT_FALSE(HasFatalFailure());
  const auto bytes = random_bytes(2 * 1024 * 1024 + 7, 2);
  const auto up = upload(*alice, alice_id, bob_id, "holiday.jpg", bytes);
  ASSERT_EQ(code_of(up.complete), 0) << json::serialize(up.complete);
  // beta fetches while bob is away.
  ASSERT_TRUE(fetched(*beta_, alpha_domain, 1));

  auto bob = relogin(*beta_, "bob");
  download_options o;
  o.offer = expect_offer(*bob, "holiday.jpg");
  o.timeout = fed_timeout;
  const auto got = download(*bob, bob_id, o);
  EXPECT_TRUE(got.completed);
  EXPECT_EQ(got.bytes, bytes);
  EXPECT_EQ(got.uploader, alice_id);
}

TEST_F(federation_media, group_media_reaches_members_on_both_nodes_from_either_node) {
  register_users(*alpha_, {"alice", "carol"});
  register_users(*beta_, {"bob", "dave"});
  auto alice = login_user(*alpha_, "alice");
  auto carol = login_user(*alpha_, "carol");
  auto bob = login_user(*beta_, "bob");
  auto dave = login_user(*beta_, "dave");
  const auto alice_id = at_("alice", alpha_domain), carol_id = at_("carol", alpha_domain);
  const auto bob_id = at_("bob", beta_domain), dave_id = at_("dave", beta_domain);
  befriend(*alice, alice_id, *carol, carol_id);
  ASSERT_FALSE(HasFatalFailure());
  befriend(*alice, alice_id, *bob, bob_id);
  ASSERT_FALSE(HasFatalFailure());
  befriend(*alice, alice_id, *dave, dave_id);
  ASSERT_FALSE(HasFatalFailure());

  // The group is homed at alpha (alice's node); bob and dave are members on beta.
  send_request(*alice, "GROUP_CREATE", json::object{{"sender", "alice"}, {"members", json::array{"carol", bob_id, dave_id}}, {"name", "Pics"}});
  const auto created = expect_either(*alice, "GROUP_CREATE_ACK", "ERROR", fed_timeout);
  ASSERT_EQ(code_of(created), 0) << json::serialize(created);
  const auto group_id = payload_string(created, "groupId");
  ASSERT_TRUE(group_id.ends_with("@" + alpha_domain)) << group_id;
  for (auto* who : {carol.get(), bob.get(), dave.get()}) {
    const auto invite = expect_message(*who, "GROUP_INVITE", fed_timeout);
    ASSERT_TRUE(has_fields(invite, "GROUP_INVITE", json::object{{"groupId", group_id}}));
  }
  answer_invite(*carol, "carol", alice_id, "Pics", group_id, 0);
  answer_invite(*bob, "bob", alice_id, "Pics", group_id, 0);
  answer_invite(*dave, "dave", alice_id, "Pics", group_id, 0);
  for (int i = 0; i < 3; ++i) {
    const auto r = expect_message(*alice, "GROUP_INVITE_RESPONSE", fed_timeout);
    ASSERT_EQ(code_of(r), 0) << json::serialize(r);
  }

  // 1) From the home node: carol gets it locally, bob and dave through beta's fetch.
  const auto from_home = random_bytes(1024 * 1024 + 99, 3);
  ASSERT_EQ(code_of(upload(*alice, alice_id, group_id, "g-home", from_home).complete), 0);
  for (auto [conn, name] : {std::pair{carol.get(), carol_id}, std::pair{bob.get(), bob_id}, std::pair{dave.get(), dave_id}}) {
    download_options o;
    o.offer = expect_offer(*conn, "g-home");
    o.timeout = fed_timeout;
    EXPECT_TRUE(has_fields(*o.offer, "MEDIA_MESSAGE", json::object{{"sender", alice_id}, {"receiver", group_id}, {"groupId", group_id}}));
    const auto got = download(*conn, name, o);
    EXPECT_TRUE(got.completed) << name;
    EXPECT_EQ(got.bytes, from_home) << name;
  }
  EXPECT_TRUE(fetched(*beta_, alpha_domain, 1));

  // 2) From a member on the other node: bob's node sends it to the home, which delivers to
  // alice and carol and announces it back to beta for dave (not for bob, the sender).
  const auto from_member = random_bytes(1024 * 1024 + 5, 4);
  ASSERT_EQ(code_of(upload(*bob, bob_id, group_id, "g-member", from_member).complete), 0);
  for (auto [conn, name] : {std::pair{alice.get(), alice_id}, std::pair{carol.get(), carol_id}, std::pair{dave.get(), dave_id}}) {
    download_options o;
    o.offer = expect_offer(*conn, "g-member");
    o.timeout = fed_timeout;
    EXPECT_TRUE(has_fields(*o.offer, "MEDIA_MESSAGE", json::object{{"sender", bob_id}, {"receiver", group_id}}));
    const auto got = download(*conn, name, o);
    EXPECT_TRUE(got.completed) << name;
    EXPECT_EQ(got.bytes, from_member) << name;
  }
  EXPECT_TRUE(fetched(*alpha_, beta_domain, 1));
  EXPECT_TRUE(fetched(*beta_, alpha_domain, 2));
  // bob gets no offer of his own media.
  EXPECT_TRUE(no_offer(*bob));

  // Histories: every member on both nodes has both media messages.
  for (auto [conn, name] : {std::pair{alice.get(), "alice"}, std::pair{carol.get(), "carol"}, std::pair{bob.get(), "bob"},
                            std::pair{dave.get(), "dave"}}) {
    const auto items = history_of(*conn, name);
    EXPECT_NE(media_item(items, "g-home"), nullptr) << name;
    EXPECT_NE(media_item(items, "g-member"), nullptr) << name;
  }
}

TEST_F(federation_media, fetch_resumes_after_the_receiving_node_dies_mid_transfer) {
  const auto alice_id = at_("alice", alpha_domain), bob_id = at_("bob", beta_domain);
  auto alice = alice_with_offline_friend_bob();
  ASSERT_FALSE(HasFatalFailure());
  const auto bytes = random_bytes(24 * 1024 * 1024 + 321, 5);
  const std::uint32_t total = chunk_count(bytes.size(), max_chunk_bytes);
  const auto up = upload(*alice, alice_id, bob_id, "big-one", bytes);
  ASSERT_EQ(code_of(up.complete), 0) << json::serialize(up.complete);

  // Beta is fetching: freeze the holder so the transfer cannot finish, kill -9 the fetcher.
  ASSERT_TRUE(eventually([&] { return metric(*beta_, received_series(alpha_domain)) > 0; }, fed_timeout, 5ms)) << beta_->log();
  alpha_->freeze();
  const auto before = metric(*beta_, received_series(alpha_domain));
  beta_->kill9();
  alpha_->thaw();
  ASSERT_LT(before, total) << "the fetch finished before the kill; nothing to resume";

  beta_->start();
  wait_link();
  ASSERT_TRUE(fetched(*beta_, alpha_domain, 1));
  // It resumed after what it had stored, not from the start.
  const std::string log = beta_->log();
  const auto pos = log.rfind("resuming media big-one from " + alpha_domain + " at chunk ");
  ASSERT_NE(pos, std::string::npos) << log;
  const auto resumed_at = std::stoul(log.substr(pos + std::string("resuming media big-one from " + alpha_domain + " at chunk ").size()));
  EXPECT_GT(resumed_at, 1u) << log;
  const auto after = metric(*beta_, received_series(alpha_domain));
  EXPECT_LT(after, total);
  std::cout << "[ measure  ] " << total << " chunks: " << before << " stored before kill -9, resumed at chunk " << resumed_at
            << ", " << after << " fetched after the restart\n";

  auto bob = relogin(*beta_, "bob");
  download_options o;
  o.offer = expect_offer(*bob, "big-one");
  o.timeout = fed_timeout;
  o.keep_bytes = false;
  const auto got = download(*bob, bob_id, o);
  EXPECT_TRUE(got.completed);
  EXPECT_EQ(got.received_bytes, bytes.size());
  EXPECT_EQ(got.received_sha256, sha256_hex(bytes));
  EXPECT_TRUE(released(*alice, alice_id, bob_id, "big-one"));
}

}  // namespace
}  // namespace chatnode::testing::federation_media
