// The LMDB backend of the storage interface (txn.hpp): the environment of a data dir, whose
// transactions and cursors are LMDB's. Keys and values are string_views into the map. LMDB
// failures throw store_error with LMDB's code.
//
// Lifetimes: a cursor must be destroyed before its txn commits or aborts (LMDB frees the
// cursors of a write txn with the txn), and a txn must not outlive its database.
#pragma once

#include "schema.hpp"
#include "txn.hpp"

#include <lmdb.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <optional>
#include <shared_mutex>

namespace chatnode::store {

struct options {
  std::filesystem::path dir;                        // created if missing
  std::size_t map_size = std::size_t{64} << 20;     // initial map size
  std::size_t max_map_size = std::size_t{1} << 40;  // growth stops here (MDB_MAP_FULL surfaces)
  unsigned max_readers = 1024;
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
  // The constructor's steps; each throws, and the constructor closes env_ after.
  void open_env();     // limits, map size, mdb_env_open
  void open_tables();  // every table of schema.hpp, the schema version checked or upgraded
  // Writes the version into a new dir; else the version to upgrade from, or 0 if current.
  std::uint32_t check_schema_version(txn& w);

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
