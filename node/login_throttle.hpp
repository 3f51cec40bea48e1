// Per-user throttling of failed logins: after max_failures consecutive failures the user is
// locked out for `lockout`, doubling with each further failure (capped at one hour). A
// success clears the record. In memory: a restart forgives, which is acceptable for a
// throttle whose job is to make online guessing slow.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace chatnode::node {

class login_throttle {
 public:
  using clock = std::chrono::steady_clock;
  login_throttle(unsigned max_failures, std::chrono::seconds lockout)
      : max_failures_(max_failures), lockout_(lockout) {}

  // True when `user` may try now.
  bool allowed(const std::string& user, clock::time_point now = clock::now());
  void record_failure(const std::string& user, clock::time_point now = clock::now());
  void record_success(const std::string& user);

 private:
  struct entry {
    unsigned failures = 0;
    clock::time_point locked_until{};
  };
  void prune(clock::time_point now);

  const unsigned max_failures_;
  const std::chrono::seconds lockout_;
  std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
  std::size_t ops_since_prune_ = 0;
};

}  // namespace chatnode::node
