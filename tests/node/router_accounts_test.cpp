// Account lifecycle in the router (docs/protocol.md §5): PASSWORD_CHANGE_REQUEST (codes, the
// KDF queue, the login budget, tokens revoked but the session's own) and
// ACCOUNT_DELETE_REQUEST / router::delete_account (what friends, groups and other nodes see,
// the connection closed, every record of the user erased, the name free again).
#include "social_fixture.hpp"

#include "store/accounts.hpp"
#include "store/tokens.hpp"

#include "store/keys.hpp"

#include <gtest/gtest.h>

namespace chatnode::node {
namespace {
namespace json = boost::json;
using testing::fake_session;

constexpr const char* alice_id = "alice@alpha.example";
constexpr const char* carol_remote = "carol@beta.example";

class RouterAccountsTest : public testing::social_fixture {
 protected:
  RouterAccountsTest()
      : social_fixture([](config& c) {
          c.limits.login_max_failures = 2;
          c.limits.login_lockout = std::chrono::seconds(600);
          c.limits.kdf_per_address = 100;
        }) {}

  static std::string change(const std::string& name, const std::string& current, const std::string& next) {
    return R"({"type":"PASSWORD_CHANGE_REQUEST","id":"pc","payload":{"username":")" + name + R"(","passwordHash":")" +
           current + R"(","newPasswordHash":")" + next + R"("}})";
  }
  static std::string remove(const std::string& name, const std::string& pw) {
    return R"({"type":"ACCOUNT_DELETE_REQUEST","id":"del","payload":{"username":")" + name + R"(","passwordHash":")" + pw +
           R"("}})";
  }
  boost::json::object login_token(const std::shared_ptr<fake_session>& s, const std::string& name, const std::string& token) {
    return request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":")" + name + R"(","token":")" + token + R"("}})");
  }
  std::string token_of(const std::shared_ptr<fake_session>& s, const std::string& name, const std::string& pw = "pw") {
    auto r = request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":")" + name + R"(","passwordHash":")" + pw +
                            R"(","requestToken":true}})");
    EXPECT_EQ(code(r), 0);
    return std::string(r.at("payload").at("token").as_string());
  }

  // "table: key" for every record that still names `user` (or, in `users`, its bare name);
  // the stored messages other users hold and the outboxes to other nodes are not looked at.
  std::vector<std::string> traces_of(const std::string& user, const std::string& name) {
    std::vector<std::string> found;
    auto t = db_->begin_read();
    for (std::size_t i = 0; i < store::table_names.size(); ++i) {
      const auto table = static_cast<store::table_id>(i);
      if (table == store::table_id::messages || table == store::table_id::outbox) continue;
      auto c = t.open_cursor(table);
      for (auto item = c.first(); item; item = c.next()) {
        const auto key = item->first, value = item->second;
        if (table == store::table_id::meta && key.starts_with(std::string_view("group_pending\0", 14))) continue;
        if (key.find(user) != std::string_view::npos || value.find(user) != std::string_view::npos ||
            (table == store::table_id::users && key == name))
          found.push_back(std::string(store::table_names[i]) + ": " + std::string(key));
      }
    }
    return found;
  }
};

// ---- PASSWORD_CHANGE_REQUEST ----

TEST_F(RouterAccountsTest, PasswordChangeCodesAndTheNewPasswordAtTheNextLogin) {
  auto alice = user("alice");
  const int runs = kdf_runs_;
  auto r = request(alice, change("alice", "wrong", "new-pw"));
  EXPECT_EQ(r.at("type"), "PASSWORD_CHANGE_RESPONSE");
  EXPECT_EQ(r.at("id"), "pc");
  EXPECT_EQ(r.at("payload").at("username"), alice_id);
  EXPECT_EQ(code(r), 2001);
  r = request(alice, change("Alice@alpha.example", "pw", "new-pw"));
  EXPECT_EQ(code(r), 0);
  EXPECT_GE(kdf_runs_ - runs, 2);  // each check ran on the KDF queue
  router_->on_disconnect(alice);
  auto again = session();
  EXPECT_EQ(code(login(again, "alice", "pw")), 2001);
  EXPECT_EQ(code(login(again, "alice", "new-pw")), 0);
  // The stored credential is the KDF's, never the value sent.
  auto t = db_->begin_read();
  auto record = store::decode_account(*t.get(store::table_id::users, "alice"));
  ASSERT_TRUE(record);
  EXPECT_TRUE(record->credential.starts_with("scrypt$"));
  EXPECT_EQ(record->credential.find("new-pw"), std::string::npos);
}

TEST_F(RouterAccountsTest, PasswordChangeAndDeleteOnlyForTheLoggedInUser) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto r = request(alice, change("bob", "pw", "x"));
  EXPECT_EQ(r.at("type"), "ERROR");
  EXPECT_EQ(code(r), 9005);
  EXPECT_EQ(r.at("payload").at("inReplyTo"), "PASSWORD_CHANGE_REQUEST");
  r = request(alice, remove("bob", "pw"));
  EXPECT_EQ(code(r), 9005);
  EXPECT_EQ(r.at("payload").at("inReplyTo"), "ACCOUNT_DELETE_REQUEST");
  auto anonymous = session();
  EXPECT_EQ(code(request(anonymous, change("alice", "pw", "x"))), 9004);
  EXPECT_EQ(code(request(anonymous, remove("alice", "pw"))), 9004);
  // The node's own replies are not requests.
  r = request(alice, R"({"type":"PASSWORD_CHANGE_RESPONSE","payload":{"username":"alice","code":0}})");
  EXPECT_EQ(code(r), 9002);
  EXPECT_EQ(bob->pending(), 0u);
}

TEST_F(RouterAccountsTest, AWrongCurrentPasswordCountsAsAFailedLogin) {
  auto alice = user("alice");
  EXPECT_EQ(code(request(alice, change("alice", "x", "y"))), 2001);
  EXPECT_EQ(code(request(alice, change("alice", "x", "y"))), 2001);
  auto r = request(alice, change("alice", "pw", "y"));  // right, but this address is locked out
  EXPECT_EQ(r.at("type"), "ERROR");
  EXPECT_EQ(code(r), 9007);
  EXPECT_EQ(code(request(alice, remove("alice", "pw"))), 9007);
  auto elsewhere = session("192.0.2.77");
  router_->on_disconnect(alice);
  EXPECT_EQ(code(login(elsewhere, "alice", "pw")), 0);  // the account owner elsewhere is not locked out
}

TEST_F(RouterAccountsTest, APasswordChangeRevokesEveryTokenButTheSessions) {
  auto first = session();
  reg(first, "alice");
  const std::string old_token = token_of(first, "alice");
  router_->on_disconnect(first);
  auto second = session();
  const std::string own_token = token_of(second, "alice");
  {
    auto t = db_->begin_read();
    EXPECT_EQ(store::tokens::count(t, alice_id), 2u);
  }
  EXPECT_EQ(code(request(second, change("alice", "pw", "new-pw"))), 0);
  {
    auto t = db_->begin_read();
    EXPECT_EQ(store::tokens::count(t, alice_id), 1u);
    EXPECT_EQ(store::tokens::user_of(t, store::tokens::digest(own_token), router::now_seconds()), alice_id);
    EXPECT_FALSE(store::tokens::user_of(t, store::tokens::digest(old_token), router::now_seconds()));
  }
  router_->on_disconnect(second);
  auto third = session();
  EXPECT_EQ(code(login_token(third, "alice", old_token)), 2001);
  EXPECT_EQ(code(login_token(third, "alice", own_token)), 0);
  // A session that logged in with a token keeps that one through a change too.
  EXPECT_EQ(code(request(third, change("alice", "new-pw", "newer-pw"))), 0);
  router_->on_disconnect(third);
  EXPECT_EQ(code(login_token(session(), "alice", own_token)), 0);
}

TEST_F(RouterAccountsTest, APasswordChangePausesReadingUntilAnswered) {
  auto alice = user("alice");
  // Like a login: the connection's next request is read only once the change is answered.
  std::function<void()> held;
  kdf_runner_ = [&](std::function<void()> job) { held = std::move(job); };
  EXPECT_FALSE(router_->on_frame(alice, change("alice", "pw", "new")));
  kdf_runner_ = {};
  EXPECT_EQ(alice->pending(), 0u);
  held();
  EXPECT_TRUE(alice->wait_resumed(++resumes_[alice.get()]));
  EXPECT_EQ(code(next_of(alice, "PASSWORD_CHANGE_RESPONSE")), 0);
}

// ---- ACCOUNT_DELETE_REQUEST ----

TEST_F(RouterAccountsTest, AWrongPasswordKeepsTheAccount) {
  auto alice = user("alice");
  auto r = request(alice, remove("alice", "nope"));
  EXPECT_EQ(r.at("type"), "ACCOUNT_DELETE_RESPONSE");
  EXPECT_EQ(r.at("payload").at("username"), alice_id);
  EXPECT_EQ(code(r), 2001);
  EXPECT_FALSE(alice->close_code());
  EXPECT_EQ(code(request(alice, R"({"type":"FRIEND_LIST_REQUEST","payload":{"username":"alice"}})")), 0);
  auto t = db_->begin_read();
  EXPECT_TRUE(store::local_user_exists(t, "alice"));
}

TEST_F(RouterAccountsTest, DeletionTellsFriendsAndGroupsClosesTheConnectionAndErasesEverything) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto carol = user("carol");
  auto dave = user("dave");
  auto erin = user("erin");
  befriend(alice, "alice", bob, "bob");
  befriend(erin, "erin", alice, "alice");
  // A request alice made and one she got; a group she leads, one she is in, one she is invited to.
  send(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"carol"}})");
  next_of(carol, "FRIEND_REQUEST");
  send(dave, R"({"type":"FRIEND_REQUEST","payload":{"sender":"dave","receiver":"alice"}})");
  next_of(alice, "FRIEND_REQUEST");
  befriend(bob, "bob", erin, "erin");
  const std::string led = group(alice, "alice", "Led", {{bob, "bob"}, {erin, "erin"}});
  const std::string member = group(bob, "bob", "Member", {{alice, "alice"}});
  send(erin, R"({"type":"GROUP_CREATE","payload":{"sender":"erin","members":["alice"],"name":"Invite"}})");
  const std::string invited(next_of(erin, "GROUP_CREATE_ACK").at("payload").at("groupId").as_string());
  next_of(alice, "GROUP_INVITE");
  // History, a block, a token, an unfinished upload, a remote friend with a 1:1 message.
  send(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":"to bob"}})");
  const std::string bob_mid(next_of(alice, "TEXT_MESSAGE_ACK").at("payload").at("messageId").as_string());
  send(alice, R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":")" + led + R"(","content":"to group"}})");
  EXPECT_EQ(code(next_of(alice, "TEXT_MESSAGE_ACK")), 0);
  run([](store::txn& t) { store::add_friendship(t, alice_id, carol_remote, 1); });
  send(alice, std::string(R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":")") + carol_remote +
                  R"(","content":"to carol"}})");
  const std::string remote_mid(next_of(alice, "TEXT_MESSAGE_ACK").at("payload").at("messageId").as_string());
  send(alice, R"({"type":"USER_BLOCK","payload":{"sender":"alice","receiver":"mallory"}})");
  EXPECT_EQ(code(next_of(alice, "USER_BLOCK_ACK")), 0);
  send(alice, R"({"type":"MEDIA_MESSAGE","payload":{"sender":"alice","receiver":"bob","mediaId":"half","mediaType":"text/plain","mediaSize":10}})");
  EXPECT_EQ(code(next_of(alice, "MEDIA_MESSAGE_ACK")), 0);
  run([](store::txn& t) { store::tokens::issue(t, alice_id, router::now_seconds(), 3600, 20); });
  const std::vector<std::pair<std::shared_ptr<fake_session>, std::string>> others{
      {bob, "bob"}, {carol, "carol"}, {dave, "dave"}, {erin, "erin"}};
  for (const auto& [s, name] : others) drain(s, name);

  auto r = request(alice, remove("alice", "pw"));
  EXPECT_EQ(r.at("type"), "ACCOUNT_DELETE_RESPONSE");
  EXPECT_EQ(r.at("id"), "del");
  EXPECT_EQ(code(r), 0);
  ASSERT_TRUE(testing::eventually_true([&] { return alice->close_code().has_value(); }));
  EXPECT_EQ(*alice->close_code(), 1000);
  EXPECT_TRUE(alice->state().logged_out);
  EXPECT_FALSE(online_.find(alice_id));

  // bob: alice offline, the friendship ends; he leads "Led" now; alice left "Member" (the
  // groups in the order of their random ids).
  const auto to_bob = drain(bob, "bob");
  ASSERT_EQ(to_bob.size(), 5u) << joined(types_of(to_bob));
  EXPECT_EQ(to_bob[0].at("type"), "USER_STATUS_UPDATE");
  EXPECT_EQ(to_bob[0].at("payload").at("status"), "offline");
  EXPECT_EQ(to_bob[1].at("type"), "FRIEND_REMOVE");
  EXPECT_EQ(to_bob[1].at("payload").at("sender"), alice_id);
  EXPECT_EQ(to_bob[1].at("payload").at("receiver"), "bob@alpha.example");
  std::vector<std::string> group_events;
  for (std::size_t i = 2; i < to_bob.size(); ++i)
    group_events.push_back(std::string(to_bob[i].at("type").as_string()) + " " +
                           std::string(to_bob[i].at("payload").at("groupId").as_string()));
  std::vector<std::string> want{"GROUP_LEAVE " + led, "GROUP_LEADER_CHANGE " + led, "GROUP_LEAVE " + member};
  if (member < led) std::rotate(want.begin(), want.begin() + 2, want.end());
  EXPECT_EQ(group_events, want);
  for (const auto& f : to_bob)
    if (f.at("type") == "GROUP_LEADER_CHANGE") {
      EXPECT_EQ(f.at("payload").at("newLeader"), "bob@alpha.example");
    }
  // carol and dave: the pending requests end as with FRIEND_REMOVE; erin: the friendship
  // ends, alice left "Led", declined "Invite".
  EXPECT_EQ(types_of(drain(carol, "carol")), (std::vector<std::string>{"FRIEND_REMOVE"}));
  EXPECT_EQ(types_of(drain(dave, "dave")), (std::vector<std::string>{"FRIEND_REMOVE"}));
  const auto to_erin = drain(erin, "erin");
  EXPECT_EQ(types_of(to_erin), (std::vector<std::string>{"USER_STATUS_UPDATE", "FRIEND_REMOVE", "GROUP_LEAVE",
                                                          "GROUP_LEADER_CHANGE", "GROUP_INVITE_RESPONSE"}));
  EXPECT_EQ(to_erin[4].at("payload").at("code"), 5001);
  EXPECT_EQ(to_erin[4].at("payload").at("groupId"), json::value(invited));
  // carol's node hears of it as for a FRIEND_REMOVE (after the offline status).
  const auto to_beta = delivered_to("beta.example");
  ASSERT_GE(to_beta.size(), 2u);
  EXPECT_EQ(to_beta.back().at("type"), "FRIEND_REMOVE");
  EXPECT_EQ(to_beta.back().at("payload").at("receiver"), carol_remote);

  EXPECT_EQ(traces_of(alice_id, "alice"), std::vector<std::string>{});
  {
    auto t = db_->begin_read();
    EXPECT_FALSE(store::load_media(t, "half"));
    // The 1:1 message bob holds stays with him; the one to carol (held on her node) is gone.
    EXPECT_FALSE(t.get(store::table_id::messages, store::be64(std::stoull(remote_mid))));
    auto g = store::load_group(t, led);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->leader, "bob@alpha.example");
    EXPECT_EQ(g->members, (std::vector<std::string>{"bob@alpha.example", "erin@alpha.example"}));
  }
  {
    // What bob holds stays with him.
    auto t = db_->begin_read();
    const auto id = std::stoull(bob_mid);
    EXPECT_TRUE(t.get(store::table_id::history, store::key_seq("bob@alpha.example", id)));
    auto m = store::load_message(t, id);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->sender, alice_id);
    EXPECT_EQ(m->content, "to bob");
  }

  // The name is free again, and the new account starts empty.
  auto fresh = user("alice", true, "another");
  EXPECT_EQ(types_of(drain(fresh, "alice")), std::vector<std::string>{});
  auto list = request(fresh, R"({"type":"FRIEND_LIST_REQUEST","payload":{"username":"alice"}})");
  EXPECT_EQ(json::serialize(list.at("payload")), R"({"username":"alice@alpha.example","friends":[],"incoming":[],"outgoing":[],"code":0})");
  list = request(fresh, R"({"type":"GROUP_LIST_REQUEST","payload":{"username":"alice"}})");
  EXPECT_EQ(json::serialize(list.at("payload")), R"({"username":"alice@alpha.example","groups":[],"invitations":[],"code":0})");
  list = request(fresh, R"({"type":"BLOCK_LIST_REQUEST","payload":{"username":"alice"}})");
  EXPECT_EQ(json::serialize(list.at("payload")), R"({"username":"alice@alpha.example","blocked":[],"code":0})");
  EXPECT_EQ(code(request(fresh, R"({"type":"MESSAGE_HISTORY_REQUEST","payload":{"username":"alice"}})")), 6001);
}

TEST_F(RouterAccountsTest, NothingIsKeptForADeletedAccount) {
  auto alice = user("alice");
  auto bob = user("bob");
  befriend(alice, "alice", bob, "bob");
  ASSERT_EQ(code(request(alice, remove("alice", "pw"))), 0);
  // An event from another node that was on its way: not kept (the friendship is gone, and a
  // delivery to a user who does not exist is dropped).
  const auto r = receive("beta.example", deliver_event({alice_id}, R"({"type":"FRIEND_REMOVE","payload":{"sender":"carol@beta.example","receiver":"alice@alpha.example"}})"));
  EXPECT_EQ(r.code, 0) << r.reason;
  EXPECT_EQ(traces_of(alice_id, "alice"), std::vector<std::string>{});
  // A login with the old password finds no user.
  EXPECT_EQ(code(login(session(), "alice")), 2003);
}

TEST_F(RouterAccountsTest, TheOperatorDeletesWithoutASessionAndClosesTheUsers) {
  auto alice = user("alice");
  auto bob = user("bob");
  befriend(alice, "alice", bob, "bob");
  std::promise<bool> deleted;
  router_->delete_account("alice", [&](bool ok) { deleted.set_value(ok); });
  EXPECT_TRUE(deleted.get_future().get());
  ASSERT_TRUE(testing::eventually_true([&] { return alice->close_code().has_value(); }));
  EXPECT_EQ(*alice->close_code(), 1000);
  EXPECT_EQ(types_of(drain(bob, "bob")), (std::vector<std::string>{"USER_STATUS_UPDATE", "FRIEND_REMOVE"}));
  // Whatever the closed session still sends is ignored.
  EXPECT_TRUE(router_->on_frame(alice, R"({"type":"FRIEND_LIST_REQUEST","payload":{"username":"alice"}})"));
  EXPECT_EQ(traces_of(alice_id, "alice"), std::vector<std::string>{});

  // Offline users, and names that are not users here.
  auto carol = session();
  reg(carol, "carol");
  for (const auto& [name, expected] : {std::pair{std::string("carol@alpha.example"), true}, {"carol", false},
                                       {"nobody", false}, {"bob@beta.example", false}, {"not a name", false}}) {
    std::promise<bool> done;
    router_->delete_account(name, [&](bool ok) { done.set_value(ok); });
    EXPECT_EQ(done.get_future().get(), expected) << name;
  }
}

}  // namespace
}  // namespace chatnode::node
