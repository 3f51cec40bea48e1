// The line editor fed the bytes a terminal sends: typing, cursor keys (CSI and SS3 forms),
// Ctrl-A/E/U/K/W, history with the draft kept, UTF-8, completion and sideways scrolling.
#include "client/cli/line_editor.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chatnode::cli {
namespace {

using action = line_editor::action;

action type(line_editor& e, std::string_view bytes) {
  action last = action::none;
  for (const char c : bytes) last = e.feed(c);
  return last;
}

constexpr std::string_view left = "\x1b[D";
constexpr std::string_view right = "\x1b[C";
constexpr std::string_view up = "\x1b[A";
constexpr std::string_view down = "\x1b[B";

TEST(LineEditor, TypesAndSubmits) {
  line_editor e;
  EXPECT_EQ(type(e, "send bob hi"), action::redraw);
  EXPECT_EQ(e.text(), "send bob hi");
  EXPECT_EQ(e.cursor(), 11U);
  EXPECT_EQ(e.feed('\r'), action::submit);
  EXPECT_EQ(e.take_line(), "send bob hi");
  EXPECT_EQ(e.text(), "");
}

TEST(LineEditor, MovesAndEditsInTheMiddle) {
  line_editor e;
  type(e, "helo");
  type(e, left);
  type(e, "l");
  EXPECT_EQ(e.text(), "hello");
  type(e, "\x01");  // Ctrl-A
  EXPECT_EQ(e.cursor(), 0U);
  type(e, "> ");
  type(e, "\x05");  // Ctrl-E
  type(e, "!");
  EXPECT_EQ(e.text(), "> hello!");
  type(e, "\x1b[H");  // Home
  type(e, "\x1b[3~");  // Delete
  EXPECT_EQ(e.text(), " hello!");
  type(e, "\x1bOF");  // End (SS3 form)
  type(e, "\x7f");    // Backspace
  EXPECT_EQ(e.text(), " hello");
}

TEST(LineEditor, CutsWithCtrlUKW) {
  line_editor e;
  type(e, "send alice see you");
  type(e, "\x17");  // Ctrl-W
  EXPECT_EQ(e.text(), "send alice see ");
  type(e, "\x17");
  EXPECT_EQ(e.text(), "send alice ");
  for (int i = 0; i < 6; ++i) type(e, left);
  type(e, "\x0b");  // Ctrl-K
  EXPECT_EQ(e.text(), "send ");
  type(e, "\x15");  // Ctrl-U
  EXPECT_EQ(e.text(), "");
  EXPECT_EQ(e.cursor(), 0U);
}

TEST(LineEditor, WordMovesWithAltAndCtrlArrows) {
  line_editor e;
  type(e, "one two three");
  type(e, "\x1b" "b");  // Alt-b
  EXPECT_EQ(e.cursor(), 8U);
  type(e, "\x1b[1;5D");  // Ctrl-Left
  EXPECT_EQ(e.cursor(), 4U);
  type(e, "\x1b[1;5C");  // Ctrl-Right
  EXPECT_EQ(e.cursor(), 7U);
}

TEST(LineEditor, HistoryBrowsesAndKeepsTheDraft) {
  line_editor e;
  type(e, "first\r");
  e.take_line();
  type(e, "second\r");
  e.take_line();
  type(e, "second\r");
  e.take_line();  // a repeat is kept once
  type(e, "   \r");
  e.take_line();  // blank lines are not kept
  EXPECT_EQ(e.history().size(), 2U);

  type(e, "draft");
  type(e, up);
  EXPECT_EQ(e.text(), "second");
  type(e, up);
  EXPECT_EQ(e.text(), "first");
  EXPECT_EQ(type(e, up), action::none);
  type(e, down);
  type(e, down);
  EXPECT_EQ(e.text(), "draft");
  type(e, "\x10");  // Ctrl-P
  EXPECT_EQ(e.text(), "second");
}

TEST(LineEditor, Utf8MovesAndErasesWholeCharacters) {
  line_editor e;
  type(e, "gr\xc3\xbc\xc3\x9f");  // "grüß"
  type(e, left);
  EXPECT_EQ(e.cursor(), 4U);
  type(e, "\x7f");
  EXPECT_EQ(e.text(), "gr\xc3\x9f");
  const auto view = e.render("> ", 80);
  EXPECT_EQ(view.cursor_column, 4U) << "two prompt columns plus 'gr'";
}

TEST(LineEditor, ControlKeysReportWhatTheCallerMustDo) {
  line_editor e;
  EXPECT_EQ(e.feed(0x04), action::end_of_input) << "Ctrl-D on an empty line";
  type(e, "abc");
  type(e, left);
  EXPECT_EQ(e.feed(0x04), action::redraw) << "Ctrl-D deletes under the cursor otherwise";
  EXPECT_EQ(e.text(), "ab");
  EXPECT_EQ(e.feed(0x09), action::complete);
  EXPECT_EQ(e.feed(0x0c), action::clear_screen);
  EXPECT_EQ(e.feed(0x03), action::cancel);
  EXPECT_EQ(e.text(), "");
}

TEST(LineEditor, InsertsACompletionAtTheCursor) {
  line_editor e;
  type(e, "send al");
  e.insert("ice ");
  EXPECT_EQ(e.text(), "send alice ");
  EXPECT_EQ(e.cursor(), 11U);
}

TEST(LineEditor, SecretInputIsNotShownAndNotKept) {
  line_editor e;
  e.set_secret(true);
  type(e, "pw-bob");
  EXPECT_EQ(e.render("password: ", 80).text, "password: ");
  type(e, up);
  EXPECT_EQ(e.text(), "pw-bob");
  type(e, "\r");
  EXPECT_EQ(e.take_line(), "pw-bob");
  EXPECT_TRUE(e.history().empty());
}

TEST(LineEditor, LongLinesScrollSoTheCursorStaysVisible) {
  line_editor e;
  const std::string text(100, 'x');
  type(e, text);
  const auto end = e.render("> ", 40);
  EXPECT_LE(end.text.size(), 40U);
  EXPECT_LT(end.cursor_column, 40U);
  type(e, "\x01");
  const auto start = e.render("> ", 40);
  EXPECT_EQ(start.cursor_column, 2U);
  EXPECT_EQ(start.text.substr(0, 2), "> ");
}

}  // namespace
}  // namespace chatnode::cli
