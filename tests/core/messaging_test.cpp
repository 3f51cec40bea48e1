// The text rules (core/messaging.hpp): TEXT_MESSAGE and the receiver rule, on the in-memory
// store (docs/protocol.md §9, §15; docs/federation.md for groups homed on other nodes).
#include "core_fixture.hpp"

#include "core/messaging.hpp"

#include <boost/json/serialize.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatnode::core::testing {
namespace {

namespace p = chatnode::protocol;
namespace json = boost::json;

constexpr const char* kAlice = "alice@alpha.example";
constexpr const char* kBob = "bob@alpha.example";
constexpr const char* kCarol = "carol@alpha.example";
constexpr const char* kDave = "dave@beta.example";  // a user of another node
constexpr const char* kErin = "erin@beta.example";  // another one
constexpr const char* kGroup = "#g1@alpha.example";  // homed here
constexpr const char* kRemoteGroup = "#g@beta.example";  // homed on beta.example

class MessagingTest : public core_test {
 protected:
  MessagingTest() {
    add_user("alice");
    add_user("bob");
    add_user("carol");
    befriend(kAlice, kBob);
  }

  effects send_text(const actor& a, const std::string& receiver, const std::string& content,
                    const std::optional<std::string>& id = "m1") {
    return run([&](context& c) {
      text(c, a, p::text_message{a.user, receiver, content, std::nullopt, std::nullopt, std::nullopt}, id);
    });
  }
  void save_group(const std::string& gid, const std::string& name, const std::string& leader,
                  const std::vector<std::string>& members) {
    store::group_record g;
    g.name = name;
    g.leader = leader;
    g.members = members;
    g.created = now;
    auto t = db.begin_write();
    store::save_group(t, gid, g, nullptr);
    t.commit();
  }
  void fill_inbox(const std::string& user, int n) {
    auto t = db.begin_write();
    for (int i = 0; i < n; ++i) store::inbox_append(t, user, R"({"type":"FILLER","payload":{}})");
    t.commit();
  }
  void block(const std::string& blocker, const std::string& blocked) {
    auto t = db.begin_write();
    store::add_block(t, blocker, blocked, now);
    t.commit();
  }
  receiver_target resolve(const std::string& me, const std::string& receiver) {
    auto t = db.begin_read();
    effects unused;
    context c(t, unused, cfg, online, now);
    return resolve_target(c, me, receiver);
  }
  // The single reply of `fx`, which must be a TEXT_MESSAGE_ACK.
  static json::object ack_of(const effects& fx) {
    auto r = replies(fx);
    EXPECT_EQ(r.size(), 1u);
    if (r.empty()) return {};
    EXPECT_EQ(type_of(r[0]), "TEXT_MESSAGE_ACK");
    return r[0];
  }
  static std::int64_t code_of(const json::object& frame) { return payload(frame).at("code").as_int64(); }
  static std::uint64_t message_id_of(const json::object& frame) {
    return std::stoull(std::string(payload(frame).at("messageId").as_string()));
  }
  // Nothing stored, sent or queued: a refused message.
  void expect_nothing_kept(const effects& fx) {
    EXPECT_TRUE(history(kAlice).empty());
    EXPECT_TRUE(history(kBob).empty());
    EXPECT_TRUE(history(kCarol).empty());
    EXPECT_TRUE(inbox(kBob).empty());
    EXPECT_TRUE(inbox(kCarol).empty());
    EXPECT_TRUE(outbox("beta.example").empty());
    EXPECT_EQ(fx.sends.size(), replies(fx).size());  // only the reply
    EXPECT_EQ(fx.tally.get(message_kind::text), 0u);
    EXPECT_EQ(fx.tally.get(message_kind::group_text), 0u);
  }

  const actor alice{kAlice, {}, false};
  const actor bob{kBob, {}, false};
};

// ---- content -----------------------------------------------------------------------

TEST_F(MessagingTest, EmptyContentIsAnError9003) {
  auto fx = send_text(alice, "bob", "");
  auto r = replies(fx);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(type_of(r[0]), "ERROR");
  EXPECT_EQ(payload(r[0]).at("code").as_int64(), 9003);
  EXPECT_EQ(payload(r[0]).at("inReplyTo"), "TEXT_MESSAGE");
  EXPECT_EQ(r[0].at("id"), "m1");
  EXPECT_EQ(fx.errors, 1u);
  expect_nothing_kept(fx);
}

TEST_F(MessagingTest, ContentAboveMaxTextBytesIsAckedTooLarge) {
  cfg.max_text_bytes = 5;
  auto fx = send_text(alice, "bob", "123456");
  auto a = ack_of(fx);
  EXPECT_EQ(code_of(a), 9006);
  EXPECT_FALSE(payload(a).contains("messageId"));
  EXPECT_EQ(payload(a).at("receiver"), "bob");
  EXPECT_EQ(a.at("id"), "m1");
  EXPECT_EQ(fx.errors, 0u);
  expect_nothing_kept(fx);
}

TEST_F(MessagingTest, ContentOfExactlyMaxTextBytesIsAccepted) {
  cfg.max_text_bytes = 5;
  auto fx = send_text(alice, "bob", "12345");
  EXPECT_EQ(code_of(ack_of(fx)), 0);
  EXPECT_EQ(history(kAlice).size(), 1u);
}

// ---- 1:1 receivers -------------------------------------------------------------------

TEST_F(MessagingTest, AnUnknownReceiverIs7001) {
  auto fx = send_text(alice, "zed", "hi");
  auto a = ack_of(fx);
  EXPECT_EQ(code_of(a), 7001);
  EXPECT_EQ(payload(a).at("receiver"), "zed");
  EXPECT_FALSE(payload(a).contains("messageId"));
  expect_nothing_kept(fx);
}

TEST_F(MessagingTest, AUserWhoIsNotAFriendIs7002) {
  auto fx = send_text(alice, "carol", "hi");
  EXPECT_EQ(code_of(ack_of(fx)), 7002);
  expect_nothing_kept(fx);
}

TEST_F(MessagingTest, ARemoteNonFriendIs7002WhenTheirDomainIsReachable) {
  auto fx = send_text(alice, kDave, "hi");
  EXPECT_EQ(code_of(ack_of(fx)), 7002);
  expect_nothing_kept(fx);
}

TEST_F(MessagingTest, ARemoteNonFriendIs7001WhenTheirDomainIsNotReachable) {
  auto fx = send_text(alice, "zoe@gamma.example", "hi");  // gamma.example is no peer
  EXPECT_EQ(code_of(ack_of(fx)), 7001);
  expect_nothing_kept(fx);

  online.federation = false;  // beta.example is a peer, but federation is off
  auto off = send_text(alice, kDave, "hi");
  EXPECT_EQ(code_of(ack_of(off)), 7001);
  expect_nothing_kept(off);
}

TEST_F(MessagingTest, ARemoteFriendIsAckedAndTheMessageQueuedForTheirNode) {
  befriend(kAlice, kDave);
  auto fx = send_text(alice, kDave, "hello beta");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);
  const auto mid = message_id_of(a);
  EXPECT_EQ(payload(a).at("receiver"), kDave);

  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "deliver");
  EXPECT_EQ(json::serialize(events[0].at("to")), R"(["dave@beta.example"])");
  const auto& msg = events[0].at("message").as_object();
  EXPECT_EQ(type_of(msg), "TEXT_MESSAGE");
  EXPECT_EQ(payload(msg).at("sender"), kAlice);
  EXPECT_EQ(payload(msg).at("receiver"), kDave);
  EXPECT_EQ(payload(msg).at("content"), "hello beta");
  EXPECT_EQ(message_id_of(msg), mid);
  EXPECT_EQ(fx.pokes.count("beta.example"), 1u);
  // Only this node's users have a history here.
  EXPECT_EQ(history(kAlice), std::vector<std::uint64_t>{mid});
  EXPECT_TRUE(history(kDave).empty());
}

TEST_F(MessagingTest, AFullInboxOfAnOfflineReceiverIs7004AndNothingIsStored) {
  cfg.max_inbox_messages = 2;
  fill_inbox(kBob, 2);
  auto fx = send_text(alice, "bob", "hi");
  auto a = ack_of(fx);
  EXPECT_EQ(code_of(a), 7004);
  EXPECT_FALSE(payload(a).contains("messageId"));
  EXPECT_EQ(inbox(kBob).size(), 2u);
  EXPECT_TRUE(history(kAlice).empty());
  EXPECT_TRUE(history(kBob).empty());
  EXPECT_EQ(fx.tally.get(message_kind::text), 0u);
}

TEST_F(MessagingTest, AnInboxOneBelowTheLimitStillTakesTheMessage) {
  cfg.max_inbox_messages = 2;
  fill_inbox(kBob, 1);
  auto fx = send_text(alice, "bob", "hi");
  EXPECT_EQ(code_of(ack_of(fx)), 0);
  EXPECT_EQ(inbox(kBob).size(), 2u);
}

TEST_F(MessagingTest, ALiveReceiverWithAFullInboxStillGetsTheMessage) {
  cfg.max_inbox_messages = 1;
  fill_inbox(kBob, 1);
  online.log_in(kBob);
  auto fx = send_text(alice, "bob", "hi");
  EXPECT_EQ(code_of(ack_of(fx)), 0);
  EXPECT_EQ(sent_to(fx, kBob).size(), 1u);
}

TEST_F(MessagingTest, ALiveReceiverGetsTheMessageAtOnce) {
  online.log_in(kBob);
  auto fx = send_text(alice, "bob", "Hello, how are you?");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);
  EXPECT_EQ(a.at("id"), "m1");
  EXPECT_EQ(payload(a).at("receiver"), "bob");  // echoes the request
  auto got = sent_to(fx, kBob);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "TEXT_MESSAGE");
  EXPECT_EQ(payload(got[0]).at("sender"), kAlice);
  EXPECT_EQ(payload(got[0]).at("receiver"), kBob);
  EXPECT_EQ(payload(got[0]).at("content"), "Hello, how are you?");
  EXPECT_EQ(payload(got[0]).at("messageId"), payload(a).at("messageId"));
  EXPECT_FALSE(payload(got[0]).contains("groupId"));
  EXPECT_EQ(got[0].at("timestamp").as_int64(), now);
  EXPECT_TRUE(inbox(kBob).empty());
  EXPECT_EQ(fx.sends.size(), 2u);  // the ACK and the delivery
}

TEST_F(MessagingTest, AnOfflineReceiverFindsTheMessageInTheInbox) {
  auto fx = send_text(alice, "bob", "later");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);
  EXPECT_TRUE(sent_to(fx, kBob).empty());
  auto waiting = inbox(kBob);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "TEXT_MESSAGE");
  EXPECT_EQ(payload(waiting[0]).at("content"), "later");
  EXPECT_EQ(payload(waiting[0]).at("messageId"), payload(a).at("messageId"));
}

TEST_F(MessagingTest, AReceiverStillCatchingUpGetsTheMessageInTheInbox) {
  online.log_in(kBob, "online", true);
  auto fx = send_text(alice, "bob", "queued");
  EXPECT_EQ(code_of(ack_of(fx)), 0);
  EXPECT_TRUE(sent_to(fx, kBob).empty());
  EXPECT_EQ(inbox(kBob).size(), 1u);
}

TEST_F(MessagingTest, TheMessageIsStoredInBothHistoriesUnderItsIdAndIdsIncrease) {
  auto first = send_text(alice, "bob", "one");
  auto second = send_text(bob, "alice", "two");
  const auto id1 = message_id_of(ack_of(first));
  const auto id2 = message_id_of(ack_of(second));
  EXPECT_LT(id1, id2);
  EXPECT_EQ(history(kAlice), (std::vector<std::uint64_t>{id1, id2}));
  EXPECT_EQ(history(kBob), (std::vector<std::uint64_t>{id1, id2}));
  EXPECT_TRUE(history(kCarol).empty());
  auto m = message(id1);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sender, kAlice);
  EXPECT_EQ(m->receiver, kBob);
  EXPECT_EQ(m->content, "one");
  EXPECT_EQ(m->timestamp, now);
  EXPECT_TRUE(m->group_id.empty());
  auto m2 = message(id2);
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->sender, kBob);
  EXPECT_EQ(m2->receiver, kAlice);
}

TEST_F(MessagingTest, TheTallyCountsATextToAFriend) {
  auto fx = send_text(alice, "bob", "hi");
  EXPECT_EQ(fx.tally.get(message_kind::text), 1u);
  EXPECT_EQ(fx.tally.get(message_kind::group_text), 0u);
}

TEST_F(MessagingTest, ResolveTargetReadsUsersAgainstThisDomain) {
  auto friend_target = resolve(kAlice, "bob");
  EXPECT_EQ(friend_target.error, p::code::ok);
  EXPECT_EQ(friend_target.receiver, kBob);
  EXPECT_TRUE(friend_target.group_name.empty());
  EXPECT_EQ(friend_target.recipients, std::vector<std::string>{kBob});
  EXPECT_EQ(resolve(kAlice, "carol").error, p::code::text_not_friends);
  EXPECT_EQ(resolve(kAlice, "zed").error, p::code::text_unknown_receiver);
  EXPECT_EQ(resolve(kAlice, kDave).error, p::code::text_not_friends);
  EXPECT_EQ(resolve(kAlice, "zoe@gamma.example").error, p::code::text_unknown_receiver);
  befriend(kAlice, kDave);
  auto remote = resolve(kAlice, kDave);
  EXPECT_EQ(remote.error, p::code::ok);
  EXPECT_EQ(remote.recipients, std::vector<std::string>{kDave});
}

// ---- groups --------------------------------------------------------------------------

class MessagingGroupTest : public MessagingTest {
 protected:
  MessagingGroupTest() { save_group(kGroup, "G", kAlice, {kAlice, kBob, kCarol}); }
};

TEST_F(MessagingGroupTest, AGroupNamedByNameGetsTheMessage) {
  online.log_in(kBob);
  auto fx = send_text(alice, "G", "hello group");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("receiver"), "G");
  const auto mid = message_id_of(a);

  auto got = sent_to(fx, kBob);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "TEXT_MESSAGE");
  EXPECT_EQ(payload(got[0]).at("sender"), kAlice);
  EXPECT_EQ(payload(got[0]).at("receiver"), kGroup);
  EXPECT_EQ(payload(got[0]).at("groupId"), kGroup);
  EXPECT_EQ(payload(got[0]).at("group"), "G");
  EXPECT_EQ(message_id_of(got[0]), mid);
  auto waiting = inbox(kCarol);  // offline
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(payload(waiting[0]).at("groupId"), kGroup);
  EXPECT_TRUE(sent_to(fx, kAlice).empty());  // not to the sender
  EXPECT_TRUE(inbox(kAlice).empty());

  for (const char* owner : {kAlice, kBob, kCarol}) EXPECT_EQ(history(owner), std::vector<std::uint64_t>{mid}) << owner;
  auto m = message(mid);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->receiver, kGroup);
  EXPECT_EQ(m->group_id, kGroup);
  EXPECT_EQ(m->group_name, "G");
  EXPECT_EQ(fx.tally.get(message_kind::group_text), 1u);
  EXPECT_EQ(fx.tally.get(message_kind::text), 0u);
}

TEST_F(MessagingGroupTest, AGroupNamedByIdGetsTheMessage) {
  auto fx = send_text(bob, kGroup, "by id");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("receiver"), kGroup);
  EXPECT_EQ(inbox(kAlice).size(), 1u);
  EXPECT_EQ(inbox(kCarol).size(), 1u);
  EXPECT_TRUE(inbox(kBob).empty());
  EXPECT_EQ(history(kCarol), std::vector<std::uint64_t>{message_id_of(a)});
}

TEST_F(MessagingGroupTest, AnAmbiguousGroupNameIs4003) {
  save_group("#g2@alpha.example", "G", kBob, {kBob, kAlice});
  auto fx = send_text(alice, "G", "which one?");
  EXPECT_EQ(code_of(ack_of(fx)), 4003);
  expect_nothing_kept(fx);
}

TEST_F(MessagingGroupTest, AGroupOfWhichTheSenderIsNoMemberIs7003) {
  save_group("#g2@alpha.example", "H", kBob, {kBob, kCarol});
  auto fx = send_text(alice, "#g2@alpha.example", "let me in");
  EXPECT_EQ(code_of(ack_of(fx)), 7003);
  expect_nothing_kept(fx);
}

TEST_F(MessagingGroupTest, AnUnknownGroupIs7001) {
  auto by_id = send_text(alice, "#nope@alpha.example", "hi");
  EXPECT_EQ(code_of(ack_of(by_id)), 7001);
  // A name is looked up among the sender's groups only.
  save_group("#g2@alpha.example", "H", kBob, {kBob, kCarol});
  auto by_name = send_text(alice, "H", "hi");
  EXPECT_EQ(code_of(ack_of(by_name)), 7001);
  expect_nothing_kept(by_name);
}

TEST_F(MessagingGroupTest, AMemberWhoBlocksTheSenderGetsNothing) {
  block(kCarol, kAlice);
  online.log_in(kCarol);
  auto fx = send_text(alice, "G", "hi all");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);
  EXPECT_TRUE(sent_to(fx, kCarol).empty());
  EXPECT_TRUE(inbox(kCarol).empty());
  EXPECT_TRUE(history(kCarol).empty());
  EXPECT_EQ(inbox(kBob).size(), 1u);
  EXPECT_EQ(history(kBob), std::vector<std::uint64_t>{message_id_of(a)});

  auto target = resolve(kAlice, "G");
  EXPECT_EQ(target.error, p::code::ok);
  EXPECT_EQ(target.receiver, kGroup);
  EXPECT_EQ(target.group_name, "G");
  EXPECT_EQ(target.recipients, std::vector<std::string>{kBob});
}

TEST_F(MessagingGroupTest, AMemberWithAFullInboxIsSkippedButKeepsItInTheirHistory) {
  cfg.max_inbox_messages = 1;
  fill_inbox(kCarol, 1);
  auto fx = send_text(alice, "G", "hi all");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);  // the sender is acknowledged all the same
  EXPECT_EQ(inbox(kCarol).size(), 1u);
  EXPECT_EQ(type_of(inbox(kCarol)[0]), "FILLER");
  EXPECT_EQ(history(kCarol), std::vector<std::uint64_t>{message_id_of(a)});
  EXPECT_EQ(inbox(kBob).size(), 1u);
}

TEST_F(MessagingGroupTest, MembersOnAnotherNodeGetOneEventForTheirNode) {
  save_group("#g3@alpha.example", "Mixed", kAlice, {kAlice, kDave, kErin});
  auto fx = send_text(alice, "Mixed", "hi beta");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "deliver");
  EXPECT_EQ(json::serialize(events[0].at("to")), R"(["dave@beta.example","erin@beta.example"])");
  const auto& msg = events[0].at("message").as_object();
  EXPECT_EQ(payload(msg).at("groupId"), "#g3@alpha.example");
  EXPECT_EQ(payload(msg).at("messageId"), payload(a).at("messageId"));
  EXPECT_EQ(history(kAlice), std::vector<std::uint64_t>{message_id_of(a)});
}

TEST_F(MessagingGroupTest, AGroupHomedElsewhereIsAckedStoredForTheSenderAndForwardedHome) {
  save_group(kRemoteGroup, "R", kDave, {kDave, kAlice, kBob});
  online.log_in(kBob);
  auto fx = send_text(alice, "R", "to beta's group");
  auto a = ack_of(fx);
  ASSERT_EQ(code_of(a), 0);
  const auto mid = message_id_of(a);
  EXPECT_EQ(history(kAlice), std::vector<std::uint64_t>{mid});
  EXPECT_TRUE(history(kBob).empty());  // the home fans it out
  EXPECT_TRUE(sent_to(fx, kBob).empty());
  EXPECT_TRUE(inbox(kBob).empty());
  auto m = message(mid);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->group_id, kRemoteGroup);
  EXPECT_EQ(m->group_name, "R");

  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "act");
  EXPECT_EQ(events[0].at("actor"), kAlice);
  const auto& req = events[0].at("request").as_object();
  EXPECT_EQ(type_of(req), "TEXT_MESSAGE");
  EXPECT_EQ(payload(req).at("sender"), kAlice);
  EXPECT_EQ(payload(req).at("receiver"), kRemoteGroup);
  EXPECT_EQ(payload(req).at("groupId"), kRemoteGroup);
  EXPECT_EQ(payload(req).at("content"), "to beta's group");
  EXPECT_EQ(fx.pokes.count("beta.example"), 1u);
  EXPECT_EQ(fx.tally.get(message_kind::group_text), 1u);
  EXPECT_EQ(fx.tally.get(message_kind::text), 0u);
}

// ---- a user of another node acting in a group homed here -------------------------------

TEST_F(MessagingGroupTest, AnActorOfAnotherNodeIsAnsweredThroughTheirNode) {
  save_group("#g4@alpha.example", "Fed", kAlice, {kAlice, kErin, kBob});
  const actor erin{kErin, "beta.example", false};
  auto fx = send_text(erin, "#g4@alpha.example", "from beta", "e1");
  EXPECT_TRUE(replies(fx).empty());
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "deliver");
  EXPECT_EQ(json::serialize(events[0].at("to")), R"(["erin@beta.example"])");
  const auto& a = events[0].at("message").as_object();
  EXPECT_EQ(type_of(a), "TEXT_MESSAGE_ACK");
  EXPECT_EQ(code_of(a), 0);
  EXPECT_EQ(a.at("id"), "e1");
  const auto mid = message_id_of(a);
  // Stored for this node's members only; the sender's node keeps theirs.
  EXPECT_EQ(history(kAlice), std::vector<std::uint64_t>{mid});
  EXPECT_EQ(history(kBob), std::vector<std::uint64_t>{mid});
  EXPECT_TRUE(history(kErin).empty());
  auto waiting = inbox(kBob);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(payload(waiting[0]).at("sender"), kErin);
  EXPECT_EQ(fx.tally.get(message_kind::group_text), 1u);
}

TEST_F(MessagingGroupTest, AQuietActorOfAnotherNodeIsNotAnswered) {
  save_group("#g4@alpha.example", "Fed", kAlice, {kAlice, kErin, kBob});
  const actor erin{kErin, "beta.example", true};
  auto fx = send_text(erin, "#g4@alpha.example", "from beta", "e1");
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_TRUE(outbox("beta.example").empty());
  EXPECT_EQ(inbox(kBob).size(), 1u);  // the fan-out happens all the same

  auto refused = send_text(erin, kGroup, "not a member", "e2");  // 7003, but quiet
  EXPECT_TRUE(replies(refused).empty());
  EXPECT_TRUE(outbox("beta.example").empty());
}

TEST_F(MessagingGroupTest, ARefusalToAnActorOfAnotherNodeGoesToTheirNode) {
  const actor erin{kErin, "beta.example", false};
  auto fx = send_text(erin, kGroup, "not a member", "e2");
  EXPECT_TRUE(replies(fx).empty());
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  const auto& a = events[0].at("message").as_object();
  EXPECT_EQ(type_of(a), "TEXT_MESSAGE_ACK");
  EXPECT_EQ(code_of(a), 7003);
  EXPECT_EQ(json::serialize(events[0].at("to")), R"(["erin@beta.example"])");
}

}  // namespace
}  // namespace chatnode::core::testing
