// The standard process_* series of Prometheus clients, read from /proc (Linux), and the
// node's uptime and build info. The parsers take file contents, so tests feed them text.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace chatnode::node {

struct process_stats {
  std::optional<std::uint64_t> resident_bytes;  // /proc/self/statm
  std::optional<std::uint64_t> virtual_bytes;
  std::optional<std::uint64_t> open_fds;        // entries of /proc/self/fd
  std::optional<std::uint64_t> max_fds;         // RLIMIT_NOFILE soft limit
  std::optional<double> start_time_seconds;     // since the Unix epoch
  std::optional<double> cpu_seconds;            // user + system
};

struct statm_fields {
  std::uint64_t size_pages = 0;
  std::uint64_t resident_pages = 0;
};
// /proc/PID/statm: "size resident shared text lib data dt".
std::optional<statm_fields> parse_statm(std::string_view text);

struct stat_fields {
  std::uint64_t utime_ticks = 0;   // field 14
  std::uint64_t stime_ticks = 0;   // field 15
  std::uint64_t start_ticks = 0;   // field 22: since boot
};
// /proc/PID/stat; the command name (field 2) may hold spaces and parentheses.
std::optional<stat_fields> parse_proc_stat(std::string_view text);

// The "btime" line of /proc/stat: boot time in seconds since the epoch.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat);

// Entries in a directory such as /proc/self/fd; nullopt when it cannot be read.
std::optional<std::uint64_t> count_entries(const std::filesystem::path& dir);

// Reads PROC/self/{statm,stat,fd} and PROC/stat; what cannot be read stays unset.
process_stats read_process_stats(const std::filesystem::path& proc = "/proc");

// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds, process_cpu_seconds_total (those set).
void write_process_metrics(std::ostream& out, const process_stats& stats);

// chatnode_uptime_seconds and chatnode_build_info{version,compiler} 1.
void write_node_info(std::ostream& out, std::chrono::steady_clock::duration uptime);
// Time since this process started (measured from the node library's static initialisation).
std::chrono::steady_clock::duration node_uptime();

std::string_view build_version() noexcept;
std::string_view build_compiler() noexcept;

}  // namespace chatnode::node
