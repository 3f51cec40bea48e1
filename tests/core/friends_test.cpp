// The friend, presence and block rules (core/friends.hpp) on the in-memory store.
#include "core_fixture.hpp"

#include "core/friends.hpp"

#include <boost/json/array.hpp>

namespace chatnode::core::testing {
namespace {

namespace p = chatnode::protocol;
namespace json = boost::json;

constexpr const char* alice_id = "alice@alpha.example";
constexpr const char* bob_id = "bob@alpha.example";
constexpr const char* carol_id = "carol@alpha.example";
constexpr const char* xavier = "xavier@beta.example";  // a user of another node (a peer)
constexpr const char* yvonne = "yvonne@beta.example";  // another one there
constexpr const char* zach = "zach@gamma.example";     // a user of a node that is no peer

class FriendsTest : public core_test {
 protected:
  FriendsTest() {
    add_user("alice");
    add_user("bob");
    add_user("carol");
  }
  const actor alice{"alice@alpha.example", {}, false};
  const actor bob{"bob@alpha.example", {}, false};

  // ---- rules ----
  effects request(const actor& a, const std::string& to, const std::optional<std::string>& id = "r1") {
    return run([&](context& c) { friend_request(c, a, p::friend_request{a.user, to}, id); });
  }
  effects respond(const actor& a, const std::string& requester, int code, const std::optional<std::string>& id = "s1") {
    return run([&](context& c) { friend_response(c, a, p::friend_request_response{requester, a.user, code}, id); });
  }
  effects remove(const actor& a, const std::string& who) {
    return run([&](context& c) { friend_remove(c, a, p::friend_remove{a.user, who}, "d1"); });
  }
  effects block_user(const actor& a, const std::string& who) {
    return run([&](context& c) { block(c, a, p::user_block{a.user, who}, "b1"); });
  }
  effects unblock_user(const actor& a, const std::string& who) {
    return run([&](context& c) { unblock(c, a, p::user_unblock{a.user, who}, "u1"); });
  }

  // ---- store ----
  void ask(const std::string& from, const std::string& to) {
    auto t = db.begin_write();
    store::add_request(t, from, to, now);
    t.commit();
  }
  void add_block(const std::string& blocker, const std::string& blocked) {
    auto t = db.begin_write();
    store::add_block(t, blocker, blocked, now);
    t.commit();
  }
  bool pending(const std::string& from, const std::string& to) {
    return read([&](const store::txn& t) { return store::has_request(t, from, to); });
  }
  bool friends(const std::string& a, const std::string& b) {
    return read([&](const store::txn& t) { return store::are_friends(t, a, b); });
  }
  bool blocking(const std::string& a, const std::string& b) {
    return read([&](const store::txn& t) { return store::blocks(t, a, b); });
  }
  std::vector<std::string> blocked_list(const std::string& a) {
    return read([&](const store::txn& t) { return store::blocked_by(t, a); });
  }

  // ---- frames ----
  static std::int64_t code_of(const json::object& frame) { return payload(frame).at("code").as_int64(); }
  static std::string str(const json::object& frame, std::string_view key) {
    return std::string(payload(frame).at(key).as_string());
  }
  static std::vector<std::string> types(const std::vector<json::object>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames) out.push_back(type_of(f));
    return out;
  }
  static std::vector<std::string> strings(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
    return out;
  }
  // A deliver event of an outbox: who it goes to, the message it carries.
  static std::vector<std::string> to_of(const json::object& event) {
    EXPECT_EQ(event.at("kind").as_string(), "deliver");
    return strings(event.at("to"));
  }
  static const json::object& message_of(const json::object& event) { return event.at("message").as_object(); }
  // Expects `frame` is a USER_STATUS_UPDATE of `user` with `status`.
  static void expect_status(const json::object& frame, const std::string& user, const std::string& status) {
    EXPECT_EQ(type_of(frame), "USER_STATUS_UPDATE");
    EXPECT_EQ(str(frame, "username"), user);
    EXPECT_EQ(str(frame, "status"), status);
  }
};

// ============================== FRIEND_REQUEST ==============================

TEST_F(FriendsTest, ARequestIsStoredAcknowledgedAndWaitsInTheInboxOfAnOfflineReceiver) {
  auto fx = run([&](context& c) { friend_request(c, alice, p::friend_request{"alice", "bob"}, "r1"); });
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "FRIEND_REQUEST_ACK");
  EXPECT_EQ(payload(r[0]).at("code").as_int64(), 0);
  EXPECT_EQ(r[0].at("id").as_string(), "r1");
  EXPECT_TRUE(read([](const store::txn& t) { return store::has_request(t, "alice@alpha.example", "bob@alpha.example"); }));
  auto waiting = inbox("bob@alpha.example");
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "FRIEND_REQUEST");
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 1u);
}

TEST_F(FriendsTest, ARequestToYourselfIs3005AndStoresNothing) {
  for (const std::string to : {"alice", alice_id}) {
    auto fx = request(alice, to);
    auto r = replies(fx);
    ASSERT_EQ(r.size(), 1u) << to;
    EXPECT_EQ(type_of(r[0]), "FRIEND_REQUEST_ACK");
    EXPECT_EQ(code_of(r[0]), 3005);
    EXPECT_EQ(str(r[0], "sender"), alice_id);
    EXPECT_EQ(str(r[0], "receiver"), alice_id);
    EXPECT_EQ(fx.tally.get(message_kind::friend_request), 0u);
  }
  EXPECT_FALSE(pending(alice_id, alice_id));
  EXPECT_TRUE(inbox(alice_id).empty());
  EXPECT_EQ(online.friend_request_budget, 1000);
}

TEST_F(FriendsTest, ARequestToAnUnknownLocalUserIs3001) {
  auto fx = request(alice, "nobody");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3001);
  EXPECT_EQ(str(r[0], "receiver"), "nobody@alpha.example");
  EXPECT_EQ(r[0].at("id").as_string(), "r1");
  EXPECT_FALSE(pending(alice_id, "nobody@alpha.example"));
  EXPECT_TRUE(inbox("nobody@alpha.example").empty());
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 0u);
}

TEST_F(FriendsTest, ARequestToAnUnreachableDomainIs3001Now) {
  // gamma.example is no peer.
  auto fx = request(alice, zach);
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3001);
  EXPECT_EQ(str(r[0], "receiver"), zach);
  EXPECT_FALSE(pending(alice_id, zach));
  EXPECT_TRUE(outbox("gamma.example").empty());
  // Federation off: no other node can be reached, the peers included.
  online.federation = false;
  fx = request(alice, xavier);
  r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3001);
  EXPECT_FALSE(pending(alice_id, xavier));
  EXPECT_TRUE(outbox("beta.example").empty());
  EXPECT_TRUE(fx.pokes.empty());
}

TEST_F(FriendsTest, ARequestToAReachableRemoteUserGoesToItsNodeWithTheRequestIdAsRefAndNoAckYet) {
  auto fx = request(alice, xavier, "q7");
  EXPECT_TRUE(replies(fx).empty());  // the ACK is the other node's verdict, later
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_TRUE(pending(alice_id, xavier));
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 1u);
  EXPECT_EQ(online.friend_request_budget, 999);
  EXPECT_EQ(fx.pokes, (std::set<std::string>{"beta.example"}));
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(to_of(events[0]), (std::vector<std::string>{xavier}));
  EXPECT_EQ(events[0].at("ref").as_string(), "q7");
  const auto& m = message_of(events[0]);
  EXPECT_EQ(type_of(m), "FRIEND_REQUEST");
  EXPECT_EQ(str(m, "sender"), alice_id);
  EXPECT_EQ(str(m, "receiver"), xavier);
  EXPECT_TRUE(outbox("gamma.example").empty());
}

TEST_F(FriendsTest, ARequestToSomeoneYouBlockIs11004) {
  add_block(alice_id, bob_id);
  online.log_in(bob_id);
  auto fx = request(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 11004);
  EXPECT_EQ(str(r[0], "receiver"), bob_id);
  EXPECT_FALSE(pending(alice_id, bob_id));
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_TRUE(inbox(bob_id).empty());
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 0u);
  // A blocked user of another node likewise, decided here.
  add_block(alice_id, xavier);
  r = replies(request(alice, xavier));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 11004);
  EXPECT_TRUE(outbox("beta.example").empty());
}

TEST_F(FriendsTest, ARequestToAFriendIs3003) {
  befriend(alice_id, bob_id);
  online.log_in(bob_id);
  auto fx = request(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3003);
  EXPECT_FALSE(pending(alice_id, bob_id));
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 0u);
  // A friend on another node: decided here, at once.
  befriend(alice_id, xavier);
  r = replies(request(alice, xavier));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3003);
  EXPECT_TRUE(outbox("beta.example").empty());
}

TEST_F(FriendsTest, AskingAgainWhilePendingIs3006AndDeliversNothingNew) {
  ASSERT_EQ(code_of(replies(request(alice, "bob"))[0]), 0);
  ASSERT_EQ(inbox(bob_id).size(), 1u);
  auto fx = request(alice, "bob", "r2");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3006);
  EXPECT_EQ(r[0].at("id").as_string(), "r2");
  EXPECT_EQ(inbox(bob_id).size(), 1u);
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 0u);
  EXPECT_EQ(online.friend_request_budget, 999);  // only the first spent the budget
}

TEST_F(FriendsTest, CrossingRequestsMakeFriendsAndEachSeesTheirOwnRequestAccepted) {
  ask(bob_id, alice_id);
  online.log_in(alice_id);
  online.log_in(bob_id, "away");
  auto fx = request(alice, "bob", "r9");
  auto r = replies(fx);
  ASSERT_EQ(types(r), (std::vector<std::string>{"FRIEND_REQUEST_ACK", "FRIEND_REQUEST_RESPONSE"}));
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_EQ(r[0].at("id").as_string(), "r9");
  EXPECT_EQ(str(r[1], "sender"), alice_id);
  EXPECT_EQ(str(r[1], "receiver"), bob_id);
  EXPECT_EQ(code_of(r[1]), 0);
  // bob: his own request accepted, then alice's status.
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(types(to_bob), (std::vector<std::string>{"FRIEND_REQUEST_RESPONSE", "USER_STATUS_UPDATE"}));
  EXPECT_EQ(str(to_bob[0], "sender"), bob_id);
  EXPECT_EQ(str(to_bob[0], "receiver"), alice_id);
  EXPECT_EQ(code_of(to_bob[0]), 0);
  expect_status(to_bob[1], alice_id, "online");
  // alice's session: bob's status.
  auto to_alice = sent_to(fx, alice_id);
  ASSERT_EQ(to_alice.size(), 1u);
  expect_status(to_alice[0], bob_id, "away");
  EXPECT_TRUE(friends(alice_id, bob_id));
  EXPECT_TRUE(friends(bob_id, alice_id));
  EXPECT_FALSE(pending(bob_id, alice_id));
  EXPECT_FALSE(pending(alice_id, bob_id));
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 1u);
  EXPECT_TRUE(inbox(bob_id).empty());
}

TEST_F(FriendsTest, CrossingRequestsWithAnOfflineRequesterFillItsInboxWithoutPresence) {
  ask(bob_id, alice_id);
  online.log_in(alice_id);
  auto fx = request(alice, "bob");
  EXPECT_EQ(code_of(replies(fx)[0]), 0);
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  auto waiting = inbox(bob_id);
  ASSERT_EQ(types(waiting), (std::vector<std::string>{"FRIEND_REQUEST_RESPONSE"}));  // presence is live only
  EXPECT_EQ(str(waiting[0], "sender"), bob_id);
  EXPECT_EQ(code_of(waiting[0]), 0);
  auto to_alice = sent_to(fx, alice_id);
  ASSERT_EQ(to_alice.size(), 1u);
  expect_status(to_alice[0], bob_id, "offline");
  EXPECT_TRUE(friends(alice_id, bob_id));
}

TEST_F(FriendsTest, CrossingRequestsWithARemoteUserAnswerAndTellItsNodeAlicesStatus) {
  ask(xavier, alice_id);
  online.log_in(alice_id, "busy");
  online.set_remote_status(xavier, "away");
  auto fx = request(alice, xavier);
  auto r = replies(fx);
  ASSERT_EQ(types(r), (std::vector<std::string>{"FRIEND_REQUEST_ACK", "FRIEND_REQUEST_RESPONSE"}));
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_TRUE(friends(alice_id, xavier));
  EXPECT_FALSE(pending(xavier, alice_id));
  // alice hears xavier's status from xavier's node, not from here.
  EXPECT_TRUE(sent_to(fx, alice_id).empty());
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(to_of(events[0]), (std::vector<std::string>{xavier}));
  EXPECT_EQ(type_of(message_of(events[0])), "FRIEND_REQUEST_RESPONSE");
  EXPECT_EQ(str(message_of(events[0]), "sender"), xavier);
  EXPECT_EQ(str(message_of(events[0]), "receiver"), alice_id);
  EXPECT_EQ(code_of(message_of(events[0])), 0);
  EXPECT_FALSE(events[0].contains("ref"));
  EXPECT_EQ(to_of(events[1]), (std::vector<std::string>{xavier}));
  expect_status(message_of(events[1]), alice_id, "busy");
}

TEST_F(FriendsTest, AnExhaustedBudgetIs3009AndStoresNothing) {
  online.friend_request_budget = 0;
  online.log_in(bob_id);
  auto fx = request(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3009);
  EXPECT_FALSE(pending(alice_id, bob_id));
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_TRUE(inbox(bob_id).empty());
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 0u);
  // To another node too: refused here, at once.
  fx = request(alice, xavier);
  r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3009);
  EXPECT_FALSE(pending(alice_id, xavier));
  EXPECT_TRUE(outbox("beta.example").empty());
}

TEST_F(FriendsTest, ARequestToSomeoneWhoBlocksYouLooksAcceptedButNeverArrives) {
  add_block(bob_id, alice_id);
  online.log_in(bob_id);
  auto fx = request(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_TRUE(pending(alice_id, bob_id));
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_EQ(fx.sends.size(), 1u);
  EXPECT_TRUE(inbox(bob_id).empty());
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 1u);
  // Offline, nothing waits for him either.
  online.log_out(bob_id);
  add_block(bob_id, carol_id);
  fx = request(actor{carol_id, {}, false}, "bob");
  ASSERT_EQ(code_of(replies(fx)[0]), 0);
  EXPECT_TRUE(pending(carol_id, bob_id));
  EXPECT_TRUE(inbox(bob_id).empty());
}

TEST_F(FriendsTest, ALiveReceiverGetsTheRequestAtOnce) {
  online.log_in(bob_id);
  auto fx = request(alice, "bob");
  EXPECT_EQ(code_of(replies(fx)[0]), 0);
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(type_of(to_bob[0]), "FRIEND_REQUEST");
  EXPECT_EQ(str(to_bob[0], "sender"), alice_id);
  EXPECT_EQ(str(to_bob[0], "receiver"), bob_id);
  EXPECT_TRUE(inbox(bob_id).empty());
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 1u);
}

TEST_F(FriendsTest, AReceiverStillCatchingUpGetsTheRequestInTheInbox) {
  online.log_in(bob_id, "online", true);
  auto fx = request(alice, "bob");
  EXPECT_EQ(code_of(replies(fx)[0]), 0);
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  auto waiting = inbox(bob_id);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "FRIEND_REQUEST");
  EXPECT_EQ(str(waiting[0], "sender"), alice_id);
  EXPECT_EQ(str(waiting[0], "receiver"), bob_id);
}

// ============================== FRIEND_REQUEST_RESPONSE ==============================

TEST_F(FriendsTest, AResponseWithAnotherCodeIsError9003) {
  ask(bob_id, alice_id);
  auto fx = respond(alice, "bob", 1234, "s9");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "ERROR");
  EXPECT_EQ(code_of(r[0]), 9003);
  EXPECT_EQ(str(r[0], "inReplyTo"), "FRIEND_REQUEST_RESPONSE");
  EXPECT_EQ(r[0].at("id").as_string(), "s9");
  EXPECT_EQ(fx.errors, 1u);
  EXPECT_TRUE(pending(bob_id, alice_id));  // still there to answer
  EXPECT_FALSE(friends(alice_id, bob_id));
  EXPECT_TRUE(inbox(bob_id).empty());
}

TEST_F(FriendsTest, AResponseWithoutARequestIsError3007) {
  online.log_in(bob_id);
  auto fx = respond(alice, "bob", 0, "s2");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "ERROR");
  EXPECT_EQ(code_of(r[0]), 3007);
  EXPECT_EQ(str(r[0], "inReplyTo"), "FRIEND_REQUEST_RESPONSE");
  EXPECT_EQ(r[0].at("id").as_string(), "s2");
  EXPECT_EQ(fx.errors, 1u);
  EXPECT_FALSE(friends(alice_id, bob_id));
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_TRUE(inbox(bob_id).empty());
  // alice's own request to bob is no request to answer either.
  ask(alice_id, bob_id);
  r = replies(respond(alice, "bob", 0));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 3007);
  EXPECT_TRUE(pending(alice_id, bob_id));
  EXPECT_FALSE(friends(alice_id, bob_id));
}

TEST_F(FriendsTest, AResponseToARequestFromSomeoneYouBlockIs3007AndKeepsTheRequest) {
  ask(bob_id, alice_id);
  add_block(alice_id, bob_id);
  online.log_in(bob_id);
  for (int code : {0, 3004}) {
    auto fx = respond(alice, "bob", code);
    auto r = replies(fx);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(type_of(r[0]), "ERROR");
    EXPECT_EQ(code_of(r[0]), 3007);
    EXPECT_EQ(fx.errors, 1u);
    EXPECT_TRUE(sent_to(fx, bob_id).empty());
  }
  EXPECT_FALSE(friends(alice_id, bob_id));
  EXPECT_TRUE(pending(bob_id, alice_id));  // shown again after an unblock (§15)
}

TEST_F(FriendsTest, AcceptingMakesFriendsTellsTheRequesterAndSwapsStatuses) {
  ask(bob_id, alice_id);
  online.log_in(alice_id, "busy");
  online.log_in(bob_id);
  auto fx = respond(alice, "bob", 0);
  EXPECT_TRUE(replies(fx).empty());  // silent on success
  EXPECT_EQ(fx.errors, 0u);
  EXPECT_TRUE(friends(alice_id, bob_id));
  EXPECT_TRUE(friends(bob_id, alice_id));
  EXPECT_FALSE(pending(bob_id, alice_id));
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(types(to_bob), (std::vector<std::string>{"FRIEND_REQUEST_RESPONSE", "USER_STATUS_UPDATE"}));
  EXPECT_EQ(str(to_bob[0], "sender"), bob_id);
  EXPECT_EQ(str(to_bob[0], "receiver"), alice_id);
  EXPECT_EQ(code_of(to_bob[0]), 0);
  expect_status(to_bob[1], alice_id, "busy");
  auto to_alice = sent_to(fx, alice_id);
  ASSERT_EQ(to_alice.size(), 1u);
  expect_status(to_alice[0], bob_id, "online");
  EXPECT_TRUE(inbox(bob_id).empty());
}

TEST_F(FriendsTest, AcceptingARequestOfAnOfflineUserLeavesTheResponseInTheInbox) {
  ask(bob_id, alice_id);
  online.log_in(alice_id);
  auto fx = respond(alice, bob_id, 0);
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_TRUE(friends(alice_id, bob_id));
  auto waiting = inbox(bob_id);
  ASSERT_EQ(types(waiting), (std::vector<std::string>{"FRIEND_REQUEST_RESPONSE"}));
  EXPECT_EQ(code_of(waiting[0]), 0);
  auto to_alice = sent_to(fx, alice_id);
  ASSERT_EQ(to_alice.size(), 1u);
  expect_status(to_alice[0], bob_id, "offline");
}

TEST_F(FriendsTest, ARequesterStillCatchingUpGetsTheResponseInTheInboxAndTheStatusLive) {
  ask(bob_id, alice_id);
  online.log_in(alice_id, "away");
  online.log_in(bob_id, "online", true);
  auto fx = respond(alice, "bob", 0);
  auto waiting = inbox(bob_id);
  ASSERT_EQ(types(waiting), (std::vector<std::string>{"FRIEND_REQUEST_RESPONSE"}));
  // Presence is never kept: it goes to his session (logged in, if not live yet).
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(to_bob.size(), 1u);
  expect_status(to_bob[0], alice_id, "away");
}

TEST_F(FriendsTest, AcceptingARemoteRequestTellsItsNode) {
  ask(xavier, alice_id);
  online.log_in(alice_id);
  auto fx = respond(alice, xavier, 0);
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_TRUE(friends(alice_id, xavier));
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(to_of(events[0]), (std::vector<std::string>{xavier}));
  EXPECT_EQ(type_of(message_of(events[0])), "FRIEND_REQUEST_RESPONSE");
  EXPECT_EQ(str(message_of(events[0]), "sender"), xavier);
  EXPECT_EQ(code_of(message_of(events[0])), 0);
  expect_status(message_of(events[1]), alice_id, "online");
  EXPECT_TRUE(sent_to(fx, alice_id).empty());
}

TEST_F(FriendsTest, RejectingTellsTheRequesterAndMakesNoFriends) {
  ask(bob_id, alice_id);
  online.log_in(alice_id);
  online.log_in(bob_id);
  auto fx = respond(alice, "bob", 3004);
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_FALSE(friends(alice_id, bob_id));
  EXPECT_FALSE(pending(bob_id, alice_id));
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(types(to_bob), (std::vector<std::string>{"FRIEND_REQUEST_RESPONSE"}));  // no status
  EXPECT_EQ(str(to_bob[0], "sender"), bob_id);
  EXPECT_EQ(str(to_bob[0], "receiver"), alice_id);
  EXPECT_EQ(code_of(to_bob[0]), 3004);
  EXPECT_TRUE(sent_to(fx, alice_id).empty());
  // Answered: a second answer has nothing to answer.
  EXPECT_EQ(code_of(replies(respond(alice, "bob", 0))[0]), 3007);
}

// ============================== FRIEND_REMOVE ==============================

TEST_F(FriendsTest, RemovingSomeoneWhoIsNoFriendIs3008) {
  online.log_in(bob_id);
  auto fx = remove(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "FRIEND_REMOVE_ACK");
  EXPECT_EQ(code_of(r[0]), 3008);
  EXPECT_EQ(str(r[0], "sender"), alice_id);
  EXPECT_EQ(str(r[0], "receiver"), bob_id);
  EXPECT_EQ(r[0].at("id").as_string(), "d1");
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_TRUE(inbox(bob_id).empty());
}

TEST_F(FriendsTest, RemovingAFriendEndsTheFriendshipAndTellsThem) {
  befriend(alice_id, bob_id);
  online.log_in(bob_id);
  auto fx = remove(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_FALSE(friends(alice_id, bob_id));
  EXPECT_FALSE(friends(bob_id, alice_id));
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(types(to_bob), (std::vector<std::string>{"FRIEND_REMOVE"}));
  EXPECT_EQ(str(to_bob[0], "sender"), alice_id);
  EXPECT_EQ(str(to_bob[0], "receiver"), bob_id);
  // Again: nothing left between them.
  EXPECT_EQ(code_of(replies(remove(alice, "bob"))[0]), 3008);
}

TEST_F(FriendsTest, RemovingAnOfflineOrRemoteFriendDeliversTheRemovalThere) {
  befriend(alice_id, bob_id);
  befriend(alice_id, xavier);
  EXPECT_EQ(code_of(replies(remove(alice, "bob"))[0]), 0);
  auto waiting = inbox(bob_id);
  ASSERT_EQ(types(waiting), (std::vector<std::string>{"FRIEND_REMOVE"}));
  EXPECT_EQ(str(waiting[0], "sender"), alice_id);
  EXPECT_EQ(code_of(replies(remove(alice, xavier))[0]), 0);
  EXPECT_FALSE(friends(alice_id, xavier));
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(to_of(events[0]), (std::vector<std::string>{xavier}));
  EXPECT_EQ(type_of(message_of(events[0])), "FRIEND_REMOVE");
  EXPECT_EQ(str(message_of(events[0]), "sender"), alice_id);
  EXPECT_EQ(str(message_of(events[0]), "receiver"), xavier);
}

TEST_F(FriendsTest, RemovingCancelsAPendingRequestEitherWay) {
  online.log_in(bob_id);
  online.log_in(carol_id);
  ask(alice_id, bob_id);    // alice withdraws her request
  ask(carol_id, alice_id);  // alice drops carol's
  auto fx = remove(alice, "bob");
  EXPECT_EQ(code_of(replies(fx)[0]), 0);
  EXPECT_FALSE(pending(alice_id, bob_id));
  EXPECT_EQ(types(sent_to(fx, bob_id)), (std::vector<std::string>{"FRIEND_REMOVE"}));
  fx = remove(alice, "carol");
  EXPECT_EQ(code_of(replies(fx)[0]), 0);
  EXPECT_FALSE(pending(carol_id, alice_id));
  auto to_carol = sent_to(fx, carol_id);
  ASSERT_EQ(types(to_carol), (std::vector<std::string>{"FRIEND_REMOVE"}));
  EXPECT_EQ(str(to_carol[0], "sender"), alice_id);
  EXPECT_FALSE(friends(alice_id, carol_id));
}

TEST_F(FriendsTest, AWithdrawalDoesNotReachSomeoneWhoBlocksYou) {
  add_block(bob_id, alice_id);
  ask(alice_id, bob_id);  // kept while bob blocks alice
  online.log_in(bob_id);
  auto fx = remove(alice, "bob");
  EXPECT_EQ(code_of(replies(fx)[0]), 0);  // as for anyone
  EXPECT_FALSE(pending(alice_id, bob_id));
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_EQ(fx.sends.size(), 1u);
  online.log_out(bob_id);
  ask(alice_id, bob_id);
  EXPECT_EQ(code_of(replies(remove(alice, "bob"))[0]), 0);
  EXPECT_TRUE(inbox(bob_id).empty());
}

// ============================== FRIEND_LIST_REQUEST ==============================

TEST_F(FriendsTest, TheFriendListHasStatusesAndTheVisibleRequestsSorted) {
  befriend(alice_id, xavier);
  befriend(alice_id, carol_id);
  befriend(alice_id, bob_id);
  online.log_in(bob_id, "away");
  online.log_in(carol_id, "offline");  // appears offline
  online.set_remote_status(xavier, "busy");
  ask("erin@alpha.example", alice_id);
  ask("dave@alpha.example", alice_id);
  ask("mallory@alpha.example", alice_id);
  add_block(alice_id, "mallory@alpha.example");  // hidden from her
  ask(alice_id, "gina@alpha.example");
  ask(alice_id, "frank@alpha.example");
  auto fx = run([&](context& c) { friend_list(c, alice, "l1"); });
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "FRIEND_LIST_RESPONSE");
  EXPECT_EQ(r[0].at("id").as_string(), "l1");
  EXPECT_EQ(str(r[0], "username"), alice_id);
  EXPECT_EQ(code_of(r[0]), 0);
  std::vector<std::pair<std::string, std::string>> listed;
  for (const auto& f : payload(r[0]).at("friends").as_array())
    listed.emplace_back(f.at("user").as_string(), f.at("status").as_string());
  EXPECT_EQ(listed, (std::vector<std::pair<std::string, std::string>>{
                        {bob_id, "away"}, {carol_id, "offline"}, {xavier, "busy"}}));
  EXPECT_EQ(strings(payload(r[0]).at("incoming")), (std::vector<std::string>{"dave@alpha.example", "erin@alpha.example"}));
  EXPECT_EQ(strings(payload(r[0]).at("outgoing")), (std::vector<std::string>{"frank@alpha.example", "gina@alpha.example"}));
  EXPECT_TRUE(pending("mallory@alpha.example", alice_id));  // hidden, not dropped
}

TEST_F(FriendsTest, AnEmptyFriendList) {
  auto r = replies(run([&](context& c) { friend_list(c, bob, std::nullopt); }));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].contains("id"));
  EXPECT_EQ(str(r[0], "username"), bob_id);
  EXPECT_TRUE(payload(r[0]).at("friends").as_array().empty());
  EXPECT_TRUE(payload(r[0]).at("incoming").as_array().empty());
  EXPECT_TRUE(payload(r[0]).at("outgoing").as_array().empty());
}

// ============================== USER_BLOCK / USER_UNBLOCK / BLOCK_LIST ==============================

TEST_F(FriendsTest, BlockingYourselfIs11001) {
  auto fx = block_user(alice, "alice");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "USER_BLOCK_ACK");
  EXPECT_EQ(code_of(r[0]), 11001);
  EXPECT_EQ(str(r[0], "sender"), alice_id);
  EXPECT_EQ(str(r[0], "receiver"), alice_id);
  EXPECT_EQ(r[0].at("id").as_string(), "b1");
  EXPECT_TRUE(blocked_list(alice_id).empty());
}

TEST_F(FriendsTest, BlockingStoresTheBlockAndTellsAStrangerNothing) {
  online.log_in(bob_id);
  auto fx = block_user(alice, "Bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_EQ(str(r[0], "receiver"), bob_id);
  EXPECT_TRUE(blocking(alice_id, bob_id));
  EXPECT_FALSE(blocking(bob_id, alice_id));
  EXPECT_EQ(fx.sends.size(), 1u);
  EXPECT_TRUE(inbox(bob_id).empty());
  // Unknown users and users of other nodes may be blocked too; nothing goes to their node.
  EXPECT_EQ(code_of(replies(block_user(alice, "nobody"))[0]), 0);
  EXPECT_EQ(code_of(replies(block_user(alice, xavier))[0]), 0);
  EXPECT_TRUE(outbox("beta.example").empty());
}

TEST_F(FriendsTest, BlockingAgainIsOkAndChangesNothing) {
  befriend(alice_id, bob_id);
  online.log_in(bob_id);
  ASSERT_EQ(code_of(replies(block_user(alice, "bob"))[0]), 0);
  ask(bob_id, alice_id);  // a request kept while blocked
  auto fx = block_user(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_EQ(fx.sends.size(), 1u);
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_TRUE(pending(bob_id, alice_id));  // not ended again
  EXPECT_EQ(blocked_list(alice_id), (std::vector<std::string>{bob_id}));
}

TEST_F(FriendsTest, AFullBlockListIs11003ButBlockingAgainStaysOk) {
  cfg.max_blocks = 2;
  ASSERT_EQ(code_of(replies(block_user(alice, "bob"))[0]), 0);
  ASSERT_EQ(code_of(replies(block_user(alice, xavier))[0]), 0);
  befriend(alice_id, carol_id);
  online.log_in(carol_id);
  auto fx = block_user(alice, "carol");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 11003);
  EXPECT_EQ(str(r[0], "receiver"), carol_id);
  EXPECT_FALSE(blocking(alice_id, carol_id));
  EXPECT_TRUE(friends(alice_id, carol_id));  // nothing ended
  EXPECT_TRUE(sent_to(fx, carol_id).empty());
  EXPECT_EQ(code_of(replies(block_user(alice, "bob"))[0]), 0);
  EXPECT_EQ(blocked_list(alice_id), (std::vector<std::string>{bob_id, xavier}));
  // Another user's list is their own.
  EXPECT_EQ(code_of(replies(block_user(bob, "carol"))[0]), 0);
}

TEST_F(FriendsTest, ABlockEndsFriendshipsAndRequestsAsFriendRemoveDoes) {
  befriend(alice_id, bob_id);
  online.log_in(bob_id);
  auto fx = block_user(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(types(r), (std::vector<std::string>{"USER_BLOCK_ACK"}));  // only the ACK
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_FALSE(friends(alice_id, bob_id));
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(types(to_bob), (std::vector<std::string>{"FRIEND_REMOVE"}));
  EXPECT_EQ(str(to_bob[0], "sender"), alice_id);
  EXPECT_EQ(str(to_bob[0], "receiver"), bob_id);

  // carol (offline) asked alice: the request ends, carol finds FRIEND_REMOVE in her inbox.
  ask(carol_id, alice_id);
  EXPECT_EQ(code_of(replies(block_user(alice, "carol"))[0]), 0);
  EXPECT_FALSE(pending(carol_id, alice_id));
  auto waiting = inbox(carol_id);
  ASSERT_EQ(types(waiting), (std::vector<std::string>{"FRIEND_REMOVE"}));
  EXPECT_EQ(str(waiting[0], "sender"), alice_id);

  // alice's own request to dave ends too.
  ask(alice_id, "dave@alpha.example");
  EXPECT_EQ(code_of(replies(block_user(alice, "dave"))[0]), 0);
  EXPECT_FALSE(pending(alice_id, "dave@alpha.example"));

  // A friend on another node hears it through its node.
  befriend(alice_id, xavier);
  EXPECT_EQ(code_of(replies(block_user(alice, xavier))[0]), 0);
  EXPECT_FALSE(friends(alice_id, xavier));
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(to_of(events[0]), (std::vector<std::string>{xavier}));
  EXPECT_EQ(type_of(message_of(events[0])), "FRIEND_REMOVE");
  EXPECT_EQ(str(message_of(events[0]), "sender"), alice_id);
}

TEST_F(FriendsTest, BlockingSomeoneWhoBlocksYouEndsYourRequestSilently) {
  add_block(bob_id, alice_id);
  ask(alice_id, bob_id);  // kept while bob blocks alice
  online.log_in(bob_id);
  auto fx = block_user(alice, "bob");
  EXPECT_EQ(code_of(replies(fx)[0]), 0);
  EXPECT_FALSE(pending(alice_id, bob_id));
  EXPECT_TRUE(sent_to(fx, bob_id).empty());
  EXPECT_TRUE(inbox(bob_id).empty());
}

TEST_F(FriendsTest, UnblockIsOkOnceThen11002) {
  add_block(alice_id, bob_id);
  online.log_in(bob_id);
  auto fx = unblock_user(alice, "bob");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "USER_UNBLOCK_ACK");
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_EQ(str(r[0], "sender"), alice_id);
  EXPECT_EQ(str(r[0], "receiver"), bob_id);
  EXPECT_EQ(r[0].at("id").as_string(), "u1");
  EXPECT_FALSE(blocking(alice_id, bob_id));
  EXPECT_TRUE(sent_to(fx, bob_id).empty());  // bob is told nothing
  r = replies(unblock_user(alice, "bob"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 11002);
  r = replies(unblock_user(alice, "alice"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(code_of(r[0]), 11002);
}

TEST_F(FriendsTest, TheBlockListIsSortedFullIds) {
  for (const std::string who : {"zed", xavier, "Bob", "carol"}) ASSERT_EQ(code_of(replies(block_user(alice, who))[0]), 0);
  add_block(bob_id, "someone@alpha.example");  // bob's, not alice's
  auto r = replies(run([&](context& c) { block_list(c, alice, "k1"); }));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "BLOCK_LIST_RESPONSE");
  EXPECT_EQ(r[0].at("id").as_string(), "k1");
  EXPECT_EQ(str(r[0], "username"), alice_id);
  EXPECT_EQ(code_of(r[0]), 0);
  EXPECT_EQ(strings(payload(r[0]).at("blocked")),
            (std::vector<std::string>{bob_id, carol_id, xavier, "zed@alpha.example"}));
}

// ============================== presence ==============================

TEST_F(FriendsTest, PresenceReachesOnlineLocalFriendsAndTheNodesOfRemoteOnes) {
  for (const auto* f : {bob_id, carol_id, "dave@alpha.example", xavier, yvonne, zach}) befriend(alice_id, f);
  online.log_in(bob_id);
  online.log_in("dave@alpha.example", "online", true);  // catching up: presence is live, not kept
  online.log_in("erin@alpha.example");                  // online, no friend
  // carol is offline.
  const auto frame = std::make_shared<const std::string>(
      R"({"type":"USER_STATUS_UPDATE","timestamp":1,"payload":{"username":"alice@alpha.example","status":"away"}})");
  auto fx = run([&](context& c) { presence_to_friends(c, alice_id, frame); });
  ASSERT_EQ(fx.sends.size(), 2u);
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(to_bob.size(), 1u);
  expect_status(to_bob[0], alice_id, "away");
  EXPECT_EQ(fx.sends[0].frame, frame);  // the same frame, shared
  EXPECT_EQ(sent_to(fx, "dave@alpha.example").size(), 1u);
  EXPECT_TRUE(sent_to(fx, carol_id).empty());
  EXPECT_TRUE(sent_to(fx, "erin@alpha.example").empty());
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_TRUE(inbox(carol_id).empty());
  EXPECT_TRUE(inbox("dave@alpha.example").empty());
  // One event per node, to all its users who are friends.
  auto beta = outbox("beta.example");
  ASSERT_EQ(beta.size(), 1u);
  EXPECT_EQ(to_of(beta[0]), (std::vector<std::string>{xavier, yvonne}));
  expect_status(message_of(beta[0]), alice_id, "away");
  auto gamma = outbox("gamma.example");
  ASSERT_EQ(gamma.size(), 1u);
  EXPECT_EQ(to_of(gamma[0]), (std::vector<std::string>{zach}));
  EXPECT_EQ(fx.pokes, (std::set<std::string>{"beta.example", "gamma.example"}));
}

TEST_F(FriendsTest, PresenceGoesToNoOtherNodeWithoutFederation) {
  befriend(alice_id, bob_id);
  befriend(alice_id, xavier);
  online.log_in(bob_id);
  online.federation = false;
  const auto frame = std::make_shared<const std::string>(
      R"({"type":"USER_STATUS_UPDATE","timestamp":1,"payload":{"username":"alice@alpha.example","status":"busy"}})");
  auto fx = run([&](context& c) { presence_to_friends(c, alice_id, frame); });
  EXPECT_EQ(sent_to(fx, bob_id).size(), 1u);
  EXPECT_TRUE(outbox("beta.example").empty());
  EXPECT_TRUE(fx.pokes.empty());
}

TEST_F(FriendsTest, PresenceNotLocalReachesOnlyOtherNodes) {
  befriend(alice_id, bob_id);
  befriend(alice_id, xavier);
  online.log_in(bob_id);
  const auto frame = std::make_shared<const std::string>(
      R"({"type":"USER_STATUS_UPDATE","timestamp":1,"payload":{"username":"alice@alpha.example","status":"online"}})");
  auto fx = run([&](context& c) { presence_to_friends(c, alice_id, frame, false); });
  EXPECT_TRUE(fx.sends.empty());
  auto beta = outbox("beta.example");
  ASSERT_EQ(beta.size(), 1u);
  EXPECT_EQ(to_of(beta[0]), (std::vector<std::string>{xavier}));
}

TEST_F(FriendsTest, NoPresenceFrameSendsNothing) {
  befriend(alice_id, bob_id);
  befriend(alice_id, xavier);
  online.log_in(bob_id);
  auto fx = run([&](context& c) { presence_to_friends(c, alice_id, nullptr); });
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_TRUE(fx.pokes.empty());
  EXPECT_TRUE(outbox("beta.example").empty());
}

TEST_F(FriendsTest, ARestartedNodesUsersGoOfflineAndItHearsWhoIsVisibleAgain) {
  befriend(alice_id, xavier);
  befriend(alice_id, yvonne);
  befriend(bob_id, yvonne);
  befriend(bob_id, zach);
  befriend(carol_id, xavier);               // carol is not logged in
  befriend("dave@alpha.example", xavier);   // dave appears offline
  befriend("erin@alpha.example", zach);     // erin: friends on gamma only
  online.log_in(alice_id);
  online.log_in(bob_id, "away");
  online.log_in("dave@alpha.example", "offline");
  online.log_in("erin@alpha.example");
  online.set_remote_status(xavier, "online");
  online.set_remote_status(yvonne, "busy");
  online.set_remote_status(zach, "online");

  auto fx = run([&](context& c) { forget_domain(c, "beta.example"); });
  // beta's users are offline here now, for their online local friends.
  auto to_alice = sent_to(fx, alice_id);
  ASSERT_EQ(to_alice.size(), 2u);
  expect_status(to_alice[0], xavier, "offline");
  expect_status(to_alice[1], yvonne, "offline");
  auto to_bob = sent_to(fx, bob_id);
  ASSERT_EQ(to_bob.size(), 1u);
  expect_status(to_bob[0], yvonne, "offline");
  auto to_dave = sent_to(fx, "dave@alpha.example");  // appearing offline, he still sees others
  ASSERT_EQ(to_dave.size(), 1u);
  expect_status(to_dave[0], xavier, "offline");
  EXPECT_TRUE(sent_to(fx, "erin@alpha.example").empty());
  EXPECT_EQ(online.visible_status(xavier), "offline");
  EXPECT_EQ(online.visible_status(yvonne), "offline");
  EXPECT_EQ(online.visible_status(zach), "online");  // another node's users stay
  EXPECT_TRUE(inbox(carol_id).empty());

  // beta hears the status of each visible local user with friends there.
  auto beta = outbox("beta.example");
  ASSERT_EQ(beta.size(), 2u);
  EXPECT_EQ(to_of(beta[0]), (std::vector<std::string>{xavier, yvonne}));
  expect_status(message_of(beta[0]), alice_id, "online");
  EXPECT_EQ(to_of(beta[1]), (std::vector<std::string>{yvonne}));
  expect_status(message_of(beta[1]), bob_id, "away");
  EXPECT_TRUE(outbox("gamma.example").empty());
  EXPECT_EQ(fx.pokes, (std::set<std::string>{"beta.example"}));
}

// ============================== an actor of another node ==============================

TEST_F(FriendsTest, RepliesToAUserOfAnotherNodeGoToItsNode) {
  const actor x{xavier, "beta.example", false};
  online.log_in(alice_id);
  auto fx = request(x, alice_id, "q1");
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_TRUE(pending(xavier, alice_id));
  auto to_alice = sent_to(fx, alice_id);
  ASSERT_EQ(types(to_alice), (std::vector<std::string>{"FRIEND_REQUEST"}));
  EXPECT_EQ(str(to_alice[0], "sender"), xavier);
  auto beta = outbox("beta.example");
  ASSERT_EQ(beta.size(), 1u);
  EXPECT_EQ(to_of(beta[0]), (std::vector<std::string>{xavier}));
  EXPECT_FALSE(beta[0].contains("ref"));
  const auto& ack = message_of(beta[0]);
  EXPECT_EQ(type_of(ack), "FRIEND_REQUEST_ACK");
  EXPECT_EQ(code_of(ack), 0);
  EXPECT_EQ(ack.at("id").as_string(), "q1");
  EXPECT_EQ(str(ack, "sender"), xavier);
  EXPECT_EQ(str(ack, "receiver"), alice_id);

  // An ERROR likewise, and it is counted.
  fx = respond(x, alice_id, 42, "q2");
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_EQ(fx.errors, 1u);
  beta = outbox("beta.example");
  ASSERT_EQ(beta.size(), 2u);
  EXPECT_EQ(to_of(beta[1]), (std::vector<std::string>{xavier}));
  EXPECT_EQ(type_of(message_of(beta[1])), "ERROR");
  EXPECT_EQ(code_of(message_of(beta[1])), 9003);
  EXPECT_EQ(message_of(beta[1]).at("id").as_string(), "q2");

  // And a list.
  befriend(xavier, bob_id);
  fx = run([&](context& c) { friend_list(c, x, "q3"); });
  EXPECT_TRUE(fx.sends.empty());
  beta = outbox("beta.example");
  ASSERT_EQ(beta.size(), 3u);
  EXPECT_EQ(type_of(message_of(beta[2])), "FRIEND_LIST_RESPONSE");
  EXPECT_EQ(str(message_of(beta[2]), "username"), xavier);
}

TEST_F(FriendsTest, AQuietActorGetsNoReplyButTheRuleStillApplies) {
  const actor x{xavier, "beta.example", true};
  online.log_in(alice_id);
  auto fx = request(x, alice_id, "q1");
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_TRUE(pending(xavier, alice_id));
  EXPECT_EQ(types(sent_to(fx, alice_id)), (std::vector<std::string>{"FRIEND_REQUEST"}));
  EXPECT_EQ(fx.tally.get(message_kind::friend_request), 1u);
  EXPECT_TRUE(outbox("beta.example").empty());
  EXPECT_TRUE(fx.pokes.empty());

  fx = respond(x, alice_id, 42);
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_TRUE(outbox("beta.example").empty());

  fx = run([&](context& c) { block(c, x, p::user_block{xavier, xavier}, "q4"); });
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_TRUE(outbox("beta.example").empty());
}

}  // namespace
}  // namespace chatnode::core::testing
