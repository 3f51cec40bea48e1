// chatnode-client's media commands against a real node: send-file from one CLI and fetch
// in another, both ways (bytes and SHA-256 equal), offers and history showing the media
// by name, type and size, a group named without quotes, --json offers, and refusals.
#include "tests/integration/cli_helpers.hpp"
#include "tests/integration/media_helpers.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <regex>

namespace chatnode::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const std::string hhmm = "[0-9]{2}:[0-9]{2}";

// The offer bob's `listen --json` prints first (the node offers waiting media at login).
json::object first_offer(const cli_node& s, const std::string& user) {
  const auto r = s.run(user, {"--json", "listen", "--count", "20", "--seconds", "3"});
  for (const auto& line : lines_of(r.out)) {
    const auto message = json::parse(line).as_object();
    if (message.at("type") == "MEDIA_MESSAGE") return message;
  }
  ADD_FAILURE() << "no MEDIA_MESSAGE for " << user << ": " << r;
  return {};
}

// The media id the latest history item of `user` names.
std::string latest_media_id(const cli_node& s, const std::string& user) {
  const auto r = s.run(user, {"history", "--limit", "1"});
  std::smatch m;
  if (std::regex_search(r.out, m, std::regex("; media ([A-Za-z0-9._~-]+)\n"))) return m[1];
  ADD_FAILURE() << "no media in the history of " << user << ": " << r;
  return {};
}

std::string media_id_of(const json::object& offer) {
  return offer.empty() ? std::string() : std::string(offer.at("payload").as_object().at("mediaId").as_string());
}

std::vector<std::uint8_t> file_bytes(const fs::path& p) {
  const std::string text = read_file_text(p);
  return {text.begin(), text.end()};
}

TEST(IntegrationCliMedia, SendFileAndFetchBothWays) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");
  temp_dir files;
  const auto report = random_bytes(300 * 1024, 11);  // five chunks
  write_bytes(files.path() / "report.pdf", report);

  const auto sent = s.run("alice", {"send-file", "bob", (files.path() / "report.pdf").string()});
  ASSERT_EQ(sent.status, 0) << sent;
  EXPECT_EQ(sent.out, "sent report.pdf (application/pdf, 300.0 KiB) to bob\n") << sent;

  // listen shows alice's status (the friends' statuses come first at login), then the offer
  // by name, type and size, and how to fetch it.
  const auto offered = s.run("bob", {"listen", "--count", "2", "--seconds", "10"});
  ASSERT_EQ(offered.status, 0) << offered;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(offered.out, m,
                               std::regex(hhmm + " alice went offline\n" + hhmm +
                                          " alice sent report\\.pdf \\(application/pdf, 300\\.0 KiB\\); to "
                                          "download: fetch ([A-Za-z0-9]{16}\\.report\\.pdf)\n")))
      << offered;
  const std::string media_id = m[1];

  // --json: the node's offer as it came, with the SHA-256 of the bytes.
  const auto offer = first_offer(s, "bob");
  EXPECT_EQ(media_id_of(offer), media_id);
  EXPECT_EQ(std::string(offer.at("payload").as_object().at("sha256").as_string()), sha256_hex(report));

  temp_dir downloads;
  const auto fetched = s.run("bob", {"fetch", media_id, downloads.path().string()});
  ASSERT_EQ(fetched.status, 0) << fetched;
  const fs::path saved = downloads.path() / "report.pdf";
  EXPECT_EQ(fetched.out, "saved report.pdf (application/pdf, 300.0 KiB) as " + saved.string() + "\n") << fetched;
  EXPECT_EQ(file_bytes(saved), report);
  EXPECT_EQ(sha256_hex(file_bytes(saved)), sha256_hex(report));
  EXPECT_FALSE(fs::exists(saved.string() + ".part"));
  EXPECT_FALSE(fs::exists(saved.string() + ".part.chunks"));

  // Fetched once, the node lets go: there is nothing to fetch any more.
  auto quick = s.as("bob", {"fetch", media_id, (downloads.path() / "again.pdf").string()});
  *(std::find(quick.begin(), quick.end(), "--timeout") + 1) = "2";  // the offer that never comes
  const auto again = run_cli(quick);
  EXPECT_EQ(again.status, 1) << again;
  EXPECT_TRUE(contains(again.err, "(8001)")) << again;

  // History keeps the media by name, type and size, with its id.
  const auto history = s.run("bob", {"history"});
  ASSERT_EQ(history.status, 0) << history;
  EXPECT_TRUE(std::regex_match(history.out, std::regex("\\[[0-9]+\\] " + hhmm + " alice sent report\\.pdf "
                                                       "\\(application/pdf, 300\\.0 KiB\\); media " +
                                                       media_id + "\n")))
      << history;

  // The other way, fetched under its own name into the working directory.
  const auto photo = random_bytes(70000, 12);
  write_bytes(files.path() / "photo.jpg", photo);
  const auto back = s.run("bob", {"send-file", "alice", (files.path() / "photo.jpg").string()});
  ASSERT_EQ(back.status, 0) << back;
  EXPECT_EQ(back.out, "sent photo.jpg (image/jpeg, 68.4 KiB) to alice\n") << back;
  const std::string photo_id = latest_media_id(s, "alice");
  ASSERT_FALSE(photo_id.empty());
  temp_dir alice_dir;
  const auto got = s.run("alice", {"fetch", photo_id}, "", cli_options::in_dir(alice_dir.path()));
  ASSERT_EQ(got.status, 0) << got;
  EXPECT_EQ(got.out, "saved photo.jpg (image/jpeg, 68.4 KiB) as photo.jpg\n") << got;
  EXPECT_EQ(sha256_hex(file_bytes(alice_dir.path() / "photo.jpg")), sha256_hex(photo));
  const auto sender_history = s.run("bob", {"history", "--with", "alice", "--limit", "1"});
  EXPECT_TRUE(contains(sender_history.out, " bob -> alice sent photo.jpg (image/jpeg, 68.4 KiB); media " + photo_id))
      << sender_history;
}

TEST(IntegrationCliMedia, GroupMediaAndRefusals) {
  cli_node s;
  for (const char* user : {"alice", "bob", "carol", "dave"}) s.add_user(user);
  s.befriend("alice", "bob");
  s.befriend("alice", "carol");
  ASSERT_EQ(s.run("alice", {"group-create", "Book club", "bob", "carol"}).status, 0);
  ASSERT_EQ(s.run("bob", {"group-accept", "Book club"}).status, 0);
  ASSERT_EQ(s.run("carol", {"group-accept", "Book club"}).status, 0);
  temp_dir files;
  const auto notes = random_bytes(5 * 1024, 13);
  write_bytes(files.path() / "notes.txt", notes);

  // The group named by its words, unquoted.
  const auto sent = s.run("alice", {"send-file", "Book", "club", (files.path() / "notes.txt").string()});
  ASSERT_EQ(sent.status, 0) << sent;
  EXPECT_EQ(sent.out, "sent notes.txt (text/plain, 5.0 KiB) to Book club\n") << sent;
  for (const char* member : {"bob", "carol"}) {
    const auto offered = s.run(member, {"listen", "--count", "2", "--seconds", "10"});
    EXPECT_TRUE(std::regex_match(offered.out, std::regex(hhmm + " alice went offline\n" + hhmm + " \\[Book club\\] alice sent notes\\.txt \\(text/plain, "
                                                                "5\\.0 KiB\\); to download: fetch [A-Za-z0-9]{16}\\.notes\\.txt\n")))
        << member << ": " << offered;
    const std::string id = latest_media_id(s, member);
    temp_dir dir;
    const auto got = s.run(member, {"fetch", id, (dir.path() / "mine.txt").string()});
    ASSERT_EQ(got.status, 0) << member << ": " << got;
    EXPECT_EQ(file_bytes(dir.path() / "mine.txt"), notes) << member;
  }

  const auto stranger = s.run("alice", {"send-file", "dave", (files.path() / "notes.txt").string()});
  EXPECT_EQ(stranger.status, 1) << stranger;
  EXPECT_TRUE(contains(stranger.err, "not friends (7002)")) << stranger;
  const auto missing = s.run("alice", {"send-file", "bob", (files.path() / "nothing.bin").string()});
  EXPECT_EQ(missing.status, 2) << missing;
  EXPECT_TRUE(contains(missing.err, "nothing.bin")) << missing;
  write_bytes(files.path() / "empty.bin", {});
  const auto empty = s.run("alice", {"send-file", "bob", (files.path() / "empty.bin").string()});
  EXPECT_EQ(empty.status, 2) << empty;
  EXPECT_TRUE(contains(empty.err, "empty")) << empty;
  const auto unknown_group = s.run("alice", {"send-file", "No", "such", "group", (files.path() / "notes.txt").string()});
  EXPECT_EQ(unknown_group.status, 1) << unknown_group;
  EXPECT_TRUE(contains(unknown_group.err, "(4002)")) << unknown_group;
}

// A fetch killed half-way leaves PATH.part and its journal; running it again goes on after
// the chunks it has (the node resumes after the acknowledged ones) and checks the whole file.
TEST(IntegrationCliMedia, AnInterruptedFetchGoesOnWhenRunAgain) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");
  temp_dir files;
  const auto big = random_bytes(1024 * 1024, 23);  // 16 chunks
  write_bytes(files.path() / "big.bin", big);
  ASSERT_EQ(s.run("alice", {"send-file", "bob", (files.path() / "big.bin").string()}).status, 0);
  const std::string id = latest_media_id(s, "bob");

  temp_dir downloads;
  const fs::path target = downloads.path() / "big.bin";
  {
    cli_process first(s.as("bob", {"--verbose", "fetch", id, target.string(), "--limit-rate", "256K"}));
    ASSERT_TRUE(first.wait_error("big.bin: 25% (")) << first.err();
    first.signal(SIGKILL);
    first.wait();
  }
  EXPECT_TRUE(fs::exists(target.string() + ".part"));
  EXPECT_TRUE(fs::exists(target.string() + ".part.chunks"));
  EXPECT_FALSE(fs::exists(target));
  // The node has noticed bob's connection is gone (else the next login is 2002).
  ASSERT_TRUE(eventually([&] { return contains(s.run("alice", {"friends"}).out, "bob: offline"); }));

  const auto again = s.run("bob", {"fetch", id, target.string()});
  ASSERT_EQ(again.status, 0) << again;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(again.err, m, std::regex("resuming big\\.bin: ([0-9]+) of 16 chunks already here\n")))
      << again;
  EXPECT_GE(std::stoi(m[1]), 4) << again;
  EXPECT_LT(std::stoi(m[1]), 16) << again;
  const std::string got = read_file_text(target);
  EXPECT_EQ(sha256_hex(std::vector<std::uint8_t>(got.begin(), got.end())), sha256_hex(big));
  EXPECT_FALSE(fs::exists(target.string() + ".part"));
  EXPECT_FALSE(fs::exists(target.string() + ".part.chunks"));
}

// Interactive mode shows the offer, fetches in the background and sends files itself.
TEST(IntegrationCliMedia, InteractiveFetchAndSendFile) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");
  temp_dir files;
  const auto notes = random_bytes(100 * 1024, 24);
  write_bytes(files.path() / "notes.txt", notes);

  cli_process bob(s.as("bob", {}));
  ASSERT_TRUE(bob.wait_output("logged in as bob\n")) << bob.out() << bob.err();
  ASSERT_EQ(s.run("alice", {"send-file", "bob", (files.path() / "notes.txt").string()}).status, 0);
  std::smatch m;
  ASSERT_TRUE(bob.wait_output_match(std::regex(hhmm + " alice sent notes\\.txt \\(text/plain, 100\\.0 KiB\\); to "
                                                      "download: fetch ([A-Za-z0-9]{16}\\.notes\\.txt)\n")))
      << bob.out();
  const std::string out = bob.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex("fetch ([A-Za-z0-9]{16}\\.notes\\.txt)\n")));
  temp_dir downloads;
  bob.write("fetch " + std::string(m[1]) + " " + downloads.path().string() + "\n");
  ASSERT_TRUE(bob.wait_output("saved notes.txt (text/plain, 100.0 KiB) as " + (downloads.path() / "notes.txt").string()))
      << bob.out() << bob.err();
  EXPECT_EQ(file_bytes(downloads.path() / "notes.txt"), notes);

  bob.write("send-file alice " + (downloads.path() / "notes.txt").string() + "\n");
  ASSERT_TRUE(bob.wait_output("sent notes.txt (text/plain, 100.0 KiB) to alice\n")) << bob.out() << bob.err();
  bob.close_stdin();
  EXPECT_EQ(bob.wait(), 0) << bob.out() << bob.err();
  const auto history = s.run("alice", {"history", "--limit", "1"});
  EXPECT_TRUE(contains(history.out, " bob sent notes.txt (text/plain, 100.0 KiB); media ")) << history;
}

}  // namespace
}  // namespace chatnode::testing
