// The storage interface (store/txn.hpp) behaves the same on every backend: the typed tables
// and the rules' unit tests rely on these properties, so the in-memory store must have
// LMDB's ordering, cursor, child-transaction and snapshot semantics.
#include "store/lmdb.hpp"
#include "store/memory.hpp"
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

TEST_P(StoreBackend, DeletingThroughACursorMovesOnToTheNextItem) {
  put_all({"a", "b", "c", "d"});
  {
    txn w = b_->write();
    auto c = w.open_cursor(table_id::users);
    for (auto it = c.first(); it; it = c.next()) {
      if (it->first == "b" || it->first == "c") c.del();
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

INSTANTIATE_TEST_SUITE_P(Backends, StoreBackend, ::testing::Values("lmdb", "memory"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace chatnode::store
