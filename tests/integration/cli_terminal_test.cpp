// chatnode-client's interactive mode on a real pseudo-terminal: the line editor's keys
// (arrows, Ctrl-A/E/U/W, Tab completion, history) reach the node as the intended text,
// and a message arriving while the person types is printed above a prompt that is drawn
// again with the half-typed line, which then goes on as typed.
#include "tests/integration/cli_helpers.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace chatnode::testing {
namespace {

using namespace std::chrono_literals;

const std::string hhmm = "[0-9]{2}:[0-9]{2}";

TEST(IntegrationCliTerminal, LineEditingHistoryAndRedrawOnATerminal) {
  cli_node s;
  s.add_user("alice");
  s.add_user("bob");
  s.befriend("alice", "bob");

  cli_process bob(s.as("bob", {}), cli_options::on_terminal(100));
  ASSERT_TRUE(bob.wait_output("logged in as bob")) << bob.out();
  ASSERT_TRUE(bob.wait_output("bob> ")) << bob.out();
  // The friend list (for completion) is read at login, before this request's answer.
  bob.write("friends\r");
  ASSERT_TRUE(bob.wait_output("alice: offline")) << bob.out();

  bob.write("send alice oops");
  bob.write("\x17");        // Ctrl-W: "oops" goes
  bob.write("\x15");        // Ctrl-U: the rest goes
  bob.write("send ali\t");  // Tab completes "alice "
  bob.write("helo");
  bob.write("\x1b[D");  // Left
  bob.write("l");
  bob.write("\x01");  // Ctrl-A: to the start ...
  bob.write("\x05");  // Ctrl-E: ... and back to the end
  bob.write(" there\r");
  ASSERT_TRUE(bob.wait_output_match(std::regex(hhmm + " bob -> alice: hello there\r\n"))) << bob.out();

  bob.write("\x1b[A\r");  // Up: the same line again
  ASSERT_TRUE(bob.wait_output_if([](const std::string& out) { return count_of(out, "bob -> alice: hello there") == 2; }))
      << bob.out();

  bob.write("send alice half-typed");
  ASSERT_TRUE(bob.wait_output("bob> send alice half-typed")) << bob.out();
  const std::size_t before = bob.out().size();
  ASSERT_FALSE(s.send("alice", {"bob", "ping", "while", "typing"}).empty());
  // The message is printed over the prompt row (erased first), then the prompt comes back
  // with the half-typed line.
  const std::regex printed("\r\x1b\\[K" + hhmm + " alice: ping while typing\r\n");
  ASSERT_TRUE(bob.wait_output_if([&](const std::string& out) {
    std::smatch m;
    const std::string tail = out.substr(before);
    return std::regex_search(tail, m, printed) &&
           contains(tail.substr(static_cast<std::size_t>(m.position(0) + m.length(0))), "bob> send alice half-typed");
  })) << bob.out();
  bob.write(" done\r");
  ASSERT_TRUE(bob.wait_output_match(std::regex(hhmm + " bob -> alice: half-typed done\r\n"))) << bob.out();

  bob.write("\x04");  // Ctrl-D on an empty line: log out and leave
  EXPECT_EQ(bob.wait(), 0) << bob.out();

  const auto history = s.run("alice", {"history", "--with", "bob"});
  const auto lines = lines_of(history.out);
  ASSERT_GE(lines.size(), 4U) << history;
  EXPECT_TRUE(std::regex_search(lines[lines.size() - 4], std::regex(" bob: hello there$"))) << history;
  EXPECT_TRUE(std::regex_search(lines[lines.size() - 3], std::regex(" bob: hello there$"))) << history;
  EXPECT_TRUE(std::regex_search(lines[lines.size() - 2], std::regex(" alice -> bob: ping while typing$"))) << history;
  EXPECT_TRUE(std::regex_search(lines[lines.size() - 1], std::regex(" bob: half-typed done$"))) << history;
}

TEST(IntegrationCliTerminal, AsksForTheLoginPasswordWithoutEchoingIt) {
  cli_node s;
  s.add_user("carol");
  cli_process carol(s.base(), cli_options::on_terminal());
  ASSERT_TRUE(carol.wait_output("> ")) << carol.out();
  carol.write("login carol\r");
  ASSERT_TRUE(carol.wait_output("password for carol: ")) << carol.out();
  carol.write("pw-carol\r");
  ASSERT_TRUE(carol.wait_output("logged in as carol")) << carol.out();
  EXPECT_FALSE(contains(carol.out(), "pw-carol")) << carol.out();
  carol.write("quit\r");
  EXPECT_EQ(carol.wait(), 0) << carol.out();
}

}  // namespace
}  // namespace chatnode::testing
