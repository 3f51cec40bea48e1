// chatnode-client keeps going when the node restarts: listen and interactive mode
// reconnect by themselves (backoff, visible), log in again and catch up on what they
// missed (each message once), and an upload cut by a node crash resumes with the chunks
// the node already has. The node comes back on the same data dir and port.
#include "tests/integration/cli_helpers.hpp"
#include "tests/integration/media_helpers.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <regex>

namespace chatnode::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string hhmm = "[0-9]{2}:[0-9]{2}";
// Reconnecting waits 0.5–1 s, then 1–2 s, 2–4 s, … (docs/cli.md): a node back within a
// few seconds is reached well within this.
constexpr auto reconnect_wait = 60s;

// The options of s.base() pointed at `port` instead of the pinned one.
std::vector<std::string> at_port(const cli_node& s, std::uint16_t port, const std::string& user,
                                 std::vector<std::string> args) {
  auto all = s.as(user, std::move(args));
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    if (all[i] == "--server") all[i + 1] = "127.0.0.1:" + std::to_string(port);
  }
  return all;
}

TEST(IntegrationCliReconnect, ListenReconnectsAndCatchesUpOnWhatItMissed) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");

  cli_process bob(s.as("bob", {"listen"}));
  ASSERT_FALSE(s.send("alice", {"bob", "before", "the", "restart"}).empty());
  ASSERT_TRUE(bob.wait_output_match(std::regex(hhmm + " alice: before the restart\n"))) << bob.out() << bob.err();

  // The node goes away and comes back on another port, where bob's listen cannot reach it.
  s.restart_on(0);
  ASSERT_TRUE(bob.wait_error_match(std::regex("connection lost[^\n]*; reconnecting in [0-9]+ s\n")))
      << bob.out() << bob.err();
  const std::uint16_t elsewhere = s.node().client_port();
  // Meanwhile alice writes to bob (kept in his inbox) and bob writes from another client
  // (kept only in his history: what catch-up is for).
  const auto away = run_cli(at_port(s, elsewhere, "alice", {"send", "bob", "while", "you", "were", "away"}));
  ASSERT_EQ(away.status, 0) << away;
  const auto other_device = run_cli(at_port(s, elsewhere, "bob", {"send", "alice", "from", "another", "device"}));
  ASSERT_EQ(other_device.status, 0) << other_device;

  // Back on bob's port, same data dir.
  s.restart_on(s.port());
  ASSERT_TRUE(bob.wait_error("reconnected as bob\n", reconnect_wait)) << bob.out() << bob.err();
  ASSERT_TRUE(bob.wait_output_match(std::regex("\n" + hhmm + " alice: while you were away\n")))
      << bob.out() << bob.err();
  ASSERT_TRUE(bob.wait_output_match(std::regex("\n" + hhmm + " bob -> alice: from another device\n")))
      << bob.out() << bob.err();
  EXPECT_TRUE(bob.wait_error_match(std::regex("caught up: [0-9]+ messages? arrived while disconnected\n")))
      << bob.out() << bob.err();

  // And it is live again.
  ASSERT_FALSE(s.send("alice", {"bob", "after", "the", "restart"}).empty());
  ASSERT_TRUE(bob.wait_output_match(std::regex(hhmm + " alice: after the restart\n"))) << bob.out() << bob.err();
  const std::string out = bob.out();
  EXPECT_EQ(count_of(out, "before the restart"), 1U) << out;
  EXPECT_EQ(count_of(out, "while you were away"), 1U) << out;
  EXPECT_EQ(count_of(out, "from another device"), 1U) << out;
  EXPECT_EQ(count_of(out, "after the restart"), 1U) << out;
  bob.signal(SIGTERM);
}

TEST(IntegrationCliReconnect, InteractiveModeReconnectsOnTheSamePortAndCarriesOn) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");

  cli_process bob(s.as("bob", {}));
  ASSERT_TRUE(bob.wait_output("logged in as bob\n")) << bob.out() << bob.err();
  s.restart_on(s.port());
  ASSERT_TRUE(bob.wait_error_match(std::regex("connection lost[^\n]*; reconnecting in [0-9]+ s\n")))
      << bob.out() << bob.err();
  // Sent while bob is (probably) still away: in his inbox, or live if he is back already.
  ASSERT_FALSE(s.send("alice", {"bob", "welcome", "back"}).empty());
  ASSERT_TRUE(bob.wait_error("reconnected as bob\n", reconnect_wait)) << bob.out() << bob.err();
  ASSERT_TRUE(bob.wait_output_match(std::regex("\n" + hhmm + " alice: welcome back\n"))) << bob.out() << bob.err();

  bob.write("send alice still here\n");
  ASSERT_TRUE(bob.wait_output_match(std::regex("\n" + hhmm + " bob -> alice: still here\n"))) << bob.out() << bob.err();
  const auto seen = s.run("alice", {"history", "--with", "bob", "--limit", "1"});
  EXPECT_TRUE(std::regex_match(seen.out, std::regex("\\[[0-9]+\\] " + hhmm + " bob: still here\n"))) << seen;
  bob.close_stdin();
  EXPECT_EQ(bob.wait(), 0) << bob.out() << bob.err();
  EXPECT_EQ(count_of(bob.out(), "welcome back"), 1U) << bob.out();
}

TEST(IntegrationCliReconnect, AnUploadCutByANodeCrashResumes) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");
  temp_dir files;
  const auto big = random_bytes(512 * 1024, 21);  // 8 chunks of 64 KiB
  write_bytes(files.path() / "big.bin", big);

  // 128 KiB/s: two chunks a second, so the crash lands in the middle of the upload.
  cli_process alice(s.as("alice", {"--verbose", "send-file", "bob", (files.path() / "big.bin").string(),
                                   "--limit-rate", "128K"}));
  ASSERT_TRUE(alice.wait_error("big.bin: 25% (")) << alice.out() << alice.err();
  s.node().freeze();  // nothing more is stored from here on
  s.node().kill9();
  s.restart_on(s.port());

  ASSERT_EQ(alice.wait(), 0) << alice.out() << alice.err();
  const std::string err = alice.err();
  EXPECT_TRUE(contains(err, "reconnected as alice\n")) << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex("resuming big\\.bin: ([0-9]+) of 8 chunks already on the node\n")))
      << err;
  const int already = std::stoi(m[1]);
  EXPECT_GE(already, 2) << "two chunks were acknowledged before the crash";
  EXPECT_LT(already, 8) << err;
  EXPECT_EQ(alice.out(), "sent big.bin (application/octet-stream, 512.0 KiB) to bob\n");

  // What bob gets is the whole file.
  const auto history = s.run("bob", {"history", "--limit", "1"});
  std::smatch id;
  ASSERT_TRUE(std::regex_search(history.out, id, std::regex("; media ([A-Za-z0-9._~-]+)\n"))) << history;
  temp_dir downloads;
  const auto fetched = s.run("bob", {"fetch", id[1], (downloads.path() / "big.bin").string()});
  ASSERT_EQ(fetched.status, 0) << fetched;
  const std::string got = read_file_text(downloads.path() / "big.bin");
  EXPECT_EQ(sha256_hex(std::vector<std::uint8_t>(got.begin(), got.end())), sha256_hex(big));
}

TEST(IntegrationCliReconnect, AFetchCutByANodeCrashResumes) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");
  temp_dir files;
  const auto big = random_bytes(1024 * 1024, 22);  // 16 chunks
  write_bytes(files.path() / "big.bin", big);
  ASSERT_EQ(s.run("alice", {"send-file", "bob", (files.path() / "big.bin").string()}).status, 0);
  const auto history = s.run("bob", {"history", "--limit", "1"});
  std::smatch id;
  ASSERT_TRUE(std::regex_search(history.out, id, std::regex("; media ([A-Za-z0-9._~-]+)\n"))) << history;

  // Acknowledging 256 KiB/s paces the node (it sends at most 8 chunks ahead of the acks):
  // the crash lands in the middle of the download.
  temp_dir downloads;
  const fs::path target = downloads.path() / "big.bin";
  cli_process bob(s.as("bob", {"--verbose", "fetch", id[1], target.string(), "--limit-rate", "256K"}));
  ASSERT_TRUE(bob.wait_error("big.bin: 25% (")) << bob.out() << bob.err();
  s.node().freeze();
  s.node().kill9();
  s.restart_on(s.port());

  ASSERT_EQ(bob.wait(), 0) << bob.out() << bob.err();
  const std::string err = bob.err();
  EXPECT_TRUE(contains(err, "reconnected as bob\n")) << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex("resuming big\\.bin: ([0-9]+) of 16 chunks already here\n")))
      << err;
  EXPECT_GE(std::stoi(m[1]), 4) << err;
  EXPECT_LT(std::stoi(m[1]), 16) << err;
  EXPECT_EQ(bob.out(), "saved big.bin (application/octet-stream, 1.0 MiB) as " + target.string() + "\n");
  const std::string got = read_file_text(target);
  EXPECT_EQ(sha256_hex(std::vector<std::uint8_t>(got.begin(), got.end())), sha256_hex(big));
  EXPECT_FALSE(fs::exists(target.string() + ".part"));
}

}  // namespace
}  // namespace chatnode::testing
