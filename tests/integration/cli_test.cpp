// chatnode-client against a real node: exit statuses and human output of the one-shot
// commands line by line, --json, the TLS name check (--server-name defaults to the host),
// the passwordHash the client derives, groups named without quotes, and interactive mode
// fed through a pipe. Every run of the binary has a deadline; a hung client is killed
// and fails the test.
#include "tests/integration/cli_helpers.hpp"

#include "client/password_hash.hpp"
#include "tests/integration/protocol_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// A local time on today's messages: "12:04".
const std::string hhmm = "[0-9]{2}:[0-9]{2}";

bool has_line(const std::string& text, const std::string& pattern) {
  for (const auto& line : lines_of(text)) {
    if (std::regex_match(line, std::regex(pattern))) return true;
  }
  return false;
}

// ---- no node needed ---------------------------------------------------------------------

TEST(IntegrationCli, HelpListsCommandsAndExitsZero) {
  const auto general = run_cli({"--help"});
  EXPECT_EQ(general.status, 0) << general;
  for (const char* command : {"register", "login", "friend-request", "accept", "send", "send-file", "fetch", "history",
                              "listen", "groups", "group-create", "--server", "--server-name", "--ca", "--json",
                              "--timeout", "--no-reconnect"}) {
    EXPECT_TRUE(contains(general.out, command)) << command << "\n" << general;
  }
  // --help wins over everything else, and works after a command.
  const auto command = run_cli({"history", "--help"});
  EXPECT_EQ(command.status, 0) << command;
  EXPECT_TRUE(contains(command.out, "--with")) << command;
  const auto send_file = run_cli({"send-file", "--help"});
  EXPECT_TRUE(contains(send_file.out, "--limit-rate")) << send_file;
}

TEST(IntegrationCli, UsageErrorsExitTwo) {
  const auto unknown = run_cli({"frobnicate"});
  EXPECT_EQ(unknown.status, 2) << unknown;
  EXPECT_TRUE(contains(unknown.err, "frobnicate")) << unknown;

  const auto missing_text = run_cli({"--user", "a", "--password", "p", "send", "bob"});
  EXPECT_EQ(missing_text.status, 2) << missing_text;
  EXPECT_TRUE(contains(missing_text.err, "RECEIVER TEXT")) << missing_text;

  const auto no_user = run_cli({"friends"});
  EXPECT_EQ(no_user.status, 2) << no_user;
  EXPECT_TRUE(contains(no_user.err, "--user")) << no_user;

  // No terminal to ask on: a missing password is a usage error.
  const auto no_password = run_cli({"--user", "a", "friends"});
  EXPECT_EQ(no_password.status, 2) << no_password;
  EXPECT_TRUE(contains(no_password.err, "password")) << no_password;

  const auto bad_option = run_cli({"--user", "a", "--password", "p", "friends", "--bogus"});
  EXPECT_EQ(bad_option.status, 2) << bad_option;
  const auto bad_server = run_cli({"--server", "host:99999", "login", "a", "p"});
  EXPECT_EQ(bad_server.status, 2) << bad_server;
}

TEST(IntegrationCli, MissingCaFileExitsTwoWithAMessage) {
  const auto r = run_cli({"--ca", "/nonexistent/ca.crt", "--server", "127.0.0.1:1", "login", "alice", "pw"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "/nonexistent/ca.crt")) << r;
  EXPECT_TRUE(r.out.empty()) << r;
}

// ---- against a node ---------------------------------------------------------------------

TEST(IntegrationCli, UntrustedCaFailsTheTlsHandshakeWithExitTwo) {
  cli_node s;
  node_process other;  // never started: only its own dev CA is used
  auto args = s.base();
  args[1] = other.ca_file().string();
  args.insert(args.end(), {"login", "alice", "pw"});
  const auto r = run_cli(args);
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "TLS handshake")) << r;
}

TEST(IntegrationCli, ServerNameDefaultsToTheHostOfServer) {
  cli_node s;
  s.add_user("alice");
  const std::string port = std::to_string(s.port());
  const std::string ca = s.node().ca_file().string();
  // "localhost" resolves to loopback and is the name the node's certificate carries.
  const auto by_name = run_cli({"--ca", ca, "--server", "localhost:" + port, "login", "alice", "pw-alice"});
  EXPECT_EQ(by_name.status, 0) << by_name;
  // By address, the certificate must name 127.0.0.1, which it does not: refused, with a hint.
  const auto by_address = run_cli({"--ca", ca, "--server", "127.0.0.1:" + port, "login", "alice", "pw-alice"});
  EXPECT_EQ(by_address.status, 2) << by_address;
  EXPECT_TRUE(contains(by_address.err, "TLS handshake")) << by_address;
  EXPECT_TRUE(contains(by_address.err, "--server-name")) << by_address;
  // --host/--port still work (scripts used them).
  const auto old_style = run_cli({"--ca", ca, "--host", "127.0.0.1", "--port", port, "--server-name", "localhost",
                                  "login", "alice", "pw-alice"});
  EXPECT_EQ(old_style.status, 0) << old_style;
}

TEST(IntegrationCli, RegisterAndLoginExitCodes) {
  cli_node s;
  auto with = [&](std::vector<std::string> args) {
    auto all = s.base();
    all.insert(all.end(), args.begin(), args.end());
    return all;
  };

  const auto registered = run_cli(with({"register", "alice", "pw-alice"}));
  EXPECT_EQ(registered.status, 0) << registered;
  EXPECT_EQ(registered.out, "registered alice\n") << registered;

  const auto duplicate = run_cli(with({"register", "--user", "Alice", "--password", "other"}));
  EXPECT_EQ(duplicate.status, 1) << duplicate;
  EXPECT_TRUE(contains(duplicate.err, "user already exists (1002)")) << duplicate;

  const auto good = run_cli(with({"login", "--user", "alice", "--password", "pw-alice"}));
  EXPECT_EQ(good.status, 0) << good;
  EXPECT_EQ(good.out, "logged in as alice\n") << good;

  const auto wrong = run_cli(with({"login", "alice", "wrong"}));
  EXPECT_EQ(wrong.status, 1) << wrong;
  EXPECT_TRUE(contains(wrong.err, "wrong password (2001)")) << wrong;

  const auto unknown = run_cli(with({"login", "nobody", "pw"}));
  EXPECT_EQ(unknown.status, 1) << unknown;
  EXPECT_TRUE(contains(unknown.err, "no such user (2003)")) << unknown;

  // The password may come from the environment.
  const auto from_env = run_cli(with({"login", "--user", "alice"}), "", cli_options::with_env({"CHATNODE_PASSWORD=pw-alice"}));
  EXPECT_EQ(from_env.status, 0) << from_env;

  // --json prints the node's reply as it came.
  const auto raw = run_cli(with({"--json", "login", "alice", "pw-alice"}));
  ASSERT_EQ(raw.status, 0) << raw;
  const auto parsed = json::parse(raw.out);
  EXPECT_EQ(parsed.as_object().at("type"), "LOGIN_RESPONSE") << raw;
}

// The client never sends the password itself: passwordHash is derived as docs/protocol.md
// §5 says, so another client (the web client) deriving it the same way shares the account.
TEST(IntegrationCli, SendsTheDerivedPasswordHash) {
  cli_node s;
  s.add_user("Dora");
  auto derived = s.node().connect();
  const auto ok = login(*derived, "dora", client::password_hash("Dora", "pw-Dora"));
  EXPECT_EQ(code_of(ok), 0) << json::serialize(ok);
  derived->close();
  auto raw = s.node().connect();
  const auto refused = login(*raw, "dora", "pw-Dora");
  EXPECT_EQ(code_of(refused), 2001) << "the raw password is not what the node stores";
}

TEST(IntegrationCli, TwoUserSessionFriendsTextAndHistory) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");

  const auto asked = s.run("alice", {"friend-request", "bob"});
  ASSERT_EQ(asked.status, 0) << asked;
  EXPECT_EQ(asked.out, "friend request sent to bob\n") << asked;

  const auto pending = s.run("bob", {"friends"});
  ASSERT_EQ(pending.status, 0) << pending;
  EXPECT_EQ(pending.out, "alice: asks to be your friend (accept alice / reject alice)\n") << pending;
  const auto waiting = s.run("alice", {"friends"});
  EXPECT_EQ(waiting.out, "bob: friend request sent, no answer yet\n") << waiting;

  const auto accepted = s.run("bob", {"accept", "alice"});
  ASSERT_EQ(accepted.status, 0) << accepted;
  EXPECT_EQ(accepted.out, "you and alice are friends now\n") << accepted;

  const auto friends = s.run("alice", {"friends"});
  EXPECT_EQ(friends.out, "bob: offline\n") << friends;

  const auto sent = s.run("alice", {"send", "bob", "hello", "bob"});
  ASSERT_EQ(sent.status, 0) << sent;
  EXPECT_EQ(sent.out, "sent to bob\n") << sent;
  const auto first_id = s.send("alice", {"bob", "second"});
  ASSERT_FALSE(first_id.empty());

  // Bob was offline: the messages wait in his inbox, delivered right after login.
  const auto inbox = s.run("bob", {"listen", "--count", "2", "--seconds", "10"});
  ASSERT_EQ(inbox.status, 0) << inbox;
  const auto lines = lines_of(inbox.out);
  ASSERT_EQ(lines.size(), 2U) << inbox;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(hhmm + " alice: hello bob"))) << inbox;
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(hhmm + " alice: second"))) << inbox;

  const auto reply_id = s.send("bob", {"alice", "hi", "alice"});
  const auto history = s.run("bob", {"history"});
  ASSERT_EQ(history.status, 0) << history;
  const auto items = lines_of(history.out);
  ASSERT_EQ(items.size(), 3U) << history;
  EXPECT_TRUE(std::regex_match(items[0], std::regex("\\[[0-9]+\\] " + hhmm + " alice: hello bob"))) << history;
  EXPECT_TRUE(std::regex_match(items[1], std::regex("\\[" + first_id + "\\] " + hhmm + " alice: second"))) << history;
  EXPECT_TRUE(std::regex_match(items[2], std::regex("\\[" + reply_id + "\\] " + hhmm + " bob -> alice: hi alice")))
      << history;

  const auto latest = s.run("alice", {"history", "--with", "bob", "--limit", "1"});
  EXPECT_EQ(lines_of(latest.out).size(), 1U) << latest;
  EXPECT_TRUE(contains(latest.out, "bob: hi alice")) << latest;

  const auto after = s.run("alice", {"history", "--after", first_id});
  EXPECT_FALSE(contains(after.out, "second")) << after;
  EXPECT_TRUE(contains(after.out, "hi alice")) << after;

  const auto none = s.run("alice", {"history", "--after", reply_id});
  EXPECT_EQ(none.status, 1) << none;
  EXPECT_TRUE(contains(none.err, "no messages match (6001)")) << none;

  // --json history: the node's messages, one per line.
  const auto raw = s.run("bob", {"--json", "history", "--limit", "1"});
  ASSERT_EQ(raw.status, 0) << raw;
  bool saw_data = false;
  for (const auto& line : lines_of(raw.out)) {
    const auto message = json::parse(line).as_object();
    if (message.at("type") == "MESSAGE_HISTORY_DATA") saw_data = true;
  }
  EXPECT_TRUE(saw_data) << raw;
}

TEST(IntegrationCli, FailureCodesAreShownByMeaning) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");

  const auto nobody = s.run("alice", {"friend-request", "nobody"});
  EXPECT_EQ(nobody.status, 1) << nobody;
  EXPECT_TRUE(contains(nobody.err, "no such user (3001)")) << nobody;

  const auto self = s.run("alice", {"friend-request", "alice"});
  EXPECT_EQ(self.status, 1) << self;
  EXPECT_TRUE(contains(self.err, "(3005)")) << self;

  const auto stranger = s.run("alice", {"send", "bob", "hi"});
  EXPECT_EQ(stranger.status, 1) << stranger;
  EXPECT_TRUE(contains(stranger.err, "not friends (7002)")) << stranger;

  const auto nothing_to_accept = s.run("bob", {"accept", "alice"});
  EXPECT_EQ(nothing_to_accept.status, 1) << nothing_to_accept;
  EXPECT_TRUE(contains(nothing_to_accept.err, "no friend request to answer (3007)")) << nothing_to_accept;

  const auto bad_status = s.run("alice", {"status", "sleepy"});
  EXPECT_EQ(bad_status.status, 2) << bad_status;
  const auto status = s.run("alice", {"status", "away"});
  EXPECT_EQ(status.status, 0) << status;
  EXPECT_EQ(status.out, "your status is away\n") << status;
}

TEST(IntegrationCli, RejectAndUnfriend) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");

  ASSERT_EQ(s.run("alice", {"friend-request", "bob"}).status, 0);
  const auto rejected = s.run("bob", {"reject", "alice"});
  ASSERT_EQ(rejected.status, 0) << rejected;
  EXPECT_EQ(rejected.out, "declined the friend request of alice\n") << rejected;
  const auto lists = s.run("bob", {"friends"});
  EXPECT_EQ(lists.out, "no friends and no friend requests yet\n") << lists;

  s.befriend("alice", "bob");
  const auto removed = s.run("alice", {"unfriend", "bob"});
  EXPECT_EQ(removed.status, 0) << removed;
  EXPECT_EQ(removed.out, "bob is no longer your friend\n") << removed;
  const auto again = s.run("alice", {"unfriend", "bob"});
  EXPECT_EQ(again.status, 1) << again;
  EXPECT_TRUE(contains(again.err, "not friends (3008)")) << again;
}

TEST(IntegrationCli, GroupsAreNamedWithoutQuotes) {
  cli_node s;
  for (const char* user : {"alice", "bob", "carol"}) s.add_user(user);
  s.befriend("alice", "bob");
  s.befriend("alice", "carol");

  // The trailing words that are friends are the members; the rest is the name.
  const auto created = s.run("alice", {"group-create", "Book", "club", "bob", "carol"});
  ASSERT_EQ(created.status, 0) << created;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(created.out, m, std::regex("created group Book club \\((#[a-z0-9]+@localhost)\\); "
                                                          "invited bob, carol\n")))
      << created;
  const std::string group_id = m[1];

  const auto invited = s.run("bob", {"groups"});
  EXPECT_EQ(invited.out, "invitation to Book club from alice (group-accept Book club / group-reject Book club); id " +
                             group_id + "\n")
      << invited;

  const auto joined = s.run("bob", {"group-accept", "Book", "club"});
  ASSERT_EQ(joined.status, 0) << joined;
  EXPECT_EQ(joined.out, "joined Book club (invited by alice)\n") << joined;
  const auto declined = s.run("carol", {"group-reject", group_id});
  ASSERT_EQ(declined.status, 0) << declined;
  const auto no_invitation = s.run("carol", {"group-accept", group_id});
  EXPECT_EQ(no_invitation.status, 1) << no_invitation;
  EXPECT_TRUE(contains(no_invitation.err, "(4007)")) << no_invitation;

  // `send Book club welcome`: the longest group name the words start with.
  const auto sent = s.run("alice", {"send", "Book", "club", "welcome", "all"});
  ASSERT_EQ(sent.status, 0) << sent;
  EXPECT_EQ(sent.out, "sent to Book club\n") << sent;
  const auto history = s.run("bob", {"history", "--with", group_id});
  EXPECT_TRUE(has_line(history.out, "\\[[0-9]+\\] " + hhmm + " \\[Book club\\] alice: welcome all")) << history;

  const auto not_leader = s.run("bob", {"group-remove", "Book", "club"});
  EXPECT_EQ(not_leader.status, 1) << not_leader;
  EXPECT_TRUE(contains(not_leader.err, "not the leader of the group (4005)")) << not_leader;

  const auto handed = s.run("alice", {"group-leader", "Book", "club", "bob"});
  EXPECT_EQ(handed.status, 0) << handed;
  EXPECT_EQ(handed.out, "bob now leads Book club\n") << handed;
  const auto left = s.run("alice", {"group-leave", "Book", "club"});
  EXPECT_EQ(left.status, 0) << left;
  EXPECT_EQ(left.out, "you left Book club\n") << left;
  const auto groups = s.run("bob", {"groups"});
  EXPECT_EQ(groups.out, "Book club: led by bob; members bob; id " + group_id + "\n") << groups;
  const auto removed = s.run("bob", {"group-remove", group_id});
  EXPECT_EQ(removed.status, 0) << removed;
  EXPECT_EQ(removed.out, "deleted the group Book club\n") << removed;
}

TEST(IntegrationCli, InteractiveModeReadsCommandsFromAPipeAndPrintsReplies) {
  cli_node s;
  // Interactive register and login take the credentials as arguments.
  const auto fresh = run_cli(s.base(), "register dave pw-dave\nlogin dave pw-dave\nhelp\nbogus\nquit\n");
  EXPECT_EQ(fresh.status, 0) << fresh;
  EXPECT_TRUE(contains(fresh.out, "registered dave\n")) << fresh;
  EXPECT_TRUE(contains(fresh.out, "logged in as dave\n")) << fresh;
  EXPECT_TRUE(contains(fresh.out, "friend-request USER")) << fresh;  // help
  EXPECT_TRUE(contains(fresh.err, "bogus")) << fresh;
  EXPECT_FALSE(contains(fresh.out, "> ")) << "no prompt without a terminal\n" << fresh;

  const auto failed = run_cli(s.base(), "login dave wrong\n");
  EXPECT_EQ(failed.status, 0) << failed;
  EXPECT_TRUE(contains(failed.out, "login failed: wrong password (2001)")) << failed;

  // --user logs in at the start; end of input waits for the replies, then logs out.
  const auto listed = run_cli(s.as("dave", {}), "friends\ngroups\nfriend-request nobody\n");
  EXPECT_EQ(listed.status, 0) << listed;
  EXPECT_EQ(listed.out,
            "logged in as dave\n"
            "no friends and no friend requests yet\n"
            "no groups and no invitations\n"
            "friend request to nobody failed: no such user (3001)\n")
      << listed;

  // --json: every stdout line is a message as the node sent it.
  const auto raw = run_cli(s.as("dave", {"--json"}), "friends\n");
  EXPECT_EQ(raw.status, 0) << raw;
  const auto raw_lines = lines_of(raw.out);
  ASSERT_EQ(raw_lines.size(), 2U) << raw;
  EXPECT_EQ(json::parse(raw_lines[0]).as_object().at("type"), "LOGIN_RESPONSE") << raw;
  EXPECT_EQ(json::parse(raw_lines[1]).as_object().at("type"), "FRIEND_LIST_RESPONSE") << raw;
}

TEST(IntegrationCli, InteractiveModeShowsMessagesAsTheyArrive) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");

  cli_process bob(s.as("bob", {}));
  ASSERT_TRUE(bob.wait_output("logged in as bob\n")) << bob.out() << bob.err();

  ASSERT_EQ(s.run("alice", {"friend-request", "bob"}).status, 0);
  ASSERT_TRUE(bob.wait_output_match(std::regex(hhmm + " alice wants to be your friend \\(accept alice / reject alice\\)\n")))
      << bob.out() << bob.err();
  bob.write("accept alice\n");
  ASSERT_TRUE(bob.wait_output("you and alice are friends now\n")) << bob.out() << bob.err();

  ASSERT_EQ(s.run("alice", {"send", "bob", "live", "message"}).status, 0);
  EXPECT_TRUE(bob.wait_output_match(std::regex("\n" + hhmm + " alice: live message\n"))) << bob.out() << bob.err();

  // Bob's own message is shown once the node stored it.
  bob.write("send alice \"two  spaces\"\n");
  ASSERT_TRUE(bob.wait_output_match(std::regex("\n" + hhmm + " bob -> alice: two  spaces\n"))) << bob.out() << bob.err();
  bob.write("history --with alice\n");
  EXPECT_TRUE(bob.wait_output_match(std::regex("\\[[0-9]+\\] " + hhmm + " bob -> alice: two  spaces\n")))
      << bob.out() << bob.err();

  bob.close_stdin();
  EXPECT_EQ(bob.wait(), 0) << bob.out() << bob.err();
  // Bob logged out at end of input: alice can see him offline.
  const auto friends = s.run("alice", {"friends"});
  EXPECT_EQ(friends.out, "bob: offline\n") << friends;
}

TEST(IntegrationCli, InteractiveGroupAcceptFindsTheInviter) {
  cli_node s;
  for (const char* user : {"alice", "bob", "carol"}) s.add_user(user);
  s.befriend("alice", "bob");
  s.befriend("alice", "carol");
  ASSERT_EQ(s.run("alice", {"group-create", "Book club", "bob", "carol"}).status, 0);

  // Bob sees the invitation from his inbox; carol's was skipped by a one-shot run, so her
  // client knows it from the group list it reads at login.
  ASSERT_EQ(s.run("carol", {"friends"}).status, 0);
  cli_process bob(s.as("bob", {}));
  ASSERT_TRUE(bob.wait_output("alice invites you to the group Book club")) << bob.out() << bob.err();
  bob.write("group-accept Book club\n");
  EXPECT_TRUE(bob.wait_output("joined Book club\n")) << bob.out() << bob.err();
  bob.write("send Book club hello group\n");
  EXPECT_TRUE(bob.wait_output_match(std::regex(hhmm + " \\[Book club\\] bob: hello group\n"))) << bob.out() << bob.err();
  bob.close_stdin();
  EXPECT_EQ(bob.wait(), 0) << bob.out() << bob.err();

  cli_process carol(s.as("carol", {}));
  ASSERT_TRUE(carol.wait_output("logged in as carol\n")) << carol.out() << carol.err();
  // The group list comes right after the login; accepting before it arrived says so.
  for (const auto deadline = steady::now() + 10s; steady::now() < deadline;) {
    carol.write("group-accept Book club\n");
    if (carol.wait_output("joined Book club\n", 1s)) break;
  }
  EXPECT_TRUE(contains(carol.out(), "joined Book club\n")) << carol.out() << carol.err();
  carol.close_stdin();
  EXPECT_EQ(carol.wait(), 0) << carol.out() << carol.err();
  EXPECT_FALSE(contains(carol.out(), "error:")) << carol.out();

  const auto groups = s.run("alice", {"groups"});
  EXPECT_TRUE(contains(groups.out, "members alice, bob, carol;")) << groups;
}

}  // namespace
}  // namespace chatnode::testing
