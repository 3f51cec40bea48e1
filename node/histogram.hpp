// A Prometheus histogram with fixed bucket bounds: observe() is lock-free, so any thread may
// call it on a hot path; write_samples() prints the _bucket/_sum/_count lines of one series.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::node {

class histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending, without +Inf (always added).
  explicit histogram(std::span<const double> bounds);
  histogram(const histogram&) = delete;
  histogram& operator=(const histogram&) = delete;

  void observe(double value) noexcept;

  struct snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  // Each bucket is read once, so the counts are consistent with each other (a concurrent
  // observation may be in the buckets and not yet in the sum, or the reverse).
  snapshot read() const;

  // `name`_bucket{labels,le="…"}, `name`_sum{labels}, `name`_count{labels}; `labels` is
  // empty or `key="value",…` already escaped.
  void write_samples(std::ostream& out, std::string_view name, std::string_view labels) const;

  std::span<const double> bounds() const noexcept { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> buckets_;  // not cumulative; the last is +Inf
  std::atomic<double> sum_{0};
};

// Prometheus' number format for `le` and sums: the shortest %g form that reads back the same
// (as Go clients print: "0.0005", "2.5", "1e+06"), "+Inf".
std::string format_prometheus_number(double value);

}  // namespace chatnode::node
