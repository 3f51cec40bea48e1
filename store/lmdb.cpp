// RAII over LMDB, and the opening of a chatnode data dir (tables, schema version, map size).
#include "lmdb.hpp"
#include "upgrade.hpp"

#include "keys.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

namespace chatnode::store {

namespace {

class lmdb_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "lmdb"; }
  std::string message(int rc) const override {
    // mdb_strerror() falls back to strerror(), which is not thread-safe; the generic
    // category uses strerror_r for errno values.
    if (rc > 0) return std::generic_category().message(rc);
    return mdb_strerror(rc);
  }
  // Lets an LMDB ENOSPC compare equal to std::errc::no_space_on_device, and so on.
  std::error_condition default_error_condition(int rc) const noexcept override {
    if (rc > 0) return {rc, std::generic_category()};
    return {rc, *this};
  }
};

MDB_val to_val(std::string_view s) noexcept {
  // LMDB takes void* but never writes through a key or a value it is given.
  return {s.size(), const_cast<char*>(s.data())};
}

std::string_view to_view(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw store_error(rc, what);
}

constexpr std::string_view schema_version_key = "schema_version";
// Room for tables added by a later schema without a new maxdbs.
constexpr unsigned spare_tables = 4;
constexpr mdb_mode_t data_file_mode = 0600;  // password hashes live here

}  // namespace

const std::error_category& lmdb_category() noexcept {
  static const lmdb_category_impl category;
  return category;
}

// ---- transactions and cursors -----------------------------------------------------------

namespace {

class lmdb_cursor final : public cursor_backend {
 public:
  explicit lmdb_cursor(MDB_cursor* c) : c_(c) {}
  lmdb_cursor(const lmdb_cursor&) = delete;
  lmdb_cursor& operator=(const lmdb_cursor&) = delete;
  ~lmdb_cursor() override { mdb_cursor_close(c_); }

  std::optional<item> first() override { return op(MDB_FIRST); }
  std::optional<item> last() override { return op(MDB_LAST); }
  std::optional<item> next() override { return op(MDB_NEXT); }
  std::optional<item> prev() override { return op(MDB_PREV); }
  std::optional<item> seek(std::string_view key) override { return op(MDB_SET_RANGE, key); }
  std::optional<item> current() override { return op(MDB_GET_CURRENT); }
  void del() override { check(mdb_cursor_del(c_, 0), "mdb_cursor_del"); }

 private:
  std::optional<item> op(MDB_cursor_op o, std::string_view key = {}) {
    MDB_val k = to_val(key);
    MDB_val v{};
    int rc = mdb_cursor_get(c_, &k, &v, o);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "mdb_cursor_get");
    return item{to_view(k), to_view(v)};
  }
  MDB_cursor* c_;
};

class lmdb_txn final : public txn_backend {
 public:
  lmdb_txn(const database& db, MDB_txn* t, bool read_only, std::shared_lock<std::shared_mutex> lock)
      : db_(db), t_(t), read_only_(read_only), lock_(std::move(lock)) {}
  lmdb_txn(const lmdb_txn&) = delete;
  lmdb_txn& operator=(const lmdb_txn&) = delete;
  ~lmdb_txn() override {
    if (t_ != nullptr) mdb_txn_abort(t_);
    // lock_ is released after the abort, so grow_map() never sees this txn alive.
  }

  std::optional<std::string_view> get(table_id t, std::string_view key) const override {
    MDB_val k = to_val(key);
    MDB_val v{};
    int rc = mdb_get(t_, db_.dbi(t), &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "mdb_get");
    return to_view(v);
  }

  void put(table_id t, std::string_view key, std::string_view value) override {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    check(mdb_put(t_, db_.dbi(t), &k, &v, 0), "mdb_put");
  }

  bool put_if_absent(table_id t, std::string_view key, std::string_view value) override {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    int rc = mdb_put(t_, db_.dbi(t), &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) return false;
    check(rc, "mdb_put");
    return true;
  }

  bool del(table_id t, std::string_view key) override {
    MDB_val k = to_val(key);
    int rc = mdb_del(t_, db_.dbi(t), &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "mdb_del");
    return true;
  }

  std::unique_ptr<cursor_backend> open_cursor(table_id t) const override {
    MDB_cursor* c = nullptr;
    check(mdb_cursor_open(t_, db_.dbi(t), &c), "mdb_cursor_open");
    return std::make_unique<lmdb_cursor>(c);
  }

  std::unique_ptr<txn_backend> child() override {
    // LMDB has no nested read transactions.
    if (read_only_) throw store_error(EINVAL, "mdb_txn_begin (child)");
    MDB_txn* c = nullptr;
    check(mdb_txn_begin(mdb_txn_env(t_), t_, 0, &c), "mdb_txn_begin (child)");
    // The parent's writer already keeps the map from growing; a child takes no lock.
    return std::make_unique<lmdb_txn>(db_, c, false, std::shared_lock<std::shared_mutex>{});
  }

  void commit() override {
    // LMDB frees the txn whether the commit succeeds or not.
    int rc = mdb_txn_commit(std::exchange(t_, nullptr));
    if (lock_.owns_lock()) lock_.unlock();
    check(rc, "mdb_txn_commit");
  }

  bool read_only() const noexcept override { return read_only_; }
  MDB_txn* native() const noexcept { return t_; }

 private:
  const database& db_;
  MDB_txn* t_;
  bool read_only_;
  std::shared_lock<std::shared_mutex> lock_;  // read txns hold off map growth
};

MDB_txn* native(const txn& t) { return static_cast<const lmdb_txn*>(t.backend())->native(); }

}  // namespace

// ---- database --------------------------------------------------------------------------

database::database(const options& opts) : opts_(opts) {
  const std::string where = opts_.dir.string();
  std::error_code ec;
  std::filesystem::create_directories(opts_.dir, ec);
  if (ec) throw std::runtime_error("cannot create data dir " + where + ": " + ec.message());

  int rc = mdb_env_create(&env_);
  if (rc != MDB_SUCCESS) {
    env_ = nullptr;
    throw std::runtime_error("data dir " + where + ": mdb_env_create: " + mdb_strerror(rc));
  }
  try {
    open_env();
    open_tables();
  } catch (const store_error& e) {
    mdb_env_close(env_);
    env_ = nullptr;
    throw std::runtime_error("data dir " + where + ": " + e.what());
  } catch (...) {
    // Any txn of open_tables() has ended by now (its destructor ran during unwinding).
    mdb_env_close(env_);
    env_ = nullptr;
    throw;
  }
}

void database::open_env() {
  check(mdb_env_set_maxdbs(env_, static_cast<MDB_dbi>(table_names.size() + spare_tables)),
        "mdb_env_set_maxdbs");
  check(mdb_env_set_maxreaders(env_, opts_.max_readers), "mdb_env_set_maxreaders");

  // Never map less than the file already holds (a dir that grew earlier).
  std::size_t size = opts_.map_size;
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(opts_.dir / "data.mdb", ec);
  if (!ec) size = std::max<std::size_t>(size, file_size);
  check(mdb_env_set_mapsize(env_, size), "mdb_env_set_mapsize");

  // MDB_NOTLS: a read txn belongs to its object, not to the thread that began it.
  // No NOSYNC/NOMETASYNC/WRITEMAP: every commit is fsync'd.
  const int rc = mdb_env_open(env_, opts_.dir.c_str(), MDB_NOTLS, data_file_mode);
  if (rc != MDB_SUCCESS) {
    throw std::runtime_error("cannot open LMDB environment in " + opts_.dir.string() + ": " + mdb_strerror(rc));
  }
  MDB_envinfo info{};
  check(mdb_env_info(env_, &info), "mdb_env_info");
  map_size_ = info.me_mapsize;
  opts_.max_map_size = std::max(opts_.max_map_size, info.me_mapsize);
}

void database::open_tables() {
  txn w = begin_write();
  // meta first: a dir of another schema must be left exactly as it was.
  MDB_dbi meta = 0;
  check(mdb_dbi_open(native(w), std::string(table_names[0]).c_str(), MDB_CREATE, &meta),
        "mdb_dbi_open");
  dbis_[static_cast<std::size_t>(table_id::meta)] = meta;
  const std::uint32_t upgrade_from = check_schema_version(w);
  for (std::size_t i = 0; i < table_names.size(); ++i) {
    check(mdb_dbi_open(native(w), std::string(table_names[i]).c_str(), MDB_CREATE, &dbis_[i]),
          "mdb_dbi_open");
  }
  if (upgrade_from != 0) {
    upgrade(w, upgrade_from);
    w.put(table_id::meta, schema_version_key, be32(schema_version));
  }
  w.commit();
}

std::uint32_t database::check_schema_version(txn& w) {
  const auto v = w.get(table_id::meta, schema_version_key);
  if (!v) {
    w.put(table_id::meta, schema_version_key, be32(schema_version));
    return 0;
  }
  if (v->size() != 4) {
    throw std::runtime_error("data dir " + opts_.dir.string() + " holds a malformed schema version (" +
                             std::to_string(v->size()) + " bytes)");
  }
  const std::uint32_t found = read_be32(*v);
  if (found >= 1 && found < schema_version) return found;  // upgraded once every table is open
  if (found != schema_version) {
    throw std::runtime_error("data dir " + opts_.dir.string() + " holds schema version " +
                             std::to_string(found) + "; this chatnode reads version " +
                             std::to_string(schema_version));
  }
  return 0;
}

database::~database() {
  if (env_ != nullptr) mdb_env_close(env_);
}

txn database::begin_read() const {
  if (growing_.load(std::memory_order_acquire)) {
    // Wait behind the grower instead of slipping in ahead of it.
    std::lock_guard gate(grow_gate_);
  }
  std::shared_lock lock(resize_mutex_);
  MDB_txn* t = nullptr;
  check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &t), "mdb_txn_begin (read)");
  return txn(std::make_unique<lmdb_txn>(*this, t, true, std::move(lock)));
}

txn database::begin_write() {
  MDB_txn* t = nullptr;
  check(mdb_txn_begin(env_, nullptr, 0, &t), "mdb_txn_begin (write)");
  return txn(std::make_unique<lmdb_txn>(*this, t, false, std::shared_lock<std::shared_mutex>{}));
}

bool database::grow_map() {
  std::lock_guard gate(grow_gate_);
  growing_.store(true, std::memory_order_release);
  struct clear_flag {
    std::atomic<bool>& f;
    ~clear_flag() { f.store(false, std::memory_order_release); }
  } clear{growing_};

  std::unique_lock lock(resize_mutex_);  // every read txn has ended
  const std::size_t current = map_size_.load(std::memory_order_relaxed);
  if (current >= opts_.max_map_size) return false;
  const std::size_t wanted =
      current > opts_.max_map_size / 2 ? opts_.max_map_size : current * 2;
  check(mdb_env_set_mapsize(env_, wanted), "mdb_env_set_mapsize");
  MDB_envinfo info{};
  check(mdb_env_info(env_, &info), "mdb_env_info");
  map_size_.store(info.me_mapsize, std::memory_order_relaxed);
  return info.me_mapsize > current;
}

}  // namespace chatnode::store
