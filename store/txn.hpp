// The storage interface every backend implements: ordered byte tables (schema.hpp) read and
// written in transactions. The typed tables (tables.hpp) are written once over it; a backend
// only provides these primitives: LMDB (lmdb.hpp, the node's store) and memory (memory.hpp,
// for unit tests of the rules). Keys and values are string_views into the backend's storage,
// valid until the transaction ends or the same key is written again. Not-found is a value
// (nullopt); other failures throw (store_error for LMDB).
//
// Lifetimes: a cursor must be destroyed before its txn commits or aborts, and a txn must not
// outlive its database.
#pragma once

#include "schema.hpp"

#include <cerrno>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

namespace chatnode::store {

// Codes are LMDB's (MDB_MAP_FULL, …) or errno values; the category prints both.
const std::error_category& lmdb_category() noexcept;
inline std::error_code make_lmdb_error(int rc) noexcept { return {rc, lmdb_category()}; }

// A storage failure. code().value() is the LMDB return code or errno (EINVAL for a
// transaction used after it was moved from or committed).
class store_error : public std::system_error {
 public:
  store_error(int rc, const char* what) : std::system_error(make_lmdb_error(rc), what) {}
  int rc() const noexcept { return code().value(); }
};

class cursor_backend {
 public:
  using item = std::pair<std::string_view, std::string_view>;
  virtual ~cursor_backend() = default;
  virtual std::optional<item> first() = 0;
  virtual std::optional<item> last() = 0;
  virtual std::optional<item> next() = 0;
  virtual std::optional<item> prev() = 0;
  virtual std::optional<item> seek(std::string_view key) = 0;  // first item with key >= `key`
  virtual std::optional<item> current() = 0;
  // Deletes the current item; next() then returns the item that followed it.
  virtual void del() = 0;
};

class txn_backend {
 public:
  virtual ~txn_backend() = default;  // aborts unless committed
  virtual std::optional<std::string_view> get(table_id t, std::string_view key) const = 0;
  virtual void put(table_id t, std::string_view key, std::string_view value) = 0;
  virtual bool put_if_absent(table_id t, std::string_view key, std::string_view value) = 0;
  virtual bool del(table_id t, std::string_view key) = 0;
  virtual std::unique_ptr<cursor_backend> open_cursor(table_id t) const = 0;
  virtual std::unique_ptr<txn_backend> child() = 0;
  virtual void commit() = 0;
  virtual bool read_only() const noexcept = 0;
};

class cursor {
 public:
  using item = cursor_backend::item;
  explicit cursor(std::unique_ptr<cursor_backend> b) : b_(std::move(b)) {}

  std::optional<item> first() { return b_->first(); }
  std::optional<item> last() { return b_->last(); }
  std::optional<item> next() { return b_->next(); }
  std::optional<item> prev() { return b_->prev(); }
  std::optional<item> seek(std::string_view key) { return b_->seek(key); }
  std::optional<item> current() { return b_->current(); }
  void del() { b_->del(); }  // write transactions only

 private:
  std::unique_ptr<cursor_backend> b_;
};

// A transaction of any backend: a move-only value that aborts unless committed.
class txn {
 public:
  explicit txn(std::unique_ptr<txn_backend> b) : b_(std::move(b)) {}

  std::optional<std::string_view> get(table_id t, std::string_view key) const { return live().get(t, key); }
  void put(table_id t, std::string_view key, std::string_view value) { live().put(t, key, value); }
  // Returns false (and writes nothing) when the key exists.
  bool put_if_absent(table_id t, std::string_view key, std::string_view value) {
    return live().put_if_absent(t, key, value);
  }
  bool del(table_id t, std::string_view key) { return live().del(t, key); }  // false when absent
  cursor open_cursor(table_id t) const { return cursor(live().open_cursor(t)); }

  // A nested write transaction: its changes join the parent when committed, vanish when not.
  // While a child is open the parent may only be committed or aborted. Read txns have none.
  txn child() { return txn(live().child()); }
  // Ends the transaction (whether the commit succeeds or throws).
  void commit() {
    std::unique_ptr<txn_backend> b = std::move(b_);
    if (!b) throw store_error(EINVAL, "commit of an ended txn");
    b->commit();
  }
  bool read_only() const noexcept { return b_ && b_->read_only(); }
  // The backend (null once moved from or committed); a backend may look at its own type.
  txn_backend* backend() const noexcept { return b_.get(); }

 private:
  txn_backend& live() const {
    if (!b_) throw store_error(EINVAL, "use of an ended txn");
    return *b_;
  }
  std::unique_ptr<txn_backend> b_;
};

}  // namespace chatnode::store
