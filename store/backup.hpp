// Backups of a data dir (docs/operations.md "Backup and restore"): a consistent, compacted
// copy made while a node serves, kept private (0600), and putting one back in place.
#pragma once

#include <filesystem>

namespace chatnode::store {

// The file `chatnode serve` holds locked while it runs (restore refuses while it is held).
std::filesystem::path serve_lock_file(const std::filesystem::path& data_dir);

// Held by a serving node for its whole life: a second node on the same data dir, or a
// restore under a running node, is refused. Throws std::runtime_error when already held.
class serve_lock {
 public:
  explicit serve_lock(const std::filesystem::path& data_dir);
  ~serve_lock();
  serve_lock(const serve_lock&) = delete;
  serve_lock& operator=(const serve_lock&) = delete;

 private:
  int fd_ = -1;
};

// Copies the LMDB environment in `data_dir` to the new directory `dest` (mode 0700, its
// data.mdb 0600), compacted and consistent even while a node writes to it. Throws
// std::runtime_error with the reason; `dest` must not exist.
void backup(const std::filesystem::path& data_dir, const std::filesystem::path& dest);

// Replaces the data of `data_dir` with the backup in `src` (made by backup()). Refuses while
// a node runs on `data_dir`, and a source that is not a chatnode data dir this version reads.
void restore(const std::filesystem::path& src, const std::filesystem::path& data_dir);

}  // namespace chatnode::store
