// A tiny leveled logger to stderr, one line per event: `TIME LEVEL component: message`, or
// with log.format "json" one JSON object per line. Thread-safe; the level and the format
// may change at any time (a config reload does); formatting happens outside the lock.
#pragma once

#include <chrono>
#include <sstream>
#include <string>
#include <string_view>

namespace chatnode::node {

enum class log_level { debug, info, warn, error };
enum class log_format { text, json };

// Both take effect for the next line logged by any thread.
void set_log_level(log_level level) noexcept;
void set_log_format(log_format format) noexcept;
log_level current_log_level() noexcept;
log_format current_log_format() noexcept;
// "debug", "info", "warn", "error" / "text", "json"; false (and `out` untouched) otherwise.
bool parse_log_level(std::string_view s, log_level& out) noexcept;
bool parse_log_format(std::string_view s, log_format& out) noexcept;
bool log_enabled(log_level level) noexcept;
void log_line(log_level level, std::string_view component, std::string_view message);

// The line log_line writes, newline included. json: {"time":"2026-01-02T03:04:05.678Z",
// "level":"info","component":…,"message":…} with every control character escaped and
// invalid UTF-8 replaced by U+FFFD, so each event stays one parseable line.
std::string format_log_line(log_format format, std::chrono::system_clock::time_point time, log_level level,
                            std::string_view component, std::string_view message);

// log(log_level::info, "router", "user ", name, " logged in")
template <class... Args>
void log(log_level level, std::string_view component, const Args&... args) {
  if (!log_enabled(level)) return;
  std::ostringstream out;
  (out << ... << args);
  log_line(level, component, out.str());
}

}  // namespace chatnode::node
