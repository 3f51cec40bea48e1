// Small in-memory rate limiters (docs/config.md "Limits"): a token bucket per session for
// requests, and sliding-window counters per key (friend requests per user and per pair).
// A restart forgives; nothing here is worth a disk write.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace chatnode::node {

using limit_clock = std::chrono::steady_clock;

// `rate` tokens per second, at most `burst` saved up; starts full.
class token_bucket {
 public:
  bool take(double rate, double burst, limit_clock::time_point now = limit_clock::now());

 private:
  double tokens_ = -1;  // -1: not used yet (full)
  limit_clock::time_point last_{};
};

// At most `limit` events per key in any `window`. Thread-safe.
class window_counter {
 public:
  explicit window_counter(std::chrono::seconds window) : window_(window) {}
  // Counts an event for `key` and returns true, or returns false (nothing counted) when the
  // key already had `limit` events in the window (the limit may change between calls: a
  // config reload).
  bool try_count(const std::string& key, unsigned limit, limit_clock::time_point now = limit_clock::now());

 private:
  void prune(limit_clock::time_point now);

  const std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<limit_clock::time_point>> events_;
  std::size_t ops_since_prune_ = 0;
};

}  // namespace chatnode::node
