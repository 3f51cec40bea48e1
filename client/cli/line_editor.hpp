// The line editor of interactive mode, without I/O: it takes the bytes a terminal in raw
// mode sends (keys and escape sequences), keeps the line being typed, the cursor and the
// history, and renders prompt + line into one terminal row (scrolling sideways when the
// line is longer). The terminal side (raw mode, drawing) is in console/terminal.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace chatnode::cli {

class line_editor {
 public:
  enum class action {
    none,          // nothing visible changed
    redraw,        // the line or the cursor changed
    submit,        // Enter: take_line() has the line
    end_of_input,  // Ctrl-D on an empty line
    cancel,        // Ctrl-C: the line was dropped
    clear_screen,  // Ctrl-L
    complete,      // Tab: the caller may insert() a completion
  };

  // Takes one byte of terminal input.
  action feed(char byte);
  // After `submit`: the line typed, which joins the history unless it is blank, repeats
  // the previous entry or was typed while secret (a password).
  std::string take_line();

  const std::string& text() const { return buffer_; }
  std::size_t cursor() const { return cursor_; }  // byte offset into text()
  // Inserts `text` at the cursor (typing, pasting, completing).
  void insert(std::string_view text);
  // Masked input (passwords): rendered as nothing, never kept in the history.
  void set_secret(bool secret) { secret_ = secret; }
  bool secret() const { return secret_; }

  struct view {
    std::string text;            // what to draw on the row (prompt included)
    std::size_t cursor_column;   // where the cursor goes, 0-based
  };
  // Prompt + line in at most `width` columns (one column per code point).
  view render(std::string_view prompt, std::size_t width) const;

  const std::deque<std::string>& history() const { return history_; }

 private:
  action on_control(char byte);
  action on_escape_final(char final, const std::string& params);
  action move_left();
  action move_right();
  action word_left();
  action word_right();
  action erase_before();
  action erase_at();
  action kill_to_start();
  action kill_to_end();
  action kill_word_before();
  action history_step(int direction);
  void add_history(const std::string& line);

  std::string buffer_;
  std::size_t cursor_ = 0;
  bool secret_ = false;
  std::deque<std::string> history_;
  std::size_t history_pos_ = 0;  // == history_.size(): the line being typed
  std::string draft_;            // the line being typed while browsing the history
  enum class escape_state { none, escape, csi, ss3 } escape_ = escape_state::none;
  std::string escape_params_;
};

}  // namespace chatnode::cli
