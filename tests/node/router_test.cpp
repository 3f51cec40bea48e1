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
          c.limits.kdf_per_address = 100;  // so that the per-user budget is what limits guesses
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


// ---- resumption tokens (docs/protocol.md §5) ----

TEST_F(RouterTest, ATokenLogsInWithoutThePasswordAndWithoutAKdfRun) {
  auto s = session();
  reg(s, "alice", "secret");
  auto r = request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","passwordHash":"secret","requestToken":true}})");
  ASSERT_EQ(code(r), 0);
  const std::string token(r.at("payload").at("token").as_string());
  EXPECT_EQ(token.size(), 43u);
  EXPECT_GT(r.at("payload").at("tokenExpires").as_int64(), router::now_seconds() + 29 * 86400);
  router_->on_disconnect(s);

  const int runs = kdf_runs_;
  auto again = session("198.51.100.7");
  r = request(again, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","token":")" + token + R"("}})");
  EXPECT_EQ(code(r), 0);
  EXPECT_FALSE(r.at("payload").as_object().contains("token"));  // not asked for
  EXPECT_EQ(kdf_runs_, runs);
  EXPECT_EQ(again->state().user->full(), "alice@alpha.example");
  // Only the token's hash is stored.
  auto t = db_->begin_read();
  auto c = t.open_cursor(store::table_id::tokens);
  for (auto item = c.first(); item; item = c.next()) EXPECT_EQ(item->second.find(token), std::string_view::npos);
}

TEST_F(RouterTest, BadTokensGet2001AndCountAsFailures) {
  auto s = session();
  reg(s, "alice");
  reg(s, "bob");
  auto r = request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","passwordHash":"pw","requestToken":true}})");
  const std::string token(r.at("payload").at("token").as_string());
  router_->on_disconnect(s);
  auto other = session();
  // Someone else's token, an unknown one.
  EXPECT_EQ(code(request(other, R"({"type":"LOGIN_REQUEST","payload":{"username":"bob","token":")" + token + R"("}})")), 2001);
  EXPECT_EQ(code(request(other, R"({"type":"LOGIN_REQUEST","payload":{"username":"bob","token":"nope"}})")), 2001);
  // login_max_failures is 2 here: bob is now locked out from this address.
  EXPECT_EQ(code(login(other, "bob")), 9007);
}

TEST_F(RouterTest, ExactlyOneOfPasswordHashAndToken) {
  auto s = session();
  EXPECT_EQ(code(request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":"a","passwordHash":"p","token":"t"}})")), 9003);
  EXPECT_EQ(code(request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":"a","requestToken":true}})")), 9003);
}

TEST_F(RouterTest, LogoutRevokesTheSessionsTokens) {
  auto s = session();
  reg(s, "alice");
  auto r = request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","passwordHash":"pw","requestToken":true}})");
  const std::string token(r.at("payload").at("token").as_string());
  router_->on_frame(s, R"({"type":"USER_LOGOUT","payload":{"username":"alice"}})");
  ASSERT_TRUE(testing::eventually_true([&] { return s->close_code().has_value(); }));
  auto again = session();
  EXPECT_EQ(code(request(again, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","token":")" + token + R"("}})")), 2001);
}

TEST_F(RouterTest, TokensPerUserAreCapped) {
  cfg_.tokens.max_per_user = 3;
  auto s = session();
  reg(s, "alice");
  std::vector<std::string> tokens;
  std::vector<std::shared_ptr<testing::fake_session>> sessions;  // alive: the fixture counts resumes per session
  for (int i = 0; i < 5; ++i) {
    auto c = sessions.emplace_back(session());
    auto r = request(c, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","passwordHash":"pw","requestToken":true}})");
    ASSERT_EQ(code(r), 0);
    tokens.emplace_back(r.at("payload").at("token").as_string());
    router_->on_disconnect(c);
  }
  auto c = session();
  // The two oldest were dropped; the newest works.
  EXPECT_EQ(code(request(c, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","token":")" + tokens[0] + R"("}})")), 2001);
  EXPECT_EQ(code(request(c, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","token":")" + tokens[4] + R"("}})")), 0);
}

// ---- password-hashing budgets (issue: abuse paths) ----

TEST_F(RouterTest, AnUnknownUserCostsAKdfRunLikeAWrongPassword) {
  auto s = session();
  reg(s, "alice");
  int runs = kdf_runs_;
  EXPECT_EQ(code(login(s, "nobody")), 2003);
  EXPECT_EQ(kdf_runs_, runs + 1);
  runs = kdf_runs_;
  EXPECT_EQ(code(login(s, "alice", "wrong")), 2001);
  EXPECT_EQ(kdf_runs_, runs + 1);
}

TEST_F(RouterTest, ParallelGuessesAreCountedBeforeTheKdfAndLockOnlyTheirAddress) {
  auto s = session();
  reg(s, "alice");
  // Forty wrong passwords from forty connections of one address, all in flight at once.
  std::vector<std::function<void()>> held;
  kdf_runner_ = [&](std::function<void()> job) { held.push_back(std::move(job)); };
  std::vector<std::shared_ptr<testing::fake_session>> guessers;
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    auto g = session("203.0.113.9");
    guessers.push_back(g);
    if (router_->on_frame(g, R"({"type":"LOGIN_REQUEST","payload":{"username":"alice","passwordHash":"guess"}})")) {
      refused += code(g->next()) == 9007;
    }
  }
  EXPECT_EQ(held.size(), 2u);  // login_max_failures = 2 in this fixture
  EXPECT_EQ(refused, 38);
  kdf_runner_ = nullptr;
  for (auto& job : held) job();
  // Alice from her own address is not locked out.
  EXPECT_EQ(code(login(session("192.0.2.50"), "alice")), 0);
}

// ---- the inbox (issue: defects) ----

TEST_F(RouterTest, AnInboxPageLeavesTheInboxOnlyOnceWritten) {
  auto s = session();
  reg(s, "alice");
  reg(s, "bob");
  ASSERT_EQ(code(login(s, "alice")), 0);
  // Friends, then bob goes offline and gets three messages.
  auto b = session();
  ASSERT_EQ(code(login(b, "bob")), 0);
  request(s, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})");
  router_->on_frame(b, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":"alice","receiver":"bob","code":0}})");
  router_->on_disconnect(b);
  for (int i = 0; i < 3; ++i)
    router_->on_frame(s, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":"m)" + std::to_string(i) + R"("}})");
  ASSERT_TRUE(testing::eventually_true([&] {
    auto t = db_->begin_read();
    return store::inbox_size(t, "bob@alpha.example") == 3;
  }));
  // Bob logs in on a connection whose writes never complete, and it drops.
  auto stalled = session();
  stalled->hold_writes();
  ASSERT_EQ(code(login(stalled, "bob")), 0);
  router_->on_disconnect(stalled);
  stalled->drop_held_writes();
  // Nothing was written, so everything is still there for the next login.
  auto again = session();
  ASSERT_EQ(code(login(again, "bob")), 0);
  int texts = 0;
  for (auto m = again->next(); !m.empty(); m = again->next(std::chrono::milliseconds(300)))
    texts += m.at("type") == "TEXT_MESSAGE";
  EXPECT_EQ(texts, 3);
}

TEST_F(RouterTest, InboxPagesAreBoundedByBytes) {
  cfg_.limits.write_queue_bytes = 64 * 1024;  // pages of at most 16 KiB
  auto s = session();
  reg(s, "alice");
  reg(s, "bob");
  ASSERT_EQ(code(login(s, "alice")), 0);
  auto b = session();
  ASSERT_EQ(code(login(b, "bob")), 0);
  request(s, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})");
  router_->on_frame(b, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":"alice","receiver":"bob","code":0}})");
  router_->on_disconnect(b);
  const std::string big(10000, 'x');
  for (int i = 0; i < 6; ++i)
    router_->on_frame(s, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":")" + big + R"("}})");
  ASSERT_TRUE(testing::eventually_true([&] {
    auto t = db_->begin_read();
    return store::inbox_size(t, "bob@alpha.example") == 6;
  }));
  auto t = db_->begin_read();
  bool more = false;
  const auto page = store::inbox_read(t, "bob@alpha.example", 0, 512, cfg_.limits.write_queue_bytes / 4, more);
  EXPECT_EQ(page.size(), 1u);  // two 10 KB frames would pass 16 KiB
  EXPECT_TRUE(more);
}

}  // namespace
}  // namespace chatnode::node
