// Token bucket and sliding-window counters (see rate_limits.hpp).
#include "rate_limits.hpp"

#include <algorithm>

namespace chatnode::node {

bool token_bucket::take(double rate, double burst, limit_clock::time_point now) {
  if (tokens_ < 0) {
    tokens_ = burst;
  } else {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst, tokens_ + std::max(0.0, elapsed) * rate);
  }
  last_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool window_counter::try_count(const std::string& key, unsigned limit, limit_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (++ops_since_prune_ >= 4096) prune(now);
  auto& q = events_[key];
  while (!q.empty() && q.front() + window_ <= now) q.pop_front();
  if (q.size() >= limit) return false;
  q.push_back(now);
  return true;
}

void window_counter::prune(limit_clock::time_point now) {
  for (auto it = events_.begin(); it != events_.end();) {
    auto& q = it->second;
    while (!q.empty() && q.front() + window_ <= now) q.pop_front();
    it = q.empty() ? events_.erase(it) : std::next(it);
  }
  ops_since_prune_ = 0;
}

}  // namespace chatnode::node
