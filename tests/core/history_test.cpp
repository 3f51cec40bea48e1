// The history rules (core/history.hpp) on the in-memory store.
#include "core_fixture.hpp"

#include "core/history.hpp"
#include "store/keys.hpp"
#include "store/schema.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace chatnode::core::testing {
namespace {
namespace p = chatnode::protocol;

constexpr const char* alice = "alice@alpha.example";
constexpr const char* bob = "bob@alpha.example";
constexpr const char* carol = "carol@alpha.example";
constexpr const char* book_club = "#bookclub@alpha.example";
constexpr const char* chess = "#chess@alpha.example";
constexpr std::int64_t base_time = 1'700'000'000;

class HistoryTest : public core_test {
 protected:
  // Message `id` from `from` to `to` (a user, or the group `to` when `group_name` is set),
  // in the history of each of `owners`, at `time`.
  void put(std::uint64_t id, const std::string& from, const std::string& to, std::vector<std::string_view> owners,
           std::int64_t time, const std::string& group_name = {}, std::string content = {}) {
    store::stored_message m;
    m.timestamp = time;
    m.sender = from;
    m.receiver = to;
    m.content = content.empty() ? "message " + std::to_string(id) : std::move(content);
    if (!group_name.empty()) {
      m.group_id = to;
      m.group_name = group_name;
    }
    auto t = db.begin_write();
    store::store_message(t, id, m, owners);
    t.commit();
  }
  // `n` messages between alice and bob, ids 1..n, timestamps base_time + id.
  void seed_alice_bob(std::uint64_t n) {
    auto t = db.begin_write();
    for (std::uint64_t id = 1; id <= n; ++id) {
      store::stored_message m;
      m.timestamp = base_time + static_cast<std::int64_t>(id);
      m.sender = id % 2 == 1 ? alice : bob;
      m.receiver = id % 2 == 1 ? bob : alice;
      m.content = "message " + std::to_string(id);
      store::store_message(t, id, m, {alice, bob});
    }
    t.commit();
  }
  void group(const std::string& id, const std::string& name, std::vector<std::string> members) {
    auto t = db.begin_write();
    store::group_record g;
    g.name = name;
    g.leader = members.front();
    g.members = std::move(members);
    g.created = now;
    store::save_group(t, id, g, nullptr);
    t.commit();
  }

  history_start start(const p::message_history_request& req, const std::string& me = alice) {
    return read([&](const store::txn& t) { return start_history(t, me, req, cfg.domain, scan); });
  }
  std::vector<p::history_item> page() {
    return read([&](const store::txn& t) { return next_history_page(t, scan, unreadable); });
  }
  // Every page until an empty one (at most `max_pages`).
  std::vector<p::history_item> all(int max_pages = 1000) {
    std::vector<p::history_item> out;
    for (int i = 0; i < max_pages; ++i) {
      auto items = page();
      if (items.empty()) break;
      out.insert(out.end(), items.begin(), items.end());
    }
    return out;
  }
  static std::vector<std::string> ids(const std::vector<p::history_item>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i.message_id.value_or("?"));
    return out;
  }
  static std::vector<std::string> range(std::uint64_t from, std::uint64_t to) {
    std::vector<std::string> out;
    for (auto id = from; id <= to; ++id) out.push_back(std::to_string(id));
    return out;
  }
  static p::message_history_request req() {
    p::message_history_request r;
    r.username = "alice";
    return r;
  }

  history_scan scan;
  std::vector<std::uint64_t> unreadable;
};

using History = HistoryTest;

TEST_F(History, NoMessagesIsHistoryNone) {
  add_user("alice");
  EXPECT_EQ(start(req()).code, p::code::history_none);
  put(1, bob, carol, {bob, carol}, base_time);  // someone else's history
  EXPECT_EQ(start(req()).code, p::code::history_none);
}

TEST_F(History, WholeHistoryWithoutFilters) {
  seed_alice_bob(5);
  auto s = start(req());
  ASSERT_EQ(s.code, p::code::ok) << s.message;
  EXPECT_EQ(ids(all()), range(1, 5));
  EXPECT_TRUE(scan.exhausted);
  EXPECT_TRUE(unreadable.empty());
}

TEST_F(History, LimitZeroOrAboveTheMaximumIsInvalidField) {
  seed_alice_bob(3);
  for (std::uint32_t bad : {0u, history_max_limit + 1, std::numeric_limits<std::uint32_t>::max()}) {
    auto r = req();
    r.limit = bad;
    auto s = start(r);
    EXPECT_EQ(s.code, p::code::invalid_field) << bad;
    EXPECT_NE(s.message.find("limit"), std::string::npos) << s.message;
  }
  for (std::uint32_t good : {1u, history_max_limit}) {
    auto r = req();
    r.limit = good;
    auto s = start(r);
    EXPECT_EQ(s.code, p::code::ok) << good << " " << s.message;
  }
}

TEST_F(History, AfterOrBeforeNotAMessageIdIsInvalidField) {
  seed_alice_bob(3);
  for (const char* bad : {"", "abc", "-1", "1x", " 1", "+1", "18446744073709551616"}) {
    auto r = req();
    r.after = std::string(bad);
    auto s = start(r);
    EXPECT_EQ(s.code, p::code::invalid_field) << "after " << bad;
    EXPECT_NE(s.message.find("after"), std::string::npos) << s.message;
    r = req();
    r.before = std::string(bad);
    s = start(r);
    EXPECT_EQ(s.code, p::code::invalid_field) << "before " << bad;
    EXPECT_NE(s.message.find("before"), std::string::npos) << s.message;
  }
}

TEST_F(History, AfterTheLastIdOrBeforeTheFirstIsHistoryNone) {
  seed_alice_bob(3);
  for (const char* after : {"3", "4", "18446744073709551615"}) {
    auto r = req();
    r.after = std::string(after);
    EXPECT_EQ(start(r).code, p::code::history_none) << after;
  }
  for (const char* before : {"0", "1"}) {
    auto r = req();
    r.before = std::string(before);
    EXPECT_EQ(start(r).code, p::code::history_none) << before;
  }
  auto r = req();
  r.after = std::string("2");
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(3, 3));
  r = req();
  r.before = std::string("2");
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(1, 1));
}

TEST_F(History, WithAPeerIdOnlyTheirOneToOneMessages) {
  put(1, alice, bob, {alice, bob}, base_time + 1);
  put(2, alice, carol, {alice, carol}, base_time + 2);
  put(3, bob, book_club, {alice, bob}, base_time + 3, "Book Club");  // bob, but in a group
  put(4, bob, alice, {alice, bob}, base_time + 4);
  put(5, carol, alice, {alice, carol}, base_time + 5);
  put(6, bob, carol, {alice, bob, carol}, base_time + 6);  // bob, but not with alice
  auto r = req();
  r.with = bob;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"1", "4"}));
  r.with = carol;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"2", "5"}));
  r.with = "dave@alpha.example";  // no messages with them
  EXPECT_EQ(start(r).code, p::code::history_none);
}

TEST_F(History, WithABareNameOfALocalUserIsThatUser) {
  add_user("alice");
  add_user("bob");
  put(1, alice, bob, {alice, bob}, base_time + 1);
  put(2, alice, carol, {alice, carol}, base_time + 2);
  put(3, bob, alice, {alice, bob}, base_time + 3);
  auto r = req();
  r.with = "bob";
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(scan.kind, history_scan::with_kind::peer);
  EXPECT_EQ(scan.with, bob);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"1", "3"}));
}

TEST_F(History, AnExistingUserComesBeforeAGroupOfTheSameName) {
  add_user("alice");
  add_user("bob");
  group(book_club, "bob", {alice, carol});
  put(1, alice, bob, {alice, bob}, base_time + 1);
  put(2, carol, book_club, {alice, carol}, base_time + 2, "bob");
  auto r = req();
  r.with = "bob";
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"1"}));
}

TEST_F(History, WithAGroupIdOrNameOnlyThatGroupsMessages) {
  add_user("alice");
  group(book_club, "Book Club", {alice, bob, carol});
  group(chess, "Chess", {alice, bob});
  put(1, alice, bob, {alice, bob}, base_time + 1);
  put(2, bob, book_club, {alice, bob, carol}, base_time + 2, "Book Club");
  put(3, alice, chess, {alice, bob}, base_time + 3, "Chess");
  put(4, carol, book_club, {alice, bob, carol}, base_time + 4, "Book Club");
  auto r = req();
  r.with = book_club;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"2", "4"}));
  r.with = "#BookClub@Alpha.Example";  // group ids fold case
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"2", "4"}));
  r.with = "Book Club";
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(scan.kind, history_scan::with_kind::group);
  EXPECT_EQ(scan.with, book_club);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"2", "4"}));
  r.with = "Chess";
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"3"}));
}

TEST_F(History, TwoOfMyGroupsWithTheNameIsAmbiguous) {
  add_user("alice");
  group(book_club, "Readers", {alice, bob});
  group(chess, "Readers", {carol, alice});
  put(1, bob, book_club, {alice, bob}, base_time + 1, "Readers");
  auto r = req();
  r.with = "Readers";
  auto s = start(r);
  EXPECT_EQ(s.code, p::code::ambiguous_group);
  EXPECT_FALSE(s.message.empty());
  r.with = book_club;  // the id still names one
  EXPECT_EQ(start(r).code, p::code::ok);
}

TEST_F(History, AGroupOfTheNameIHaveNotJoinedDoesNotCount) {
  add_user("alice");
  group(book_club, "Readers", {alice, bob});
  group(chess, "Readers", {carol, bob});  // not alice's
  put(1, bob, book_club, {alice, bob}, base_time + 1, "Readers");
  auto r = req();
  r.with = "Readers";
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(scan.with, book_club);
}

TEST_F(History, ANameThatIsNeitherIsHistoryNone) {
  add_user("alice");
  group(book_club, "Book Club", {alice, bob});
  seed_alice_bob(3);
  put(4, bob, book_club, {alice, bob}, base_time + 4, "Book Club");
  for (const char* with : {"nobody", "Chess", "not a name!", "#"}) {
    auto r = req();
    r.with = std::string(with);
    EXPECT_EQ(start(r).code, p::code::history_none) << with;
  }
}

TEST_F(History, TimeBoundsAreExclusive) {
  seed_alice_bob(10);  // timestamps base_time + id
  auto r = req();
  r.after = base_time + 3;
  r.before = base_time + 7;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(4, 6));
  r = req();
  r.after = base_time + 8;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(9, 10));
  r = req();
  r.before = base_time + 2;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(1, 1));
  r = req();
  r.after = base_time + 10;
  EXPECT_EQ(start(r).code, p::code::history_none);
  r = req();
  r.before = base_time + 1;
  EXPECT_EQ(start(r).code, p::code::history_none);
}

TEST_F(History, LimitWithoutAfterIsTheLatestInAscendingOrder) {
  seed_alice_bob(10);
  auto r = req();
  r.limit = 3;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(page()), range(8, 10));
  EXPECT_TRUE(scan.exhausted);
  EXPECT_TRUE(page().empty());
  r.limit = 50;  // more than there are
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(1, 10));
}

TEST_F(History, LatestCountsOnlyMatches) {
  put(1, alice, bob, {alice, bob}, base_time + 1);
  put(2, alice, bob, {alice, bob}, base_time + 2);
  put(3, alice, carol, {alice, carol}, base_time + 3);
  put(4, bob, alice, {alice, bob}, base_time + 4);
  put(5, carol, alice, {alice, carol}, base_time + 5);
  put(6, alice, carol, {alice, carol}, base_time + 6);
  auto r = req();
  r.with = bob;
  r.limit = 2;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"2", "4"}));
}

TEST_F(History, LimitWithBeforeIsTheLatestBeforeIt) {
  seed_alice_bob(10);
  auto r = req();
  r.limit = 3;
  r.before = std::string("8");
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(5, 7));
  r.before = base_time + 5;  // a time: ids 2..4
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(2, 4));
}

TEST_F(History, AfterAnIdReturnsTheNextOnes) {
  seed_alice_bob(10);
  auto r = req();
  r.after = std::string("5");
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(6, 10));
  r.limit = 3;  // the earliest 3 after it
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(6, 8));
  EXPECT_TRUE(scan.exhausted);
  r.after = std::string("0");
  r.limit = 2;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(1, 2));
  r = req();
  r.after = std::string("3");
  r.before = std::string("6");
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), range(4, 5));
}

TEST_F(History, AfterAnIdThatIsNotInMyHistory) {
  put(2, alice, bob, {alice, bob}, base_time + 2);
  put(5, bob, carol, {bob, carol}, base_time + 5);  // not alice's
  put(7, bob, alice, {alice, bob}, base_time + 7);
  put(9, alice, bob, {alice, bob}, base_time + 9);
  auto r = req();
  r.after = std::string("5");
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"7", "9"}));
  r.after = std::string("8");
  r.limit = 5;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"9"}));
}

TEST_F(History, PagesOfAHundred) {
  seed_alice_bob(250);
  ASSERT_EQ(start(req()).code, p::code::ok);
  auto p1 = page();
  EXPECT_EQ(ids(p1), range(1, 100));
  EXPECT_FALSE(scan.exhausted);
  auto p2 = page();
  EXPECT_EQ(ids(p2), range(101, 200));
  EXPECT_FALSE(scan.exhausted);
  auto p3 = page();
  EXPECT_EQ(ids(p3), range(201, 250));
  EXPECT_TRUE(scan.exhausted);
  EXPECT_TRUE(page().empty());
  EXPECT_TRUE(scan.exhausted);
  EXPECT_TRUE(unreadable.empty());
}

TEST_F(History, ExactlyAHundredIsOnePage) {
  seed_alice_bob(100);
  ASSERT_EQ(start(req()).code, p::code::ok);
  EXPECT_EQ(page().size(), 100u);
  EXPECT_TRUE(scan.exhausted);
  EXPECT_TRUE(page().empty());
}

TEST_F(History, LimitSpansPages) {
  seed_alice_bob(250);
  auto r = req();
  r.after = std::string("10");
  r.limit = 150;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(page()), range(11, 110));
  EXPECT_FALSE(scan.exhausted);
  EXPECT_EQ(ids(page()), range(111, 160));
  EXPECT_TRUE(scan.exhausted);
  EXPECT_TRUE(page().empty());
  r = req();
  r.limit = 120;  // the latest 120: 131..250
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(page()), range(131, 230));
  EXPECT_EQ(ids(page()), range(231, 250));
  EXPECT_TRUE(page().empty());
}

TEST_F(History, LargeContentsEndAPageButAPageHasAtLeastOne) {
  const std::size_t kib = 1024;
  put(1, alice, bob, {alice, bob}, base_time + 1, {}, std::string(1024 * kib, 'a'));
  put(2, alice, bob, {alice, bob}, base_time + 2, {}, std::string(1024 * kib, 'b'));
  put(3, alice, bob, {alice, bob}, base_time + 3, {}, std::string(300 * kib, 'c'));
  put(4, alice, bob, {alice, bob}, base_time + 4, {}, std::string(300 * kib, 'd'));
  put(5, alice, bob, {alice, bob}, base_time + 5, {}, std::string(history_chunk_content_bytes - 1, 'e'));
  put(6, alice, bob, {alice, bob}, base_time + 6, {}, "f");  // reaches the limit exactly
  put(7, alice, bob, {alice, bob}, base_time + 7, {}, "g");
  put(8, alice, bob, {alice, bob}, base_time + 8, {}, "h");
  ASSERT_EQ(start(req()).code, p::code::ok);
  EXPECT_EQ(ids(page()), (std::vector<std::string>{"1"}));
  EXPECT_EQ(ids(page()), (std::vector<std::string>{"2"}));
  EXPECT_EQ(ids(page()), (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(ids(page()), (std::vector<std::string>{"5", "6"}));
  EXPECT_EQ(ids(page()), (std::vector<std::string>{"7", "8"}));
  EXPECT_TRUE(scan.exhausted);
  EXPECT_TRUE(page().empty());
}

TEST_F(History, MessagesStoredAfterTheRequestAreNotIncluded) {
  seed_alice_bob(150);
  ASSERT_EQ(start(req()).code, p::code::ok);
  EXPECT_EQ(scan.last_id, 150u);
  EXPECT_EQ(ids(page()), range(1, 100));
  put(151, alice, bob, {alice, bob}, base_time + 151);
  put(152, bob, alice, {alice, bob}, base_time + 152);
  EXPECT_EQ(ids(page()), range(101, 150));
  EXPECT_TRUE(scan.exhausted);
  EXPECT_TRUE(page().empty());
}

TEST_F(History, MessagesStoredAfterTheRequestAreNotIncludedInTheLastPage) {
  seed_alice_bob(5);
  auto r = req();
  r.with = bob;
  ASSERT_EQ(start(r).code, p::code::ok);
  put(6, alice, bob, {alice, bob}, base_time + 6);
  EXPECT_EQ(ids(all()), range(1, 5));
}

TEST_F(History, AMissingRecordIsSkippedAndReported) {
  seed_alice_bob(6);
  {
    auto t = db.begin_write();
    ASSERT_TRUE(t.del(store::table_id::messages, store::be64(3)));
    t.put(store::table_id::messages, store::be64(5), "not a message");
    t.commit();
  }
  ASSERT_EQ(start(req()).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"1", "2", "4", "6"}));
  EXPECT_EQ(unreadable, (std::vector<std::uint64_t>{3, 5}));
}

TEST_F(History, AMissingLastRecordStillEndsTheScan) {
  seed_alice_bob(3);
  {
    auto t = db.begin_write();
    ASSERT_TRUE(t.del(store::table_id::messages, store::be64(3)));
    t.commit();
  }
  ASSERT_EQ(start(req()).code, p::code::ok);
  EXPECT_EQ(ids(page()), range(1, 2));
  EXPECT_TRUE(scan.exhausted);
  EXPECT_EQ(unreadable, (std::vector<std::uint64_t>{3}));
  EXPECT_TRUE(page().empty());
}

TEST_F(History, OnlyUnreadableRecordsIsHistoryNone) {
  seed_alice_bob(2);
  {
    auto t = db.begin_write();
    ASSERT_TRUE(t.del(store::table_id::messages, store::be64(1)));
    ASSERT_TRUE(t.del(store::table_id::messages, store::be64(2)));
    t.commit();
  }
  EXPECT_EQ(start(req()).code, p::code::history_none);
}

TEST_F(History, ItemsCarryIdsGroupAndMediaFields) {
  add_user("alice");
  group(book_club, "Book Club", {alice, bob});
  put(7, alice, bob, {alice, bob}, base_time + 7, {}, "hello");
  put(9, bob, book_club, {alice, bob}, base_time + 9, "Book Club", "hi all");
  {
    store::stored_message m;
    m.timestamp = base_time + 12;
    m.sender = bob;
    m.receiver = alice;
    m.content = "";
    m.media_id = "m123";
    m.media_type = "image/png";
    m.media_size = 4096;
    auto t = db.begin_write();
    store::store_message(t, 12, m, {alice, bob});
    t.commit();
  }
  ASSERT_EQ(start(req()).code, p::code::ok);
  auto items = all();
  ASSERT_EQ(items.size(), 3u);

  p::history_item text;
  text.timestamp = base_time + 7;
  text.sender = alice;
  text.receiver = bob;
  text.content = "hello";
  text.message_id = "7";
  EXPECT_EQ(items[0], text);

  p::history_item in_group;
  in_group.timestamp = base_time + 9;
  in_group.sender = bob;
  in_group.receiver = book_club;
  in_group.content = "hi all";
  in_group.message_id = "9";
  in_group.group_id = book_club;
  in_group.group = "Book Club";
  EXPECT_EQ(items[1], in_group);

  p::history_item media;
  media.timestamp = base_time + 12;
  media.sender = bob;
  media.receiver = alice;
  media.message_id = "12";
  media.media_id = "m123";
  media.media_type = "image/png";
  media.media_size = 4096;
  EXPECT_EQ(items[2], media);
}

TEST_F(History, BoundsCombineWithFilters) {
  add_user("alice");
  group(book_club, "Book Club", {alice, bob});
  for (std::uint64_t id = 1; id <= 12; ++id) {
    if (id % 3 == 0) put(id, bob, book_club, {alice, bob}, base_time + static_cast<std::int64_t>(id), "Book Club");
    else put(id, alice, bob, {alice, bob}, base_time + static_cast<std::int64_t>(id));
  }
  auto r = req();
  r.with = "Book Club";
  r.after = std::string("3");
  r.before = base_time + 12;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"6", "9"}));
  r = req();
  r.with = "Book Club";
  r.limit = 2;
  ASSERT_EQ(start(r).code, p::code::ok);
  EXPECT_EQ(ids(all()), (std::vector<std::string>{"9", "12"}));
}

}  // namespace
}  // namespace chatnode::core::testing
