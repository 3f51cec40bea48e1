// Login throttle.
#include "login_throttle.hpp"

#include <algorithm>

namespace chatnode::node {

bool login_throttle::allowed(const std::string& user, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(user);
  return it == entries_.end() || now >= it->second.locked_until;
}

void login_throttle::record_failure(const std::string& user, clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (++ops_since_prune_ >= 4096) prune(now);
  entry& e = entries_[user];
  ++e.failures;
  if (e.failures >= max_failures_) {
    unsigned doublings = std::min(e.failures - max_failures_, 12u);
    auto wait = std::min<std::chrono::seconds>(lockout_ * (1u << doublings), std::chrono::hours(1));
    e.locked_until = now + wait;
  }
}

void login_throttle::record_success(const std::string& user) {
  std::lock_guard lock(mutex_);
  entries_.erase(user);
}

void login_throttle::prune(clock::time_point now) {
  // Forget users whose lockout ended more than an hour ago, so the map cannot grow without bound.
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.locked_until + std::chrono::hours(1) < now;
  });
  ops_since_prune_ = 0;
}

}  // namespace chatnode::node
