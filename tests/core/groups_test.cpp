// The group rules (core/groups.hpp) on the in-memory store: docs/protocol.md §10, §11, §15,
// and docs/federation.md for groups homed on other nodes (requests forwarded as "act"
// events, records sent as "group" events).
#include "core_fixture.hpp"

#include "core/groups.hpp"

#include <boost/json/serialize.hpp>

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
constexpr const char* kDan = "dan@alpha.example";
constexpr const char* kDave = "dave@beta.example";  // a user of another node
constexpr const char* kErin = "erin@beta.example";
constexpr const char* kGroup = "#g1@alpha.example";      // homed here
constexpr const char* kRemote = "#g@beta.example";       // homed on beta.example

class GroupsTest : public core_test {
 protected:
  GroupsTest() {
    add_user("alice");
    add_user("bob");
    add_user("carol");
    add_user("dan");
  }

  static store::group_record record(const std::string& name, const std::string& leader, std::vector<std::string> members,
                                    std::vector<store::invitation> invited = {}) {
    store::group_record g;
    g.name = name;
    g.leader = leader;
    g.members = std::move(members);
    g.invited = std::move(invited);
    g.created = 1'700'000'000;
    return g;
  }
  void save(const std::string& gid, const store::group_record& g) {
    auto t = db.begin_write();
    store::save_group(t, gid, g, nullptr);
    t.commit();
  }
  std::optional<store::group_record> load(const std::string& gid) {
    return read([&](const store::txn& t) { return store::load_group(t, gid); });
  }
  std::vector<std::string> groups(const std::string& user, store::group_role role) {
    return read([&](const store::txn& t) {
      std::vector<std::string> ids;
      for (const auto& [gid, g] : store::groups_of(t, user, role)) ids.push_back(gid);
      return ids;
    });
  }
  std::vector<store::pending_group_change> pending(const std::string& gid) {
    return read([&](const store::txn& t) { return store::group_pending(t, gid); });
  }
  std::vector<store::outbox_entry> raw_outbox(const std::string& peer) {
    return read([&](const store::txn& t) { return store::outbox_read(t, peer, 0, 1000); });
  }
  void block(const std::string& blocker, const std::string& blocked) {
    auto t = db.begin_write();
    store::add_block(t, blocker, blocked, now);
    t.commit();
  }
  static std::vector<std::string> users(const std::vector<store::invitation>& invited) {
    std::vector<std::string> out;
    for (const auto& i : invited) out.push_back(i.user + "<" + i.inviter);
    return out;
  }
  static std::int64_t code_of(const json::object& frame) { return payload(frame).at("code").as_int64(); }
  static std::string str(const json::value& v) { return std::string(v.as_string()); }
  // The single reply of `fx`, of type `type`.
  static json::object reply_of(const effects& fx, const std::string& type) {
    auto r = replies(fx);
    EXPECT_EQ(r.size(), 1u);
    if (r.empty()) return {};
    EXPECT_EQ(type_of(r[0]), type);
    return r[0];
  }
  static std::vector<std::string> types(const std::vector<json::object>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames) out.push_back(type_of(f));
    return out;
  }

  effects create(const actor& a, std::vector<std::string> members, const std::string& name = "G") {
    return run([&](context& c) { group_create(c, a, p::group_create{a.user, std::move(members), name}, "c1"); });
  }
  effects answer(const actor& a, const std::string& inviter, const std::string& group, int code,
                 std::optional<std::string> group_id = std::nullopt) {
    return run([&](context& c) {
      group_invite_response(c, a, p::group_invite_response{inviter, a.user, group, code, std::move(group_id)}, "r1");
    });
  }
  effects leave(const actor& a, const std::string& group, std::optional<std::string> group_id = std::nullopt) {
    return run([&](context& c) { group_leave(c, a, p::group_leave{a.user, group, std::move(group_id)}, "l1"); });
  }
  effects remove(const actor& a, const std::string& group, std::optional<std::string> group_id = std::nullopt) {
    return run([&](context& c) { group_remove(c, a, p::group_remove{a.user, group, std::move(group_id)}, "x1"); });
  }
  effects change_leader(const actor& a, const std::string& group, const std::string& new_leader,
                        std::optional<std::string> group_id = std::nullopt) {
    return run([&](context& c) {
      group_leader_change(c, a, p::group_leader_change{a.user, group, new_leader, std::move(group_id)}, "k1");
    });
  }
  effects list(const actor& a) {
    return run([&](context& c) { group_list(c, a, "g1"); });
  }

  const actor alice{kAlice, {}, false};
  const actor bob{kBob, {}, false};
  const actor carol{kCarol, {}, false};
  const actor dan{kDan, {}, false};
};

// ---- GROUP_CREATE ----------------------------------------------------------------------

TEST_F(GroupsTest, CreateWithMembersWhoAreNotFriendsIs4001AndMakesNoGroup) {
  befriend(kAlice, kBob);
  online.log_in(kBob);
  auto fx = create(alice, {"bob", "carol", "dave@beta.example"});
  auto a = reply_of(fx, "GROUP_CREATE_ACK");
  EXPECT_EQ(code_of(a), 4001);
  EXPECT_EQ(json::serialize(payload(a).at("not-friends")), R"(["carol@alpha.example","dave@beta.example"])");
  EXPECT_FALSE(payload(a).contains("groupId"));
  EXPECT_FALSE(payload(a).contains("members"));
  EXPECT_EQ(payload(a).at("name"), "G");
  EXPECT_EQ(a.at("id"), "c1");
  EXPECT_TRUE(groups(kAlice, store::group_role::member).empty());
  EXPECT_TRUE(groups(kBob, store::group_role::invited).empty());
  EXPECT_TRUE(sent_to(fx, kBob).empty());
  EXPECT_TRUE(inbox(kCarol).empty());
  EXPECT_TRUE(outbox("beta.example").empty());
}

TEST_F(GroupsTest, CreateSavesTheRecordInvitesEachMemberAndAcksTheGroupId) {
  befriend(kAlice, kBob);
  befriend(kAlice, kCarol);
  online.log_in(kBob);
  // Duplicates and the sender themself are ignored.
  auto fx = create(alice, {"bob", "bob@alpha.example", "alice", "carol"}, "Group Chat 1");
  auto a = reply_of(fx, "GROUP_CREATE_ACK");
  ASSERT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("sender"), kAlice);
  EXPECT_EQ(payload(a).at("name"), "Group Chat 1");
  EXPECT_EQ(json::serialize(payload(a).at("members")), R"(["bob@alpha.example","carol@alpha.example"])");
  EXPECT_FALSE(payload(a).contains("not-friends"));
  const std::string gid = str(payload(a).at("groupId"));
  ASSERT_GT(gid.size(), 2u);
  EXPECT_EQ(gid.front(), '#');
  EXPECT_TRUE(gid.ends_with("@alpha.example")) << gid;

  auto g = load(gid);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->name, "Group Chat 1");
  EXPECT_EQ(g->leader, kAlice);
  EXPECT_EQ(g->members, std::vector<std::string>{kAlice});
  EXPECT_EQ(users(g->invited), (std::vector<std::string>{"bob@alpha.example<alice@alpha.example",
                                                         "carol@alpha.example<alice@alpha.example"}));
  EXPECT_EQ(g->created, now);
  EXPECT_EQ(groups(kAlice, store::group_role::member), std::vector<std::string>{gid});
  EXPECT_EQ(groups(kBob, store::group_role::invited), std::vector<std::string>{gid});
  EXPECT_EQ(groups(kCarol, store::group_role::invited), std::vector<std::string>{gid});

  auto live = sent_to(fx, kBob);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(type_of(live[0]), "GROUP_INVITE");
  EXPECT_EQ(payload(live[0]).at("sender"), kAlice);
  EXPECT_EQ(payload(live[0]).at("receiver"), kBob);
  EXPECT_EQ(payload(live[0]).at("group"), "Group Chat 1");
  EXPECT_EQ(str(payload(live[0]).at("groupId")), gid);
  auto waiting = inbox(kCarol);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "GROUP_INVITE");
  EXPECT_EQ(payload(waiting[0]).at("receiver"), kCarol);
  EXPECT_EQ(str(payload(waiting[0]).at("groupId")), gid);
  EXPECT_TRUE(inbox(kAlice).empty());
  EXPECT_TRUE(outbox("beta.example").empty());
}

TEST_F(GroupsTest, CreateWithNoMembersMakesAGroupOfOne) {
  auto fx = create(alice, {});
  auto a = reply_of(fx, "GROUP_CREATE_ACK");
  ASSERT_EQ(code_of(a), 0);
  auto g = load(str(payload(a).at("groupId")));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->members, std::vector<std::string>{kAlice});
  EXPECT_TRUE(g->invited.empty());
  EXPECT_EQ(fx.sends.size(), 1u);
}

TEST_F(GroupsTest, CreateWithAnInviteeOfAnotherNodeSendsTheRecordThenTheInvitation) {
  befriend(kAlice, kDave);
  auto fx = create(alice, {kDave});
  auto a = reply_of(fx, "GROUP_CREATE_ACK");
  ASSERT_EQ(code_of(a), 0);
  const std::string gid = str(payload(a).at("groupId"));
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 2u);
  // The record first, so beta knows the group before its invitation arrives.
  EXPECT_EQ(events[0].at("kind"), "group");
  EXPECT_EQ(str(events[0].at("groupId")), gid);
  const auto& rec = events[0].at("group").as_object();
  EXPECT_EQ(rec.at("leader"), kAlice);
  EXPECT_EQ(json::serialize(rec.at("members")), R"(["alice@alpha.example"])");
  EXPECT_EQ(json::serialize(rec.at("invited")), R"([{"user":"dave@beta.example","inviter":"alice@alpha.example"}])");
  EXPECT_EQ(events[1].at("kind"), "deliver");
  EXPECT_EQ(json::serialize(events[1].at("to")), R"(["dave@beta.example"])");
  const auto& invite = events[1].at("message").as_object();
  EXPECT_EQ(type_of(invite), "GROUP_INVITE");
  EXPECT_EQ(payload(invite).at("receiver"), kDave);
  EXPECT_EQ(str(payload(invite).at("groupId")), gid);
  EXPECT_EQ(fx.pokes.count("beta.example"), 1u);
}

// ---- GROUP_INVITE_RESPONSE --------------------------------------------------------------

class GroupsInviteTest : public GroupsTest {
 protected:
  GroupsInviteTest() {
    // alice leads; carol (a member) invited bob, alice invited dan.
    save(kGroup, record("G", kAlice, {kAlice, kCarol}, {{kBob, kCarol}, {kDan, kAlice}}));
  }
};

TEST_F(GroupsInviteTest, AnInvalidCodeIsAnError9003AndChangesNothing) {
  auto fx = answer(bob, kCarol, "G", 7);
  auto e = reply_of(fx, "ERROR");
  EXPECT_EQ(code_of(e), 9003);
  EXPECT_EQ(payload(e).at("inReplyTo"), "GROUP_INVITE_RESPONSE");
  EXPECT_EQ(e.at("id"), "r1");
  EXPECT_EQ(fx.errors, 1u);
  EXPECT_EQ(load(kGroup)->members, (std::vector<std::string>{kAlice, kCarol}));
  EXPECT_EQ(load(kGroup)->invited.size(), 2u);
  EXPECT_TRUE(inbox(kCarol).empty());
}

TEST_F(GroupsInviteTest, AnUnknownGroupIsAnError4002) {
  auto fx = answer(bob, kCarol, "Nope", 0);
  auto e = reply_of(fx, "ERROR");
  EXPECT_EQ(code_of(e), 4002);
  EXPECT_EQ(payload(e).at("inReplyTo"), "GROUP_INVITE_RESPONSE");
  EXPECT_EQ(e.at("id"), "r1");
  // A name is looked up among the invitations: alice is a member of "G", not invited.
  auto member = answer(alice, kAlice, "G", 0);
  EXPECT_EQ(code_of(reply_of(member, "ERROR")), 4002);
  EXPECT_EQ(load(kGroup)->members, (std::vector<std::string>{kAlice, kCarol}));
}

TEST_F(GroupsInviteTest, AnAmbiguousNameAmongTheInvitationsIsAnError4003) {
  save("#g2@alpha.example", record("G", kCarol, {kCarol}, {{kBob, kCarol}}));
  auto fx = answer(bob, kCarol, "G", 0);
  EXPECT_EQ(code_of(reply_of(fx, "ERROR")), 4003);
  EXPECT_EQ(load(kGroup)->members.size(), 2u);
  EXPECT_EQ(load("#g2@alpha.example")->members.size(), 1u);
}

TEST_F(GroupsInviteTest, AGroupWithoutAnInvitationIsAnError4007) {
  // Named by id: the group exists, but alice (a member) has no invitation to answer.
  auto fx = answer(alice, kAlice, "G", 0, kGroup);
  auto e = reply_of(fx, "ERROR");
  EXPECT_EQ(code_of(e), 4007);
  EXPECT_EQ(payload(e).at("inReplyTo"), "GROUP_INVITE_RESPONSE");
  EXPECT_EQ(e.at("id"), "r1");
  EXPECT_EQ(load(kGroup)->members, (std::vector<std::string>{kAlice, kCarol}));
}

// chatnode_errors_sent_total counts "ERROR messages sent to clients" (docs/operations.md);
// effects::errors is "ERROR frames among sends" (core/context.hpp).
TEST_F(GroupsInviteTest, TheErrorsOfAnAnswerAreCountedAsErrors) {
  EXPECT_EQ(answer(bob, kCarol, "Nope", 0).errors, 1u);            // 4002
  EXPECT_EQ(answer(alice, kAlice, "G", 0, kGroup).errors, 1u);     // 4007
}

TEST_F(GroupsInviteTest, AcceptingJoinsTheGroupAndTellsTheInviter) {
  online.log_in(kCarol);
  auto fx = answer(bob, kCarol, "G", 0);
  EXPECT_TRUE(replies(fx).empty());  // silent on success
  auto g = load(kGroup);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->members, (std::vector<std::string>{kAlice, kCarol, kBob}));
  EXPECT_EQ(users(g->invited), std::vector<std::string>{"dan@alpha.example<alice@alpha.example"});
  EXPECT_EQ(g->leader, kAlice);
  EXPECT_EQ(groups(kBob, store::group_role::member), std::vector<std::string>{kGroup});
  EXPECT_TRUE(groups(kBob, store::group_role::invited).empty());

  // The inviter (carol, not the leader) is told.
  auto told = sent_to(fx, kCarol);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(type_of(told[0]), "GROUP_INVITE_RESPONSE");
  EXPECT_EQ(payload(told[0]).at("sender"), kCarol);
  EXPECT_EQ(payload(told[0]).at("receiver"), kBob);
  EXPECT_EQ(payload(told[0]).at("group"), "G");
  EXPECT_EQ(payload(told[0]).at("groupId"), kGroup);
  EXPECT_EQ(code_of(told[0]), 0);
  EXPECT_TRUE(inbox(kAlice).empty());
  EXPECT_EQ(fx.errors, 0u);
}

TEST_F(GroupsInviteTest, RejectingDropsTheInvitationAndTellsTheInviter) {
  auto fx = answer(dan, kAlice, "", 5001, kGroup);
  EXPECT_TRUE(replies(fx).empty());
  auto g = load(kGroup);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->members, (std::vector<std::string>{kAlice, kCarol}));
  EXPECT_EQ(users(g->invited), std::vector<std::string>{"bob@alpha.example<carol@alpha.example"});
  EXPECT_TRUE(groups(kDan, store::group_role::invited).empty());
  EXPECT_TRUE(groups(kDan, store::group_role::member).empty());
  auto waiting = inbox(kAlice);  // offline inviter
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "GROUP_INVITE_RESPONSE");
  EXPECT_EQ(payload(waiting[0]).at("receiver"), kDan);
  EXPECT_EQ(code_of(waiting[0]), 5001);
  EXPECT_EQ(payload(waiting[0]).at("groupId"), kGroup);
}

TEST_F(GroupsTest, AnswersToAGroupHomedElsewhereUpdateTheCopyAndGoHome) {
  save(kRemote, record("R", kDave, {kDave, kAlice}, {{kBob, kDave}}));
  auto fx = answer(bob, kDave, "R", 0);
  EXPECT_TRUE(replies(fx).empty());  // the home answers
  auto g = load(kRemote);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->members, (std::vector<std::string>{kDave, kAlice, kBob}));
  EXPECT_TRUE(g->invited.empty());
  EXPECT_EQ(groups(kBob, store::group_role::member), std::vector<std::string>{kRemote});

  auto events = raw_outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);  // no record: the home sends those
  auto ev = json::parse(events[0].event).as_object();
  EXPECT_EQ(ev.at("kind"), "act");
  EXPECT_EQ(ev.at("actor"), kBob);
  const auto& req = ev.at("request").as_object();
  EXPECT_EQ(type_of(req), "GROUP_INVITE_RESPONSE");
  EXPECT_EQ(req.at("id"), "r1");
  EXPECT_EQ(payload(req).at("sender"), kDave);
  EXPECT_EQ(payload(req).at("receiver"), kBob);
  EXPECT_EQ(payload(req).at("group"), "R");
  EXPECT_EQ(payload(req).at("groupId"), kRemote);
  EXPECT_EQ(code_of(req), 0);

  auto changes = pending(kRemote);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, 'a');
  EXPECT_EQ(changes[0].user, kBob);
  EXPECT_EQ(changes[0].at.stream, events[0].at.stream);
  EXPECT_EQ(changes[0].at.seq, events[0].at.seq);
}

TEST_F(GroupsTest, DeclinesToAGroupHomedElsewhereDropTheCopyWhenNoLocalUserIsLeft) {
  save(kRemote, record("R", kDave, {kDave}, {{kBob, kDave}}));
  auto fx = answer(bob, kDave, "R", 5001);
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_FALSE(load(kRemote));
  EXPECT_TRUE(groups(kBob, store::group_role::invited).empty());
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "act");
  EXPECT_EQ(code_of(events[0].at("request").as_object()), 5001);
  auto changes = pending(kRemote);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, 'd');
  EXPECT_EQ(changes[0].user, kBob);
}

// ---- GROUP_LEAVE -------------------------------------------------------------------------

class GroupsMembersTest : public GroupsTest {
 protected:
  GroupsMembersTest() { save(kGroup, record("G", kAlice, {kAlice, kBob, kCarol}, {{kDan, kAlice}})); }
};

TEST_F(GroupsMembersTest, LeavingAnUnknownGroupIs4002) {
  auto fx = leave(bob, "Nope");
  auto a = reply_of(fx, "GROUP_LEAVE_ACK");
  EXPECT_EQ(code_of(a), 4002);
  EXPECT_EQ(payload(a).at("group"), "Nope");
  EXPECT_FALSE(payload(a).contains("groupId"));
  EXPECT_EQ(a.at("id"), "l1");
  auto by_id = leave(bob, "", std::string("#zz@alpha.example"));
  EXPECT_EQ(code_of(reply_of(by_id, "GROUP_LEAVE_ACK")), 4002);
  EXPECT_EQ(load(kGroup)->members.size(), 3u);
}

TEST_F(GroupsMembersTest, LeavingAnAmbiguousNameIs4003) {
  save("#g2@alpha.example", record("G", kBob, {kBob}));
  auto fx = leave(bob, "G");
  EXPECT_EQ(code_of(reply_of(fx, "GROUP_LEAVE_ACK")), 4003);
  EXPECT_EQ(load(kGroup)->members.size(), 3u);
  EXPECT_TRUE(load("#g2@alpha.example"));
}

TEST_F(GroupsMembersTest, LeavingAGroupOfWhichOneIsNoMemberIs4004) {
  auto fx = leave(dan, "", std::string(kGroup));
  auto a = reply_of(fx, "GROUP_LEAVE_ACK");
  EXPECT_EQ(code_of(a), 4004);
  EXPECT_EQ(payload(a).at("group"), "G");
  EXPECT_EQ(payload(a).at("groupId"), kGroup);
  EXPECT_EQ(users(load(kGroup)->invited), std::vector<std::string>{"dan@alpha.example<alice@alpha.example"});
}

TEST_F(GroupsMembersTest, LeavingTellsTheRemainingMembers) {
  online.log_in(kAlice);
  auto fx = leave(bob, "G");
  auto a = reply_of(fx, "GROUP_LEAVE_ACK");
  ASSERT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("sender"), kBob);
  EXPECT_EQ(payload(a).at("group"), "G");
  EXPECT_EQ(payload(a).at("groupId"), kGroup);
  auto g = load(kGroup);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->members, (std::vector<std::string>{kAlice, kCarol}));
  EXPECT_EQ(g->leader, kAlice);
  EXPECT_TRUE(groups(kBob, store::group_role::member).empty());

  auto live = sent_to(fx, kAlice);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(type_of(live[0]), "GROUP_LEAVE");
  EXPECT_EQ(payload(live[0]).at("sender"), kBob);
  EXPECT_EQ(payload(live[0]).at("group"), "G");
  EXPECT_EQ(payload(live[0]).at("groupId"), kGroup);
  EXPECT_EQ(types(inbox(kCarol)), std::vector<std::string>{"GROUP_LEAVE"});
  EXPECT_TRUE(inbox(kBob).empty());
  EXPECT_TRUE(inbox(kDan).empty());  // invitees are not told
}

TEST_F(GroupsMembersTest, WhenTheLeaderLeavesTheEarliestMemberLeads) {
  auto fx = leave(alice, "G");
  ASSERT_EQ(code_of(reply_of(fx, "GROUP_LEAVE_ACK")), 0);
  auto g = load(kGroup);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->leader, kBob);
  EXPECT_EQ(g->members, (std::vector<std::string>{kBob, kCarol}));
  for (const char* member : {kBob, kCarol}) {
    auto waiting = inbox(member);
    ASSERT_EQ(types(waiting), (std::vector<std::string>{"GROUP_LEAVE", "GROUP_LEADER_CHANGE"})) << member;
    EXPECT_EQ(payload(waiting[1]).at("sender"), kAlice);
    EXPECT_EQ(payload(waiting[1]).at("newLeader"), kBob);
    EXPECT_EQ(payload(waiting[1]).at("group"), "G");
    EXPECT_EQ(payload(waiting[1]).at("groupId"), kGroup);
  }
  EXPECT_TRUE(inbox(kAlice).empty());
}

TEST_F(GroupsTest, WhenTheLastMemberLeavesTheGroupEndsAndInviteesAreTold) {
  save(kGroup, record("G", kAlice, {kAlice}, {{kBob, kAlice}, {kDave, kAlice}}));
  auto fx = leave(alice, "G");
  auto a = reply_of(fx, "GROUP_LEAVE_ACK");
  ASSERT_EQ(code_of(a), 0);
  EXPECT_FALSE(load(kGroup));
  EXPECT_TRUE(groups(kAlice, store::group_role::member).empty());
  EXPECT_TRUE(groups(kBob, store::group_role::invited).empty());
  auto waiting = inbox(kBob);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "GROUP_REMOVE");
  EXPECT_EQ(payload(waiting[0]).at("sender"), kAlice);
  EXPECT_EQ(payload(waiting[0]).at("group"), "G");
  EXPECT_EQ(payload(waiting[0]).at("groupId"), kGroup);
  // The invitee of another node: its node drops its copy, then tells dave.
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("kind"), "group");
  EXPECT_TRUE(events[0].at("group").is_null());
  EXPECT_EQ(events[1].at("kind"), "deliver");
  EXPECT_EQ(type_of(events[1].at("message").as_object()), "GROUP_REMOVE");
}

TEST_F(GroupsTest, ALeaveSendsTheNewRecordAndTheNoticeToTheNodesOfRemoteMembers) {
  save(kGroup, record("G", kAlice, {kAlice, kBob, kDave}));
  auto fx = leave(bob, "G");
  ASSERT_EQ(code_of(reply_of(fx, "GROUP_LEAVE_ACK")), 0);
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("kind"), "group");
  EXPECT_EQ(json::serialize(events[0].at("group").at("members")), R"(["alice@alpha.example","dave@beta.example"])");
  EXPECT_EQ(events[1].at("kind"), "deliver");
  EXPECT_EQ(json::serialize(events[1].at("to")), R"(["dave@beta.example"])");
  EXPECT_EQ(type_of(events[1].at("message").as_object()), "GROUP_LEAVE");
}

TEST_F(GroupsTest, LeavingAGroupHomedElsewhereGoesHomeAndUpdatesTheCopy) {
  save(kRemote, record("R", kDave, {kDave, kAlice, kBob}));
  auto fx = leave(bob, "R");
  EXPECT_TRUE(replies(fx).empty());  // GROUP_LEAVE_ACK comes from the home
  auto g = load(kRemote);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->members, (std::vector<std::string>{kDave, kAlice}));
  EXPECT_TRUE(groups(kBob, store::group_role::member).empty());
  EXPECT_TRUE(inbox(kAlice).empty());  // the home tells the members

  auto events = raw_outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  auto ev = json::parse(events[0].event).as_object();
  EXPECT_EQ(ev.at("kind"), "act");
  EXPECT_EQ(ev.at("actor"), kBob);
  const auto& req = ev.at("request").as_object();
  EXPECT_EQ(type_of(req), "GROUP_LEAVE");
  EXPECT_EQ(req.at("id"), "l1");
  EXPECT_EQ(payload(req).at("sender"), kBob);
  EXPECT_EQ(payload(req).at("group"), "R");
  EXPECT_EQ(payload(req).at("groupId"), kRemote);
  auto changes = pending(kRemote);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, 'l');
  EXPECT_EQ(changes[0].user, kBob);
  EXPECT_EQ(changes[0].at.seq, events[0].at.seq);
}

TEST_F(GroupsTest, TheCopyOfAGroupHomedElsewhereNamesTheNextLeaderWhenItsLeaderLeaves) {
  save(kRemote, record("R", kAlice, {kAlice, kDave, kBob}));
  auto fx = leave(alice, "R");
  EXPECT_TRUE(replies(fx).empty());
  auto g = load(kRemote);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->leader, kDave);
  EXPECT_EQ(g->members, (std::vector<std::string>{kDave, kBob}));
}

// ---- GROUP_REMOVE ------------------------------------------------------------------------

TEST_F(GroupsMembersTest, OnlyTheLeaderRemovesAGroup4005) {
  auto fx = remove(bob, "G");
  auto a = reply_of(fx, "GROUP_REMOVE_ACK");
  EXPECT_EQ(code_of(a), 4005);
  EXPECT_EQ(payload(a).at("groupId"), kGroup);
  EXPECT_EQ(a.at("id"), "x1");
  EXPECT_TRUE(load(kGroup));
  EXPECT_TRUE(inbox(kAlice).empty());
}

TEST_F(GroupsMembersTest, RemovingAnUnknownGroupIs4002AndOneOfWhichOneIsNoMemberIs4004) {
  EXPECT_EQ(code_of(reply_of(remove(alice, "Nope"), "GROUP_REMOVE_ACK")), 4002);
  auto fx = remove(dan, "", std::string(kGroup));
  EXPECT_EQ(code_of(reply_of(fx, "GROUP_REMOVE_ACK")), 4004);
  EXPECT_TRUE(load(kGroup));
}

TEST_F(GroupsMembersTest, RemovingTellsEveryOtherMemberAndInviteeAndDropsTheRecord) {
  online.log_in(kAlice);
  online.log_in(kBob);
  auto fx = remove(alice, "G");
  auto a = reply_of(fx, "GROUP_REMOVE_ACK");
  ASSERT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("group"), "G");
  EXPECT_EQ(payload(a).at("groupId"), kGroup);
  EXPECT_FALSE(load(kGroup));
  for (const char* u : {kAlice, kBob, kCarol}) EXPECT_TRUE(groups(u, store::group_role::member).empty()) << u;
  EXPECT_TRUE(groups(kDan, store::group_role::invited).empty());

  EXPECT_TRUE(sent_to(fx, kAlice).empty());  // the leader gets the ACK only
  auto live = sent_to(fx, kBob);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(type_of(live[0]), "GROUP_REMOVE");
  EXPECT_EQ(payload(live[0]).at("sender"), kAlice);
  EXPECT_EQ(payload(live[0]).at("groupId"), kGroup);
  EXPECT_EQ(types(inbox(kCarol)), std::vector<std::string>{"GROUP_REMOVE"});
  EXPECT_EQ(types(inbox(kDan)), std::vector<std::string>{"GROUP_REMOVE"});  // the invitee too
}

TEST_F(GroupsTest, RemovingAGroupHomedElsewhereGoesHomeWithoutAnAck) {
  save(kRemote, record("R", kDave, {kDave, kAlice}));
  auto fx = remove(alice, "R");
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_TRUE(load(kRemote));  // the home decides
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "act");
  EXPECT_EQ(events[0].at("actor"), kAlice);
  const auto& req = events[0].at("request").as_object();
  EXPECT_EQ(type_of(req), "GROUP_REMOVE");
  EXPECT_EQ(req.at("id"), "x1");
  EXPECT_EQ(payload(req).at("sender"), kAlice);
  EXPECT_EQ(payload(req).at("groupId"), kRemote);
}

// ---- GROUP_LEADER_CHANGE -----------------------------------------------------------------

TEST_F(GroupsMembersTest, OnlyTheLeaderChangesTheLeader4005) {
  auto fx = change_leader(bob, "G", "carol");
  auto a = reply_of(fx, "GROUP_LEADER_CHANGE_ACK");
  EXPECT_EQ(code_of(a), 4005);
  EXPECT_EQ(payload(a).at("newLeader"), kCarol);
  EXPECT_EQ(payload(a).at("groupId"), kGroup);
  EXPECT_EQ(load(kGroup)->leader, kAlice);
}

TEST_F(GroupsMembersTest, ANewLeaderWhoIsNoMemberIs4006) {
  auto fx = change_leader(alice, "G", "dan");  // invited only
  auto a = reply_of(fx, "GROUP_LEADER_CHANGE_ACK");
  EXPECT_EQ(code_of(a), 4006);
  EXPECT_EQ(payload(a).at("newLeader"), kDan);
  EXPECT_EQ(load(kGroup)->leader, kAlice);
  EXPECT_TRUE(inbox(kBob).empty());
}

TEST_F(GroupsMembersTest, ChangingTheLeaderOfAnUnknownGroupIs4002AndOfAnotherGroupIs4004) {
  EXPECT_EQ(code_of(reply_of(change_leader(alice, "Nope", "bob"), "GROUP_LEADER_CHANGE_ACK")), 4002);
  EXPECT_EQ(code_of(reply_of(change_leader(dan, "", "bob", std::string(kGroup)), "GROUP_LEADER_CHANGE_ACK")), 4004);
  EXPECT_EQ(load(kGroup)->leader, kAlice);
}

TEST_F(GroupsMembersTest, ChangingTheLeaderTellsEveryOtherMember) {
  auto fx = change_leader(alice, "G", "bob");
  auto a = reply_of(fx, "GROUP_LEADER_CHANGE_ACK");
  ASSERT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("newLeader"), kBob);  // full id out
  EXPECT_EQ(a.at("id"), "k1");
  auto g = load(kGroup);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->leader, kBob);
  EXPECT_EQ(g->members, (std::vector<std::string>{kAlice, kBob, kCarol}));
  for (const char* member : {kBob, kCarol}) {
    auto waiting = inbox(member);
    ASSERT_EQ(types(waiting), std::vector<std::string>{"GROUP_LEADER_CHANGE"}) << member;
    EXPECT_EQ(payload(waiting[0]).at("sender"), kAlice);
    EXPECT_EQ(payload(waiting[0]).at("newLeader"), kBob);
    EXPECT_EQ(payload(waiting[0]).at("groupId"), kGroup);
  }
  EXPECT_TRUE(inbox(kAlice).empty());
  EXPECT_TRUE(inbox(kDan).empty());
}

TEST_F(GroupsTest, ChangingTheLeaderOfAGroupHomedElsewhereGoesHome) {
  save(kRemote, record("R", kDave, {kDave, kAlice}));
  auto fx = change_leader(alice, "R", "alice");
  EXPECT_TRUE(replies(fx).empty());
  EXPECT_EQ(load(kRemote)->leader, kDave);
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "act");
  const auto& req = events[0].at("request").as_object();
  EXPECT_EQ(type_of(req), "GROUP_LEADER_CHANGE");
  EXPECT_EQ(payload(req).at("newLeader"), kAlice);
  EXPECT_EQ(payload(req).at("groupId"), kRemote);
}

// ---- GROUP_LIST_REQUEST ------------------------------------------------------------------

TEST_F(GroupsTest, TheListHoldsGroupsAndInvitations) {
  save(kGroup, record("G", kAlice, {kAlice, kBob}, {{kCarol, kAlice}}));
  save("#g2@alpha.example", record("Book club", kDan, {kDan}, {{kAlice, kDan}}));
  auto fx = list(alice);
  auto r = reply_of(fx, "GROUP_LIST_RESPONSE");
  EXPECT_EQ(r.at("id"), "g1");
  EXPECT_EQ(payload(r).at("username"), kAlice);
  EXPECT_EQ(code_of(r), 0);
  EXPECT_EQ(json::serialize(payload(r).at("groups")),
            R"([{"groupId":"#g1@alpha.example","name":"G","leader":"alice@alpha.example",)"
            R"("members":["alice@alpha.example","bob@alpha.example"],"invited":["carol@alpha.example"]}])");
  EXPECT_EQ(json::serialize(payload(r).at("invitations")),
            R"([{"groupId":"#g2@alpha.example","name":"Book club","inviter":"dan@alpha.example"}])");
}

TEST_F(GroupsTest, TheListHidesInvitationsFromBlockedInviters) {
  save("#g2@alpha.example", record("Book club", kDan, {kDan}, {{kAlice, kDan}}));
  save("#g3@alpha.example", record("Chess", kCarol, {kCarol, kDan}, {{kAlice, kDan}}));
  block(kAlice, kDan);
  auto fx = list(alice);
  auto r = reply_of(fx, "GROUP_LIST_RESPONSE");
  EXPECT_EQ(json::serialize(payload(r).at("invitations")), "[]");
  EXPECT_EQ(json::serialize(payload(r).at("groups")), "[]");
  // The records still name alice as invited.
  EXPECT_EQ(groups(kAlice, store::group_role::invited),
            (std::vector<std::string>{"#g2@alpha.example", "#g3@alpha.example"}));
}

// ---- leave_all_groups (an account deletion) ------------------------------------------------

TEST_F(GroupsTest, LeaveAllGroupsLeavesEveryGroupAndDeclinesEveryInvitation) {
  save("#a1@alpha.example", record("Led", kAlice, {kAlice, kBob}));
  save("#a2@beta.example", record("Far", kDave, {kDave, kAlice, kBob}));
  save("#b1@alpha.example", record("Asked", kCarol, {kCarol}, {{kAlice, kCarol}}));
  save("#b2@beta.example", record("FarAsked", kErin, {kErin}, {{kAlice, kDave}}));
  auto fx = run([&](context& c) { leave_all_groups(c, kAlice); });
  EXPECT_TRUE(replies(fx).empty());

  // A local group led by alice: bob leads now and is told.
  auto a1 = load("#a1@alpha.example");
  ASSERT_TRUE(a1);
  EXPECT_EQ(a1->members, std::vector<std::string>{kBob});
  EXPECT_EQ(a1->leader, kBob);
  auto bob_inbox = inbox(kBob);
  ASSERT_EQ(types(bob_inbox), (std::vector<std::string>{"GROUP_LEAVE", "GROUP_LEADER_CHANGE"}));
  EXPECT_EQ(payload(bob_inbox[0]).at("sender"), kAlice);
  EXPECT_EQ(payload(bob_inbox[1]).at("newLeader"), kBob);

  // A local invitation: declined, the inviter told.
  auto b1 = load("#b1@alpha.example");
  ASSERT_TRUE(b1);
  EXPECT_TRUE(b1->invited.empty());
  EXPECT_EQ(b1->members, std::vector<std::string>{kCarol});
  auto carol_inbox = inbox(kCarol);
  ASSERT_EQ(types(carol_inbox), std::vector<std::string>{"GROUP_INVITE_RESPONSE"});
  EXPECT_EQ(payload(carol_inbox[0]).at("sender"), kCarol);
  EXPECT_EQ(payload(carol_inbox[0]).at("receiver"), kAlice);
  EXPECT_EQ(code_of(carol_inbox[0]), 5001);
  EXPECT_EQ(payload(carol_inbox[0]).at("groupId"), "#b1@alpha.example");

  // Groups homed on beta: the copies follow at once, the requests go home.
  auto a2 = load("#a2@beta.example");
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->members, (std::vector<std::string>{kDave, kBob}));
  EXPECT_FALSE(load("#b2@beta.example"));  // no user of this node left in it
  auto events = outbox("beta.example");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("kind"), "act");
  EXPECT_EQ(events[0].at("actor"), kAlice);
  EXPECT_EQ(type_of(events[0].at("request").as_object()), "GROUP_LEAVE");
  EXPECT_EQ(payload(events[0].at("request").as_object()).at("groupId"), "#a2@beta.example");
  EXPECT_EQ(events[1].at("kind"), "act");
  const auto& declined = events[1].at("request").as_object();
  EXPECT_EQ(type_of(declined), "GROUP_INVITE_RESPONSE");
  EXPECT_EQ(payload(declined).at("sender"), kDave);  // the inviter
  EXPECT_EQ(payload(declined).at("receiver"), kAlice);
  EXPECT_EQ(code_of(declined), 5001);
  EXPECT_EQ(payload(declined).at("groupId"), "#b2@beta.example");
  auto left = pending("#a2@beta.example");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].kind, 'l');
  EXPECT_EQ(left[0].user, kAlice);
  auto refused = pending("#b2@beta.example");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].kind, 'd');
  EXPECT_EQ(refused[0].user, kAlice);

  EXPECT_TRUE(groups(kAlice, store::group_role::member).empty());
  EXPECT_TRUE(groups(kAlice, store::group_role::invited).empty());
}

TEST_F(GroupsTest, LeaveAllGroupsEndsAGroupLeftEmpty) {
  save(kGroup, record("Solo", kAlice, {kAlice}, {{kBob, kAlice}}));
  auto fx = run([&](context& c) { leave_all_groups(c, kAlice); });
  EXPECT_FALSE(load(kGroup));
  EXPECT_EQ(types(inbox(kBob)), std::vector<std::string>{"GROUP_REMOVE"});
  EXPECT_TRUE(groups(kBob, store::group_role::invited).empty());
}

}  // namespace
}  // namespace chatnode::core::testing
