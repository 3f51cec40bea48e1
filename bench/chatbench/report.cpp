// Percentiles, the table and the JSON of a report; the timed-window meter.
#include "report.hpp"

#include <algorithm>
#include <cstdio>

namespace chatbench {

void report::add_latency(const std::string& prefix, std::vector<std::int64_t> ns) {
  add(prefix + " samples", static_cast<double>(ns.size()), "");
  if (ns.empty()) return;
  auto at = [&](double q) {
    const auto k = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1));
    std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
    return static_cast<double>(ns[k]) / 1e6;
  };
  add(prefix + " p50", at(0.50), "ms");
  add(prefix + " p90", at(0.90), "ms");
  add(prefix + " p99", at(0.99), "ms");
  add(prefix + " max", static_cast<double>(*std::max_element(ns.begin(), ns.end())) / 1e6, "ms");
}

void report::print(std::ostream& out) const {
  out << "== " << scenario << " ==\n";
  char line[160];
  for (const auto& m : metrics) {
    std::snprintf(line, sizeof line, "  %-34s %14.3f %s\n", m.name.c_str(), m.value, m.unit.c_str());
    out << line;
  }
  out << (failures.empty() ? "  OK: no loss, no duplication, no errors\n" : "  FAILED:\n");
  for (const auto& f : failures) out << "    " << f << "\n";
}

boost::json::object report::to_json() const {
  boost::json::object metrics_json;
  for (const auto& m : metrics) metrics_json[m.name] = boost::json::object{{"value", m.value}, {"unit", m.unit}};
  boost::json::array failures_json(failures.begin(), failures.end());
  return {{"scenario", scenario}, {"params", params}, {"metrics", std::move(metrics_json)},
          {"ok", failures.empty()}, {"failures", std::move(failures_json)}};
}

double meter::targets_cpu() const {
  double cpu = 0;
  for (pid_t p : targets_) cpu += sample(p).cpu_seconds;
  return cpu;
}

void meter::start() {
  t0_ = std::chrono::steady_clock::now();
  cpu0_ = targets_cpu();
  self0_ = self_cpu_seconds();
}

void meter::stop() {
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  target_cpu_ = targets_cpu() - cpu0_;
  self_cpu_ = self_cpu_seconds() - self0_;
}

void meter::add_cpu(report& r, double count, const std::string& what) const {
  r.add("window", seconds_, "s");
  if (!targets_.empty()) {
    r.add("target CPU", 100.0 * target_cpu_ / seconds_, "% of a core");
    if (count > 0) r.add("target CPU per " + what, 1e6 * target_cpu_ / count, "us");
  }
  r.add("chatbench CPU", 100.0 * self_cpu_ / seconds_, "% of a core");
}

}  // namespace chatbench
