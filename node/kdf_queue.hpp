// The password-hashing threads, kept off the I/O threads. Two bounded queues: logins of
// existing users are always taken before registrations, so strangers registering cannot
// delay the people who already have an account (docs/config.md: limits.max_pending_kdf,
// limits.max_pending_registrations).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace chatnode::node {

class kdf_queue {
 public:
  enum class lane { login, registration };
  kdf_queue(unsigned threads, std::size_t max_logins, std::size_t max_registrations);
  ~kdf_queue();  // stop()
  kdf_queue(const kdf_queue&) = delete;
  kdf_queue& operator=(const kdf_queue&) = delete;

  // Queues `job`; false (and nothing queued) when that lane is full or the queue stopped.
  bool submit(lane l, std::function<void()> job);
  // Runs what is queued, then ends the threads. Idempotent.
  void stop();
  std::size_t waiting(lane l) const;
  // New lane sizes (a config reload); jobs already queued stay.
  void set_capacity(std::size_t max_logins, std::size_t max_registrations);

 private:
  void run();

  std::size_t max_logins_;         // under mutex_
  std::size_t max_registrations_;  // likewise
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> logins_;
  std::deque<std::function<void()>> registrations_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace chatnode::node
