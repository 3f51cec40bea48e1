// The storage interface (store/txn.hpp) behaves the same on every backend: the typed tables
// and the rules' unit tests rely on these properties, so the in-memory store must have
// LMDB's ordering, cursor, child-transaction and snapshot semantics.
#include "store/lmdb.hpp"
#include "store/memory.hpp"
#include "store/accounts.hpp"
#include "store/tables.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace chatnode::store {
namespace {

// One backend under test: begin_read / begin_write over either database type.
class backend {
 public:
  virtual ~backend() = default;
  virtual txn read() = 0;
  virtual txn write() = 0;
};

class lmdb_backend final : public backend {
 public:
  lmdb_backend() : db_(options{.dir = dir_.path()}) {}
  txn read() override { return db_.begin_read(); }
  txn write() override { return db_.begin_write(); }

 private:
  test::temp_dir dir_;
  database db_;
};

class memory_backend final : public backend {
 public:
  txn read() override { return db_.begin_read(); }
  txn write() override { return db_.begin_write(); }

 private:
  memory_database db_;
};

class StoreBackend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "lmdb") {
      b_ = std::make_unique<lmdb_backend>();
    } else {
      b_ = std::make_unique<memory_backend>();
    }
  }
  void put_all(const std::vector<std::string>& keys) {
    txn w = b_->write();
    for (const auto& k : keys) w.put(table_id::users, k, "v" + k);
    w.commit();
  }
  std::vector<std::string> keys() {
    std::vector<std::string> out;
    txn r = b_->read();
    auto c = r.open_cursor(table_id::users);
    for (auto it = c.first(); it; it = c.next()) out.emplace_back(it->first);
    return out;
  }
  std::unique_ptr<backend> b_;
};

using strings = std::vector<std::string>;

TEST_P(StoreBackend, AFreshStoreHoldsTheSchemaVersionOnly) {
  txn r = b_->read();
  EXPECT_TRUE(r.get(table_id::meta, "schema_version"));
  EXPECT_FALSE(r.get(table_id::users, "alice"));
  EXPECT_TRUE(r.read_only());
}

TEST_P(StoreBackend, KeysComeBackInByteOrder) {
  put_all({"b", "a\xff", "a", std::string("a\0b", 3), "c"});
  EXPECT_EQ(keys(), (strings{"a", std::string("a\0b", 3), "a\xff", "b", "c"}));
}

TEST_P(StoreBackend, PutIfAbsentAndDelReportWhatTheyDid) {
  txn w = b_->write();
  EXPECT_TRUE(w.put_if_absent(table_id::users, "alice", "1"));
  EXPECT_FALSE(w.put_if_absent(table_id::users, "alice", "2"));
  EXPECT_EQ(*w.get(table_id::users, "alice"), "1");
  EXPECT_TRUE(w.del(table_id::users, "alice"));
  EXPECT_FALSE(w.del(table_id::users, "alice"));
  w.commit();
}

TEST_P(StoreBackend, TablesAreSeparate) {
  txn w = b_->write();
  w.put(table_id::users, "k", "users");
  w.put(table_id::groups, "k", "groups");
  EXPECT_EQ(*w.get(table_id::users, "k"), "users");
  EXPECT_EQ(*w.get(table_id::groups, "k"), "groups");
  w.commit();
}

TEST_P(StoreBackend, SeekLandsOnTheFirstKeyAtOrAfter) {
  put_all({"a", "c", "e"});
  txn r = b_->read();
  auto c = r.open_cursor(table_id::users);
  EXPECT_EQ(c.seek("b")->first, "c");
  EXPECT_EQ(c.seek("c")->first, "c");
  EXPECT_FALSE(c.seek("f"));
  EXPECT_EQ(c.last()->first, "e");
  EXPECT_EQ(c.prev()->first, "c");
  EXPECT_EQ(c.current()->second, "vc");
}

TEST_P(StoreBackend, AFreshCursorStartsAtTheFirstItemAndStopsAtTheEnd) {
  put_all({"a", "b"});
  txn r = b_->read();
  auto c = r.open_cursor(table_id::users);
  EXPECT_EQ(c.next()->first, "a");
  EXPECT_EQ(c.next()->first, "b");
  EXPECT_FALSE(c.next());
  EXPECT_FALSE(c.next());
}

TEST_P(StoreBackend, DeletingThroughACursorMovesOnToTheNextItem) {
  put_all({"a", "b", "c", "d"});
  {
    txn w = b_->write();
    {
      auto c = w.open_cursor(table_id::users);  // ends before the commit (txn.hpp)
      for (auto it = c.first(); it; it = c.next()) {
        if (it->first == "b" || it->first == "c") c.del();
      }
    }
    w.commit();
  }
  EXPECT_EQ(keys(), (strings{"a", "d"}));
}

TEST_P(StoreBackend, AnAbortedTransactionLeavesNothing) {
  {
    txn w = b_->write();
    w.put(table_id::users, "alice", "A");
  }
  EXPECT_TRUE(keys().empty());
}

TEST_P(StoreBackend, AChildJoinsItsParentOnlyWhenCommitted) {
  txn w = b_->write();
  w.put(table_id::users, "parent", "P");
  {
    txn rolled_back = w.child();
    rolled_back.put(table_id::users, "lost", "L");
    rolled_back.put(table_id::users, "parent", "overwritten");
  }
  {
    txn kept = w.child();
    kept.put(table_id::users, "kept", "K");
    kept.commit();
  }
  w.commit();
  EXPECT_EQ(keys(), (strings{"kept", "parent"}));
  txn r = b_->read();
  EXPECT_EQ(*r.get(table_id::users, "parent"), "P");
}

TEST_P(StoreBackend, AReaderSeesTheStateItBeganIn) {
  put_all({"a"});
  txn before = b_->read();
  put_all({"b"});
  auto c = before.open_cursor(table_id::users);
  EXPECT_EQ(c.first()->first, "a");
  EXPECT_FALSE(c.next());
  EXPECT_EQ(keys(), (strings{"a", "b"}));
}

TEST_P(StoreBackend, AnEndedOrReadTransactionRefusesWrites) {
  txn r = b_->read();
  EXPECT_THROW(r.put(table_id::users, "a", "b"), store_error);
  EXPECT_THROW((void)r.child(), store_error);
  txn w = b_->write();
  w.commit();
  EXPECT_EQ(w.backend(), nullptr);
  EXPECT_THROW(w.put(table_id::users, "x", "y"), store_error);
  EXPECT_THROW(w.commit(), store_error);
}

// The typed tables run on either backend: a few of them, end to end.
TEST_P(StoreBackend, TypedTablesWorkOnTheBackend) {
  {
    txn w = b_->write();
    add_friendship(w, "alice@a.example", "bob@a.example", 100);
    add_request(w, "carol@a.example", "alice@a.example", 200);
    inbox_append(w, "bob@a.example", "one");
    inbox_append(w, "bob@a.example", "two");
    group_record g;
    g.name = "team";
    g.leader = "alice@a.example";
    g.members = {"alice@a.example", "bob@a.example"};
    save_group(w, "#g1@a.example", g, nullptr);
    EXPECT_EQ(next_counter(w, "next_message_id"), 1u);
    EXPECT_EQ(next_counter(w, "next_message_id"), 2u);
    w.commit();
  }
  txn r = b_->read();
  EXPECT_TRUE(are_friends(r, "bob@a.example", "alice@a.example"));
  EXPECT_EQ(friends_of(r, "alice@a.example"), (strings{"bob@a.example"}));
  EXPECT_EQ(requests_in(r, "alice@a.example"), (strings{"carol@a.example"}));
  EXPECT_EQ(inbox_size(r, "bob@a.example"), 2u);
  bool more = false;
  const auto page = inbox_read(r, "bob@a.example", 0, 1, 1 << 20, more);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].frame, "one");
  EXPECT_TRUE(more);
  const auto groups = groups_of(r, "bob@a.example", group_role::member);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].first, "#g1@a.example");
  EXPECT_EQ(groups[0].second.leader, "alice@a.example");
}

TEST_P(StoreBackend, HistoryIsWalkedUpAndDownFromAnyId) {
  {
    txn w = b_->write();
    stored_message m{1, "alice@a.example", "bob@a.example", "hi"};
    for (std::uint64_t id : {3u, 5u, 9u}) store_message(w, id, m, {"alice@a.example"});
    store_message(w, 4, m, {"bob@a.example"});
    w.commit();
  }
  txn r = b_->read();
  std::vector<std::uint64_t> up, down, last;
  history_up(r, "alice@a.example", 4, [&](std::uint64_t id) { return up.push_back(id), true; });
  history_down(r, "alice@a.example", 8, [&](std::uint64_t id) { return down.push_back(id), true; });
  history_down(r, "alice@a.example", UINT64_MAX, [&](std::uint64_t id) { return last.push_back(id), false; });
  EXPECT_EQ(up, (std::vector<std::uint64_t>{5, 9}));
  EXPECT_EQ(down, (std::vector<std::uint64_t>{5, 3}));
  EXPECT_EQ(last, (std::vector<std::uint64_t>{9}));
}

TEST_P(StoreBackend, MediaChunksDeliveriesAndFetchesAreTyped) {
  txn w = b_->write();
  EXPECT_TRUE(store_chunk(w, "pic", 1, "one"));
  EXPECT_FALSE(store_chunk(w, "pic", 1, "again"));
  EXPECT_TRUE(store_chunk(w, "pic", 3, "three"));
  EXPECT_TRUE(store_chunk(w, "pic.2", 2, "other media"));
  EXPECT_EQ(stored_chunks(w, "pic", 0), (std::vector<std::uint32_t>{1, 3}));
  EXPECT_EQ(first_missing_chunk(w, "pic", 3), 2u);
  EXPECT_EQ(*load_chunk(w, "pic", 1), "one");
  drop_chunks(w, "pic", 3);
  EXPECT_TRUE(stored_chunks(w, "pic", 0).empty());

  add_delivery(w, "bob@a.example", "pic");
  EXPECT_EQ(delivery_progress(w, "bob@a.example", "pic"), 0u);
  advance_delivery(w, "bob@a.example", "pic", 4);
  advance_delivery(w, "bob@a.example", "pic", 2);  // never back
  EXPECT_EQ(delivery_progress(w, "bob@a.example", "pic"), 4u);
  EXPECT_EQ(deliveries_of(w, "bob@a.example"), (strings{"pic"}));
  EXPECT_TRUE(remove_delivery(w, "bob@a.example", "pic"));
  EXPECT_FALSE(delivery_progress(w, "bob@a.example", "pic"));

  fetch_record f;
  f.origin = "b.example";
  f.to = {"bob@a.example"};
  save_fetch(w, "pic", f);
  ASSERT_EQ(fetches(w).size(), 1u);
  EXPECT_EQ(fetches(w)[0].second.to, (strings{"bob@a.example"}));
  EXPECT_TRUE(drop_fetch(w, "pic"));
  EXPECT_FALSE(fetch_exists(w, "pic"));
  w.commit();
}

TEST_P(StoreBackend, AccountsAreCreatedOnceAndAnUnreadableOneIsAnError) {
  txn w = b_->write();
  EXPECT_TRUE(create_account(w, "alice", {"cred", 10, false}));
  EXPECT_FALSE(create_account(w, "alice", {"other", 11, false}));
  EXPECT_EQ(load_account(w, "alice")->credential, "cred");
  EXPECT_FALSE(load_account(w, "nobody"));
  w.put(table_id::users, "broken", "{");
  EXPECT_THROW((void)load_account(w, "broken"), std::runtime_error);
  std::vector<std::string> names;
  for_each_account(w, [&](std::string_view name, const auto& record) {
    names.emplace_back(std::string(name) + (record ? "" : "?"));
  });
  EXPECT_EQ(names, (strings{"alice", "broken?"}));
  w.commit();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreBackend, ::testing::Values("lmdb", "memory"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace chatnode::store
