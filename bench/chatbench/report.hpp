// What a scenario measured: named figures printed as a table and written as JSON, plus the
// failures (loss, duplication, errors) that make chatbench exit non-zero.
#pragma once

#include "process.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace chatbench {

struct metric {
  std::string name;
  double value = 0;
  std::string unit;
};

struct report {
  std::string scenario;
  boost::json::object params;
  std::vector<metric> metrics;
  std::vector<std::string> failures;

  void add(std::string name, double value, std::string unit) { metrics.push_back({std::move(name), value, std::move(unit)}); }
  // p50/p90/p99/max of samples in nanoseconds, reported in milliseconds.
  void add_latency(const std::string& prefix, std::vector<std::int64_t> samples_ns);
  void print(std::ostream& out) const;
  boost::json::object to_json() const;
};

// The timed window: wall time and the CPU time of the target processes (summed: the two
// nodes of a federation) and of chatbench.
class meter {
 public:
  explicit meter(pid_t target) { if (target > 0) targets_.push_back(target); }
  explicit meter(std::vector<pid_t> targets) : targets_(std::move(targets)) {}
  void start();
  void stop();
  double seconds() const { return seconds_; }
  double target_cpu() const { return target_cpu_; }  // 0 when no target pid is known
  double self_cpu() const { return self_cpu_; }
  // "node CPU per <what>" and the CPU shares, for `count` units of work in the window.
  void add_cpu(report& r, double count, const std::string& what) const;

 private:
  double targets_cpu() const;
  std::vector<pid_t> targets_;
  std::chrono::steady_clock::time_point t0_;
  double cpu0_ = 0;
  double self0_ = 0;
  double seconds_ = 0, target_cpu_ = 0, self_cpu_ = 0;
};

}  // namespace chatbench
