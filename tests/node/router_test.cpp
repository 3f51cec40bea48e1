// Router rules for accounts and sessions, driven without sockets: a real LMDB store in a
// temp dir, a real writer, an inline KDF executor, fake sessions.
#include "router_fixture.hpp"

#include <gtest/gtest.h>


namespace chatnode::node {
namespace {

class RouterTest : public testing::router_fixture {
 protected:
  RouterTest()
      : router_fixture([](config& c) {
          c.limits.login_max_failures = 2;
          c.limits.login_lockout = std::chrono::seconds(600);
        }) {}
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
