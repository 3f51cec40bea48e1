// `chatnode admin` against a running node over its admin socket, and on a stopped node's
// data dir: every command, its output and its exit code (docs/operations.md "Admin commands").
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include "client/password_hash.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using client::make_message;

command_result admin(const node_process& node, std::vector<std::string> args,
                     const std::optional<std::string>& input = std::nullopt) {
  args.insert(args.begin(), {"admin", "--config", node.config_file().string()});
  return run_chatnode(args, node.dir() / "admin.out", std::chrono::seconds(60), input);
}

// The password a --generate run printed ("password: X").
std::string printed_password(const std::string& output) {
  const auto at = output.find("password: ");
  if (at == std::string::npos) return {};
  const auto end = output.find('\n', at);
  return output.substr(at + 10, end - at - 10);
}

// LOGIN_REQUEST with the passwordHash chatnode's clients derive from `password`.
json::object login_with_password(client::connection& conn, const std::string& name, const std::string& password) {
  return login(conn, name, client::password_hash(name, password));
}

TEST(IntegrationAdmin, UserAddThenLoginWithTheGivenOrGeneratedPassword) {
  node_process node;
  node.start();
  auto added = admin(node, {"user", "add", "bob"}, std::string("secret-bob\n"));
  ASSERT_EQ(added.status, 0) << added.output;
  EXPECT_EQ(added.output, "added bob@localhost\n");
  auto conn = node.connect();
  EXPECT_TRUE(is_response(login_with_password(*conn, "bob", "secret-bob"), "LOGIN_RESPONSE", true, 0));

  auto generated = admin(node, {"--generate", "user", "add", "carol"});
  ASSERT_EQ(generated.status, 0) << generated.output;
  const std::string password = printed_password(generated.output);
  EXPECT_EQ(password.size(), 20u) << generated.output;
  auto other = node.connect();
  EXPECT_TRUE(is_response(login_with_password(*other, "carol", password), "LOGIN_RESPONSE", true, 0));

  auto again = admin(node, {"user", "add", "bob"}, std::string("x\n"));
  EXPECT_EQ(again.status, 4) << again.output;
  EXPECT_NE(node.log().find("admin: user add bob -> exit 0"), std::string::npos);  // every action is logged
}

TEST(IntegrationAdmin, PasswdRefusesTheOldPassword) {
  node_process node;
  node.start();
  ASSERT_EQ(admin(node, {"user", "add", "bob"}, std::string("old-pw\n")).status, 0);
  auto changed = admin(node, {"user", "passwd", "bob"}, std::string("new-pw\n"));
  ASSERT_EQ(changed.status, 0) << changed.output;
  auto conn = node.connect();
  EXPECT_TRUE(is_response(login_with_password(*conn, "bob", "old-pw"), "LOGIN_RESPONSE", false, 2001));
  EXPECT_TRUE(is_response(login_with_password(*conn, "bob", "new-pw"), "LOGIN_RESPONSE", true, 0));
  EXPECT_EQ(admin(node, {"user", "passwd", "nobody"}, std::string("x\n")).status, 3);
}

TEST(IntegrationAdmin, DeleteEndsTheFriendshipForTheFriend) {
  node_process node;
  node.start();
  register_users(node, {"alice", "bob"});
  auto a = login_user(node, "alice");
  auto b = login_user(node, "bob");
  make_friends(*a, "alice", *b, "bob");
  auto deleted = admin(node, {"user", "delete", "bob"});
  ASSERT_EQ(deleted.status, 0) << deleted.output;
  const auto removal = expect_message(*a, "FRIEND_REMOVE");
  EXPECT_EQ(payload_string(removal, "sender"), full_id("bob"));
  EXPECT_TRUE(b->wait_closed());
  auto list = admin(node, {"user", "list"});
  EXPECT_EQ(list.output, "alice@localhost online\n");
  EXPECT_EQ(admin(node, {"user", "delete", "bob"}).status, 3);
}

TEST(IntegrationAdmin, KickClosesTheSessionAndSessionListShowsWhoIsOn) {
  node_process node;
  node.start();
  register_users(node, {"alice", "bob"});
  auto a = login_user(node, "alice");
  auto list = admin(node, {"--json", "session", "list"});
  ASSERT_EQ(list.status, 0) << list.output;
  const auto sessions = json::parse(list.output).as_array();
  ASSERT_EQ(sessions.size(), 1u) << list.output;
  EXPECT_EQ(sessions[0].at("user"), "alice@localhost");
  EXPECT_TRUE(sessions[0].at("remote").as_string().starts_with("127.0.0.1:"));

  auto kicked = admin(node, {"session", "kick", "alice"});
  ASSERT_EQ(kicked.status, 0) << kicked.output;
  EXPECT_TRUE(a->wait_closed());
  EXPECT_EQ(a->close_code(), 4001);
  EXPECT_EQ(admin(node, {"session", "kick", "bob"}).status, 3);  // bob has no session
  // She may log in again: a kick is not a lock.
  auto again = login_user(node, "alice");
  EXPECT_TRUE(again->is_open());
}

TEST(IntegrationAdmin, LockRefusesLoginsWith2005UntilUnlocked) {
  node_process node;
  node.start();
  register_users(node, {"alice"});
  auto a = login_user(node, "alice");
  ASSERT_EQ(admin(node, {"user", "lock", "alice"}).status, 0);
  EXPECT_TRUE(a->wait_closed());
  auto conn = node.connect();
  EXPECT_TRUE(is_response(login(*conn, "alice", password_of("alice")), "LOGIN_RESPONSE", false, 2005));
  EXPECT_NE(admin(node, {"user", "list"}).output.find("alice@localhost locked"), std::string::npos);
  ASSERT_EQ(admin(node, {"user", "unlock", "alice"}).status, 0);
  EXPECT_TRUE(is_response(login(*conn, "alice", password_of("alice")), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationAdmin, ExportHoldsTheUsersFriendsAndHistory) {
  node_process node;
  node.start();
  register_users(node, {"alice", "bob"});
  auto a = login_user(node, "alice");
  auto b = login_user(node, "bob");
  make_friends(*a, "alice", *b, "bob");
  send_text_ok(*a, "alice", "bob", "hello bob");
  auto exported = admin(node, {"user", "export", "bob"});
  ASSERT_EQ(exported.status, 0) << exported.output;
  const auto doc = json::parse(exported.output).as_object();
  EXPECT_EQ(doc.at("user"), "bob@localhost");
  EXPECT_EQ(doc.at("friends").as_array(), json::array{"alice@localhost"});
  ASSERT_EQ(doc.at("history").as_array().size(), 1u) << exported.output;
  EXPECT_EQ(doc.at("history").as_array()[0].at("content"), "hello bob");
  EXPECT_EQ(admin(node, {"user", "export", "nobody"}).status, 3);
}

TEST(IntegrationAdmin, ReloadClosesRegistration) {
  node_process node;
  node.start();
  node.rewrite_config([](json::object& c) { c["registration"] = "closed"; });
  auto reloaded = admin(node, {"reload"});
  ASSERT_EQ(reloaded.status, 0) << reloaded.output;
  EXPECT_NE(reloaded.output.find("reloaded"), std::string::npos);
  auto conn = node.connect();
  EXPECT_TRUE(is_response(register_user(*conn, "bob", "pw"), "REGISTER_RESPONSE", false, 1001));
  // A broken config: refused, exit 1, the node goes on.
  node.rewrite_config([](json::object& c) { c["limits"].as_object()["no_such_limit"] = 1; });
  auto refused = admin(node, {"reload"});
  EXPECT_EQ(refused.status, 1) << refused.output;
  EXPECT_NE(refused.output.find("no_such_limit"), std::string::npos);
  EXPECT_TRUE(node.running());
}

TEST(IntegrationAdmin, TheSocketIsTheNodeUsersOnly) {
  node_process node;
  node.start();
  struct stat st {};
  ASSERT_EQ(::stat((node.dir() / "data" / "admin.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(IntegrationAdmin, UserCommandsWorkOnAStoppedNode) {
  node_process node;
  node.start();
  register_users(node, {"alice"});
  ASSERT_EQ(node.stop(), 0);
  EXPECT_FALSE(fs::exists(node.dir() / "data" / "admin.sock"));
  auto added = admin(node, {"user", "add", "bob"}, std::string("pw-bob\n"));
  ASSERT_EQ(added.status, 0) << added.output;
  EXPECT_EQ(admin(node, {"user", "list"}).output, "alice@localhost\nbob@localhost\n");
  EXPECT_EQ(admin(node, {"session", "list"}).status, 5);  // needs the running node
  EXPECT_EQ(admin(node, {"reload"}).status, 5);
  node.start();
  auto conn = node.connect();
  EXPECT_TRUE(is_response(login_with_password(*conn, "bob", "pw-bob"), "LOGIN_RESPONSE", true, 0));
}

TEST(IntegrationAdmin, UnknownCommandsGetUsageAndExit2) {
  node_process node;
  node.start();
  auto r = admin(node, {"user", "frobnicate", "x"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("usage: chatnode admin"), std::string::npos);
}

}  // namespace
}  // namespace chatnode::testing
