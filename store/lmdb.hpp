// Move-only RAII over LMDB: environment (database), transactions that abort unless
// committed, cursors. Keys and values are string_views into the map, valid until the
// transaction ends. Not-found is a value (nullopt); other LMDB failures throw store_error.
//
// Lifetimes: a cursor must be destroyed before its txn commits or aborts (LMDB frees the
// cursors of a write txn with the txn), and a txn must not outlive its database.
#pragma once

#include "schema.hpp"

#include <lmdb.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <system_error>
#include <utility>

namespace chatnode::store {

const std::error_category& lmdb_category() noexcept;
inline std::error_code make_lmdb_error(int rc) noexcept { return {rc, lmdb_category()}; }

// An LMDB failure. code().value() is the LMDB return code (MDB_MAP_FULL, …).
class store_error : public std::system_error {
 public:
  store_error(int rc, const char* what) : std::system_error(make_lmdb_error(rc), what) {}
  int rc() const noexcept { return code().value(); }
};

struct options {
  std::filesystem::path dir;                        // created if missing
  std::size_t map_size = std::size_t{64} << 20;     // initial map size
  std::size_t max_map_size = std::size_t{1} << 40;  // growth stops here (MDB_MAP_FULL surfaces)
  unsigned max_readers = 1024;
};

class database;

class cursor {
 public:
  using item = std::pair<std::string_view, std::string_view>;
  cursor(cursor&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  cursor& operator=(cursor&&) = delete;
  cursor(const cursor&) = delete;
  ~cursor();

  std::optional<item> first();
  std::optional<item> last();
  std::optional<item> next();
  std::optional<item> prev();
  std::optional<item> seek(std::string_view key);  // first item with key >= `key`
  std::optional<item> current();
  void del();  // deletes the current item (write transactions only)

 private:
  friend class txn;
  explicit cursor(MDB_cursor* c) : c_(c) {}
  std::optional<item> op(MDB_cursor_op o, std::string_view key = {});
  MDB_cursor* c_;
};

class txn {
 public:
  txn(txn&& o) noexcept;
  txn& operator=(txn&&) = delete;
  txn(const txn&) = delete;
  ~txn();  // aborts unless committed

  std::optional<std::string_view> get(table_id t, std::string_view key) const;
  void put(table_id t, std::string_view key, std::string_view value);
  // Returns false (and writes nothing) when the key exists.
  bool put_if_absent(table_id t, std::string_view key, std::string_view value);
  bool del(table_id t, std::string_view key);  // false when absent
  cursor open_cursor(table_id t) const;

  // A nested write transaction: its changes join the parent when committed, vanish when not.
  // While a child is open the parent may only be committed or aborted. Read txns have none.
  txn child();
  void commit();
  bool read_only() const noexcept { return read_only_; }
  MDB_txn* native() const noexcept { return t_; }

 private:
  friend class database;
  txn(const database& db, MDB_txn* t, bool read_only, std::shared_lock<std::shared_mutex> lock)
      : db_(&db), t_(t), read_only_(read_only), lock_(std::move(lock)) {}
  const database* db_;
  MDB_txn* t_;
  bool read_only_;
  std::shared_lock<std::shared_mutex> lock_;  // read txns hold off map growth
};

class database {
 public:
  // Opens (creating if needed) the environment in opts.dir and every table of schema.hpp,
  // writes or checks the schema version. Throws std::runtime_error with a readable message.
  explicit database(const options& opts);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // Readers never wait on the writer (MVCC); they only wait while the map grows. A thread
  // must not open a read txn while it holds one, nor hold one while it waits for the writer:
  // either can deadlock with grow_map().
  txn begin_read() const;
  // Only the writer thread calls these.
  txn begin_write();
  // Doubles the map size (up to max_map_size) while no read transaction is open: waits for
  // the open ones to end and holds new ones off. The caller must have no txn open (LMDB
  // forbids resizing under a live txn of this process). Returns false when already at
  // max_map_size.
  bool grow_map();

  std::size_t map_size() const noexcept { return map_size_.load(std::memory_order_relaxed); }
  MDB_dbi dbi(table_id t) const noexcept { return dbis_[static_cast<std::size_t>(t)]; }
  const std::filesystem::path& dir() const noexcept { return opts_.dir; }

 private:
  options opts_;
  MDB_env* env_ = nullptr;
  std::atomic<std::size_t> map_size_ = 0;  // read by metrics on any thread
  std::array<MDB_dbi, table_names.size()> dbis_{};
  mutable std::shared_mutex resize_mutex_;
  // glibc's rwlock prefers readers, so a steady stream of them could starve grow_map();
  // while growing_ is set, new readers queue on grow_gate_ instead.
  mutable std::mutex grow_gate_;
  std::atomic<bool> growing_ = false;
};

}  // namespace chatnode::store
