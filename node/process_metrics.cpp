// /proc readers for the process_* metrics, and the node's uptime and build info.
#include "process_metrics.hpp"

#include "histogram.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <vector>

#ifndef CHATNODE_VERSION
#define CHATNODE_VERSION "unknown"
#endif

namespace chatnode::node {
namespace {

const auto g_started = std::chrono::steady_clock::now();

std::optional<std::uint64_t> to_uint(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\n' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Label values: backslash, double quote and newline escaped (Prometheus text format).
std::string escape_label(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

template <class T>
void gauge(std::ostream& out, const char* name, const char* type, const char* help, const std::optional<T>& value) {
  if (!value) return;
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ';
  if constexpr (std::is_floating_point_v<T>) out << format_prometheus_number(*value);
  else out << *value;
  out << '\n';
}

}  // namespace

std::optional<statm_fields> parse_statm(std::string_view text) {
  const auto fields = split_spaces(text);
  if (fields.size() < 2) return std::nullopt;
  const auto size = to_uint(fields[0]), resident = to_uint(fields[1]);
  if (!size || !resident) return std::nullopt;
  return statm_fields{*size, *resident};
}

std::optional<stat_fields> parse_proc_stat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After the command name: field 3 (state) is the first.
  const auto fields = split_spaces(text.substr(close + 1));
  constexpr std::size_t first = 3;
  if (fields.size() < 22 - first + 1) return std::nullopt;
  const auto utime = to_uint(fields[14 - first]), stime = to_uint(fields[15 - first]),
             start = to_uint(fields[22 - first]);
  if (!utime || !stime || !start) return std::nullopt;
  return stat_fields{*utime, *stime, *start};
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) {
  std::size_t at = 0;
  while (at < proc_stat.size()) {
    const auto end = std::min(proc_stat.find('\n', at), proc_stat.size());
    const auto line = proc_stat.substr(at, end - at);
    if (line.starts_with("btime ")) {
      const auto fields = split_spaces(line);
      return fields.size() == 2 ? to_uint(fields[1]) : std::nullopt;
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> count_entries(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return std::nullopt;
  std::uint64_t n = 0;
  for (const std::filesystem::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return std::nullopt;
    ++n;
  }
  return n;
}

process_stats read_process_stats(const std::filesystem::path& proc) {
  process_stats s;
  const long page = ::sysconf(_SC_PAGESIZE);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  if (auto text = read_small_file(proc / "self" / "statm"); text && page > 0) {
    if (auto m = parse_statm(*text)) {
      s.resident_bytes = m->resident_pages * static_cast<std::uint64_t>(page);
      s.virtual_bytes = m->size_pages * static_cast<std::uint64_t>(page);
    }
  }
  if (auto text = read_small_file(proc / "self" / "stat"); text && ticks > 0) {
    if (auto st = parse_proc_stat(*text)) {
      s.cpu_seconds = static_cast<double>(st->utime_ticks + st->stime_ticks) / static_cast<double>(ticks);
      if (auto all = read_small_file(proc / "stat"))
        if (auto boot = parse_boot_time(*all))
          s.start_time_seconds = static_cast<double>(*boot) + static_cast<double>(st->start_ticks) / static_cast<double>(ticks);
    }
  }
  s.open_fds = count_entries(proc / "self" / "fd");
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    s.max_fds = static_cast<std::uint64_t>(limit.rlim_cur);
  return s;
}

void write_process_metrics(std::ostream& out, const process_stats& s) {
  gauge(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", s.resident_bytes);
  gauge(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", s.virtual_bytes);
  gauge(out, "process_open_fds", "gauge", "Number of open file descriptors.", s.open_fds);
  gauge(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", s.max_fds);
  gauge(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
        s.start_time_seconds);
  gauge(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", s.cpu_seconds);
}

std::chrono::steady_clock::duration node_uptime() { return std::chrono::steady_clock::now() - g_started; }

std::string_view build_version() noexcept { return CHATNODE_VERSION; }

std::string_view build_compiler() noexcept {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

void write_node_info(std::ostream& out, std::chrono::steady_clock::duration uptime) {
  gauge(out, "chatnode_uptime_seconds", "gauge", "Seconds since the node process started.",
        std::optional<double>(std::chrono::duration<double>(uptime).count()));
  out << "# HELP chatnode_build_info The running chatnode's version and compiler (the value is always 1).\n"
         "# TYPE chatnode_build_info gauge\n"
         "chatnode_build_info{version=\""
      << escape_label(build_version()) << "\",compiler=\"" << escape_label(build_compiler()) << "\"} 1\n";
}

}  // namespace chatnode::node
