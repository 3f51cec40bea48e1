// Unit tests of core/inbound: events from other nodes (docs/federation.md "What crosses a
// link", "Checks on every event"). This node is alpha.example; every event comes from
// beta.example. A refused event must leave the store (and the online view) as it was and
// produce no effects; an applied one changes what the docs say.
#include "core_fixture.hpp"

#include "core/inbound.hpp"

#include "protocol/codec.hpp"
#include "protocol/federation.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatnode::core::testing {
namespace {

namespace json = boost::json;
namespace p = chatnode::protocol;

const std::string origin = "beta.example";
const std::string alice = "alice@alpha.example";  // local users (accounts exist)
const std::string carol = "carol@alpha.example";
const std::string dave = "dave@alpha.example";
const std::string ghost = "ghost@alpha.example";  // a local name without an account
const std::string bob = "bob@beta.example";       // users of the origin
const std::string erin = "erin@beta.example";
const std::string mallory = "mallory@gamma.example";  // a user the origin does not speak for
const std::string gus = "gus@gamma.example";
const std::string remote_group = "#g@beta.example";  // homed at the origin
const std::string local_group = "#h@alpha.example";  // homed here
const std::string stream = "018bcfe56800.teststream";  // an outbox stream id of this node

std::string encode(p::payload body, std::int64_t timestamp = 0, std::optional<std::string> id = std::nullopt) {
  return p::encode(p::envelope{std::move(body), timestamp, std::move(id)});
}
json::object parse_event(const std::string& event) { return json::parse(event).as_object(); }
json::object deliver_ev(const std::vector<std::string>& to, p::payload body, std::optional<std::string> ref = std::nullopt,
                        std::int64_t timestamp = 0, std::optional<std::string> id = std::nullopt) {
  return parse_event(p::fed::deliver_event(to, encode(std::move(body), timestamp, std::move(id)), ref));
}
json::object act_ev(const std::string& actor_id, p::payload request, std::optional<std::string> id = std::nullopt) {
  return parse_event(p::fed::act_event(actor_id, encode(std::move(request), 0, std::move(id))));
}
json::object group_ev(const std::string& group_id, const std::optional<store::group_record>& g, std::uint64_t seen_seq = 0) {
  const std::string record = g ? store::encode_group(*g) : std::string();
  return parse_event(p::fed::group_event(group_id, g ? std::optional<std::string_view>(record) : std::nullopt, stream, seen_seq));
}

p::text_message text_msg(const std::string& sender, const std::string& receiver, const std::string& content,
                         std::optional<std::string> group_id = std::nullopt, std::optional<std::string> group = std::nullopt) {
  p::text_message m;
  m.sender = sender;
  m.receiver = receiver;
  m.content = content;
  m.group_id = std::move(group_id);
  m.group = std::move(group);
  return m;
}
p::error_message error_msg(std::optional<std::string> in_reply_to) {
  p::error_message e;
  e.code = 9005;
  e.message = "not the leader";
  e.in_reply_to = std::move(in_reply_to);
  return e;
}
store::group_record group_of(std::string leader, std::vector<std::string> members, std::vector<store::invitation> invited = {}) {
  store::group_record g;
  g.name = "Club";
  g.leader = std::move(leader);
  g.members = std::move(members);
  g.invited = std::move(invited);
  g.created = 1'700'000'000;
  return g;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }
std::int64_t code_of(const json::object& frame) { return frame.at("payload").at("code").as_int64(); }


class InboundTest : public core_test {
 protected:
  InboundTest() {
    add_user("alice");
    add_user("carol");
    add_user("dave");
  }

  // Applies `ev` from beta.example as the node does (one write txn, flush_remote, commit).
  remote_result apply(const json::object& ev) {
    remote_result r;
    last = run([&](context& c) { r = apply_event(c, origin, ev); });
    return r;
  }


  // `ev` is refused with `code` (and a reason), and nothing of it is kept: no table
  // changed, no frame sent, no outbox poked, no presence recorded.
  void expect_refused(const json::object& ev, int code, std::string_view reason_has = {}) {
    SCOPED_TRACE(json::serialize(ev));
    const auto before = dump();
    const auto remote_before = online.remote;
    const auto r = apply(ev);
    EXPECT_EQ(r.code, code) << r.reason;
    EXPECT_FALSE(r.reason.empty());
    if (!reason_has.empty()) {
      EXPECT_NE(r.reason.find(reason_has), std::string::npos) << r.reason;
    }
    EXPECT_TRUE(last.sends.empty());
    EXPECT_TRUE(last.pokes.empty());
    EXPECT_EQ(last.errors, 0u);
    EXPECT_EQ(changed_tables(before, dump()), "");
    EXPECT_EQ(online.remote, remote_before);
  }
  void expect_applied(const json::object& ev) {
    const auto r = apply(ev);
    ASSERT_EQ(r.code, 0) << r.reason << "\n" << json::serialize(ev);
  }

  template <class Fn>
  void in_write(Fn fn) {
    auto t = db.begin_write();
    fn(t);
    t.commit();
  }
  void add_request(const std::string& from, const std::string& to) {
    in_write([&](store::txn& t) { store::add_request(t, from, to, now); });
  }
  void add_block(const std::string& blocker, const std::string& blocked) {
    in_write([&](store::txn& t) { store::add_block(t, blocker, blocked, now); });
  }
  void save_group(const std::string& id, const store::group_record& g) {
    in_write([&](store::txn& t) { store::save_group(t, id, g, nullptr); });
  }
  bool has_request(const std::string& from, const std::string& to) {
    return read([&](const store::txn& t) { return store::has_request(t, from, to); });
  }
  bool are_friends(const std::string& a, const std::string& b) {
    return read([&](const store::txn& t) { return store::are_friends(t, a, b); });
  }
  std::optional<store::group_record> load_group(const std::string& id) {
    return read([&](const store::txn& t) { return store::load_group(t, id); });
  }
  std::vector<std::string> groups_of(const std::string& user, store::group_role role) {
    return read([&](const store::txn& t) {
      std::vector<std::string> ids;
      for (auto& [gid, g] : store::groups_of(t, user, role)) ids.push_back(gid);
      return ids;
    });
  }
  std::uint64_t take_message_id() {
    std::uint64_t id = 0;
    in_write([&](store::txn& t) { id = store::next_counter(t, "next_message_id"); });
    return id;
  }
  // The client frames of the deliver events waiting for beta.example, with their `to`.
  struct relayed {
    std::vector<std::string> to;
    boost::json::object message;
  };
  std::vector<relayed> delivered_to(const std::string& peer) {
    std::vector<relayed> out;
    for (const auto& ev : outbox(peer)) {
      if (str(ev.at("kind")) != "deliver") continue;
      relayed r;
      for (const auto& u : ev.at("to").as_array()) r.to.push_back(str(u));
      r.message = ev.at("message").as_object();
      out.push_back(std::move(r));
    }
    return out;
  }

  effects last;
};

// ---- malformed events ------------------------------------------------------------------

TEST_F(InboundTest, AnEventWithoutAKindIsMalformed) {
  expect_refused(parse_event(R"({"to":["alice@alpha.example"]})"), 9003);
  expect_refused(parse_event(R"({"kind":7})"), 9003);
}

TEST_F(InboundTest, AnUnknownKindIs9002) {
  expect_refused(parse_event(R"({"kind":"teleport"})"), 9002, "teleport");
}

TEST_F(InboundTest, ADeliverNeedsUsersAndAMessage) {
  const std::string request = encode(p::friend_request{bob, alice});
  expect_refused(parse_event(R"({"kind":"deliver","message":)" + request + "}"), 9003);
  online.remote[bob] = "online";
  expect_refused(parse_event(R"({"kind":"deliver","to":[],"message":)" + encode(p::user_status_update{bob, "away"}) + "}"), 9003);
  expect_refused(parse_event(R"({"kind":"deliver","to":"alice@alpha.example","message":)" + request + "}"), 9003);
  expect_refused(parse_event(R"({"kind":"deliver","to":[7],"message":)" + request + "}"), 9003);
  expect_refused(parse_event(R"({"kind":"deliver","to":["alice@alpha.example"]})"), 9003);
  EXPECT_FALSE(has_request(bob, alice));
}

TEST_F(InboundTest, ADeliverToAUserOfAnotherDomainIsMalformed) {
  expect_refused(deliver_ev({erin}, p::friend_request{bob, erin}), 9003, "erin@beta.example");
  expect_refused(deliver_ev({alice, gus}, text_msg(bob, alice, "hi")), 9003, "gus@gamma.example");
}

TEST_F(InboundTest, AMessageThatDoesNotDecodeIsMalformed) {
  expect_refused(parse_event(R"({"kind":"deliver","to":["alice@alpha.example"],"message":{"type":"NOT_A_TYPE","payload":{}}})"),
                 9003);
  expect_refused(
      parse_event(R"({"kind":"deliver","to":["alice@alpha.example"],"message":{"type":"FRIEND_REQUEST","payload":{"sender":"bob@beta.example"}}})"),
      9003, "receiver");
  expect_refused(parse_event(R"({"kind":"deliver","to":["alice@alpha.example"],"frame":"{not json"})"), 9003);
}

// A client message is carried as a JSON object, never as its text (the form of nodes before
// 0.2; a version 4 data dir has rewritten what its outbox held).
TEST_F(InboundTest, ADeliverWithTheMessageAsAStringIsMalformed) {
  json::object ev{{"kind", "deliver"}, {"to", json::array{alice}}, {"frame", encode(p::friend_request{bob, alice})}};
  expect_refused(parse_event(json::serialize(ev)), 9003, "message");
  ev.erase("frame");
  ev["message"] = encode(p::friend_request{bob, alice});
  expect_refused(parse_event(json::serialize(ev)), 9003, "message");  // the store is as it was
}

TEST_F(InboundTest, AClientMessageThatIsNotRelayedBetweenNodesIs9002) {
  p::user_block b;
  b.sender = bob;
  b.receiver = alice;
  expect_refused(deliver_ev({alice}, b), 9002, "not relayed");
}

// ---- FRIEND_REQUEST ----------------------------------------------------------------------

TEST_F(InboundTest, AFriendRequestIsStoredDeliveredAndItsVerdictGoesBackWithTheRef) {
  online.log_in(alice);
  expect_applied(deliver_ev({alice}, p::friend_request{bob, alice}, "r1", now - 1000));
  EXPECT_TRUE(has_request(bob, alice));
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "FRIEND_REQUEST");
  EXPECT_EQ(str(payload(got[0]).at("sender")), bob);
  EXPECT_EQ(got[0].at("timestamp").as_int64(), now);  // this node's encoding and clock
  EXPECT_TRUE(last.pokes.count(origin));
  const auto back = delivered_to(origin);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].to, std::vector<std::string>{bob});
  EXPECT_EQ(type_of(back[0].message), "FRIEND_REQUEST_ACK");
  EXPECT_EQ(code_of(back[0].message), 0);
  EXPECT_EQ(str(payload(back[0].message).at("sender")), bob);
  EXPECT_EQ(str(payload(back[0].message).at("receiver")), alice);
  EXPECT_EQ(str(back[0].message.at("id")), "r1");  // the request's id, for beta's ACK
}

// A bare name in a peer's message is a user of the origin (the authority rule reads it so):
// this node's user must see it as a full id, or "bob" would name a user of this node
// (docs/federation.md: full ids wherever another domain is meant; texts do this already).
TEST_F(InboundTest, ABareRequesterNameIsDeliveredAsTheOriginsFullId) {
  expect_applied(deliver_ev({alice}, p::friend_request{"bob", alice}, "r1"));
  EXPECT_TRUE(has_request(bob, alice));
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(str(payload(waiting[0]).at("sender")), bob);
}

TEST_F(InboundTest, AFriendRequestForAnOfflineReceiverWaitsInTheInbox) {
  expect_applied(deliver_ev({alice}, p::friend_request{bob, alice}, "r1"));
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "FRIEND_REQUEST");
  EXPECT_TRUE(last.sends.empty());
}

TEST_F(InboundTest, AFriendRequestFromAUserTheOriginDoesNotSpeakForIs9005) {
  expect_refused(deliver_ev({alice}, p::friend_request{mallory, alice}, "r1"), 9005, mallory);
  EXPECT_TRUE(inbox(alice).empty());
}

TEST_F(InboundTest, AFriendRequestMustBeDeliveredToItsReceiverOnly) {
  expect_refused(deliver_ev({carol}, p::friend_request{bob, alice}), 9003);
  expect_refused(deliver_ev({alice, carol}, p::friend_request{bob, alice}), 9003);
}

TEST_F(InboundTest, AFriendRequestToAnUnknownUserGetsVerdict3001) {
  expect_applied(deliver_ev({ghost}, p::friend_request{bob, ghost}, "r2"));
  EXPECT_FALSE(has_request(bob, ghost));
  EXPECT_TRUE(inbox(ghost).empty());
  const auto back = delivered_to(origin);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(type_of(back[0].message), "FRIEND_REQUEST_ACK");
  EXPECT_EQ(code_of(back[0].message), 3001);
  EXPECT_EQ(str(back[0].message.at("id")), "r2");
}

TEST_F(InboundTest, AFriendRequestBetweenFriendsOrAlreadyPendingGetsItsVerdict) {
  befriend(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_request{bob, alice}, "r1"));
  add_request(bob, carol);
  expect_applied(deliver_ev({carol}, p::friend_request{bob, carol}, "r2"));
  const auto back = delivered_to(origin);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(code_of(back[0].message), 3003);
  EXPECT_EQ(code_of(back[1].message), 3006);
  EXPECT_TRUE(inbox(alice).empty());
  EXPECT_TRUE(inbox(carol).empty());
  EXPECT_FALSE(has_request(bob, alice));
}

TEST_F(InboundTest, CrossingFriendRequestsMakeFriendsAtOnce) {
  online.log_in(alice, "away");
  add_request(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_request{bob, alice}, "r1"));
  EXPECT_TRUE(are_friends(alice, bob));
  EXPECT_FALSE(has_request(alice, bob));
  EXPECT_FALSE(has_request(bob, alice));
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "FRIEND_REQUEST_RESPONSE");
  EXPECT_EQ(str(payload(got[0]).at("sender")), alice);
  EXPECT_EQ(str(payload(got[0]).at("receiver")), bob);
  EXPECT_EQ(code_of(got[0]), 0);
  // beta hears the verdict (0) and alice's status.
  bool verdict = false, status = false;
  for (const auto& r : delivered_to(origin)) {
    EXPECT_EQ(r.to, std::vector<std::string>{bob});
    if (type_of(r.message) == "FRIEND_REQUEST_ACK") {
      verdict = true;
      EXPECT_EQ(code_of(r.message), 0);
      EXPECT_EQ(str(r.message.at("id")), "r1");
    } else if (type_of(r.message) == "USER_STATUS_UPDATE") {
      status = true;
      EXPECT_EQ(str(payload(r.message).at("username")), alice);
      EXPECT_EQ(str(payload(r.message).at("status")), "away");
    }
  }
  EXPECT_TRUE(verdict);
  EXPECT_TRUE(status);
}

TEST_F(InboundTest, AFriendRequestToSomeoneWhoBlocksTheRequesterIsStoredButNotDelivered) {
  online.log_in(alice);
  add_block(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_request{bob, alice}, "r1"));
  EXPECT_TRUE(has_request(bob, alice));
  EXPECT_TRUE(last.sends.empty());
  EXPECT_TRUE(inbox(alice).empty());
  const auto back = delivered_to(origin);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(code_of(back[0].message), 0);  // as for a request nobody answers
}

// ---- FRIEND_REQUEST_ACK --------------------------------------------------------------------

TEST_F(InboundTest, AVerdictWithoutAPendingRequestIsRefusedWith3007) {
  expect_refused(deliver_ev({alice}, p::friend_request_ack{alice, bob, 3003}), 3007);
  EXPECT_FALSE(are_friends(alice, bob));
  expect_refused(deliver_ev({alice}, p::friend_request_ack{alice, bob, 0}), 3007);
}

TEST_F(InboundTest, AVerdictFromANodeNotSpeakingForTheReceiverIs9005) {
  add_request(alice, mallory);
  expect_refused(deliver_ev({alice}, p::friend_request_ack{alice, mallory, 3003}), 9005, mallory);
  EXPECT_TRUE(has_request(alice, mallory));
}

TEST_F(InboundTest, AVerdictMustGoToTheRequesterOnly) {
  add_request(alice, bob);
  expect_refused(deliver_ev({carol}, p::friend_request_ack{alice, bob, 0}), 9003);
}

TEST_F(InboundTest, AVerdictOnAPendingRequestIsDeliveredAndTheRequestStaysPending) {
  online.log_in(alice);
  add_request(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_request_ack{alice, bob, 0}, std::nullopt, 0, "r1"));
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "FRIEND_REQUEST_ACK");
  EXPECT_EQ(code_of(got[0]), 0);
  EXPECT_EQ(str(got[0].at("id")), "r1");
  EXPECT_TRUE(has_request(alice, bob));
  EXPECT_FALSE(are_friends(alice, bob));
}

TEST_F(InboundTest, Verdict3003MakesThePairFriends) {
  add_request(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_request_ack{alice, bob, 3003}));
  EXPECT_TRUE(are_friends(alice, bob));
  EXPECT_FALSE(has_request(alice, bob));
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(code_of(waiting[0]), 3003);
}

TEST_F(InboundTest, Verdict3001EndsTheRequestAnd3006KeepsIt) {
  add_request(alice, bob);
  add_request(carol, bob);
  expect_applied(deliver_ev({alice}, p::friend_request_ack{alice, bob, 3001}));
  expect_applied(deliver_ev({carol}, p::friend_request_ack{carol, bob, 3006}));
  EXPECT_FALSE(has_request(alice, bob));
  EXPECT_FALSE(are_friends(alice, bob));
  EXPECT_TRUE(has_request(carol, bob));
  EXPECT_EQ(inbox(alice).size(), 1u);
  EXPECT_EQ(inbox(carol).size(), 1u);
}

TEST_F(InboundTest, AVerdictAfterCrossingRequestsIsDeliveredAndChangesNothing) {
  befriend(alice, bob);
  const auto before = dump();
  online.log_in(alice);
  expect_applied(deliver_ev({alice}, p::friend_request_ack{alice, bob, 0}));
  EXPECT_EQ(sent_to(last, alice).size(), 1u);
  EXPECT_EQ(changed_tables(before, dump()), "");
}

// ---- FRIEND_REQUEST_RESPONSE -----------------------------------------------------------------

TEST_F(InboundTest, AnAcceptedRequestMakesFriendsAndTheyExchangeStatuses) {
  online.log_in(alice, "busy");
  add_request(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_request_response{alice, bob, 0}));
  EXPECT_TRUE(are_friends(alice, bob));
  EXPECT_FALSE(has_request(alice, bob));
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "FRIEND_REQUEST_RESPONSE");
  EXPECT_EQ(code_of(got[0]), 0);
  const auto back = delivered_to(origin);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(type_of(back[0].message), "USER_STATUS_UPDATE");
  EXPECT_EQ(str(payload(back[0].message).at("username")), alice);
  EXPECT_EQ(str(payload(back[0].message).at("status")), "busy");
}

TEST_F(InboundTest, ARejectedRequestEndsWithoutFriendship) {
  add_request(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_request_response{alice, bob, 3004}));
  EXPECT_FALSE(are_friends(alice, bob));
  EXPECT_FALSE(has_request(alice, bob));
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(code_of(waiting[0]), 3004);
  EXPECT_TRUE(outbox(origin).empty());
}

TEST_F(InboundTest, AnAnswerToAWithdrawnRequestIsANoOp) {
  const auto before = dump();
  online.log_in(alice);
  const auto r = apply(deliver_ev({alice}, p::friend_request_response{alice, bob, 0}));
  EXPECT_EQ(r.code, 0) << r.reason;
  EXPECT_FALSE(are_friends(alice, bob));
  EXPECT_TRUE(last.sends.empty());
  EXPECT_EQ(changed_tables(before, dump()), "");
}

TEST_F(InboundTest, AnAnswerForAUserTheOriginDoesNotSpeakForIs9005) {
  add_request(alice, mallory);
  expect_refused(deliver_ev({alice}, p::friend_request_response{alice, mallory, 0}), 9005, mallory);
  EXPECT_TRUE(has_request(alice, mallory));
}

// ---- FRIEND_REMOVE ---------------------------------------------------------------------------

TEST_F(InboundTest, AFriendRemoveEndsTheFriendshipAndIsDelivered) {
  befriend(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_remove{bob, alice}));
  EXPECT_FALSE(are_friends(alice, bob));
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "FRIEND_REMOVE");
}

TEST_F(InboundTest, AFriendRemoveWithdrawsRequestsBothWays) {
  add_request(bob, alice);
  add_request(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_remove{bob, alice}));
  EXPECT_FALSE(has_request(bob, alice));
  EXPECT_FALSE(has_request(alice, bob));
}

TEST_F(InboundTest, AFriendRemoveFromSomeoneTheReceiverBlocksIsAppliedSilently) {
  befriend(alice, bob);
  add_block(alice, bob);
  expect_applied(deliver_ev({alice}, p::friend_remove{bob, alice}));
  EXPECT_FALSE(are_friends(alice, bob));
  EXPECT_TRUE(inbox(alice).empty());
}

TEST_F(InboundTest, AForgedFriendRemoveIs9005) {
  befriend(alice, mallory);
  expect_refused(deliver_ev({alice}, p::friend_remove{mallory, alice}), 9005, mallory);
  EXPECT_TRUE(are_friends(alice, mallory));
}

// ---- presence --------------------------------------------------------------------------------

TEST_F(InboundTest, AStatusGoesLiveToOnlineFriendsOnlyAndIsRemembered) {
  befriend(alice, bob);
  befriend(carol, bob);
  online.log_in(alice, "online", /*still_catching_up=*/true);  // presence is live, even now
  online.log_in(dave);                                          // online, but no friend
  const auto before = dump();
  expect_applied(deliver_ev({alice, carol, dave}, p::user_status_update{bob, "away"}));
  EXPECT_EQ(online.remote.at(bob), "away");
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "USER_STATUS_UPDATE");
  EXPECT_EQ(str(payload(got[0]).at("username")), bob);
  EXPECT_EQ(str(payload(got[0]).at("status")), "away");
  EXPECT_TRUE(sent_to(last, dave).empty());
  EXPECT_EQ(last.sends.size(), 1u);
  // Never kept in an inbox (carol is offline): nothing is written at all.
  EXPECT_EQ(changed_tables(before, dump()), "");
}

TEST_F(InboundTest, ALogoutMakesTheUserOfflineForTheirFriends) {
  befriend(alice, bob);
  online.log_in(alice);
  online.remote[bob] = "online";
  expect_applied(deliver_ev({alice}, p::user_logout{"bob"}));
  EXPECT_EQ(online.remote.count(bob), 0u);
  EXPECT_EQ(online.visible_status(bob), "offline");
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "USER_LOGOUT");
}

TEST_F(InboundTest, PresenceForAUserTheOriginDoesNotSpeakForIs9005) {
  befriend(alice, mallory);
  online.log_in(alice);
  expect_refused(deliver_ev({alice}, p::user_status_update{mallory, "away"}), 9005, mallory);
  EXPECT_EQ(online.remote.count(mallory), 0u);
  online.remote[mallory] = "online";
  expect_refused(deliver_ev({alice}, p::user_logout{mallory}), 9005, mallory);
  EXPECT_EQ(online.remote.at(mallory), "online");
}

// ---- TEXT_MESSAGE 1:1 ---------------------------------------------------------------------------

TEST_F(InboundTest, AFriendsTextIsStoredUnderThisNodesIdAndDelivered) {
  befriend(alice, bob);
  take_message_id();
  take_message_id();  // this node's next id is 3
  auto m = text_msg("bob", alice, "hello");
  m.message_id = "77";  // the origin's id: not this node's
  expect_applied(deliver_ev({alice}, m, std::nullopt, now - 10));
  EXPECT_EQ(history(alice), std::vector<std::uint64_t>{3});
  const auto stored = message(3);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->sender, bob);
  EXPECT_EQ(stored->receiver, alice);
  EXPECT_EQ(stored->content, "hello");
  EXPECT_EQ(stored->timestamp, now - 10);
  EXPECT_TRUE(stored->group_id.empty());
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "TEXT_MESSAGE");
  EXPECT_EQ(str(payload(waiting[0]).at("sender")), bob);
  EXPECT_EQ(str(payload(waiting[0]).at("receiver")), alice);
  EXPECT_EQ(str(payload(waiting[0]).at("messageId")), "3");
  EXPECT_EQ(waiting[0].at("timestamp").as_int64(), now - 10);
  EXPECT_TRUE(outbox(origin).empty());  // nothing goes back
}

TEST_F(InboundTest, AFriendsTextGoesLiveToAnOnlineReceiver) {
  befriend(alice, bob);
  online.log_in(alice);
  expect_applied(deliver_ev({alice}, text_msg(bob, alice, "hi")));
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(str(payload(got[0]).at("content")), "hi");
  EXPECT_EQ(str(payload(got[0]).at("messageId")), "1");
  EXPECT_TRUE(inbox(alice).empty());
  EXPECT_EQ(history(alice), std::vector<std::uint64_t>{1});
}

TEST_F(InboundTest, ATextFromSomeoneWhoIsNotAFriendIs7002) {
  add_request(bob, alice);
  expect_refused(deliver_ev({alice}, text_msg(bob, alice, "hi")), 7002);
  EXPECT_TRUE(history(alice).empty());
}

TEST_F(InboundTest, ATextFromAUserTheOriginDoesNotSpeakForIs9005) {
  befriend(alice, mallory);
  expect_refused(deliver_ev({alice}, text_msg(mallory, alice, "hi")), 9005, mallory);
}

TEST_F(InboundTest, ATextMustBeDeliveredToItsReceiverOnly) {
  befriend(alice, bob);
  befriend(carol, bob);
  expect_refused(deliver_ev({carol}, text_msg(bob, alice, "hi")), 9003);
  expect_refused(deliver_ev({alice, carol}, text_msg(bob, alice, "hi")), 9003);
}

TEST_F(InboundTest, APeerTimestampTooFarAheadIsReplacedByThisNodesClock) {
  cfg.max_clock_skew = 60;
  befriend(alice, bob);
  expect_applied(deliver_ev({alice}, text_msg(bob, alice, "at the bound"), std::nullopt, now + 60));
  expect_applied(deliver_ev({alice}, text_msg(bob, alice, "beyond"), std::nullopt, now + 61));
  expect_applied(deliver_ev({alice}, text_msg(bob, alice, "far future"), std::nullopt, 4'102'444'800));
  EXPECT_EQ(message(1)->timestamp, now + 60);
  EXPECT_EQ(message(2)->timestamp, now);
  EXPECT_EQ(message(3)->timestamp, now);
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 3u);
  EXPECT_EQ(waiting[1].at("timestamp").as_int64(), now);
}

TEST_F(InboundTest, APeerTimestampTooOldIsReplacedByThisNodesClock) {
  cfg.max_event_age = 3600;
  befriend(alice, bob);
  expect_applied(deliver_ev({alice}, text_msg(bob, alice, "at the bound"), std::nullopt, now - 3600));
  expect_applied(deliver_ev({alice}, text_msg(bob, alice, "too old"), std::nullopt, now - 3601));
  EXPECT_EQ(message(1)->timestamp, now - 3600);
  EXPECT_EQ(message(2)->timestamp, now);
}

// docs/federation.md "Checks on every event": kept within max_event_age_seconds, 30 days
// by default (node/config.hpp agrees).
TEST_F(InboundTest, ByDefaultAPeerTimestampUpToThirtyDaysOldIsKept) {
  befriend(alice, bob);
  const std::int64_t ten_days_ago = now - 10 * 24 * 3600;
  expect_applied(deliver_ev({alice}, text_msg(bob, alice, "old but fine"), std::nullopt, ten_days_ago));
  EXPECT_EQ(message(1)->timestamp, ten_days_ago);
}

// ---- group text from the group's home ----------------------------------------------------------

class InboundGroupTest : public InboundTest {
 protected:
  InboundGroupTest() { save_group(remote_group, group_of(bob, {bob, alice, carol})); }
};

TEST_F(InboundGroupTest, AGroupTextFromItsHomeIsStoredOnceForTheListedMembers) {
  online.log_in(alice);
  expect_applied(deliver_ev({alice, carol}, text_msg(bob, remote_group, "hi all", remote_group, "Club"), std::nullopt, now - 5));
  EXPECT_EQ(history(alice), std::vector<std::uint64_t>{1});
  EXPECT_EQ(history(carol), std::vector<std::uint64_t>{1});
  const auto stored = message(1);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->sender, bob);
  EXPECT_EQ(stored->receiver, remote_group);
  EXPECT_EQ(stored->group_id, remote_group);
  EXPECT_EQ(stored->group_name, "Club");
  EXPECT_EQ(stored->timestamp, now - 5);
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(str(payload(got[0]).at("groupId")), remote_group);
  EXPECT_EQ(str(payload(got[0]).at("messageId")), "1");
  EXPECT_EQ(str(payload(got[0]).at("sender")), bob);
  const auto waiting = inbox(carol);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(str(payload(waiting[0]).at("content")), "hi all");
}

TEST_F(InboundGroupTest, AGroupTextFromAMemberOfAnotherNodeRelayedByTheHomeIsAccepted) {
  save_group(remote_group, group_of(bob, {bob, alice, gus}));
  expect_applied(deliver_ev({alice}, text_msg(gus, remote_group, "from gamma", remote_group, "Club")));
  EXPECT_EQ(message(1)->sender, gus);
}

TEST_F(InboundGroupTest, AGroupTextFromANonMemberIs7003) {
  expect_refused(deliver_ev({alice}, text_msg(erin, remote_group, "hi", remote_group, "Club")), 7003, erin);
  expect_refused(deliver_ev({alice}, text_msg(dave, remote_group, "I never said this", remote_group, "Club")), 7003, dave);
}

TEST_F(InboundGroupTest, AGroupTextToANonMemberIs7003) {
  expect_refused(deliver_ev({alice, dave}, text_msg(bob, remote_group, "hi", remote_group, "Club")), 7003, dave);
  EXPECT_TRUE(history(alice).empty());
}

TEST_F(InboundGroupTest, AGroupTextForAGroupWithoutACopyHereIs7003) {
  const std::string other = "#other@beta.example";
  expect_refused(deliver_ev({alice}, text_msg(bob, other, "hi", other, "Other")), 7003);
}

TEST_F(InboundGroupTest, AGroupTextFromANodeThatDoesNotHomeTheGroupIs9005) {
  const std::string elsewhere = "#g@gamma.example";
  save_group(elsewhere, group_of(gus, {gus, bob, alice}));
  expect_refused(deliver_ev({alice}, text_msg(bob, elsewhere, "hi", elsewhere, "Club")), 9005, elsewhere);
  expect_refused(deliver_ev({alice}, text_msg(bob, local_group, "hi", local_group, "Club")), 9005, local_group);
}

TEST_F(InboundGroupTest, AMemberWhoBlocksTheSenderGetsNothing) {
  add_block(carol, bob);
  expect_applied(deliver_ev({alice, carol}, text_msg(bob, remote_group, "hi", remote_group, "Club")));
  EXPECT_EQ(history(alice).size(), 1u);
  EXPECT_TRUE(history(carol).empty());
  EXPECT_TRUE(inbox(carol).empty());
}

// ---- GROUP_INVITE and the home's other group events ------------------------------------------

TEST_F(InboundTest, AGroupInviteFromTheHomeIsDelivered) {
  expect_applied(deliver_ev({alice}, p::group_invite{bob, alice, "Club", remote_group}));
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "GROUP_INVITE");
  EXPECT_EQ(str(payload(waiting[0]).at("groupId")), remote_group);
}

TEST_F(InboundTest, AGroupInviteFromANodeThatDoesNotHomeTheGroupIs9005) {
  expect_refused(deliver_ev({alice}, p::group_invite{bob, alice, "Club", std::string("#g@gamma.example")}), 9005);
  expect_refused(deliver_ev({alice}, p::group_invite{bob, alice, "Club", local_group}), 9005);
  expect_refused(deliver_ev({alice}, p::group_invite{bob, alice, "Club", std::nullopt}), 9005, "no groupId");
}

TEST_F(InboundTest, AnInviteeWhoBlocksTheInviterGetsNothing) {
  add_block(alice, bob);
  online.log_in(carol);
  expect_applied(deliver_ev({alice, carol}, p::group_invite{bob, alice, "Club", remote_group}));
  EXPECT_TRUE(inbox(alice).empty());
  EXPECT_TRUE(sent_to(last, alice).empty());
  EXPECT_EQ(sent_to(last, carol).size(), 1u);
}

TEST_F(InboundTest, GroupEventsAreDeliveredOnlyFromTheGroupsHome) {
  expect_applied(deliver_ev({alice}, p::group_leave_ack{alice, "Club", 0, remote_group}, std::nullopt, 0, "q1"));
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "GROUP_LEAVE_ACK");
  EXPECT_EQ(str(waiting[0].at("id")), "q1");
  expect_refused(deliver_ev({alice}, p::group_leave{bob, "Club", std::string("#g@gamma.example")}), 9005);
  expect_refused(deliver_ev({alice}, p::group_leave_ack{alice, "Club", 0, std::nullopt}), 9005);
}

// ---- ERROR ------------------------------------------------------------------------------------

TEST_F(InboundTest, AnErrorAnsweringAForwardedGroupRequestIsDelivered) {
  expect_applied(deliver_ev({alice}, error_msg("GROUP_REMOVE")));
  expect_applied(deliver_ev({alice}, error_msg("TEXT_MESSAGE"), std::nullopt, 0, "q1"));  // it carries the request's id
  expect_applied(deliver_ev({alice}, error_msg(std::nullopt), "r1"));                     // it echoes a ref
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 3u);
  for (const auto& f : waiting) EXPECT_EQ(type_of(f), "ERROR");
  EXPECT_EQ(str(payload(waiting[0]).at("inReplyTo")), "GROUP_REMOVE");
  EXPECT_EQ(str(waiting[1].at("id")), "q1");
}

TEST_F(InboundTest, AnErrorThatAnswersNothingIs9003) {
  expect_refused(deliver_ev({alice}, error_msg(std::nullopt)), 9003);
  expect_refused(deliver_ev({alice}, error_msg("FRIEND_REQUEST")), 9003);
}

// ---- act: a member's group request to this node, the group's home ------------------------------

class InboundActTest : public InboundTest {
 protected:
  InboundActTest() { save_group(local_group, group_of(alice, {alice, bob, carol})); }
};

TEST_F(InboundActTest, AnActorOfAnotherDomainIs9005) {
  expect_refused(act_ev(mallory, p::group_leave{mallory, "Club", local_group}), 9005, mallory);
  expect_refused(act_ev(alice, p::group_leave{alice, "Club", local_group}), 9005);
  EXPECT_TRUE(load_group(local_group)->is_member(alice));
}

TEST_F(InboundActTest, ARequestNamingAnotherUserThanTheActorIs9005) {
  expect_refused(act_ev(erin, p::group_leave{bob, "Club", local_group}), 9005, bob);
  expect_refused(act_ev(erin, p::group_invite_response{alice, bob, "Club", 0, local_group}), 9005);
  expect_refused(act_ev(erin, text_msg(bob, local_group, "in bob's name")), 9005);
  EXPECT_TRUE(load_group(local_group)->is_member(bob));
}

TEST_F(InboundActTest, ARequestAboutAGroupNotHomedHereIs9005) {
  save_group(remote_group, group_of(bob, {bob, alice}));
  expect_refused(act_ev(bob, p::group_leave{bob, "Club", remote_group}), 9005, remote_group);
  expect_refused(act_ev(bob, p::group_leave{bob, "Club", std::string("#h@gamma.example")}), 9005);
  expect_refused(act_ev(bob, text_msg(bob, alice, "a 1:1 text is no group request")), 9005);
}

TEST_F(InboundActTest, ANonGroupRequestIs9002) {
  expect_refused(act_ev(bob, p::friend_request{bob, alice}), 9002);
  expect_refused(act_ev(bob, p::user_status_update{bob, "away"}), 9002);
}

TEST_F(InboundActTest, AnActWithoutActorOrRequestIsMalformed) {
  const std::string leave = encode(p::group_leave{bob, "Club", local_group});
  expect_refused(parse_event(R"({"kind":"act","request":)" + leave + "}"), 9003);
  expect_refused(parse_event(R"({"kind":"act","actor":"bob@beta.example"})"), 9003);
  expect_refused(parse_event(R"({"kind":"act","actor":"bob@beta.example","request":{"type":"GROUP_LEAVE","payload":{}}})"), 9003);
}

TEST_F(InboundActTest, ARemoteMemberLeavesTheGroupAndTheAnswerFollowsTheRecord) {
  expect_applied(act_ev(bob, p::group_leave{bob, "Club", local_group}, "q7"));
  const auto g = load_group(local_group);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->members, (std::vector<std::string>{alice, carol}));
  EXPECT_EQ(g->leader, alice);
  EXPECT_TRUE(groups_of(bob, store::group_role::member).empty());
  // beta gets this node's record first, then the GROUP_LEAVE_ACK for bob.
  const auto events = outbox(origin);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(str(events[0].at("kind")), "group");
  EXPECT_EQ(str(events[0].at("groupId")), local_group);
  const auto record = store::decode_group(events[0].at("group").as_object());
  ASSERT_TRUE(record);
  EXPECT_EQ(record->members, (std::vector<std::string>{alice, carol}));
  EXPECT_EQ(str(events[1].at("kind")), "deliver");
  EXPECT_EQ(events[1].at("to").as_array(), json::array{bob});
  const auto& ack = events[1].at("message").as_object();
  EXPECT_EQ(type_of(ack), "GROUP_LEAVE_ACK");
  EXPECT_EQ(code_of(ack), 0);
  EXPECT_EQ(str(ack.at("id")), "q7");
  EXPECT_TRUE(last.pokes.count(origin));
  // The local members hear of it.
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "GROUP_LEAVE");
  EXPECT_EQ(str(payload(waiting[0]).at("sender")), bob);
  EXPECT_EQ(inbox(carol).size(), 1u);
}

TEST_F(InboundActTest, AFailedRequestStillSendsTheRecordAheadOfTheAnswer) {
  expect_applied(act_ev(erin, p::group_leave{erin, "Club", local_group}));
  const auto events = outbox(origin);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(str(events[0].at("kind")), "group");
  const auto& ack = events[1].at("message").as_object();
  EXPECT_EQ(type_of(ack), "GROUP_LEAVE_ACK");
  EXPECT_EQ(code_of(ack), 4004);
  EXPECT_EQ(load_group(local_group)->members, (std::vector<std::string>{alice, bob, carol}));
}

TEST_F(InboundActTest, AGroupTextIsStoredForLocalMembersFannedOutAndNotAnswered) {
  save_group(local_group, group_of(alice, {alice, bob, carol, gus}));
  online.log_in(alice);
  expect_applied(act_ev(bob, text_msg("bob", local_group, "hello group", local_group)));
  EXPECT_EQ(history(alice), std::vector<std::uint64_t>{1});
  EXPECT_EQ(history(carol), std::vector<std::uint64_t>{1});
  const auto stored = message(1);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->sender, bob);
  EXPECT_EQ(stored->group_id, local_group);
  EXPECT_EQ(stored->content, "hello group");
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(type_of(got[0]), "TEXT_MESSAGE");
  EXPECT_EQ(str(payload(got[0]).at("sender")), bob);
  EXPECT_EQ(inbox(carol).size(), 1u);
  // gamma's member gets it through gamma; the origin answered bob itself: nothing for beta
  // (no ACK, no record).
  const auto fanned = delivered_to("gamma.example");
  ASSERT_EQ(fanned.size(), 1u);
  EXPECT_EQ(fanned[0].to, std::vector<std::string>{gus});
  EXPECT_EQ(type_of(fanned[0].message), "TEXT_MESSAGE");
  EXPECT_TRUE(outbox(origin).empty());
  EXPECT_FALSE(last.pokes.count(origin));
}

TEST_F(InboundActTest, AnInvitationAnswerOfARemoteInviteeIsApplied) {
  save_group(local_group, group_of(alice, {alice}, {{bob, alice}}));
  expect_applied(act_ev(bob, p::group_invite_response{alice, bob, "Club", 0, local_group}));
  const auto g = load_group(local_group);
  EXPECT_EQ(g->members, (std::vector<std::string>{alice, bob}));
  EXPECT_TRUE(g->invited.empty());
  const auto waiting = inbox(alice);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(type_of(waiting[0]), "GROUP_INVITE_RESPONSE");
  const auto events = outbox(origin);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(str(events[0].at("kind")), "group");
}

// ---- group: the home's record --------------------------------------------------------------------

TEST_F(InboundTest, ARecordFromTheHomeIsKeptAsTheCopy) {
  const auto g = group_of(bob, {bob, alice}, {{carol, bob}});
  expect_applied(group_ev(remote_group, g));
  const auto copy = load_group(remote_group);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->name, "Club");
  EXPECT_EQ(copy->leader, bob);
  EXPECT_EQ(copy->members, (std::vector<std::string>{bob, alice}));
  ASSERT_EQ(copy->invited.size(), 1u);
  EXPECT_EQ(copy->invited[0].user, carol);
  EXPECT_EQ(groups_of(alice, store::group_role::member), std::vector<std::string>{remote_group});
  EXPECT_EQ(groups_of(carol, store::group_role::invited), std::vector<std::string>{remote_group});
  EXPECT_TRUE(last.sends.empty());
  EXPECT_TRUE(last.pokes.empty());
}

TEST_F(InboundTest, ARecordWithoutLocalUsersIsNotKeptAndDropsTheCopy) {
  expect_applied(group_ev(remote_group, group_of(bob, {bob, erin})));
  EXPECT_FALSE(load_group(remote_group));
  save_group(remote_group, group_of(bob, {bob, alice}));
  expect_applied(group_ev(remote_group, group_of(bob, {bob, erin})));
  EXPECT_FALSE(load_group(remote_group));
  EXPECT_TRUE(groups_of(alice, store::group_role::member).empty());
}

TEST_F(InboundTest, ANullRecordDeletesTheCopyAndItsPendingChanges) {
  save_group(remote_group, group_of(bob, {bob, alice}));
  in_write([](store::txn& t) { store::group_pending_add(t, remote_group, {stream, 4}, 'l', alice); });
  expect_applied(group_ev(remote_group, std::nullopt));
  EXPECT_FALSE(load_group(remote_group));
  EXPECT_TRUE(groups_of(alice, store::group_role::member).empty());
  EXPECT_TRUE(read([](const store::txn& t) { return store::group_pending(t, remote_group); }).empty());
}

TEST_F(InboundTest, ARecordFromANodeThatDoesNotHomeTheGroupIs9005) {
  const std::string elsewhere = "#g@gamma.example";
  save_group(elsewhere, group_of(gus, {gus, alice}));
  expect_refused(group_ev(elsewhere, group_of(bob, {bob})), 9005, elsewhere);
  expect_refused(group_ev(elsewhere, std::nullopt), 9005);
  expect_refused(group_ev(local_group, group_of(bob, {bob, alice})), 9005);
  expect_refused(group_ev("g@beta.example", group_of(bob, {bob, alice})), 9005);  // not a group id
  EXPECT_TRUE(load_group(elsewhere));
}

TEST_F(InboundTest, AGroupEventNeedsAnIdAndARecord) {
  expect_refused(parse_event(R"({"kind":"group","group":null})"), 9003);
  expect_refused(parse_event(R"({"kind":"group","groupId":"#g@beta.example"})"), 9003);
  expect_refused(parse_event(R"({"kind":"group","groupId":"#g@beta.example","group":5})"), 9003);
  expect_refused(parse_event(R"({"kind":"group","groupId":"#g@beta.example","group":{"name":"Club"}})"), 9003);
}

TEST_F(InboundTest, LocalUsersWhoNoLongerExistAreLeftOutOfTheCopy) {
  expect_applied(group_ev(remote_group, group_of(bob, {bob, alice, ghost}, {{"phantom@alpha.example", bob}, {carol, bob}})));
  const auto copy = load_group(remote_group);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->members, (std::vector<std::string>{bob, alice}));
  ASSERT_EQ(copy->invited.size(), 1u);
  EXPECT_EQ(copy->invited[0].user, carol);
  EXPECT_TRUE(groups_of(ghost, store::group_role::member).empty());
}

TEST_F(InboundTest, PendingAnswersTheHomeHadNotReadAreAppliedAgainAndReadOnesDropped) {
  // Before: alice a member; carol and dave invited. Both answered here (forwarded to beta
  // as this node's events 5 and 9): dave declined, carol accepted.
  save_group(remote_group, group_of(bob, {bob, alice}, {{carol, bob}, {dave, bob}}));
  in_write([](store::txn& t) {
    store::group_pending_add(t, remote_group, {stream, 5}, 'd', dave);
    store::group_pending_add(t, remote_group, {stream, 9}, 'a', carol);
  });
  // The home's record has read event 5 (and still lists dave: the home re-invited him)
  // but not 9: carol's acceptance is applied on top, dave's decline is not.
  expect_applied(group_ev(remote_group, group_of(bob, {bob, alice}, {{carol, bob}, {dave, bob}}), 5));
  const auto copy = load_group(remote_group);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->members, (std::vector<std::string>{bob, alice, carol}));
  ASSERT_EQ(copy->invited.size(), 1u);
  EXPECT_EQ(copy->invited[0].user, dave);
  const auto pending = read([](const store::txn& t) { return store::group_pending(t, remote_group); });
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].user, carol);
  EXPECT_EQ(pending[0].at.seq, 9u);
  // A record that has read event 9 too is taken as it is, and the last change is dropped.
  expect_applied(group_ev(remote_group, group_of(bob, {bob, alice}, {{dave, bob}}), 9));
  EXPECT_EQ(load_group(remote_group)->members, (std::vector<std::string>{bob, alice}));
  EXPECT_TRUE(read([](const store::txn& t) { return store::group_pending(t, remote_group); }).empty());
}

TEST_F(InboundTest, APendingLeaveIsAppliedAgainAndPassesTheLeadership) {
  save_group(remote_group, group_of(alice, {alice, bob, carol}));
  in_write([](store::txn& t) { store::group_pending_add(t, remote_group, {stream, 3}, 'l', alice); });
  expect_applied(group_ev(remote_group, group_of(alice, {alice, bob, carol})));  // no `seen`: read nothing
  const auto copy = load_group(remote_group);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->members, (std::vector<std::string>{bob, carol}));
  EXPECT_EQ(copy->leader, bob);
  EXPECT_TRUE(groups_of(alice, store::group_role::member).empty());
  EXPECT_EQ(read([](const store::txn& t) { return store::group_pending(t, remote_group); }).size(), 1u);
}

// ---- reset --------------------------------------------------------------------------------------

TEST_F(InboundTest, AResetMakesTheOriginsUsersOfflineAndSendsItOurStatuses) {
  add_user("eve");
  const std::string eve = "eve@alpha.example";
  befriend(alice, bob);
  befriend(alice, erin);
  befriend(carol, bob);  // offline: hears nothing, tells nothing
  befriend(eve, bob);    // online but invisible: hears, tells nothing
  befriend(dave, gus);   // online, no friend at beta
  online.log_in(alice, "busy");
  online.log_in(dave);
  online.log_in(eve, "offline");
  online.remote = {{bob, "away"}, {erin, "online"}, {gus, "busy"}};
  expect_applied(parse_event(R"({"kind":"reset"})"));
  // beta's users are offline here now; gamma's are not touched.
  EXPECT_EQ(online.remote, (std::map<std::string, std::string>{{gus, "busy"}}));
  const auto got = sent_to(last, alice);
  ASSERT_EQ(got.size(), 2u);
  std::set<std::string> offline;
  for (const auto& f : got) {
    EXPECT_EQ(type_of(f), "USER_STATUS_UPDATE");
    EXPECT_EQ(str(payload(f).at("status")), "offline");
    offline.insert(str(payload(f).at("username")));
  }
  EXPECT_EQ(offline, (std::set<std::string>{bob, erin}));
  EXPECT_TRUE(sent_to(last, dave).empty());
  const auto to_eve = sent_to(last, eve);  // logged in, though invisible: she hears it
  ASSERT_EQ(to_eve.size(), 1u);
  EXPECT_EQ(str(payload(to_eve[0]).at("username")), bob);
  EXPECT_EQ(str(payload(to_eve[0]).at("status")), "offline");
  EXPECT_TRUE(inbox(carol).empty());
  // beta is told alice's status, once for both her friends there.
  const auto back = delivered_to(origin);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].to, (std::vector<std::string>{bob, erin}));
  EXPECT_EQ(type_of(back[0].message), "USER_STATUS_UPDATE");
  EXPECT_EQ(str(payload(back[0].message).at("username")), alice);
  EXPECT_EQ(str(payload(back[0].message).at("status")), "busy");
  EXPECT_TRUE(outbox("gamma.example").empty());
}

TEST_F(InboundActTest, AnActWithTheRequestAsAStringIsMalformed) {
  json::object ev{{"kind", "act"}, {"actor", bob}, {"request", encode(p::group_leave{bob, "Club", local_group})}};
  expect_refused(parse_event(json::serialize(ev)), 9003, "request");
}

}  // namespace
}  // namespace chatnode::core::testing
