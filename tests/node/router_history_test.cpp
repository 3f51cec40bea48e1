// Message-history sync (docs/protocol.md §12) driven through the router without sockets:
// a real LMDB store seeded with store::store_message, a logged-in fake session, and every
// reply of the RESPONSE / BEGIN / DATA / COMPLETE exchange checked.
#include "router_fixture.hpp"

#include "store/tables.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <vector>

namespace chatnode::node {
namespace {
using testing::fake_session;
namespace json = boost::json;

constexpr const char* alice = "alice@alpha.example";
constexpr const char* bob = "bob@alpha.example";
constexpr const char* carol = "carol@alpha.example";
constexpr const char* book_club = "#bookclub@alpha.example";
constexpr std::int64_t base_time = 1700000000;

class RouterHistoryTest : public testing::router_fixture {
 protected:
  // A session logged in as `name` (registered first).
  std::shared_ptr<fake_session> logged_in(const std::string& name) {
    auto s = std::make_shared<fake_session>();
    auto r = request(s, R"({"type":"REGISTER_REQUEST","payload":{"username":")" + name + R"(","passwordHash":"pw"}})");
    EXPECT_EQ(code(r), 0) << json::serialize(r);
    r = request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":")" + name + R"(","passwordHash":"pw"}})");
    EXPECT_EQ(code(r), 0) << json::serialize(r);
    // Whatever the login brings (inbox, presence) is not part of these tests.
    while (s->pending() > 0) s->next();
    return s;
  }
  void register_only(const std::string& name) {
    auto s = std::make_shared<fake_session>();
    bystanders_.push_back(s);  // kept alive: resumes_ is keyed by address
    EXPECT_EQ(code(request(s, R"({"type":"REGISTER_REQUEST","payload":{"username":")" + name +
                                  R"(","passwordHash":"pw"}})")),
              0);
  }

  // Runs `job` as a writer job and waits for its commit.
  void write(std::function<void(store::txn&)> job) {
    std::promise<std::error_code> done;
    writer_->submit(std::move(job), [&done](std::error_code ec) { done.set_value(ec); });
    ASSERT_FALSE(done.get_future().get());
  }
  // Message `id` from `from` to `to` (a user, or the group `group_id`), in the history of
  // each of `owners`.
  static void put_message(store::txn& t, std::uint64_t id, const std::string& from, const std::string& to,
                          std::vector<std::string_view> owners, std::int64_t time, const std::string& group_name = {}) {
    store::stored_message m;
    m.timestamp = time;
    m.sender = from;
    m.receiver = to;
    m.content = "message " + std::to_string(id);
    if (!group_name.empty()) {
      m.group_id = to;
      m.group_name = group_name;
    }
    store::store_message(t, id, m, owners);
  }
  // `n` messages between alice and bob, ids 1..n, alternating direction, timestamps
  // base_time + id.
  void seed_alice_bob(std::uint64_t n) {
    write([n](store::txn& t) {
      for (std::uint64_t id = 1; id <= n; ++id) {
        const bool from_alice = id % 2 == 1;
        put_message(t, id, from_alice ? alice : bob, from_alice ? bob : alice, {alice, bob},
                    base_time + static_cast<std::int64_t>(id));
      }
    });
  }

  static std::string type(const json::object& m) { return std::string(m.at("type").as_string()); }

  static std::string history_request(const std::string& filters = {}, const std::string& id = "h1") {
    return R"({"type":"MESSAGE_HISTORY_REQUEST","id":")" + id + R"(","payload":{"username":"alice")" +
           (filters.empty() ? "" : "," + filters) + "}}";
  }
  // The acks carry code 0; AcksMayOmitTheCode checks the bare form of docs §12.
  static std::string begin_ack() {
    return R"({"type":"MESSAGE_HISTORY_BEGIN_ACK","payload":{"username":"alice","code":0}})";
  }
  static std::string data_ack(std::uint32_t chunk) {
    return R"({"type":"MESSAGE_HISTORY_DATA_ACK","id":"d)" + std::to_string(chunk) +
           R"(","payload":{"username":"alice","code":0,"chunkIndex":)" + std::to_string(chunk) + "}}";
  }
  static std::string complete_ack() {
    return R"({"type":"MESSAGE_HISTORY_COMPLETE_ACK","payload":{"username":"alice","code":0}})";
  }

  // Runs a whole sync for `filters` on `s` and returns the DATA chunks' messages, checking
  // every step of the exchange on the way.
  std::vector<std::vector<json::object>> sync(const std::shared_ptr<fake_session>& s, const std::string& filters = {}) {
    std::vector<std::vector<json::object>> chunks;
    auto r = request(s, history_request(filters));
    EXPECT_EQ(type(r), "MESSAGE_HISTORY_RESPONSE") << json::serialize(r);
    if (type(r) != "MESSAGE_HISTORY_RESPONSE" || code(r) != 0) return chunks;
    EXPECT_EQ(r.at("id"), "h1");
    EXPECT_EQ(r.at("payload").at("username"), alice);
    auto b = s->next();
    EXPECT_EQ(type(b), "MESSAGE_HISTORY_BEGIN") << json::serialize(b);
    EXPECT_EQ(code(b), 0);
    EXPECT_EQ(b.at("payload").at("username"), alice);
    EXPECT_EQ(s->pending(), 0u);  // nothing more before BEGIN_ACK
    auto m = request(s, begin_ack());
    for (std::uint32_t chunk = 1; type(m) == "MESSAGE_HISTORY_DATA"; ++chunk) {
      EXPECT_EQ(m.at("payload").at("chunkIndex").as_int64(), chunk);
      EXPECT_EQ(m.at("payload").at("username"), alice);
      EXPECT_EQ(s->pending(), 0u);  // the next DATA waits for this one's ack
      std::vector<json::object> items;
      for (const auto& item : m.at("payload").at("messages").as_array()) items.push_back(item.as_object());
      EXPECT_GE(items.size(), 1u);
      EXPECT_LE(items.size(), 100u);
      chunks.push_back(std::move(items));
      if (chunk > 2000) break;
      m = request(s, data_ack(chunk));
      EXPECT_EQ(m.at("id"), json::value("d" + std::to_string(chunk)));
    }
    EXPECT_EQ(type(m), "MESSAGE_HISTORY_COMPLETE") << json::serialize(m);
    EXPECT_EQ(code(m), 0);
    EXPECT_EQ(m.at("payload").at("username"), alice);
    send(s, complete_ack());
    EXPECT_EQ(s->pending(), 0u);
    EXPECT_EQ(s->state().history, nullptr);
    return chunks;
  }
  static std::vector<std::uint64_t> ids(const std::vector<std::vector<json::object>>& chunks) {
    std::vector<std::uint64_t> out;
    for (const auto& chunk : chunks)
      for (const auto& item : chunk) out.push_back(std::stoull(std::string(item.at("messageId").as_string())));
    return out;
  }
  static std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t id = first; id <= last; ++id) out.push_back(id);
    return out;
  }
  static std::vector<std::size_t> sizes(const std::vector<std::vector<json::object>>& chunks) {
    std::vector<std::size_t> out;
    for (const auto& chunk : chunks) out.push_back(chunk.size());
    return out;
  }
  void expect_no_history(const std::shared_ptr<fake_session>& s, const std::string& filters) {
    auto r = request(s, history_request(filters));
    EXPECT_EQ(type(r), "MESSAGE_HISTORY_RESPONSE") << filters;
    EXPECT_EQ(code(r), 6001) << filters;
    EXPECT_EQ(r.at("payload").at("username"), alice);
    EXPECT_EQ(r.at("id"), "h1");
    EXPECT_EQ(s->pending(), 0u) << filters;  // no BEGIN
  }
  void expect_error(const std::shared_ptr<fake_session>& s, const std::string& frame, std::int64_t c,
                    const std::string& in_reply_to) {
    auto r = request(s, frame);
    EXPECT_EQ(type(r), "ERROR") << frame;
    EXPECT_EQ(code(r), c) << json::serialize(r);
    EXPECT_EQ(r.at("payload").at("inReplyTo"), json::value(in_reply_to)) << json::serialize(r);
    EXPECT_EQ(s->pending(), 0u);
  }

  std::vector<std::shared_ptr<fake_session>> bystanders_;
};

TEST_F(RouterHistoryTest, WholeHistoryComesInChunksOf100InOrder) {
  auto s = logged_in("alice");
  seed_alice_bob(250);
  // Another conversation that is not alice's.
  write([](store::txn& t) { put_message(t, 251, bob, carol, {bob, carol}, base_time + 251); });
  auto chunks = sync(s);
  EXPECT_EQ(sizes(chunks), (std::vector<std::size_t>{100, 100, 50}));
  EXPECT_EQ(ids(chunks), range(1, 250));
  ASSERT_EQ(chunks.size(), 3u);
  const auto& first = chunks[0][0];
  EXPECT_EQ(first.at("messageId"), "1");
  EXPECT_EQ(first.at("sender"), alice);
  EXPECT_EQ(first.at("receiver"), bob);
  EXPECT_EQ(first.at("content"), "message 1");
  EXPECT_EQ(first.at("timestamp").as_int64(), base_time + 1);
  EXPECT_FALSE(first.contains("groupId"));
  EXPECT_FALSE(first.contains("group"));
  const auto& second = chunks[0][1];
  EXPECT_EQ(second.at("sender"), bob);
  EXPECT_EQ(second.at("receiver"), alice);
}

TEST_F(RouterHistoryTest, AnExactMultipleOf100EndsWithCompleteAfterTheLastAck) {
  auto s = logged_in("alice");
  seed_alice_bob(200);
  auto chunks = sync(s);
  EXPECT_EQ(sizes(chunks), (std::vector<std::size_t>{100, 100}));
  EXPECT_EQ(ids(chunks), range(1, 200));
}

TEST_F(RouterHistoryTest, NoHistoryGives6001AndNoBegin) {
  auto s = logged_in("alice");
  seed_alice_bob(0);
  write([](store::txn& t) { put_message(t, 1, bob, carol, {bob, carol}, base_time); });
  expect_no_history(s, "");
  EXPECT_EQ(s->state().history, nullptr);
  // An ack now is out of place.
  expect_error(s, begin_ack(), 9003, "MESSAGE_HISTORY_BEGIN_ACK");
}

TEST_F(RouterHistoryTest, WithAUserOrAGroup) {
  auto s = logged_in("alice");
  register_only("bob");
  register_only("carol");
  write([](store::txn& t) {
    store::group_record g;
    g.name = "Book club";
    g.leader = alice;
    g.members = {alice, bob, carol};
    store::save_group(t, book_club, g, nullptr);
    for (std::uint64_t id = 1; id <= 30; ++id) {
      const auto time = base_time + static_cast<std::int64_t>(id);
      switch (id % 3) {
        case 0: put_message(t, id, alice, bob, {alice, bob}, time); break;
        case 1: put_message(t, id, carol, alice, {carol, alice}, time); break;
        case 2: put_message(t, id, bob, book_club, {bob, alice, carol}, time, "Book club"); break;
      }
    }
  });
  auto with_bob = sync(s, R"("with":"bob")");
  EXPECT_EQ(ids(with_bob), (std::vector<std::uint64_t>{3, 6, 9, 12, 15, 18, 21, 24, 27, 30}));
  EXPECT_EQ(ids(sync(s, R"("with":"BOB@alpha.example")")), ids(with_bob));
  EXPECT_EQ(ids(sync(s, R"("with":"carol")")), (std::vector<std::uint64_t>{1, 4, 7, 10, 13, 16, 19, 22, 25, 28}));

  auto group = sync(s, R"("with":"#bookclub@alpha.example")");
  EXPECT_EQ(ids(group), (std::vector<std::uint64_t>{2, 5, 8, 11, 14, 17, 20, 23, 26, 29}));
  ASSERT_FALSE(group.empty());
  const auto& item = group[0][0];
  EXPECT_EQ(item.at("sender"), bob);
  EXPECT_EQ(item.at("receiver"), book_club);
  EXPECT_EQ(item.at("groupId"), book_club);
  EXPECT_EQ(item.at("group"), "Book club");
  EXPECT_EQ(ids(sync(s, R"("with":"Book club")")), ids(group));

  expect_no_history(s, R"("with":"dave")");           // no such user
  expect_no_history(s, R"("with":"No such group")");  // none of my groups
  expect_no_history(s, R"("with":"#nosuch@alpha.example")");
}

TEST_F(RouterHistoryTest, AnAmbiguousGroupNameGives4003) {
  auto s = logged_in("alice");
  write([](store::txn& t) {
    store::group_record g;
    g.name = "Chess";
    g.leader = alice;
    g.members = {alice};
    store::save_group(t, "#chess1@alpha.example", g, nullptr);
    store::save_group(t, "#chess2@alpha.example", g, nullptr);
    put_message(t, 1, alice, "#chess1@alpha.example", {alice}, base_time, "Chess");
  });
  auto r = request(s, history_request(R"("with":"Chess")"));
  EXPECT_EQ(type(r), "ERROR");
  EXPECT_EQ(code(r), 4003);
  EXPECT_EQ(r.at("payload").at("inReplyTo"), "MESSAGE_HISTORY_REQUEST");
  EXPECT_EQ(r.at("id"), "h1");
  EXPECT_EQ(s->pending(), 0u);
  EXPECT_EQ(ids(sync(s, R"("with":"#chess1@alpha.example")")), (std::vector<std::uint64_t>{1}));
}

TEST_F(RouterHistoryTest, AfterAndBeforeByMessageIdAreExclusive) {
  auto s = logged_in("alice");
  seed_alice_bob(250);
  EXPECT_EQ(ids(sync(s, R"("after":"10","before":"20")")), range(11, 19));
  auto rest = sync(s, R"("after":"100")");
  EXPECT_EQ(sizes(rest), (std::vector<std::size_t>{100, 50}));
  EXPECT_EQ(ids(rest), range(101, 250));
  EXPECT_EQ(ids(sync(s, R"("before":"4")")), range(1, 3));
  expect_no_history(s, R"("after":"250")");
  expect_no_history(s, R"("before":"1")");
  expect_no_history(s, R"("after":"10","before":"11")");
  expect_no_history(s, R"("after":"18446744073709551615")");
}

TEST_F(RouterHistoryTest, AfterAndBeforeByTimestampAreExclusive) {
  auto s = logged_in("alice");
  seed_alice_bob(50);
  EXPECT_EQ(ids(sync(s, "\"after\":" + std::to_string(base_time + 10) + ",\"before\":" + std::to_string(base_time + 20))),
            range(11, 19));
  EXPECT_EQ(ids(sync(s, "\"after\":" + std::to_string(base_time + 45))), range(46, 50));
  EXPECT_EQ(ids(sync(s, "\"before\":" + std::to_string(base_time + 3))), range(1, 2));
  // An id bound and a time bound together.
  EXPECT_EQ(ids(sync(s, "\"after\":\"5\",\"before\":" + std::to_string(base_time + 9))), range(6, 8));
  expect_no_history(s, "\"after\":" + std::to_string(base_time + 50));
}

TEST_F(RouterHistoryTest, LimitTakesTheLatestOrTheEarliestAfter) {
  auto s = logged_in("alice");
  seed_alice_bob(250);
  EXPECT_EQ(ids(sync(s, R"("limit":5)")), range(246, 250));
  auto latest = sync(s, R"("limit":150)");
  EXPECT_EQ(sizes(latest), (std::vector<std::size_t>{100, 50}));
  EXPECT_EQ(ids(latest), range(101, 250));
  EXPECT_EQ(ids(sync(s, R"("limit":5,"after":"10")")), range(11, 15));
  EXPECT_EQ(ids(sync(s, "\"limit\":3,\"after\":" + std::to_string(base_time + 20))), range(21, 23));
  EXPECT_EQ(ids(sync(s, R"("limit":5,"before":"100")")), range(95, 99));
  EXPECT_EQ(ids(sync(s, R"("limit":100000)")), range(1, 250));
  EXPECT_EQ(ids(sync(s, R"("limit":3,"after":"248")")), range(249, 250));
}

TEST_F(RouterHistoryTest, InvalidFiltersGet9003) {
  auto s = logged_in("alice");
  seed_alice_bob(5);
  expect_error(s, history_request(R"("limit":0)"), 9003, "MESSAGE_HISTORY_REQUEST");
  expect_error(s, history_request(R"("limit":100001)"), 9003, "MESSAGE_HISTORY_REQUEST");
  expect_error(s, history_request(R"("after":"abc")"), 9003, "MESSAGE_HISTORY_REQUEST");
  expect_error(s, history_request(R"("before":"12x")"), 9003, "MESSAGE_HISTORY_REQUEST");
  expect_error(s, history_request(R"("after":"-1")"), 9003, "MESSAGE_HISTORY_REQUEST");
}

TEST_F(RouterHistoryTest, AWrongChunkIndexGets9003AndTheSyncGoesOn) {
  auto s = logged_in("alice");
  seed_alice_bob(150);
  auto r = request(s, history_request());
  ASSERT_EQ(code(r), 0);
  ASSERT_EQ(type(s->next()), "MESSAGE_HISTORY_BEGIN");
  // DATA_ACK before BEGIN_ACK is out of place.
  expect_error(s, data_ack(1), 9003, "MESSAGE_HISTORY_DATA_ACK");
  auto d = request(s, begin_ack());
  ASSERT_EQ(type(d), "MESSAGE_HISTORY_DATA");
  EXPECT_EQ(d.at("payload").at("chunkIndex"), 1);
  EXPECT_EQ(s->pending(), 0u);
  expect_error(s, data_ack(2), 9003, "MESSAGE_HISTORY_DATA_ACK");
  expect_error(s, data_ack(0), 9003, "MESSAGE_HISTORY_DATA_ACK");
  expect_error(s, begin_ack(), 9003, "MESSAGE_HISTORY_BEGIN_ACK");
  expect_error(s, complete_ack(), 9003, "MESSAGE_HISTORY_COMPLETE_ACK");
  d = request(s, data_ack(1));
  ASSERT_EQ(type(d), "MESSAGE_HISTORY_DATA");
  EXPECT_EQ(d.at("payload").at("chunkIndex"), 2);
  EXPECT_EQ(d.at("payload").at("messages").as_array().size(), 50u);
  EXPECT_EQ(d.at("payload").at("messages").as_array()[0].at("messageId"), "101");
  expect_error(s, data_ack(1), 9003, "MESSAGE_HISTORY_DATA_ACK");
  auto c = request(s, data_ack(2));
  EXPECT_EQ(type(c), "MESSAGE_HISTORY_COMPLETE");
  expect_error(s, data_ack(2), 9003, "MESSAGE_HISTORY_DATA_ACK");
  send(s, complete_ack());
  EXPECT_EQ(s->pending(), 0u);
  // The sync is over: any ack now has no sync to belong to.
  expect_error(s, complete_ack(), 9003, "MESSAGE_HISTORY_COMPLETE_ACK");
  expect_error(s, data_ack(2), 9003, "MESSAGE_HISTORY_DATA_ACK");
}

TEST_F(RouterHistoryTest, AnAckWithNoSyncGets9003) {
  auto s = logged_in("alice");
  seed_alice_bob(5);
  expect_error(s, begin_ack(), 9003, "MESSAGE_HISTORY_BEGIN_ACK");
  expect_error(s, data_ack(1), 9003, "MESSAGE_HISTORY_DATA_ACK");
  expect_error(s, complete_ack(), 9003, "MESSAGE_HISTORY_COMPLETE_ACK");
}

TEST_F(RouterHistoryTest, AckFromAnotherUserIsForbidden) {
  auto s = logged_in("alice");
  seed_alice_bob(5);
  request(s, history_request());
  s->next();
  expect_error(s, R"({"type":"MESSAGE_HISTORY_BEGIN_ACK","payload":{"username":"bob","code":0}})", 9005,
               "MESSAGE_HISTORY_BEGIN_ACK");
}

TEST_F(RouterHistoryTest, ANewRequestCancelsTheRunningSync) {
  auto s = logged_in("alice");
  seed_alice_bob(250);
  request(s, history_request());
  s->next();  // BEGIN
  auto d = request(s, begin_ack());
  ASSERT_EQ(type(d), "MESSAGE_HISTORY_DATA");
  // A new request mid-sync: the old one is gone, the new one starts at BEGIN.
  auto r = request(s, history_request(R"("after":"240")", "h2"));
  EXPECT_EQ(type(r), "MESSAGE_HISTORY_RESPONSE");
  EXPECT_EQ(code(r), 0);
  EXPECT_EQ(r.at("id"), "h2");
  EXPECT_EQ(type(s->next()), "MESSAGE_HISTORY_BEGIN");
  expect_error(s, data_ack(1), 9003, "MESSAGE_HISTORY_DATA_ACK");
  d = request(s, begin_ack());
  ASSERT_EQ(type(d), "MESSAGE_HISTORY_DATA");
  EXPECT_EQ(d.at("payload").at("chunkIndex"), 1);
  EXPECT_EQ(d.at("payload").at("messages").as_array().size(), 10u);
  EXPECT_EQ(d.at("payload").at("messages").as_array()[0].at("messageId"), "241");
  EXPECT_EQ(type(request(s, data_ack(1))), "MESSAGE_HISTORY_COMPLETE");
  send(s, complete_ack());

  // A request that finds nothing also ends a running sync.
  request(s, history_request());
  s->next();
  expect_no_history(s, R"("after":"250")");
  expect_error(s, begin_ack(), 9003, "MESSAGE_HISTORY_BEGIN_ACK");
}

TEST_F(RouterHistoryTest, MessagesStoredDuringASyncAreNotAdded) {
  auto s = logged_in("alice");
  seed_alice_bob(120);
  request(s, history_request());
  s->next();
  auto d = request(s, begin_ack());
  ASSERT_EQ(type(d), "MESSAGE_HISTORY_DATA");
  write([](store::txn& t) { put_message(t, 121, bob, alice, {alice, bob}, base_time + 121); });
  d = request(s, data_ack(1));
  ASSERT_EQ(type(d), "MESSAGE_HISTORY_DATA");
  EXPECT_EQ(d.at("payload").at("messages").as_array().size(), 20u);
  EXPECT_EQ(type(request(s, data_ack(2))), "MESSAGE_HISTORY_COMPLETE");
  send(s, complete_ack());
  EXPECT_EQ(ids(sync(s, R"("after":"120")")), range(121, 121));
}

TEST_F(RouterHistoryTest, LargeContentsSplitChunksEarlier) {
  auto s = logged_in("alice");
  write([](store::txn& t) {
    for (std::uint64_t id = 1; id <= 100; ++id) {
      store::stored_message m;
      m.timestamp = base_time;
      m.sender = alice;
      m.receiver = bob;
      m.content = std::string(16 * 1024, 'x');
      store::store_message(t, id, m, {alice, bob});
    }
  });
  auto chunks = sync(s);
  EXPECT_EQ(ids(chunks), range(1, 100));
  EXPECT_GT(chunks.size(), 1u);
  for (const auto& chunk : chunks) EXPECT_LE(chunk.size() * 16 * 1024, 512u * 1024u + 16u * 1024u);
}

TEST_F(RouterHistoryTest, MediaNoticesCarryTheirFields) {
  auto s = logged_in("alice");
  write([](store::txn& t) {
    store::stored_message m;
    m.timestamp = base_time;
    m.sender = bob;
    m.receiver = alice;
    m.media_id = "media1";
    m.media_type = "image/png";
    m.media_size = 12345;
    store::store_message(t, 1, m, {alice, bob});
    put_message(t, 2, alice, bob, {alice, bob}, base_time + 1);
  });
  auto chunks = sync(s);
  ASSERT_EQ(ids(chunks), range(1, 2));
  const auto& media = chunks[0][0];
  EXPECT_EQ(media.at("mediaId"), "media1");
  EXPECT_EQ(media.at("mediaType"), "image/png");
  EXPECT_EQ(media.at("mediaSize").as_int64(), 12345);
  EXPECT_EQ(media.at("content"), "");
  EXPECT_FALSE(chunks[0][1].contains("mediaId"));
}

// docs §12/§13: the acks are {username} (DATA_ACK also chunkIndex); `code` is optional.
TEST_F(RouterHistoryTest, AcksMayOmitTheCode) {
  auto s = logged_in("alice");
  seed_alice_bob(3);
  request(s, history_request());
  ASSERT_EQ(type(s->next()), "MESSAGE_HISTORY_BEGIN");
  auto d = request(s, R"({"type":"MESSAGE_HISTORY_BEGIN_ACK","payload":{"username":"alice"}})");
  ASSERT_EQ(type(d), "MESSAGE_HISTORY_DATA") << json::serialize(d);
  auto c = request(s, R"({"type":"MESSAGE_HISTORY_DATA_ACK","payload":{"username":"alice","chunkIndex":1}})");
  ASSERT_EQ(type(c), "MESSAGE_HISTORY_COMPLETE") << json::serialize(c);
  send(s, R"({"type":"MESSAGE_HISTORY_COMPLETE_ACK","payload":{"username":"alice"}})");
  EXPECT_EQ(s->pending(), 0u);
  EXPECT_EQ(s->state().history, nullptr);
}

TEST_F(RouterHistoryTest, DisconnectEndsTheSync) {
  auto s = logged_in("alice");
  seed_alice_bob(150);
  request(s, history_request());
  s->next();
  EXPECT_NE(s->state().history, nullptr);
  router_->on_disconnect(s);
  EXPECT_EQ(s->state().history, nullptr);
}

}  // namespace
}  // namespace chatnode::node
