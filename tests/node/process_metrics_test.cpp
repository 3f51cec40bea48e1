// The /proc readers on sample files (the kernel's formats, odd command names included) and
// on this very process, and the text they make.
#include "node/process_metrics.hpp"

#include "crypto/random.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

namespace chatnode::node {
namespace {

namespace fs = std::filesystem;

TEST(ProcessMetrics, ParsesStatm) {
  const auto m = parse_statm("10542 2573 1802 244 0 855 0\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size_pages, 10542u);
  EXPECT_EQ(m->resident_pages, 2573u);
  EXPECT_FALSE(parse_statm(""));
  EXPECT_FALSE(parse_statm("12"));
  EXPECT_FALSE(parse_statm("12 x3 4"));
}

TEST(ProcessMetrics, ParsesStatWithAnyCommandName) {
  // Fields 14/15 (utime/stime) = 150/25, field 22 (starttime) = 987654.
  const std::string rest =
      " S 1 1234 1234 0 -1 4194560 1000 0 0 0 150 25 0 0 20 0 4 0 987654 123456789 2573 18446744073709551615 1 1 0 0 0 "
      "0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
  for (const std::string name : {"chatnode", "a b", "x) S 9 (y", ")", "(("}) {
    const auto s = parse_proc_stat("1234 (" + name + ")" + rest);
    ASSERT_TRUE(s) << name;
    EXPECT_EQ(s->utime_ticks, 150u) << name;
    EXPECT_EQ(s->stime_ticks, 25u) << name;
    EXPECT_EQ(s->start_ticks, 987654u) << name;
  }
  EXPECT_FALSE(parse_proc_stat("1234 chatnode S 1"));
  EXPECT_FALSE(parse_proc_stat("1234 (chatnode) S 1 1234"));
}

TEST(ProcessMetrics, ParsesBootTime) {
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\ncpu0 1 2 3\nintr 5\nctxt 99\nbtime 1767323045\nprocesses 4\n"), 1767323045u);
  EXPECT_EQ(parse_boot_time("btime 42"), 42u);
  EXPECT_FALSE(parse_boot_time("cpu 1 2\nctxt 3\n"));
  EXPECT_FALSE(parse_boot_time("btime x\n"));
}

TEST(ProcessMetrics, CountsDirectoryEntries) {
  const fs::path dir = fs::temp_directory_path() / ("chatnode-fds-" + crypto::random_id(8));
  fs::create_directories(dir);
  EXPECT_EQ(count_entries(dir), 0u);
  for (const char* name : {"0", "1", "2"}) std::ofstream(dir / name) << "x";
  EXPECT_EQ(count_entries(dir), 3u);
  fs::remove_all(dir);
  EXPECT_FALSE(count_entries(dir));
}

TEST(ProcessMetrics, ReadsThisProcess) {
  const auto before = read_process_stats();
  ASSERT_TRUE(before.resident_bytes);
  ASSERT_TRUE(before.virtual_bytes);
  ASSERT_TRUE(before.open_fds);
  ASSERT_TRUE(before.start_time_seconds);
  ASSERT_TRUE(before.cpu_seconds);
  EXPECT_GT(*before.resident_bytes, 1u << 20);
  EXPECT_GE(*before.virtual_bytes, *before.resident_bytes);
  EXPECT_GE(*before.open_fds, 3u);  // stdin, stdout, stderr at least
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(*before.start_time_seconds, now + 1);
  EXPECT_GT(*before.start_time_seconds, now - 24 * 3600.0) << "a test process started today";

  // One more open file is one more fd.
  const int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(*read_process_stats().open_fds, *before.open_fds + 1);
  ::close(fd);

  // Nothing to read: nothing is set, nothing is written but what needs no /proc.
  const auto none = read_process_stats("/nonexistent-proc");
  EXPECT_FALSE(none.resident_bytes || none.open_fds || none.start_time_seconds || none.cpu_seconds);
}

TEST(ProcessMetrics, WritesTheStandardSeries) {
  process_stats s;
  s.resident_bytes = 1000;
  s.open_fds = 7;
  s.start_time_seconds = 1767323045.5;
  std::ostringstream out;
  write_process_metrics(out, s);
  const std::string text = out.str();
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nprocess_open_fds 7\n"), std::string::npos) << text;
  // Go clients print it so too (shortest %g form).
  EXPECT_NE(text.find("\nprocess_start_time_seconds 1.7673230455e+09\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("process_virtual_memory_bytes"), std::string::npos) << "unset: left out";
  EXPECT_EQ(text.find("process_cpu_seconds_total"), std::string::npos);
}

TEST(ProcessMetrics, UptimeAndBuildInfo) {
  std::ostringstream out;
  write_node_info(out, std::chrono::milliseconds(90500));
  const std::string text = out.str();
  EXPECT_NE(text.find("# TYPE chatnode_uptime_seconds gauge\nchatnode_uptime_seconds 90.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE chatnode_build_info gauge\nchatnode_build_info{version=\"" + std::string(build_version()) +
                      "\",compiler=\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"} 1\n"), std::string::npos) << text;
  EXPECT_FALSE(build_compiler().empty());
  EXPECT_NE(build_version(), "unknown") << "CHATNODE_VERSION reaches process_metrics.cpp";
  EXPECT_GT(node_uptime().count(), 0);
}

}  // namespace
}  // namespace chatnode::node
