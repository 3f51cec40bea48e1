// Account deletion (core/accounts.hpp) on the in-memory store: what is erased, and who is
// told what.
#include "core_fixture.hpp"

#include "core/accounts.hpp"

#include "store/accounts.hpp"

namespace chatnode::core::testing {
namespace {

class AccountsTest : public core_test {
 protected:
  AccountsTest() {
    add_user("alice");
    add_user("bob");
    add_user("carol");
  }
  bool erase(const std::string& user, effects* out = nullptr) {
    bool erased = false;
    auto fx = run([&](context& c) { erased = erase_account(c, user); });
    if (out) *out = std::move(fx);
    return erased;
  }
  const std::string alice = "alice@alpha.example";
  const std::string bob = "bob@alpha.example";
  const std::string carol = "carol@alpha.example";
};

TEST_F(AccountsTest, AnUnknownUserIsNotErased) {
  effects fx;
  EXPECT_FALSE(erase("nobody@alpha.example", &fx));
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_FALSE(erase("bob@beta.example"));  // not a user of this node
}

TEST_F(AccountsTest, TheAccountAndEveryRecordOfTheUserGo) {
  befriend(alice, bob);
  {
    auto t = db.begin_write();
    store::add_request(t, alice, carol, now);
    store::add_block(t, alice, "mallory@alpha.example", now);
    store::inbox_append(t, alice, R"({"type":"TEXT_MESSAGE"})");
    t.commit();
  }
  ASSERT_TRUE(erase(alice));
  read([&](const store::txn& t) {
    EXPECT_FALSE(store::account_exists(t, "alice"));
    EXPECT_FALSE(store::are_friends(t, alice, bob));
    EXPECT_FALSE(store::has_request(t, alice, carol));
    EXPECT_TRUE(store::blocked_by(t, alice).empty());
    EXPECT_EQ(store::inbox_size(t, alice), 0u);
    return 0;
  });
  EXPECT_TRUE(read([&](const store::txn& t) { return store::account_exists(t, "bob"); }));
}

TEST_F(AccountsTest, OnlineFriendsSeeThemGoOfflineAndTheFriendshipEnd) {
  befriend(alice, bob);
  online.log_in(alice);
  online.log_in(bob);
  effects fx;
  ASSERT_TRUE(erase(alice, &fx));
  auto to_bob = sent_to(fx, bob);
  ASSERT_EQ(to_bob.size(), 2u);
  EXPECT_EQ(type_of(to_bob[0]), "USER_STATUS_UPDATE");
  EXPECT_EQ(payload(to_bob[0]).at("status").as_string(), "offline");
  EXPECT_EQ(type_of(to_bob[1]), "FRIEND_REMOVE");
  EXPECT_EQ(payload(to_bob[1]).at("sender").as_string(), alice);
}

TEST_F(AccountsTest, AUserWhoAppearedOfflineLeavesQuietly) {
  befriend(alice, bob);
  online.log_in(alice, "offline");
  online.log_in(bob);
  effects fx;
  ASSERT_TRUE(erase(alice, &fx));
  auto to_bob = sent_to(fx, bob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(type_of(to_bob[0]), "FRIEND_REMOVE");
}

TEST_F(AccountsTest, AFriendOnAnotherNodeIsToldThroughItsOutbox) {
  befriend(alice, "dave@beta.example");
  ASSERT_TRUE(erase(alice));
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind").as_string(), "deliver");
  EXPECT_EQ(events[0].at("message").as_object().at("type").as_string(), "FRIEND_REMOVE");
}

TEST_F(AccountsTest, GroupsAreLeftAndInvitationsDeclined) {
  {
    auto t = db.begin_write();
    store::group_record led{"team", alice, {alice, bob}, {}, now};
    store::save_group(t, "#team@alpha.example", led, nullptr);
    store::group_record invited{"other", carol, {carol}, {{alice, carol}}, now};
    store::save_group(t, "#other@alpha.example", invited, nullptr);
    t.commit();
  }
  ASSERT_TRUE(erase(alice));
  auto team = read([&](const store::txn& t) { return store::load_group(t, "#team@alpha.example"); });
  ASSERT_TRUE(team);
  EXPECT_EQ(team->members, std::vector<std::string>{bob});
  EXPECT_EQ(team->leader, bob);  // leadership passed on
  auto other = read([&](const store::txn& t) { return store::load_group(t, "#other@alpha.example"); });
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->invited.empty());
  auto carol_inbox = inbox(carol);
  ASSERT_EQ(carol_inbox.size(), 1u);
  EXPECT_EQ(type_of(carol_inbox[0]), "GROUP_INVITE_RESPONSE");
  EXPECT_EQ(payload(carol_inbox[0]).at("code").as_int64(), 5001);
}

TEST_F(AccountsTest, TheUsersUploadsAndTheMediaWaitingForThemGo) {
  {
    auto t = db.begin_write();
    store::media_record up;
    up.sender = alice;
    up.receiver = bob;
    up.size = 3;
    store::save_media(t, "up1", up);
    store::add_upload(t, alice, "up1");
    store::media_record waiting;
    waiting.sender = bob;
    waiting.receiver = alice;
    waiting.size = 3;
    waiting.complete = true;
    waiting.pending = 1;
    waiting.recipients = {alice};
    store::save_media(t, "w1", waiting);
    store::add_delivery(t, alice, "w1");
    t.commit();
  }
  ASSERT_TRUE(erase(alice));
  read([&](const store::txn& t) {
    EXPECT_FALSE(store::load_media(t, "up1"));
    EXPECT_TRUE(store::uploads_of(t, alice).empty());
    EXPECT_TRUE(store::deliveries_of(t, alice).empty());
    EXPECT_FALSE(store::load_media(t, "w1"));  // nobody else waited for it: purged
    return 0;
  });
}

TEST_F(AccountsTest, AFetchLeftForNobodyEndsAndItsOriginIsTold) {
  {
    auto t = db.begin_write();
    store::media_record m;
    m.sender = "dave@beta.example";
    m.receiver = alice;
    m.size = 3;
    store::save_media(t, "f1", m);
    store::save_fetch(t, "f1", store::fetch_record{"beta.example", "orig1", std::string(64, 'a'), {alice}, false, now, 0});
    store::media_record shared = m;
    store::save_media(t, "f2", shared);
    store::save_fetch(t, "f2", store::fetch_record{"beta.example", "orig2", std::string(64, 'b'), {alice, bob}, false, now, 0});
    t.commit();
  }
  ASSERT_TRUE(erase(alice));
  read([&](const store::txn& t) {
    EXPECT_FALSE(store::fetch_exists(t, "f1"));
    EXPECT_FALSE(store::load_media(t, "f1"));
    auto f2 = store::load_fetch(t, "f2");
    EXPECT_TRUE(f2 && f2->to == std::vector<std::string>{bob});  // still fetched for bob
    return 0;
  });
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind").as_string(), "media_done");
  EXPECT_EQ(events[0].at("mediaId").as_string(), "orig1");
  EXPECT_EQ(events[0].at("code").as_int64(), 7001);
}

}  // namespace
}  // namespace chatnode::core::testing
