// chatnode-client's account commands against a real node over TLS: passwd (then only the
// new password logs in), block / blocks / unblock (the blocked user's texts do not arrive),
// delete-account (then the login gets 2003), and what the node's administrator does to a
// session: a locked account exits 3 at login, a kicked session (close 4001) ends the client
// with 3 and no reconnect.
#include "tests/integration/cli_helpers.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string hhmm = "[0-9]{2}:[0-9]{2}";

command_result admin(const cli_node& s, std::vector<std::string> args) {
  args.insert(args.begin(), {"admin", "--config", s.node().config_file().string()});
  return run_chatnode(args, s.node().dir() / "admin.out", std::chrono::seconds(60));
}

// base() + --user NAME + `args`: the password comes from stdin (or another option).
std::vector<std::string> as_without_password(const cli_node& s, const std::string& user,
                                             std::vector<std::string> args) {
  auto all = s.base();
  all.insert(all.end(), {"--user", user});
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

cli_result login(const cli_node& s, const std::string& user, const std::string& password) {
  auto args = s.base();
  args.insert(args.end(), {"login", user, password});
  return run_cli(args);
}

TEST(IntegrationCliAccount, PasswdThenOnlyTheNewPasswordLogsIn) {
  cli_node s;
  s.add_user("alice");

  const auto changed = s.run("alice", {"passwd", "--new-password", "second-pw"});
  ASSERT_EQ(changed.status, 0) << changed;
  EXPECT_EQ(changed.out, "password changed for alice\n") << changed;

  const auto old = login(s, "alice", "pw-alice");
  EXPECT_EQ(old.status, 1) << old;
  EXPECT_TRUE(contains(old.err, "wrong password (2001)")) << old;
  const auto fresh = login(s, "alice", "second-pw");
  EXPECT_EQ(fresh.status, 0) << fresh;

  // Without a terminal the passwords missing from the options are stdin's lines: the
  // current one (for the login and the request), then the new one.
  const auto piped = run_cli(as_without_password(s, "alice", {"passwd"}), "second-pw\nthird-pw\n");
  ASSERT_EQ(piped.status, 0) << piped;
  EXPECT_EQ(login(s, "alice", "third-pw").status, 0);
  EXPECT_EQ(login(s, "alice", "second-pw").status, 1);

  // --json prints the node's answer.
  auto json_args = as_without_password(s, "alice", {"--json", "--password", "third-pw", "passwd"});
  const auto as_json = run_cli(json_args, "pw-alice\n");
  ASSERT_EQ(as_json.status, 0) << as_json;
  const auto reply = json::parse(lines_of(as_json.out).at(0)).as_object();
  EXPECT_EQ(reply.at("type").as_string(), "PASSWORD_CHANGE_RESPONSE") << as_json;
  EXPECT_EQ(reply.at("payload").as_object().at("code").as_int64(), 0) << as_json;

  // No new password anywhere: a usage error before anything is sent.
  const auto missing = run_cli(as_without_password(s, "alice", {"--password", "pw-alice", "passwd"}));
  EXPECT_EQ(missing.status, 2) << missing;
  EXPECT_TRUE(contains(missing.err, "new password")) << missing;
  EXPECT_EQ(login(s, "alice", "pw-alice").status, 0);
}

TEST(IntegrationCliAccount, InteractivePasswdReadsThePasswordsFromTheNextLines) {
  cli_node s;
  s.add_user("bob");
  cli_process bob(s.as("bob", {}));
  bob.write("passwd\npw-bob\nnew-bob\n");
  ASSERT_TRUE(bob.wait_output("your password was changed\n")) << bob.out() << bob.err();
  // A wrong current password changes nothing.
  bob.write("passwd\nnot-it\nother\n");
  ASSERT_TRUE(bob.wait_output("password change failed: wrong password (2001)\n")) << bob.out() << bob.err();
  bob.close_stdin();
  EXPECT_EQ(bob.wait(), 0) << bob.out() << bob.err();
  EXPECT_FALSE(contains(bob.out(), "new-bob")) << "passwords are not echoed";
  EXPECT_EQ(login(s, "bob", "new-bob").status, 0);
  EXPECT_EQ(login(s, "bob", "other").status, 1);
}

TEST(IntegrationCliAccount, AfterPasswdAReconnectLogsInWithTheNewPassword) {
  cli_node s;
  s.add_user("bob");
  cli_process bob(s.as("bob", {}));
  bob.write("passwd\npw-bob\nnew-bob\n");
  ASSERT_TRUE(bob.wait_output("your password was changed\n")) << bob.out() << bob.err();
  s.restart_on(s.port());
  ASSERT_TRUE(bob.wait_error("reconnected as bob\n", 60s)) << bob.out() << bob.err();
  bob.write("blocks\n");
  ASSERT_TRUE(bob.wait_output("you block nobody\n")) << bob.out() << bob.err();
  bob.close_stdin();
  EXPECT_EQ(bob.wait(), 0) << bob.out() << bob.err();
}

TEST(IntegrationCliAccount, OnATerminalThePasswordsAreAskedWithoutEcho) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");

  // One-shot passwd: the new password twice; what is typed is not shown.
  cli_process passwd(s.as("alice", {"passwd"}), cli_options::on_terminal());
  ASSERT_TRUE(passwd.wait_output("new password for alice: ")) << passwd.out();
  passwd.write("secret-one\n");
  ASSERT_TRUE(passwd.wait_output("new password again: ")) << passwd.out();
  passwd.write("secret-one\n");
  ASSERT_TRUE(passwd.wait_output("password changed for alice")) << passwd.out();
  EXPECT_EQ(passwd.wait(), 0) << passwd.out();
  EXPECT_FALSE(contains(passwd.out(), "secret-one")) << passwd.out();
  EXPECT_EQ(login(s, "alice", "secret-one").status, 0);

  // Two different answers change nothing.
  cli_process differ(as_without_password(s, "alice", {"--password", "secret-one", "passwd"}),
                     cli_options::on_terminal());
  ASSERT_TRUE(differ.wait_output("new password for alice: ")) << differ.out();
  differ.write("one\n");
  ASSERT_TRUE(differ.wait_output("new password again: ")) << differ.out();
  differ.write("two\n");
  EXPECT_EQ(differ.wait(), 2) << differ.out();
  EXPECT_TRUE(contains(differ.out(), "the new passwords differ; nothing was changed")) << differ.out();

  // Interactive delete-account: the confirmation prompt replaces the user's prompt.
  cli_process bob(s.as("bob", {}), cli_options::on_terminal());
  ASSERT_TRUE(bob.wait_output("bob> ")) << bob.out();
  bob.write("delete-account\r");
  ASSERT_TRUE(bob.wait_output("to delete the account bob and everything the node holds of it, type its password: "))
      << bob.out();
  bob.write("pw-bob\r");
  ASSERT_TRUE(bob.wait_output("the account bob was deleted; the node closed the connection")) << bob.out();
  EXPECT_EQ(bob.wait(10000ms), 0) << bob.out();
  EXPECT_FALSE(contains(bob.out(), "pw-bob")) << bob.out();
}

TEST(IntegrationCliAccount, BlockKeepsTheBlockedUsersTextsAwayUntilUnblocked) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");

  // alice stays online in interactive mode and sees bob's text before the block.
  cli_process alice(s.as("alice", {}));
  ASSERT_FALSE(s.send("bob", {"alice", "before", "the", "block"}).empty());
  ASSERT_TRUE(alice.wait_output_match(std::regex(hhmm + " bob: before the block\n"))) << alice.out() << alice.err();

  alice.write("block bob\n");
  ASSERT_TRUE(alice.wait_output("blocked bob\n")) << alice.out() << alice.err();
  const auto refused = s.run("bob", {"send", "alice", "after", "the", "block"});
  EXPECT_EQ(refused.status, 1) << refused;
  EXPECT_TRUE(contains(refused.err, "not friends (7002)")) << refused;
  alice.write("blocks\n");
  ASSERT_TRUE(alice.wait_output_match(std::regex("\nbob\n"))) << alice.out() << alice.err();
  alice.write("unblock bob\n");
  ASSERT_TRUE(alice.wait_output("unblocked bob\n")) << alice.out() << alice.err();
  alice.write("blocks\n");
  ASSERT_TRUE(alice.wait_output("you block nobody\n")) << alice.out() << alice.err();
  alice.close_stdin();
  EXPECT_EQ(alice.wait(), 0) << alice.out() << alice.err();
  EXPECT_FALSE(contains(alice.out(), "after the block")) << alice.out();

  // One-shot: block, list, the friend request the block forbids, unblock twice.
  const auto block = s.run("alice", {"block", "bob"});
  ASSERT_EQ(block.status, 0) << block;
  EXPECT_EQ(block.out, "blocked bob\n") << block;
  const auto list = s.run("alice", {"blocks"});
  ASSERT_EQ(list.status, 0) << list;
  EXPECT_EQ(list.out, "bob\n") << list;
  const auto list_json = s.run("alice", {"--json", "blocks"});
  ASSERT_EQ(list_json.status, 0) << list_json;
  const auto blocked = json::parse(list_json.out).as_object().at("payload").as_object().at("blocked").as_array();
  ASSERT_EQ(blocked.size(), 1u) << list_json;
  EXPECT_TRUE(std::regex_match(std::string(blocked[0].as_string()), std::regex("bob@.*"))) << list_json;
  const auto ask = s.run("alice", {"friend-request", "bob"});
  EXPECT_EQ(ask.status, 1) << ask;
  EXPECT_TRUE(contains(ask.err, "(11004)")) << ask;
  const auto self = s.run("alice", {"block", "alice"});
  EXPECT_EQ(self.status, 1) << self;
  EXPECT_TRUE(contains(self.err, "you cannot block yourself (11001)")) << self;

  const auto unblock = s.run("alice", {"unblock", "bob"});
  ASSERT_EQ(unblock.status, 0) << unblock;
  EXPECT_EQ(unblock.out, "unblocked bob\n") << unblock;
  const auto again = s.run("alice", {"unblock", "bob"});
  EXPECT_EQ(again.status, 1) << again;
  EXPECT_TRUE(contains(again.err, "(11002)")) << again;
  EXPECT_EQ(s.run("alice", {"blocks"}).out, "you block nobody\n");
}

TEST(IntegrationCliAccount, DeleteAccountAsksForThePasswordThenLoginGets2003) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");

  // No confirmation, or the wrong one: nothing is deleted.
  const auto unconfirmed = s.run("alice", {"delete-account"});
  EXPECT_EQ(unconfirmed.status, 2) << unconfirmed;
  EXPECT_TRUE(contains(unconfirmed.err, "nothing was deleted")) << unconfirmed;
  const auto wrong = s.run("alice", {"delete-account"}, "not-the-password\n");
  EXPECT_EQ(wrong.status, 1) << wrong;
  EXPECT_TRUE(contains(wrong.err, "wrong password (2001)")) << wrong;
  ASSERT_EQ(login(s, "alice", "pw-alice").status, 0);

  const auto deleted = s.run("alice", {"delete-account"}, "pw-alice\n");
  ASSERT_EQ(deleted.status, 0) << deleted;
  EXPECT_EQ(deleted.out, "the account alice was deleted; the node closed the connection\n") << deleted;
  const auto gone = login(s, "alice", "pw-alice");
  EXPECT_EQ(gone.status, 1) << gone;
  EXPECT_TRUE(contains(gone.err, "no such user (2003)")) << gone;

  // Interactive: the password on the next line; the client ends (status 0) without
  // trying to reconnect.
  cli_process bob(s.as("bob", {}));
  bob.write("delete-account\npw-bob\n");
  ASSERT_TRUE(bob.wait_output("the account bob was deleted; the node closed the connection\n"))
      << bob.out() << bob.err();
  EXPECT_EQ(bob.wait(10000ms), 0) << bob.out() << bob.err();
  EXPECT_FALSE(contains(bob.err(), "reconnect")) << bob.err();
  EXPECT_TRUE(contains(login(s, "bob", "pw-bob").err, "(2003)"));
}

TEST(IntegrationCliAccount, AdministratorKickEndsTheClientWithoutReconnecting) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");

  for (const bool interactive : {false, true}) {
    SCOPED_TRACE(interactive ? "interactive" : "listen");
    cli_process bob(s.as("bob", interactive ? std::vector<std::string>{} : std::vector<std::string>{"listen"}));
    // bob is logged in once alice's text reaches him.
    const std::string text = interactive ? "hello interactive" : "hello listen";
    ASSERT_FALSE(s.send("alice", {"bob", text}).empty());
    ASSERT_TRUE(bob.wait_output(text + "\n")) << bob.out() << bob.err();

    const auto kick = admin(s, {"session", "kick", "bob"});
    ASSERT_EQ(kick.status, 0) << kick.output;
    EXPECT_EQ(bob.wait(10000ms), 3) << bob.out() << bob.err();
    EXPECT_TRUE(contains(bob.err(), "the node's administrator closed this session")) << bob.err();
    EXPECT_FALSE(contains(bob.err(), "reconnecting")) << bob.err();
  }
}

TEST(IntegrationCliAccount, LockedAccountLoginExitsThree) {
  cli_node s;
  s.add_user("alice");
  const auto lock = admin(s, {"user", "lock", "alice"});
  ASSERT_EQ(lock.status, 0) << lock.output;

  const auto refused = login(s, "alice", "pw-alice");
  EXPECT_EQ(refused.status, 3) << refused;
  EXPECT_TRUE(contains(refused.err, "this account is locked by the administrator")) << refused;
  const auto send = s.run("alice", {"friends"});
  EXPECT_EQ(send.status, 3) << send;
  // Interactive mode started with --user ends too.
  cli_process interactive(s.as("alice", {}));
  EXPECT_EQ(interactive.wait(10000ms), 3) << interactive.out() << interactive.err();
  EXPECT_TRUE(contains(interactive.out(), "this account is locked by the administrator")) << interactive.out();

  ASSERT_EQ(admin(s, {"user", "unlock", "alice"}).status, 0);
  EXPECT_EQ(login(s, "alice", "pw-alice").status, 0);
}

}  // namespace
}  // namespace chatnode::testing
