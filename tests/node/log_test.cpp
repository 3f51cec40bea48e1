// The logger's line formats: text as before, and log.format "json" as one parseable JSON
// object per line whatever the message holds (quotes, newlines, control bytes, bad UTF-8).
#include "node/log.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace chatnode::node {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// 2026-01-02T03:04:05.678Z
const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1767323045)) + 678ms;

json::object parsed(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "more than one line: " << line;
  json::error_code ec;
  auto v = json::parse(line, ec);
  EXPECT_FALSE(ec) << ec.message() << " in " << line;
  return ec ? json::object{} : v.as_object();
}

std::string field(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "(missing)";
}

TEST(Log, TextLineIsUnchanged) {
  EXPECT_EQ(format_log_line(log_format::text, at, log_level::warn, "router", "write failed"),
            "2026-01-02T03:04:05Z WARN router: write failed\n");
}

TEST(Log, JsonLineHasTimeLevelComponentMessage) {
  const std::string line = format_log_line(log_format::json, at, log_level::info, "server", "serving alpha.example");
  EXPECT_EQ(line,
            R"({"time":"2026-01-02T03:04:05.678Z","level":"info","component":"server","message":"serving alpha.example"})"
            "\n");
  const auto o = parsed(line);
  EXPECT_EQ(o.size(), 4u);
  EXPECT_EQ(field(parsed(format_log_line(log_format::json, at, log_level::debug, "x", "")), "level"), "debug");
  EXPECT_EQ(field(parsed(format_log_line(log_format::json, at, log_level::warn, "x", "")), "level"), "warn");
  EXPECT_EQ(field(parsed(format_log_line(log_format::json, at, log_level::error, "x", "")), "level"), "error");
  // Whole seconds still carry three digits of milliseconds.
  const auto whole = std::chrono::system_clock::time_point(std::chrono::seconds(1767323045));
  EXPECT_EQ(field(parsed(format_log_line(log_format::json, whole, log_level::info, "x", "")), "time"), "2026-01-02T03:04:05.000Z");
}

TEST(Log, JsonEscapesQuotesBackslashesAndNewlines) {
  const std::string message = "user \"bob\" said: C:\\path\nsecond line\r\tend";
  const std::string line = format_log_line(log_format::json, at, log_level::info, "router", message);
  EXPECT_NE(line.find(R"(user \"bob\" said: C:\\path\nsecond line\r\tend)"), std::string::npos) << line;
  EXPECT_EQ(field(parsed(line), "message"), message);
}

TEST(Log, JsonEscapesEveryControlCharacter) {
  std::string message;
  for (int c = 0; c < 0x20; ++c) message += static_cast<char>(c);
  message += '\x7f';
  const std::string line = format_log_line(log_format::json, at, log_level::info, "comp\x01onent", message);
  for (std::size_t i = 0; i + 1 < line.size(); ++i)
    EXPECT_GE(static_cast<unsigned char>(line[i]), 0x20) << "raw control byte at " << i << " of " << line;
  EXPECT_NE(line.find(R"(\u0000\u0001)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(\b\t\n\u000b\f\r)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(\u001f\u007f)"), std::string::npos) << line;
  const auto o = parsed(line);
  EXPECT_EQ(field(o, "message"), message);
  EXPECT_EQ(field(o, "component"), "comp\x01onent");
}

TEST(Log, JsonKeepsUtf8AndReplacesInvalidBytes) {
  const std::string ok = "gr\xc3\xbc\xc3\x9f \xe2\x9c\x93 \xf0\x9f\x98\x80";  // grüß ✓ 😀
  EXPECT_EQ(field(parsed(format_log_line(log_format::json, at, log_level::info, "x", ok)), "message"), ok);
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, 0xff.
  const std::string bad = "a\x80" "b\xe2\x9c" "c\xc0\xaf" "d\xed\xa0\x80" "e\xff";
  const auto o = parsed(format_log_line(log_format::json, at, log_level::info, "x", bad));
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(field(o, "message"), "a" + fffd + "b" + fffd + fffd + "c" + fffd + fffd + "d" + fffd + fffd + fffd + "e" + fffd);
}

TEST(Log, ParsesLevelsAndFormats) {
  log_level level = log_level::error;
  EXPECT_TRUE(parse_log_level("debug", level));
  EXPECT_EQ(level, log_level::debug);
  EXPECT_FALSE(parse_log_level("DEBUG", level));
  EXPECT_FALSE(parse_log_level("verbose", level));
  EXPECT_EQ(level, log_level::debug);  // untouched
  log_format format = log_format::text;
  EXPECT_TRUE(parse_log_format("json", format));
  EXPECT_EQ(format, log_format::json);
  EXPECT_TRUE(parse_log_format("text", format));
  EXPECT_EQ(format, log_format::text);
  EXPECT_FALSE(parse_log_format("JSON", format));
  EXPECT_FALSE(parse_log_format("", format));
}

// A reload changes level and format while other threads log (run under tsan: no race).
TEST(Log, LevelAndFormatChangeWhileOthersLog) {
  const log_level level_before = current_log_level();
  const log_format format_before = current_log_format();
  std::atomic<bool> stop{false};
  std::vector<std::thread> loggers;
  for (int i = 0; i < 3; ++i)
    loggers.emplace_back([&] {
      while (!stop.load()) log(log_level::debug, "test", "a debug line nobody should see unless enabled");
    });
  for (int i = 0; i < 200; ++i) {
    set_log_level(i % 2 ? log_level::error : log_level::warn);
    set_log_format(i % 2 ? log_format::json : log_format::text);
  }
  set_log_level(log_level::error);
  EXPECT_EQ(current_log_level(), log_level::error);
  EXPECT_FALSE(log_enabled(log_level::warn));
  EXPECT_TRUE(log_enabled(log_level::error));
  stop = true;
  for (auto& t : loggers) t.join();
  set_log_level(level_before);
  set_log_format(format_before);
}

}  // namespace
}  // namespace chatnode::node
