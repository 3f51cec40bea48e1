// Histogram: one atomic counter per bucket; cumulative counts are made when read.
#include "histogram.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace chatnode::node {

histogram::histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()), buckets_(bounds.size() + 1) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::invalid_argument("histogram bounds must be strictly ascending");
}

void histogram::observe(double value) noexcept {
  // le is "less than or equal": a value equal to a bound belongs to that bucket.
  const auto at = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[at].fetch_add(1, std::memory_order_relaxed);
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + value, std::memory_order_relaxed)) {
  }
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.cumulative.reserve(buckets_.size());
  for (const auto& b : buckets_) {
    s.count += b.load(std::memory_order_relaxed);
    s.cumulative.push_back(s.count);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::string format_prometheus_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general);
  if (ec != std::errc{}) return "NaN";
  return std::string(buf, end);
}

void histogram::write_samples(std::ostream& out, std::string_view name, std::string_view labels) const {
  const snapshot s = read();
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
    const std::string le = i < bounds_.size() ? format_prometheus_number(bounds_[i]) : "+Inf";
    out << name << "_bucket{" << labels << sep << "le=\"" << le << "\"} " << s.cumulative[i] << '\n';
  }
  const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out << name << "_sum" << braces << ' ' << format_prometheus_number(s.sum) << '\n';
  out << name << "_count" << braces << ' ' << s.count << '\n';
}

}  // namespace chatnode::node
