// Blocks in the router (docs/protocol.md §15): USER_BLOCK / USER_UNBLOCK / BLOCK_LIST codes,
// the cap, the friendship a block ends, and what stops reaching the blocker, from users of
// this node and from events of other nodes (checked here, whatever the other node does).
#include "social_fixture.hpp"


#include "crypto/encoding.hpp"
#include "store/keys.hpp"

#include <gtest/gtest.h>

namespace chatnode::node {
namespace {
namespace json = boost::json;
using testing::fake_session;

constexpr const char* alice_id = "alice@alpha.example";
constexpr const char* bob_id = "bob@alpha.example";
constexpr const char* xavier = "xavier@beta.example";  // a user of another node

class RouterBlocksTest : public testing::social_fixture {
 protected:
  RouterBlocksTest() : social_fixture([](config& c) { c.limits.max_blocks = 3; }) {}

  json::object block(const std::shared_ptr<fake_session>& s, const std::string& me, const std::string& who,
                     const std::string& type = "USER_BLOCK") {
    send(s, R"({"type":")" + type + R"(","id":"b","payload":{"sender":")" + me + R"(","receiver":")" + who + R"("}})");
    return next_of(s, type + "_ACK");
  }
  json::object list(const std::shared_ptr<fake_session>& s, const std::string& me, const std::string& what) {
    send(s, R"({"type":")" + what + R"(","payload":{"username":")" + me + R"("}})");
    return next_of(s, what.substr(0, what.size() - std::string("REQUEST").size()) + "RESPONSE");
  }
  static std::vector<std::string> strings_at(const json::object& m, std::string_view key) {
    std::vector<std::string> out;
    for (const auto& v : m.at("payload").at(key).as_array()) out.emplace_back(v.is_string() ? v.as_string() : v.at("user").as_string());
    return out;
  }
  bool in_history(const std::string& user, std::string_view content) {
    auto t = db_->begin_read();
    bool found = false;
    store::for_each_under(t, store::table_id::history, user, [&](std::string_view suffix, std::string_view) {
      auto m = store::load_message(t, store::read_be64(suffix));
      found = found || (m && m->content == content);
      return true;
    });
    return found;
  }
  // A group homed on beta.example as beta would announce it.
  static json::object group_event(const std::string& gid, const std::string& name, std::vector<std::string> members,
                                  std::vector<std::pair<std::string, std::string>> invited = {}) {
    json::array m, i;
    for (auto& u : members) m.emplace_back(u);
    for (auto& [u, by] : invited) i.emplace_back(json::object{{"user", u}, {"inviter", by}});
    return json::object{{"kind", "group"},
                        {"groupId", gid},
                        {"group", json::object{{"name", name}, {"leader", members.front()}, {"members", std::move(m)},
                                               {"invited", std::move(i)}, {"created", 1}}}};
  }
};

TEST_F(RouterBlocksTest, BlockUnblockAndTheBlockList) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto r = block(alice, "alice", "alice");
  EXPECT_EQ(code(r), 11001);
  EXPECT_EQ(r.at("payload").at("receiver"), alice_id);
  r = block(alice, "alice", "Bob");
  EXPECT_EQ(code(r), 0);
  EXPECT_EQ(r.at("id"), "b");
  EXPECT_EQ(r.at("payload").at("sender"), alice_id);
  EXPECT_EQ(r.at("payload").at("receiver"), bob_id);
  EXPECT_EQ(code(block(alice, "alice", "bob")), 0);                // again: nothing changes
  EXPECT_EQ(code(block(alice, "alice", "nobody")), 0);             // unknown here: allowed
  EXPECT_EQ(code(block(alice, "alice", "Xavier@Beta.Example")), 0);  // another node's user
  EXPECT_EQ(strings_at(list(alice, "alice", "BLOCK_LIST_REQUEST"), "blocked"),
            (std::vector<std::string>{bob_id, "nobody@alpha.example", xavier}));
  EXPECT_EQ(code(block(alice, "alice", "carol")), 11003);  // limits.max_blocks = 3
  EXPECT_EQ(code(block(alice, "alice", "bob", "USER_UNBLOCK")), 0);
  EXPECT_EQ(code(block(alice, "alice", "bob", "USER_UNBLOCK")), 11002);
  EXPECT_EQ(code(block(alice, "alice", "alice", "USER_UNBLOCK")), 11002);
  EXPECT_EQ(code(block(alice, "alice", "carol")), 0);
  EXPECT_EQ(strings_at(list(alice, "alice", "BLOCK_LIST_REQUEST"), "blocked"),
            (std::vector<std::string>{"carol@alpha.example", "nobody@alpha.example", xavier}));
  // Only for yourself; not before login; a group is no user.
  send(alice, R"({"type":"USER_BLOCK","payload":{"sender":"bob","receiver":"carol"}})");
  EXPECT_EQ(code(next_of(alice, "ERROR")), 9005);
  send(alice, R"({"type":"BLOCK_LIST_REQUEST","payload":{"username":"bob"}})");
  EXPECT_EQ(code(next_of(alice, "ERROR")), 9005);
  send(alice, R"({"type":"USER_BLOCK","payload":{"sender":"alice","receiver":"#g1@alpha.example"}})");
  EXPECT_EQ(code(next_of(alice, "ERROR")), 9003);
  auto anonymous = session();
  EXPECT_EQ(code(request(anonymous, R"({"type":"USER_BLOCK","payload":{"sender":"alice","receiver":"bob"}})")), 9004);
  // bob was never told.
  EXPECT_EQ(types_of(drain(bob, "bob")), std::vector<std::string>{});
}

TEST_F(RouterBlocksTest, ABlockEndsTheFriendshipAndPendingRequestsAsFriendRemoveDoes) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto carol = user("carol");
  befriend(alice, "alice", bob, "bob");
  send(carol, R"({"type":"FRIEND_REQUEST","payload":{"sender":"carol","receiver":"alice"}})");
  EXPECT_EQ(code(next_of(carol, "FRIEND_REQUEST_ACK")), 0);
  next_of(alice, "FRIEND_REQUEST");
  EXPECT_EQ(code(block(alice, "alice", "bob")), 0);
  EXPECT_EQ(code(block(alice, "alice", "carol")), 0);
  auto removed = drain(bob, "bob");
  ASSERT_EQ(types_of(removed), (std::vector<std::string>{"FRIEND_REMOVE"}));
  EXPECT_EQ(removed[0].at("payload").at("sender"), alice_id);
  EXPECT_EQ(types_of(drain(carol, "carol")), (std::vector<std::string>{"FRIEND_REMOVE"}));
  auto friends = list(alice, "alice", "FRIEND_LIST_REQUEST");
  EXPECT_TRUE(friends.at("payload").at("friends").as_array().empty());
  EXPECT_TRUE(friends.at("payload").at("incoming").as_array().empty());
  EXPECT_TRUE(list(bob, "bob", "FRIEND_LIST_REQUEST").at("payload").at("friends").as_array().empty());
  // A block is no friendship to end: blocking again tells nobody anything.
  EXPECT_EQ(code(block(alice, "alice", "bob")), 0);
  EXPECT_EQ(types_of(drain(bob, "bob")), std::vector<std::string>{});
}

TEST_F(RouterBlocksTest, ABlockedUsersRequestLooksPendingAndNeverArrives) {
  auto alice = user("alice");
  auto bob = user("bob");
  ASSERT_EQ(code(block(alice, "alice", "bob")), 0);
  send(bob, R"({"type":"FRIEND_REQUEST","payload":{"sender":"bob","receiver":"alice"}})");
  EXPECT_EQ(code(next_of(bob, "FRIEND_REQUEST_ACK")), 0);
  send(bob, R"({"type":"FRIEND_REQUEST","payload":{"sender":"bob","receiver":"alice"}})");
  EXPECT_EQ(code(next_of(bob, "FRIEND_REQUEST_ACK")), 3006);  // as for any request still unanswered
  EXPECT_EQ(strings_at(list(bob, "bob", "FRIEND_LIST_REQUEST"), "outgoing"), (std::vector<std::string>{alice_id}));
  EXPECT_TRUE(list(alice, "alice", "FRIEND_LIST_REQUEST").at("payload").at("incoming").as_array().empty());
  send(bob, R"({"type":"TEXT_MESSAGE","payload":{"sender":"bob","receiver":"alice","content":"hi"}})");
  EXPECT_EQ(code(next_of(bob, "TEXT_MESSAGE_ACK")), 7002);
  // The blocker cannot answer or ask while blocking.
  send(alice, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":"bob","receiver":"alice","code":0}})");
  EXPECT_EQ(code(next_of(alice, "ERROR")), 3007);
  send(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})");
  EXPECT_EQ(code(next_of(alice, "FRIEND_REQUEST_ACK")), 11004);
  // A withdrawal does not reach her either.
  send(bob, R"({"type":"FRIEND_REMOVE","payload":{"sender":"bob","receiver":"alice"}})");
  EXPECT_EQ(code(next_of(bob, "FRIEND_REMOVE_ACK")), 0);
  EXPECT_EQ(types_of(drain(alice, "alice")), std::vector<std::string>{});

  // Asked again while blocked, then unblocked: the request waits in her list; her own
  // request accepts it (crossing requests).
  send(bob, R"({"type":"FRIEND_REQUEST","payload":{"sender":"bob","receiver":"alice"}})");
  EXPECT_EQ(code(next_of(bob, "FRIEND_REQUEST_ACK")), 0);
  EXPECT_EQ(code(block(alice, "alice", "bob", "USER_UNBLOCK")), 0);
  EXPECT_EQ(strings_at(list(alice, "alice", "FRIEND_LIST_REQUEST"), "incoming"), (std::vector<std::string>{bob_id}));
  send(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})");
  EXPECT_EQ(code(next_of(alice, "FRIEND_REQUEST_ACK")), 0);
  EXPECT_EQ(code(next_of(bob, "FRIEND_REQUEST_RESPONSE")), 0);
  EXPECT_EQ(strings_at(list(alice, "alice", "FRIEND_LIST_REQUEST"), "friends"), (std::vector<std::string>{bob_id}));
}

TEST_F(RouterBlocksTest, AGroupTextOfABlockedMemberDoesNotReachTheBlocker) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto carol = user("carol");
  befriend(alice, "alice", bob, "bob");
  befriend(alice, "alice", carol, "carol");
  const std::string gid = group(alice, "alice", "G", {{bob, "bob"}, {carol, "carol"}});
  ASSERT_EQ(code(block(carol, "carol", "bob")), 0);
  for (const auto& [s, n] : {std::pair{alice, "alice"}, {bob, "bob"}, {carol, "carol"}}) drain(s, n);
  send(bob, R"({"type":"TEXT_MESSAGE","payload":{"sender":"bob","receiver":")" + gid + R"(","content":"from bob"}})");
  EXPECT_EQ(code(next_of(bob, "TEXT_MESSAGE_ACK")), 0);
  EXPECT_EQ(next_of(alice, "TEXT_MESSAGE").at("payload").at("content"), "from bob");
  EXPECT_EQ(types_of(drain(carol, "carol")), std::vector<std::string>{});
  EXPECT_TRUE(in_history(alice_id, "from bob"));
  EXPECT_TRUE(in_history(bob_id, "from bob"));
  EXPECT_FALSE(in_history("carol@alpha.example", "from bob"));
  // The blocker's own messages still reach the group, the blocked member included.
  send(carol, R"({"type":"TEXT_MESSAGE","payload":{"sender":"carol","receiver":"G","content":"from carol"}})");
  EXPECT_EQ(code(next_of(carol, "TEXT_MESSAGE_ACK")), 0);
  EXPECT_EQ(next_of(bob, "TEXT_MESSAGE").at("payload").at("content"), "from carol");
  EXPECT_EQ(next_of(alice, "TEXT_MESSAGE").at("payload").at("content"), "from carol");
  // Group events that are not messages still reach everyone (the group stays coherent).
  send(bob, R"({"type":"GROUP_LEAVE","payload":{"sender":"bob","groupId":")" + gid + R"(","group":"G"}})");
  EXPECT_EQ(code(next_of(bob, "GROUP_LEAVE_ACK")), 0);
  EXPECT_EQ(next_of(carol, "GROUP_LEAVE").at("payload").at("sender"), bob_id);
}

TEST_F(RouterBlocksTest, BlocksHoldForEventsFromOtherNodes) {
  auto alice = user("alice");
  auto bob = user("bob");
  ASSERT_EQ(code(block(alice, "alice", xavier)), 0);

  // A friend request: beta hears "pending" (ACK 0) as for anyone who does not answer.
  auto r = receive("beta.example", [] {
    auto ev = deliver_event({alice_id}, std::string(R"({"type":"FRIEND_REQUEST","payload":{"sender":")") + xavier +
                                            R"(","receiver":"alice@alpha.example"}})");
    ev["ref"] = "q1";
    return ev;
  }());
  ASSERT_EQ(r.code, 0) << r.reason;
  const auto verdicts = delivered_to("beta.example");
  ASSERT_FALSE(verdicts.empty());
  EXPECT_EQ(verdicts.back().at("type"), "FRIEND_REQUEST_ACK");
  EXPECT_EQ(verdicts.back().at("payload").at("code"), 0);
  EXPECT_EQ(verdicts.back().at("id"), "q1");
  EXPECT_TRUE(list(alice, "alice", "FRIEND_LIST_REQUEST").at("payload").at("incoming").as_array().empty());
  // Its withdrawal is not shown either.
  r = receive("beta.example", deliver_event({alice_id}, std::string(R"({"type":"FRIEND_REMOVE","payload":{"sender":")") +
                                                            xavier + R"(","receiver":"alice@alpha.example"}})"));
  ASSERT_EQ(r.code, 0) << r.reason;

  // A group homed on beta with alice and bob in it: xavier's message reaches bob only.
  const std::string g1 = "#g1@beta.example";
  ASSERT_EQ(receive("beta.example", group_event(g1, "Mixed", {xavier, alice_id, bob_id})).code, 0);
  r = receive("beta.example",
              deliver_event({alice_id, bob_id}, std::string(R"({"type":"TEXT_MESSAGE","payload":{"sender":")") + xavier +
                                                    R"(","receiver":")" + g1 + R"(","content":"from xavier","messageId":"9","groupId":")" +
                                                    g1 + R"(","group":"Mixed"}})"));
  ASSERT_EQ(r.code, 0) << r.reason;
  EXPECT_EQ(next_of(bob, "TEXT_MESSAGE").at("payload").at("content"), "from xavier");
  EXPECT_TRUE(in_history(bob_id, "from xavier"));
  EXPECT_FALSE(in_history(alice_id, "from xavier"));

  // xavier's group media likewise: published for bob, not offered to alice.
  const std::string bytes = "media bytes";
  const std::string sha = crypto::to_hex(crypto::sha256_digest(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())));
  r = receive("beta.example", json::object{{"kind", "media"}, {"mediaId", "pic"}, {"sender", xavier}, {"receiver", g1},
                                           {"group", "Mixed"}, {"mediaType", "text/plain"}, {"mediaSize", static_cast<std::int64_t>(bytes.size())},
                                           {"totalChunks", 1}, {"sha256", sha}, {"timestamp", 1700000000},
                                           {"to", json::array{alice_id, bob_id}}});
  ASSERT_EQ(r.code, 0) << r.reason;
  run([&](store::txn& t) {
    auto m = store::load_media(t, "pic");
    ASSERT_TRUE(m);
    t.put(store::table_id::media_chunks, store::chunk_key("pic", 1), bytes);
    m->bytes = bytes.size();
    m->chunks = 1;
    store::save_media(t, "pic", *m);
  });
  std::promise<fetch_outcome> fetched;
  router_->finish_fetch("pic", [&](fetch_outcome o) { fetched.set_value(o); });
  ASSERT_EQ(fetched.get_future().get(), fetch_outcome::published);
  EXPECT_EQ(next_of(bob, "MEDIA_MESSAGE").at("payload").at("sender"), xavier);
  {
    auto t = db_->begin_read();
    EXPECT_TRUE(t.get(store::table_id::media_deliveries, store::key2(bob_id, "pic")));
    EXPECT_FALSE(t.get(store::table_id::media_deliveries, store::key2(alice_id, "pic")));
  }

  // An invitation from xavier: bob gets his and sees it listed; alice neither.
  const std::string g2 = "#g2@beta.example";
  ASSERT_EQ(receive("beta.example", group_event(g2, "Invite", {xavier}, {{alice_id, xavier}, {bob_id, xavier}})).code, 0);
  for (const std::string invitee : {alice_id, bob_id}) {
    r = receive("beta.example", deliver_event({invitee}, std::string(R"({"type":"GROUP_INVITE","payload":{"sender":")") +
                                                             xavier + R"(","receiver":")" + invitee +
                                                             R"(","group":"Invite","groupId":")" + g2 + R"("}})"));
    ASSERT_EQ(r.code, 0) << r.reason;
  }
  EXPECT_EQ(next_of(bob, "GROUP_INVITE").at("payload").at("groupId"), json::value(g2));
  EXPECT_EQ(list(bob, "bob", "GROUP_LIST_REQUEST").at("payload").at("invitations").as_array().size(), 1u);
  EXPECT_TRUE(list(alice, "alice", "GROUP_LIST_REQUEST").at("payload").at("invitations").as_array().empty());
  EXPECT_EQ(types_of(drain(alice, "alice")), std::vector<std::string>{});
}

}  // namespace
}  // namespace chatnode::node
