// Router rules for accounts and sessions, driven without sockets: a real LMDB store in a
// temp dir, a real writer, an inline KDF executor, fake sessions.
#include "fake_session.hpp"

#include "node/router.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace chatnode::node {
namespace {
using testing::fake_session;
namespace fs = std::filesystem;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    dir_ = fs::temp_directory_path() / ("router-test-" + std::to_string(std::random_device{}()));
    cfg_.domain = "alpha.example";
    cfg_.data_dir = dir_;
    cfg_.kdf = {1024, 8, 1};
    cfg_.limits.login_max_failures = 2;
    cfg_.limits.login_lockout = std::chrono::seconds(600);
    db_.emplace(store::options{dir_});
    writer_.emplace(*db_);
    router_.emplace(cfg_, *db_, *writer_, online_, [](std::function<void()> fn) { fn(); });
  }
  ~RouterTest() override {
    router_.reset();
    writer_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  std::shared_ptr<fake_session> session() { return std::make_shared<fake_session>(); }

  // Sends a frame; if the router paused reading, waits until it resumes. Returns the reply.
  boost::json::object request(const std::shared_ptr<fake_session>& s, const std::string& frame) {
    if (!router_->on_frame(s, frame)) {
      EXPECT_TRUE(s->wait_resumed(++resumes_[s.get()]));
    }
    return s->next();
  }
  boost::json::object reg(const std::shared_ptr<fake_session>& s, const std::string& name, const std::string& pw = "pw") {
    return request(s, R"({"type":"REGISTER_REQUEST","payload":{"username":")" + name + R"(","passwordHash":")" + pw + R"("}})");
  }
  boost::json::object login(const std::shared_ptr<fake_session>& s, const std::string& name, const std::string& pw = "pw") {
    return request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":")" + name + R"(","passwordHash":")" + pw + R"("}})");
  }
  static std::int64_t code(const boost::json::object& m) { return m.at("payload").at("code").as_int64(); }

  fs::path dir_;
  config cfg_;
  std::optional<store::database> db_;
  std::optional<store::writer> writer_;
  registry online_;
  std::optional<router> router_;
  std::map<const void*, int> resumes_;
};

TEST_F(RouterTest, RegisterThenDuplicateInAnyCase) {
  auto s = session();
  auto r = reg(s, "alice");
  EXPECT_EQ(r.at("type"), "REGISTER_RESPONSE");
  EXPECT_EQ(code(r), 0);
  EXPECT_EQ(r.at("payload").at("success"), true);
  EXPECT_GT(r.at("timestamp").as_int64(), 1600000000);
  r = reg(s, "ALICE");
  EXPECT_EQ(code(r), 1002);
  EXPECT_EQ(r.at("payload").at("success"), false);
}

TEST_F(RouterTest, RegisterForAnotherDomainIsInvalid) {
  auto s = session();
  auto r = request(s, R"({"type":"REGISTER_REQUEST","id":"r1","payload":{"username":"alice@beta.example","passwordHash":"x"}})");
  EXPECT_EQ(r.at("type"), "ERROR");
  EXPECT_EQ(code(r), 9003);
  EXPECT_EQ(r.at("id"), "r1");
}

TEST_F(RouterTest, RegistrationClosedGives1001) {
  cfg_.registration_open = false;
  auto s = session();
  EXPECT_EQ(code(reg(s, "alice")), 1001);
}

TEST_F(RouterTest, LoginCodes) {
  auto s = session();
  reg(s, "alice", "secret");
  EXPECT_EQ(code(login(s, "bob")), 2003);
  EXPECT_EQ(code(login(s, "alice", "wrong")), 2001);
  auto ok = login(s, "Alice", "secret");
  EXPECT_EQ(code(ok), 0);
  EXPECT_EQ(ok.at("payload").at("success"), true);
  EXPECT_TRUE(s->state().user.has_value());
  EXPECT_EQ(s->state().user->full(), "alice@alpha.example");
  EXPECT_EQ(code(login(s, "alice", "secret")), 2002);  // same connection again
  auto other = session();
  EXPECT_EQ(code(login(other, "alice", "secret")), 2002);  // another connection
  EXPECT_EQ(online_.find("alice@alpha.example"), s);
}

TEST_F(RouterTest, DisconnectFreesTheLogin) {
  auto s = session();
  reg(s, "alice");
  ASSERT_EQ(code(login(s, "alice")), 0);
  router_->on_disconnect(s);
  auto again = session();
  EXPECT_EQ(code(login(again, "alice")), 0);
}

TEST_F(RouterTest, ThrottlesAfterFailuresForThatUserOnly) {
  auto s = session();
  reg(s, "alice");
  reg(s, "bob");
  EXPECT_EQ(code(login(s, "alice", "x")), 2001);
  EXPECT_EQ(code(login(s, "alice", "y")), 2001);
  auto r = login(s, "alice", "pw");  // right password, but locked out
  EXPECT_EQ(r.at("type"), "ERROR");
  EXPECT_EQ(code(r), 9007);
  EXPECT_EQ(r.at("payload").at("inReplyTo"), "LOGIN_REQUEST");
  EXPECT_EQ(code(login(s, "bob")), 0);
}

TEST_F(RouterTest, RequestsBeforeLoginGet9004) {
  auto s = session();
  auto r = request(s, R"({"type":"FRIEND_REQUEST","id":"7","payload":{"sender":"a","receiver":"b"}})");
  EXPECT_EQ(code(r), 9004);
  EXPECT_EQ(r.at("payload").at("inReplyTo"), "FRIEND_REQUEST");
  EXPECT_EQ(r.at("id"), "7");
}

TEST_F(RouterTest, SpoofedActingUserGets9005AndOwnIdsPass) {
  auto s = session();
  reg(s, "alice");
  ASSERT_EQ(code(login(s, "alice")), 0);
  auto r = request(s, R"({"type":"USER_STATUS_UPDATE","payload":{"username":"bob","status":"away"}})");
  EXPECT_EQ(code(r), 9005);
  r = request(s, R"({"type":"USER_LOGOUT","payload":{"username":"alice@beta.example"}})");
  EXPECT_EQ(code(r), 9005);
  // In FRIEND_REQUEST_RESPONSE the acting user is `receiver` (it answers a request).
  r = request(s, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":"alice","receiver":"bob","code":0}})");
  EXPECT_EQ(code(r), 9005);
}

TEST_F(RouterTest, ServerOnlyTypesAreRefused) {
  auto s = session();
  reg(s, "alice");
  ASSERT_EQ(code(login(s, "alice")), 0);
  auto r = request(s, R"({"type":"LOGIN_RESPONSE","payload":{"success":true,"code":0}})");
  EXPECT_EQ(code(r), 9002);
}

TEST_F(RouterTest, DecodeErrorsComeBackAsErrors) {
  auto s = session();
  EXPECT_EQ(code(request(s, "{nope")), 9001);
  EXPECT_EQ(code(request(s, R"({"type":"FOO","payload":{}})")), 9002);
  EXPECT_EQ(code(request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":"a"}})")), 9003);
}

TEST_F(RouterTest, LogoutClosesAndFreesTheUser) {
  auto s = session();
  reg(s, "alice");
  ASSERT_EQ(code(login(s, "alice")), 0);
  EXPECT_TRUE(router_->on_frame(s, R"({"type":"USER_LOGOUT","payload":{"username":"alice"}})"));
  EXPECT_EQ(s->close_code(), 1000);
  EXPECT_EQ(online_.find("alice@alpha.example"), nullptr);
  // Anything after the logout is ignored.
  router_->on_frame(s, R"({"type":"USER_LOGOUT","payload":{"username":"alice"}})");
  EXPECT_EQ(s->pending(), 0u);
}

}  // namespace
}  // namespace chatnode::node
