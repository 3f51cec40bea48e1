// The single writer thread with group commit. Jobs that arrive while a commit runs go into
// the next one; each job runs in a nested transaction so one failing job does not spoil the
// batch; completions run only after the batch's commit (fsync'd) returned.
#pragma once

#include "lmdb.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace chatnode::store {

class writer {
 public:
  // Runs inside the batch's write transaction. May throw: its writes are then rolled back
  // and its completion gets the error (a store_error's code, else std::errc::io_error), so
  // throw for failures and report expected outcomes through captured state. Must not swallow
  // a store_error, and must be repeatable: after MDB_MAP_FULL the whole batch is run again
  // on a grown map.
  using job = std::function<void(txn&)>;
  // Runs on the writer thread after the commit, in submission order; must be quick (post to
  // a strand and return) and must not throw. May be empty.
  using completion = std::function<void(std::error_code)>;

  struct stats {
    std::uint64_t jobs = 0;
    std::uint64_t commits = 0;
    std::uint64_t largest_batch = 0;
    std::uint64_t map_growths = 0;
  };

  explicit writer(database& db, std::size_t max_batch = 4096);
  ~writer();  // stop()
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Thread-safe. After stop() the completion is called at once with operation_canceled.
  void submit(job j, completion c);
  // Runs every job already submitted, then ends the thread. Idempotent. From a completion
  // (the writer thread) it returns at once; the thread ends once the queue is drained.
  void stop();
  stats get_stats() const;

 private:
  struct entry {
    job j;
    completion c;
  };
  void run();
  void run_batch(std::vector<entry>& batch);
  // One try at the batch: every job in its own child of one write txn, then the commit. A
  // job's own failure is its result alone. Returns {} once committed; MDB_MAP_FULL from
  // anywhere (nothing was written: grow the map and try again); else the error that failed
  // the whole batch.
  std::error_code try_batch(std::vector<entry>& batch, std::vector<std::error_code>& results);
  void run_jobs(txn& parent, std::vector<entry>& batch, std::vector<std::error_code>& results);

  database& db_;
  const std::size_t max_batch_;
  std::mutex stop_mutex_;  // serializes join() between concurrent stop() calls
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<entry> queue_;
  bool stopping_ = false;
  stats stats_;
  std::thread thread_;
  std::thread::id thread_id_;  // thread_.get_id(), kept because join() resets it
};

}  // namespace chatnode::store
