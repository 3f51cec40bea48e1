// The in-memory backend: copy-on-begin write transactions over snapshots of std::maps.
#include "memory.hpp"

#include "keys.hpp"

#include <cerrno>
#include <utility>

namespace chatnode::store {

namespace {

using table = memory_database::table;
using tables = memory_database::tables;

table& table_of(tables& ts, table_id t) { return ts[static_cast<std::size_t>(t)]; }

// Walks one table. A deleted item leaves the cursor between its neighbours: next() returns
// the item after it, prev() the one before, as LMDB's cursors do.
class memory_cursor final : public cursor_backend {
 public:
  memory_cursor(table& tb, bool read_only) : t_(tb), at_(tb.end()), read_only_(read_only) {}

  std::optional<item> first() override { return land(t_.begin()); }
  std::optional<item> last() override { return t_.empty() ? land(t_.end()) : land(std::prev(t_.end())); }
  std::optional<item> next() override {
    if (after_delete_) return land(at_);
    if (!positioned_) return first();  // as LMDB: next on a fresh cursor is first
    if (at_ == t_.end()) return std::nullopt;
    return land(std::next(at_));
  }
  std::optional<item> prev() override {
    if (at_ == t_.begin()) return land(t_.end());
    if (at_ == t_.end() && !after_delete_) return last();
    return land(std::prev(at_));
  }
  std::optional<item> seek(std::string_view key) override { return land(t_.lower_bound(key)); }
  std::optional<item> current() override {
    if (after_delete_ || at_ == t_.end()) return std::nullopt;
    return item{at_->first, at_->second};
  }
  void del() override {
    if (read_only_) throw store_error(EACCES, "cursor del in a read txn");
    if (after_delete_ || at_ == t_.end()) throw store_error(EINVAL, "cursor del without a current item");
    at_ = t_.erase(at_);
    after_delete_ = true;
  }

 private:
  std::optional<item> land(table::iterator it) {
    at_ = it;
    positioned_ = true;
    after_delete_ = false;
    if (it == t_.end()) return std::nullopt;
    return item{it->first, it->second};
  }
  table& t_;
  table::iterator at_;
  bool read_only_;
  bool positioned_ = false;
  bool after_delete_ = false;
};

}  // namespace

// `parent` null: a top-level transaction of `db` (a write one publishes at commit).
class memory_txn final : public txn_backend {
 public:
  // A read transaction: a snapshot.
  explicit memory_txn(std::shared_ptr<const tables> snapshot)
      : db_(nullptr), parent_(nullptr), read_(std::move(snapshot)) {}
  // A write transaction: a copy of `base`, published to `db` or written into `parent`.
  memory_txn(memory_database* db, memory_txn* parent, const tables& base, std::unique_lock<std::mutex> writer)
      : db_(db), parent_(parent), write_(std::make_shared<tables>(base)), writer_(std::move(writer)) {}

  std::optional<std::string_view> get(table_id t, std::string_view key) const override {
    const table& tb = view()[static_cast<std::size_t>(t)];
    auto it = tb.find(key);
    if (it == tb.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  void put(table_id t, std::string_view key, std::string_view value) override {
    table& tb = writable(t);
    auto it = tb.find(key);
    if (it == tb.end()) {
      tb.emplace(std::string(key), std::string(value));
    } else {
      it->second.assign(value);
    }
  }
  bool put_if_absent(table_id t, std::string_view key, std::string_view value) override {
    table& tb = writable(t);
    if (tb.find(key) != tb.end()) return false;
    tb.emplace(std::string(key), std::string(value));
    return true;
  }
  bool del(table_id t, std::string_view key) override {
    table& tb = writable(t);
    auto it = tb.find(key);
    if (it == tb.end()) return false;
    tb.erase(it);
    return true;
  }
  std::unique_ptr<cursor_backend> open_cursor(table_id t) const override {
    // A read transaction's snapshot is shared and never changed: its cursors refuse del().
    auto& tb = const_cast<table&>(view()[static_cast<std::size_t>(t)]);
    return std::make_unique<memory_cursor>(tb, !write_);
  }
  std::unique_ptr<txn_backend> child() override {
    if (!write_) throw store_error(EINVAL, "child of a read txn");
    return std::make_unique<memory_txn>(nullptr, this, *write_, std::unique_lock<std::mutex>{});
  }
  void commit() override {
    if (!write_) {
      read_.reset();
      return;
    }
    if (parent_ != nullptr) {
      *parent_->write_ = std::move(*write_);
    } else {
      std::lock_guard lock(db_->mutex_);
      db_->committed_ = std::move(write_);
    }
    write_.reset();
  }
  bool read_only() const noexcept override { return !write_ && read_; }

 private:
  const tables& view() const {
    if (write_) return *write_;
    if (read_) return *read_;
    throw store_error(EINVAL, "use of an ended txn");
  }
  table& writable(table_id t) {
    if (!write_) throw store_error(EACCES, "write in a read txn");
    return table_of(*write_, t);
  }

  memory_database* db_;
  memory_txn* parent_;
  std::shared_ptr<const tables> read_;
  std::shared_ptr<tables> write_;
  std::unique_lock<std::mutex> writer_;  // held by a top-level write txn
};

memory_database::memory_database() {
  auto first = std::make_shared<tables>();
  table_of(*first, table_id::meta).emplace("schema_version", be32(schema_version));
  committed_ = std::move(first);
}

txn memory_database::begin_read() const {
  std::lock_guard lock(mutex_);
  return txn(std::make_unique<memory_txn>(committed_));
}

txn memory_database::begin_write() {
  // One writer at a time: a second begin_write waits (as on LMDB's writer lock).
  std::unique_lock<std::mutex> writer(writer_mutex_);
  std::shared_ptr<const tables> base;
  {
    std::lock_guard lock(mutex_);
    base = committed_;
  }
  return txn(std::make_unique<memory_txn>(this, nullptr, *base, std::move(writer)));
}

}  // namespace chatnode::store
