// The single writer: batches every job queued while the previous commit ran into one
// fsync'd LMDB commit, each job in its own nested txn, then releases the completions.
#include "writer.hpp"

#include <algorithm>
#include <exception>
#include <iterator>

namespace chatnode::store {

writer::writer(database& db, std::size_t max_batch)
    : db_(db), max_batch_(std::max<std::size_t>(max_batch, 1)), thread_([this] { run(); }) {
  // Read by stop(); nothing can reach stop() from the writer thread before a submit().
  thread_id_ = thread_.get_id();
}

writer::~writer() { stop(); }

void writer::submit(job j, completion c) {
  bool accepted = false;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(entry{std::move(j), std::move(c)});
      accepted = true;
    }
  }
  if (accepted) {
    cv_.notify_one();
  } else if (c) {
    c(std::make_error_code(std::errc::operation_canceled));
  }
}

void writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  // From a completion (the writer thread itself) there is nothing to wait for: the thread
  // drains the queue and ends; the destructor joins it.
  if (std::this_thread::get_id() == thread_id_) return;
  std::lock_guard lock(stop_mutex_);
  if (thread_.joinable()) thread_.join();
}

writer::stats writer::get_stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void writer::run() {
  std::vector<entry> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued job has run
      // Everything that queued up during the last commit forms this batch.
      if (queue_.size() <= max_batch_) {
        batch.swap(queue_);
      } else {
        auto end = queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
        queue_.erase(queue_.begin(), end);
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

namespace {

// After MDB_MAP_FULL, with no txn of ours alive (as mdb_env_set_mapsize requires): grows the
// map so that the batch can run again. Else the error every job of the batch gets.
std::error_code grow_after_map_full(database& db) {
  try {
    if (db.grow_map()) return {};
    return make_lmdb_error(MDB_MAP_FULL);
  } catch (const store_error& e) {
    return e.code();
  }
}

}  // namespace

void writer::run_batch(std::vector<entry>& batch) {
  std::vector<std::error_code> results(batch.size());
  std::uint64_t growths = 0;
  std::error_code batch_error;
  for (;;) {
    batch_error = try_batch(batch, results);
    if (batch_error != make_lmdb_error(MDB_MAP_FULL)) break;
    batch_error = grow_after_map_full(db_);
    if (batch_error) break;
    ++growths;  // the whole batch goes again on the bigger map
  }
  const bool committed = !batch_error;
  if (batch_error) std::fill(results.begin(), results.end(), batch_error);

  {
    std::lock_guard lock(mutex_);
    stats_.jobs += batch.size();
    if (committed) ++stats_.commits;
    stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
    stats_.map_growths += growths;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].c) batch[i].c(results[i]);
  }
}

std::error_code writer::try_batch(std::vector<entry>& batch, std::vector<std::error_code>& results) {
  std::fill(results.begin(), results.end(), std::error_code{});
  try {
    txn parent = db_.begin_write();
    run_jobs(parent, batch, results);
    parent.commit();  // fsync
    return {};
  } catch (const store_error& e) {
    if (e.rc() == MDB_MAP_FULL) return make_lmdb_error(MDB_MAP_FULL);
    return e.code();
  } catch (...) {
    return std::make_error_code(std::errc::io_error);
  }
}

void writer::run_jobs(txn& parent, std::vector<entry>& batch, std::vector<std::error_code>& results) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].j) continue;
    txn child = parent.child();
    try {
      batch[i].j(child);
      child.commit();
    } catch (const store_error& e) {
      if (e.rc() == MDB_MAP_FULL) throw;  // the whole batch goes again on a bigger map
      results[i] = e.code();
    } catch (...) {
      results[i] = std::make_error_code(std::errc::io_error);
    }
    // An uncommitted child aborts here, taking only this job's writes with it.
  }
}

}  // namespace chatnode::store
