// Logger implementation: a level check without a lock, a mutex only around the write.
#include "log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace chatnode::node {
namespace {
std::atomic<log_level> g_level{log_level::info};
std::mutex g_mutex;

std::string_view level_name(log_level l) {
  switch (l) {
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO";
    case log_level::warn: return "WARN";
    case log_level::error: return "ERROR";
  }
  return "?";
}
}  // namespace

void set_log_level(log_level level) noexcept { g_level.store(level, std::memory_order_relaxed); }

bool parse_log_level(std::string_view s, log_level& out) noexcept {
  if (s == "debug") out = log_level::debug;
  else if (s == "info") out = log_level::info;
  else if (s == "warn") out = log_level::warn;
  else if (s == "error") out = log_level::error;
  else return false;
  return true;
}

bool log_enabled(log_level level) noexcept {
  return level >= g_level.load(std::memory_order_relaxed);
}

void log_line(log_level level, std::string_view component, std::string_view message) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s %s %.*s: %.*s\n", stamp, level_name(level).data(),
               static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace chatnode::node
