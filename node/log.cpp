// Logger implementation: level and format are atomics read without a lock; a mutex only
// around the write, so lines of different threads never interleave.
#include "log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace chatnode::node {
namespace {
std::atomic<log_level> g_level{log_level::info};
std::atomic<log_format> g_format{log_format::text};
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

std::string_view level_key(log_level l) {
  switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
  }
  return "?";
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;
    if (b0 == 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return n;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) {
        out += "\xef\xbf\xbd";  // U+FFFD for a byte that starts no valid sequence
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}
}  // namespace

void set_log_level(log_level level) noexcept { g_level.store(level, std::memory_order_relaxed); }
void set_log_format(log_format format) noexcept { g_format.store(format, std::memory_order_relaxed); }
log_level current_log_level() noexcept { return g_level.load(std::memory_order_relaxed); }
log_format current_log_format() noexcept { return g_format.load(std::memory_order_relaxed); }

bool parse_log_level(std::string_view s, log_level& out) noexcept {
  if (s == "debug") out = log_level::debug;
  else if (s == "info") out = log_level::info;
  else if (s == "warn") out = log_level::warn;
  else if (s == "error") out = log_level::error;
  else return false;
  return true;
}

bool parse_log_format(std::string_view s, log_format& out) noexcept {
  if (s == "text") out = log_format::text;
  else if (s == "json") out = log_format::json;
  else return false;
  return true;
}

bool log_enabled(log_level level) noexcept {
  return level >= g_level.load(std::memory_order_relaxed);
}

std::string format_log_line(log_format format, std::chrono::system_clock::time_point time, log_level level,
                            std::string_view component, std::string_view message) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[40];
  std::string line;
  if (format == log_format::text) {
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    line.reserve(component.size() + message.size() + 40);
    line.append(stamp).append(" ").append(level_name(level)).append(" ");
    line.append(component).append(": ").append(message).append("\n");
    return line;
  }
  const auto millis = static_cast<int>((since_epoch - seconds).count());
  const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", millis);
  line.reserve(component.size() + message.size() + 80);
  line.append("{\"time\":\"").append(stamp).append("\",\"level\":\"").append(level_key(level));
  line.append("\",\"component\":");
  append_json_string(line, component);
  line.append(",\"message\":");
  append_json_string(line, message);
  line.append("}\n");
  return line;
}

void log_line(log_level level, std::string_view component, std::string_view message) {
  const std::string line = format_log_line(g_format.load(std::memory_order_relaxed), std::chrono::system_clock::now(),
                                           level, component, message);
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace chatnode::node
