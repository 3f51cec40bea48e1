// Backup and restore over LMDB's own copy (mdb_env_copyfd2 with compaction).
#include "backup.hpp"

#include "keys.hpp"
#include "schema.hpp"

#include <lmdb.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace chatnode::store {
namespace fs = std::filesystem;
namespace {

std::runtime_error failure(const std::string& what, int rc) {
  return std::runtime_error(what + ": " + (rc > 0 ? std::strerror(rc) : mdb_strerror(rc)));
}

// A read-only view of an environment another process may be writing.
class readonly_env {
 public:
  explicit readonly_env(const fs::path& dir) {
    if (!fs::exists(dir / "data.mdb")) throw std::runtime_error(dir.string() + " holds no data.mdb");
    int rc = mdb_env_create(&env_);
    if (rc == MDB_SUCCESS) rc = mdb_env_set_maxdbs(env_, static_cast<MDB_dbi>(table_names.size()));
    if (rc == MDB_SUCCESS) rc = mdb_env_open(env_, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600);
    if (rc != MDB_SUCCESS) {
      mdb_env_close(env_);
      throw failure("cannot open " + dir.string(), rc);
    }
  }
  ~readonly_env() { mdb_env_close(env_); }
  readonly_env(const readonly_env&) = delete;
  readonly_env& operator=(const readonly_env&) = delete;
  MDB_env* get() const { return env_; }

  // The schema version recorded in meta, 0 when there is none.
  std::uint32_t schema() const {
    MDB_txn* t = nullptr;
    if (mdb_txn_begin(env_, nullptr, MDB_RDONLY, &t) != MDB_SUCCESS) return 0;
    std::uint32_t version = 0;
    MDB_dbi meta = 0;
    if (mdb_dbi_open(t, "meta", 0, &meta) == MDB_SUCCESS) {
      std::string key = "schema_version";
      MDB_val k{key.size(), key.data()}, v{};
      if (mdb_get(t, meta, &k, &v) == MDB_SUCCESS && v.mv_size == 4)
        version = read_be32(std::string_view(static_cast<const char*>(v.mv_data), 4));
    }
    mdb_txn_abort(t);
    return version;
  }

 private:
  MDB_env* env_ = nullptr;
};

// Writes a compacted copy of `env` into the new file `file` (mode 0600 from the start).
void copy_to(const readonly_env& env, const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw failure("cannot create " + file.string(), errno);
  int rc = mdb_env_copyfd2(env.get(), fd, MDB_CP_COMPACT);
  if (rc == MDB_SUCCESS && ::fsync(fd) != 0) rc = errno;
  ::close(fd);
  if (rc != MDB_SUCCESS) {
    fs::remove(file);
    throw failure("copying to " + file.string(), rc);
  }
}

void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

fs::path serve_lock_file(const fs::path& data_dir) { return data_dir / "serve.lock"; }

serve_lock::serve_lock(const fs::path& data_dir) {
  fs::create_directories(data_dir);
  fd_ = ::open(serve_lock_file(data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw failure("cannot open " + serve_lock_file(data_dir).string(), errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw std::runtime_error("another chatnode serves the data dir " + data_dir.string());
  }
}

serve_lock::~serve_lock() { ::close(fd_); }

void backup(const fs::path& data_dir, const fs::path& dest) {
  readonly_env env(data_dir);
  if (env.schema() == 0) throw std::runtime_error(data_dir.string() + " is not a chatnode data dir");
  std::error_code ec;
  if (!fs::create_directory(dest, ec) || ec)
    throw std::runtime_error("cannot create " + dest.string() + (ec ? ": " + ec.message() : ": it exists"));
  fs::permissions(dest, fs::perms::owner_all, ec);
  copy_to(env, dest / "data.mdb");
  sync_dir(dest);
}

void restore(const fs::path& src, const fs::path& data_dir) {
  // `chatnode serve` holds this lock while it runs.
  fs::create_directories(data_dir);
  const int lock = ::open(serve_lock_file(data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) throw failure("cannot open " + serve_lock_file(data_dir).string(), errno);
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock);
    throw std::runtime_error("a node is running on " + data_dir.string() + "; stop it first");
  }
  try {
    readonly_env env(src);
    const auto version = env.schema();
    if (version == 0 || version > schema_version)
      throw std::runtime_error(src.string() + " is not a backup this chatnode can read (schema version " +
                               std::to_string(version) + ")");
    // Copy beside the data, then swap it in at once: an interrupted restore leaves the old data.
    const fs::path incoming = data_dir / "data.mdb.restoring";
    fs::remove(incoming);
    copy_to(env, incoming);
    fs::rename(incoming, data_dir / "data.mdb");
    fs::remove(data_dir / "lock.mdb");  // the reader table of the old data
    sync_dir(data_dir);
  } catch (...) {
    ::close(lock);
    throw;
  }
  ::close(lock);
}

}  // namespace chatnode::store
