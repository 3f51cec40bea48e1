// Password-hashing threads with a login lane ahead of a registration lane.
#include "kdf_queue.hpp"

namespace chatnode::node {

kdf_queue::kdf_queue(unsigned threads, std::size_t max_logins, std::size_t max_registrations)
    : max_logins_(max_logins), max_registrations_(max_registrations) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

kdf_queue::~kdf_queue() { stop(); }

bool kdf_queue::submit(lane l, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    auto& q = l == lane::login ? logins_ : registrations_;
    if (stopping_ || q.size() >= (l == lane::login ? max_logins_ : max_registrations_)) return false;
    q.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

std::size_t kdf_queue::waiting(lane l) const {
  std::lock_guard lock(mutex_);
  return l == lane::login ? logins_.size() : registrations_.size();
}

void kdf_queue::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void kdf_queue::run() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !logins_.empty() || !registrations_.empty(); });
      auto& q = !logins_.empty() ? logins_ : registrations_;
      if (q.empty()) return;  // stopping and drained
      job = std::move(q.front());
      q.pop_front();
    }
    job();
  }
}

void kdf_queue::set_capacity(std::size_t max_logins, std::size_t max_registrations) {
  std::lock_guard lock(mutex_);
  max_logins_ = max_logins;
  max_registrations_ = max_registrations;
}

}  // namespace chatnode::node
