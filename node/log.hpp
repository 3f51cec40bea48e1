// A tiny leveled logger to stderr: one line per event, `LEVEL component: message`.
// Thread-safe; formatting happens outside the lock.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace chatnode::node {

enum class log_level { debug, info, warn, error };

void set_log_level(log_level level) noexcept;
bool parse_log_level(std::string_view s, log_level& out) noexcept;
bool log_enabled(log_level level) noexcept;
void log_line(log_level level, std::string_view component, std::string_view message);

// log(log_level::info, "router", "user ", name, " logged in")
template <class... Args>
void log(log_level level, std::string_view component, const Args&... args) {
  if (!log_enabled(level)) return;
  std::ostringstream out;
  (out << ... << args);
  log_line(level, component, out.str());
}

}  // namespace chatnode::node
