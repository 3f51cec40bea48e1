// The node's config as it is now. A reload (SIGHUP, `chatnode admin reload`) publishes a new
// snapshot; readers take the current one with get(). Every snapshot is kept until the node
// stops, so a reference a reader took stays valid for as long as its request runs (reloads
// are rare and a snapshot is a few kilobytes).
#pragma once

#include "config.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace chatnode::node {

class config_source {
 public:
  explicit config_source(config initial);
  // Reads `*fixed` in place, never publishes (tests that change their config directly).
  static std::unique_ptr<config_source> view(const config& fixed);

  const config& get() const noexcept { return *current_.load(std::memory_order_acquire); }

  // Publishes `next` with the fields that only take effect at start-up (domain, data dir,
  // listen addresses, threads, store sizes, KDF parameters, web, metrics listener, whether
  // federation is on) kept as they are; returns the names of those that `next` changed, so
  // the caller can say they need a restart.
  std::vector<std::string> publish(config next);

 private:
  struct view_tag {};
  config_source(const config& fixed, view_tag);

  mutable std::mutex mutex_;  // publishers
  std::deque<std::unique_ptr<const config>> snapshots_;
  std::atomic<const config*> current_;
};

}  // namespace chatnode::node
