// The RAII layer over LMDB: txns, cursors, schema version, map growth.
#include "store/keys.hpp"
#include "store/lmdb.hpp"
#include "store/tables.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

namespace chatnode::store {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t mib = std::size_t{1} << 20;

class lmdb_test : public ::testing::Test {
 protected:
  options opts() const {
    options o;
    o.dir = dir_.path() / "data";
    return o;
  }
  test::temp_dir dir_;
};

std::string get_string(const database& db, std::string_view key) {
  txn r = db.begin_read();
  auto v = r.get(table_id::users, key);
  return v ? std::string(*v) : std::string("<absent>");
}

TEST_F(lmdb_test, put_get_del) {
  database db(opts());
  {
    txn w = db.begin_write();
    w.put(table_id::users, "alice", "A");
    w.put(table_id::users, "bob", "B");
    EXPECT_EQ(w.get(table_id::users, "alice"), "A");  // own writes are visible
    w.commit();
  }
  EXPECT_EQ(get_string(db, "alice"), "A");
  EXPECT_EQ(get_string(db, "bob"), "B");
  {
    txn r = db.begin_read();
    EXPECT_FALSE(r.get(table_id::users, "carol").has_value());
    EXPECT_FALSE(r.get(table_id::meta, "alice").has_value());  // tables are separate
  }
  {
    txn w = db.begin_write();
    EXPECT_TRUE(w.del(table_id::users, "alice"));
    EXPECT_FALSE(w.del(table_id::users, "alice"));
    EXPECT_FALSE(w.del(table_id::users, "nobody"));
    w.put(table_id::users, "bob", "B2");  // overwrite
    w.commit();
  }
  EXPECT_EQ(get_string(db, "alice"), "<absent>");
  EXPECT_EQ(get_string(db, "bob"), "B2");
}

TEST_F(lmdb_test, put_if_absent_keeps_existing_value) {
  database db(opts());
  txn w = db.begin_write();
  EXPECT_TRUE(w.put_if_absent(table_id::users, "alice", "first"));
  EXPECT_FALSE(w.put_if_absent(table_id::users, "alice", "second"));
  EXPECT_EQ(w.get(table_id::users, "alice"), "first");
  w.commit();
  EXPECT_EQ(get_string(db, "alice"), "first");
}

TEST_F(lmdb_test, uncommitted_txn_aborts_in_destructor) {
  database db(opts());
  {
    txn w = db.begin_write();
    w.put(table_id::users, "alice", "A");
  }
  EXPECT_EQ(get_string(db, "alice"), "<absent>");
  // The writer lock was released: another write txn can start.
  txn w = db.begin_write();
  w.put(table_id::users, "bob", "B");
  w.commit();
  EXPECT_EQ(get_string(db, "bob"), "B");
}

TEST_F(lmdb_test, moved_from_txn_does_nothing) {
  database db(opts());
  txn a = db.begin_write();
  a.put(table_id::users, "alice", "A");
  txn b = std::move(a);
  EXPECT_EQ(a.backend(), nullptr);  // NOLINT(bugprone-use-after-move): checking the move
  EXPECT_THROW(a.put(table_id::users, "x", "y"), store_error);
  b.commit();
  EXPECT_EQ(b.backend(), nullptr);
  EXPECT_THROW(b.commit(), store_error);
  EXPECT_EQ(get_string(db, "alice"), "A");
}

TEST_F(lmdb_test, child_rollback_keeps_parent) {
  database db(opts());
  {
    txn parent = db.begin_write();
    parent.put(table_id::users, "parent", "P");
    {
      txn rolled_back = parent.child();
      rolled_back.put(table_id::users, "lost", "L");
      rolled_back.put(table_id::users, "parent", "overwritten");
      EXPECT_EQ(rolled_back.get(table_id::users, "parent"), "overwritten");
    }
    {
      txn kept = parent.child();
      EXPECT_EQ(kept.get(table_id::users, "parent"), "P");
      EXPECT_FALSE(kept.get(table_id::users, "lost").has_value());
      kept.put(table_id::users, "kept", "K");
      kept.commit();
    }
    EXPECT_EQ(parent.get(table_id::users, "kept"), "K");
    parent.commit();
  }
  EXPECT_EQ(get_string(db, "parent"), "P");
  EXPECT_EQ(get_string(db, "kept"), "K");
  EXPECT_EQ(get_string(db, "lost"), "<absent>");
}

TEST_F(lmdb_test, read_txn_refuses_writes_and_children) {
  database db(opts());
  txn r = db.begin_read();
  EXPECT_TRUE(r.read_only());
  EXPECT_THROW(r.put(table_id::users, "a", "b"), store_error);
  EXPECT_THROW((void)r.child(), store_error);
}

TEST_F(lmdb_test, cursor_orders_be64_keys_numerically) {
  database db(opts());
  const std::vector<std::uint64_t> in_order{0, 1, 2, 255, 256, 65535, 65536, 16777216, 1ull << 40,
                                            ~std::uint64_t{0}};
  {
    txn w = db.begin_write();
    // Inserted in an order that differs from both numeric and little-endian byte order.
    for (std::size_t i : {6, 1, 9, 3, 0, 8, 2, 7, 4, 5}) {
      w.put(table_id::users, be64(in_order[i]), std::to_string(in_order[i]));
    }
    w.commit();
  }
  txn r = db.begin_read();
  cursor c = r.open_cursor(table_id::users);
  std::vector<std::uint64_t> seen;
  for (auto it = c.first(); it; it = c.next()) {
    ASSERT_EQ(it->first.size(), 8u);
    EXPECT_EQ(it->second, std::to_string(read_be64(it->first)));
    seen.push_back(read_be64(it->first));
  }
  EXPECT_EQ(seen, in_order);

  auto hit = c.seek(be64(257));
  ASSERT_TRUE(hit);
  EXPECT_EQ(read_be64(hit->first), 65535u);
  hit = c.seek(be64(65536));  // exact match
  ASSERT_TRUE(hit);
  EXPECT_EQ(read_be64(hit->first), 65536u);
  ASSERT_TRUE(c.current());
  EXPECT_EQ(read_be64(c.current()->first), 65536u);
  hit = c.prev();
  ASSERT_TRUE(hit);
  EXPECT_EQ(read_be64(hit->first), 65535u);

  hit = c.last();
  ASSERT_TRUE(hit);
  EXPECT_EQ(read_be64(hit->first), ~std::uint64_t{0});
  EXPECT_FALSE(c.next());

  EXPECT_FALSE(r.open_cursor(table_id::meta).seek("zzz"));  // past the last key
}

TEST_F(lmdb_test, cursor_del_removes_current_item) {
  database db(opts());
  {
    txn w = db.begin_write();
    for (std::uint64_t i = 1; i <= 6; ++i) w.put(table_id::users, be64(i), "v");
    {
      cursor c = w.open_cursor(table_id::users);  // closed before the commit
      for (auto it = c.first(); it; it = c.next()) {
        if (read_be64(it->first) % 2 == 0) c.del();
      }
    }
    w.commit();
  }
  txn r = db.begin_read();
  cursor c = r.open_cursor(table_id::users);
  std::vector<std::uint64_t> seen;
  for (auto it = c.first(); it; it = c.next()) seen.push_back(read_be64(it->first));
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 3, 5}));
}

TEST_F(lmdb_test, data_survives_close_and_reopen) {
  {
    database db(opts());
    txn w = db.begin_write();
    w.put(table_id::users, "alice", "A");
    w.commit();
  }
  database db(opts());
  EXPECT_EQ(get_string(db, "alice"), "A");
}

TEST_F(lmdb_test, new_dir_records_schema_version) {
  database db(opts());
  txn r = db.begin_read();
  auto v = r.get(table_id::meta, "schema_version");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, be32(schema_version));
}

// Writes another schema version into meta with plain LMDB, as an older or newer chatnode would.
void write_raw_schema_version(const std::filesystem::path& dir, std::uint32_t version) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), MDB_SUCCESS);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 8), MDB_SUCCESS);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0600), MDB_SUCCESS);
  MDB_txn* t = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &t), MDB_SUCCESS);
  MDB_dbi meta = 0;
  ASSERT_EQ(mdb_dbi_open(t, "meta", 0, &meta), MDB_SUCCESS);
  std::string key = "schema_version";
  std::string value = be32(version);
  MDB_val k{key.size(), key.data()};
  MDB_val v{value.size(), value.data()};
  ASSERT_EQ(mdb_put(t, meta, &k, &v, 0), MDB_SUCCESS);
  ASSERT_EQ(mdb_txn_commit(t), MDB_SUCCESS);
  mdb_env_close(env);
}

TEST_F(lmdb_test, schema_version_mismatch_refuses_to_open) {
  { database db(opts()); }
  write_raw_schema_version(opts().dir, 99);
  try {
    database db(opts());
    FAIL() << "opened a data dir of schema version 99";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(opts().dir.string()), std::string::npos) << what;
    EXPECT_NE(what.find("schema version 99"), std::string::npos) << what;
    EXPECT_NE(what.find("version " + std::to_string(schema_version)), std::string::npos) << what;
  }
  // The refused dir is left as it was, and still refused.
  EXPECT_THROW(database db(opts()), std::runtime_error);
}

// Version 3 kept a relayed client message as text inside its event ("frame" of deliver,
// "request" of act); opening the dir makes it the JSON object version 4 sends.
TEST_F(lmdb_test, version_3_outbox_events_carry_their_message_as_an_object) {
  const std::string text = R"({"type":"TEXT_MESSAGE","timestamp":1,"payload":{"sender":"a@x","receiver":"b@y","content":"hi"}})";
  const std::string request = R"({"type":"GROUP_LEAVE","timestamp":1,"payload":{"sender":"a@x","group":"g","groupId":"#g@y"}})";
  const std::string deliver = boost::json::serialize(boost::json::object{{"kind", "deliver"}, {"to", boost::json::array{"b@y"}}, {"frame", text}, {"ref", "r1"}});
  const std::string act = boost::json::serialize(boost::json::object{{"kind", "act"}, {"actor", "a@x"}, {"request", request}});
  const std::string broken = R"({"kind":"deliver","to":["b@y"],"frame":"{not json"})";
  const std::string reset = R"({"kind":"reset"})";
  {
    database db(opts());
    txn w = db.begin_write();
    for (const auto& e : {deliver, act, broken, reset}) outbox_append(w, "y", e);
    w.commit();
  }
  write_raw_schema_version(opts().dir, 3);

  database db(opts());
  txn r = db.begin_read();
  EXPECT_EQ(*r.get(table_id::meta, "schema_version"), be32(schema_version));
  const auto entries = outbox_read(r, "y", 0, 10);
  ASSERT_EQ(entries.size(), 4u);
  const auto d = boost::json::parse(entries[0].event).as_object();
  EXPECT_FALSE(d.contains("frame"));
  EXPECT_EQ(d.at("message"), boost::json::parse(text));
  EXPECT_EQ(d.at("ref"), "r1");
  EXPECT_EQ(d.at("to"), boost::json::array{"b@y"});
  EXPECT_EQ(boost::json::parse(entries[1].event).as_object().at("request"), boost::json::parse(request));
  EXPECT_EQ(entries[2].event, broken);  // not a JSON object: left for the peer to refuse
  EXPECT_EQ(entries[3].event, reset);
  // The stream positions stay.
  for (std::size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].at.seq, i + 1);
}

TEST_F(lmdb_test, open_failure_names_the_path) {
  // A regular file where the data dir should be.
  const auto file = dir_.path() / "not-a-dir";
  { std::FILE* f = std::fopen(file.c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
  options o;
  o.dir = file;
  try {
    database db(o);
    FAIL() << "opened a file as a data dir";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

TEST_F(lmdb_test, error_category_reads_like_lmdb) {
  std::error_code ec = make_lmdb_error(MDB_MAP_FULL);
  EXPECT_STREQ(ec.category().name(), "lmdb");
  EXPECT_NE(ec.message().find("MDB_MAP_FULL"), std::string::npos) << ec.message();
  EXPECT_EQ(make_lmdb_error(ENOSPC), std::errc::no_space_on_device);
  EXPECT_EQ(make_lmdb_error(ENOSPC).message(), std::generic_category().message(ENOSPC));
  store_error e(MDB_NOTFOUND, "mdb_get");
  EXPECT_EQ(e.rc(), MDB_NOTFOUND);
  EXPECT_NE(std::string(e.what()).find("mdb_get"), std::string::npos);
}

// Fills the users table until the map is full, growing it directly as the writer would.
std::size_t fill_with_growth(database& db, std::size_t values, std::size_t& growths) {
  const std::string value(16 * 1024, 'x');
  std::size_t written = 0;
  while (written < values) {
    txn w = db.begin_write();
    try {
      for (std::size_t i = written; i < written + 16 && i < values; ++i) {
        w.put(table_id::users, be64(i), value);
      }
      w.commit();
      written = std::min(values, written + 16);
    } catch (const store_error& e) {
      if (e.rc() != MDB_MAP_FULL) throw;
      { txn gone = std::move(w); }  // abort before growing
      if (!db.grow_map()) return written;
      ++growths;
    }
  }
  return written;
}

TEST_F(lmdb_test, map_grows_and_reopens_larger_than_asked) {
  options o = opts();
  o.map_size = mib;
  std::size_t growths = 0;
  {
    database db(o);
    EXPECT_EQ(db.map_size(), mib);
    EXPECT_EQ(fill_with_growth(db, 256, growths), 256u);  // 4 MiB of values
    EXPECT_GT(growths, 0u);
    EXPECT_GE(db.map_size(), 4 * mib);
  }
  database db(o);  // asks for 1 MiB again; the file is bigger
  EXPECT_GE(db.map_size(), std::filesystem::file_size(o.dir / "data.mdb"));
  txn r = db.begin_read();
  for (std::uint64_t i = 0; i < 256; ++i) ASSERT_TRUE(r.get(table_id::users, be64(i))) << i;
}

TEST_F(lmdb_test, map_growth_stops_at_max) {
  options o = opts();
  o.map_size = mib;
  o.max_map_size = 2 * mib;
  database db(o);
  std::size_t growths = 0;
  EXPECT_LT(fill_with_growth(db, 1024, growths), 1024u);
  EXPECT_EQ(growths, 1u);
  EXPECT_EQ(db.map_size(), 2 * mib);
  EXPECT_FALSE(db.grow_map());
}

TEST_F(lmdb_test, grow_map_waits_for_open_readers) {
  options o = opts();
  o.map_size = mib;
  database db(o);
  {
    txn w = db.begin_write();
    w.put(table_id::users, "alice", "A");
    w.commit();
  }
  auto reader = std::make_optional(db.begin_read());
  auto grown = std::async(std::launch::async, [&] { return db.grow_map(); });
  EXPECT_EQ(grown.wait_for(200ms), std::future_status::timeout);
  EXPECT_EQ(reader->get(table_id::users, "alice"), "A");  // the old map is still mapped
  reader.reset();
  ASSERT_EQ(grown.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(grown.get());
  EXPECT_EQ(db.map_size(), 2 * mib);
  EXPECT_EQ(get_string(db, "alice"), "A");
}

}  // namespace
}  // namespace chatnode::store
