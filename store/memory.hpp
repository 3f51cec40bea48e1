// The in-memory backend of the storage interface (txn.hpp), for unit tests of the rules: the
// same tables, ordering, child transactions and snapshot reads as LMDB, kept in std::maps.
// Nothing is written to disk. A write transaction works on its own copy of the tables and
// publishes it at commit, so readers see committed states only; one write transaction at a
// time (as with LMDB's single writer).
#pragma once

#include "schema.hpp"
#include "txn.hpp"

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace chatnode::store {

class memory_database {
 public:
  using table = std::map<std::string, std::string, std::less<>>;
  using tables = std::array<table, table_names.size()>;

  memory_database();
  memory_database(const memory_database&) = delete;
  memory_database& operator=(const memory_database&) = delete;

  txn begin_read() const;
  txn begin_write();

 private:
  friend class memory_txn;
  std::mutex writer_mutex_;    // held by the open top-level write transaction
  mutable std::mutex mutex_;  // guards committed_
  std::shared_ptr<const tables> committed_;
};

}  // namespace chatnode::store
