// chatnode-client's account and block commands without a node: parsing passwd,
// delete-account, block, unblock and blocks; the requests they send (passwordHash derived
// as at login); and how the node's answers read, including the locked-account login.
#include "client/cli/command_line.hpp"
#include "client/cli/commands.hpp"
#include "client/cli/format.hpp"
#include "client/message_fields.hpp"
#include "client/password_hash.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace chatnode::cli {
namespace {

namespace json = boost::json;

parsed_command_line parse(std::vector<const char*> args) {
  args.insert(args.begin(), "chatnode-client");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

json::object reply(const char* type, json::object payload) {
  json::object m;
  m["type"] = type;
  m["payload"] = std::move(payload);
  return m;
}

const viewer alice{"alice@alpha.example", false};

TEST(AccountCommands, ParsesTheNewCommands) {
  ::unsetenv("CHATNODE_NEW_PASSWORD");
  const auto passwd = parse({"--user", "alice", "--password", "old", "passwd", "--new-password", "new"});
  EXPECT_EQ(passwd.call.command, "passwd");
  EXPECT_EQ(passwd.config.password, "old");
  EXPECT_EQ(passwd.config.new_password, "new");

  const auto asked = parse({"--user", "alice", "passwd"});
  EXPECT_TRUE(asked.config.new_password.empty()) << "asked later, on the terminal or from stdin";

  ::setenv("CHATNODE_NEW_PASSWORD", "from-env", 1);
  EXPECT_EQ(parse({"--user", "alice", "passwd"}).config.new_password, "from-env");
  EXPECT_EQ(parse({"--user", "alice", "passwd", "--new-password", "opt"}).config.new_password, "opt");
  ::unsetenv("CHATNODE_NEW_PASSWORD");

  EXPECT_EQ(parse({"--user", "alice", "block", "bob"}).call.args, std::vector<std::string>{"bob"});
  EXPECT_EQ(parse({"--user", "alice", "unblock", "bob@beta.example"}).call.args,
            std::vector<std::string>{"bob@beta.example"});
  EXPECT_EQ(parse({"--user", "alice", "blocks"}).call.command, "blocks");
  EXPECT_EQ(parse({"--user", "alice", "delete-account"}).call.command, "delete-account");

  EXPECT_EQ(parse_interactive({"block", "bob"}).args, std::vector<std::string>{"bob"});
  EXPECT_EQ(parse_interactive({"passwd"}).command, "passwd");
  EXPECT_EQ(parse_interactive({"passwd", "--new-password", "x"}).new_password, "x");
}

TEST(AccountCommands, UsageErrors) {
  auto status_of = [](std::vector<const char*> args) {
    try {
      parse(std::move(args));
    } catch (const cli_error& e) {
      return e.status();
    }
    return exit_ok;
  };
  EXPECT_EQ(status_of({"--user", "alice", "block"}), exit_usage);
  EXPECT_EQ(status_of({"--user", "alice", "block", "bob", "carol"}), exit_usage);
  EXPECT_EQ(status_of({"--user", "alice", "blocks", "bob"}), exit_usage);
  EXPECT_EQ(status_of({"--user", "alice", "delete-account", "now"}), exit_usage);
  EXPECT_EQ(status_of({"--user", "alice", "passwd", "new"}), exit_usage) << "the new password is no argument";
  EXPECT_EQ(status_of({"--user", "alice", "friends", "--new-password", "x"}), exit_usage);
  EXPECT_EQ(status_of({"delete-account"}), exit_usage) << "needs --user";
  EXPECT_THROW(parse_interactive({"unblock"}), cli_error);
  EXPECT_NE(exit_admin, exit_ok);
  EXPECT_NE(exit_admin, exit_failure);
  EXPECT_NE(exit_admin, exit_usage);
}

TEST(AccountCommands, RequestsDerivePasswordHashesAsAtLogin) {
  const auto change = password_change_request("Alice", "old pw", "new pw");
  EXPECT_EQ(client::type_of(change), "PASSWORD_CHANGE_REQUEST");
  const auto& p = client::payload_of(change);
  EXPECT_EQ(client::string_field(p, "username"), "Alice");
  EXPECT_EQ(client::string_field(p, "passwordHash"), client::password_hash("alice", "old pw"));
  EXPECT_EQ(client::string_field(p, "newPasswordHash"), client::password_hash("alice", "new pw"));
  EXPECT_EQ(client::string_field(p, "passwordHash"),
            client::string_field(client::payload_of(login_request("Alice", "old pw")), "passwordHash"));

  const auto full_id = password_change_request("alice@alpha.example", "a", "b");
  EXPECT_EQ(client::string_field(client::payload_of(full_id), "newPasswordHash"), client::password_hash("alice", "b"));

  const auto del = account_delete_request("alice", "pw");
  EXPECT_EQ(client::type_of(del), "ACCOUNT_DELETE_REQUEST");
  EXPECT_EQ(client::string_field(client::payload_of(del), "passwordHash"), client::password_hash("alice", "pw"));
  EXPECT_FALSE(client::payload_of(del).contains("newPasswordHash"));

  const auto block = user_block("alice", "bob");
  EXPECT_EQ(client::type_of(block), "USER_BLOCK");
  EXPECT_EQ(client::string_field(client::payload_of(block), "sender"), "alice");
  EXPECT_EQ(client::string_field(client::payload_of(block), "receiver"), "bob");
  EXPECT_EQ(client::type_of(user_unblock("alice", "bob")), "USER_UNBLOCK");
  EXPECT_EQ(client::string_field(client::payload_of(block_list_request("alice")), "username"), "alice");
}

TEST(AccountCommands, RepliesMatchTheirRequests) {
  EXPECT_EQ(reply_type_for("PASSWORD_CHANGE_REQUEST"), "PASSWORD_CHANGE_RESPONSE");
  EXPECT_EQ(reply_type_for("ACCOUNT_DELETE_REQUEST"), "ACCOUNT_DELETE_RESPONSE");
  EXPECT_EQ(reply_type_for("USER_BLOCK"), "USER_BLOCK_ACK");
  EXPECT_EQ(reply_type_for("USER_UNBLOCK"), "USER_UNBLOCK_ACK");
  EXPECT_EQ(reply_type_for("BLOCK_LIST_REQUEST"), "BLOCK_LIST_RESPONSE");
  // A node that does not echo ids: matched by type.
  EXPECT_TRUE(is_reply_to(reply("USER_BLOCK_ACK", {{"code", 0}}), "cli-1", "USER_BLOCK"));
}

TEST(AccountCommands, CodesReadAsSentences) {
  EXPECT_EQ(code_text(2005), "this account is locked by the administrator (2005)");
  EXPECT_EQ(code_text(11001), "you cannot block yourself (11001)");
  EXPECT_EQ(code_text(11002), "you do not block that user (11002)");
  EXPECT_EQ(code_text(11003), "block list full (11003)");
  EXPECT_EQ(code_text(11004), "you block that user; unblock them first (11004)");
}

TEST(AccountCommands, AnswersReadAsSentences) {
  using lines = std::vector<std::string>;
  EXPECT_EQ(describe(reply("LOGIN_RESPONSE", {{"success", false}, {"code", 2005}}), alice),
            lines{"login failed: this account is locked by the administrator (2005)"});
  EXPECT_EQ(describe(reply("PASSWORD_CHANGE_RESPONSE", {{"username", "alice@alpha.example"}, {"code", 0}}), alice),
            lines{"your password was changed"});
  EXPECT_EQ(describe(reply("PASSWORD_CHANGE_RESPONSE", {{"code", 2001}}), alice),
            lines{"password change failed: wrong password (2001)"});
  EXPECT_EQ(describe(reply("ACCOUNT_DELETE_RESPONSE", {{"username", "alice@alpha.example"}, {"code", 0}}), alice),
            lines{"the account alice was deleted; the node closed the connection"});
  EXPECT_EQ(describe(reply("ACCOUNT_DELETE_RESPONSE", {{"code", 2001}}), alice),
            lines{"deleting the account failed: wrong password (2001)"});
  EXPECT_EQ(describe(reply("USER_BLOCK_ACK", {{"sender", "alice@alpha.example"},
                                              {"receiver", "mallory@beta.example"},
                                              {"code", 0}}),
                     alice),
            lines{"blocked mallory@beta.example"});
  EXPECT_EQ(describe(reply("USER_BLOCK_ACK", {{"receiver", "alice@alpha.example"}, {"code", 11001}}), alice),
            lines{"blocking alice failed: you cannot block yourself (11001)"});
  EXPECT_EQ(describe(reply("USER_UNBLOCK_ACK", {{"receiver", "bob@alpha.example"}, {"code", 0}}), alice),
            lines{"unblocked bob"});
  EXPECT_EQ(describe(reply("USER_UNBLOCK_ACK", {{"receiver", "bob@alpha.example"}, {"code", 11002}}), alice),
            lines{"unblocking bob failed: you do not block that user (11002)"});
  EXPECT_EQ(describe(reply("BLOCK_LIST_RESPONSE",
                           {{"username", "alice@alpha.example"},
                            {"blocked", json::array{"bob@alpha.example", "mallory@beta.example"}},
                            {"code", 0}}),
                     alice),
            (lines{"bob", "mallory@beta.example"}));
  EXPECT_EQ(describe(reply("BLOCK_LIST_RESPONSE", {{"blocked", json::array{}}, {"code", 0}}), alice),
            lines{"you block nobody"});
  EXPECT_EQ(describe(reply("FRIEND_REQUEST_ACK", {{"receiver", "bob@alpha.example"}, {"code", 11004}}), alice),
            lines{"friend request to bob failed: you block that user; unblock them first (11004)"});
}

}  // namespace
}  // namespace chatnode::cli
