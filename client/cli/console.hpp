// Every line chatnode-client prints goes through the console, so that on a terminal the
// bottom row (the prompt with what is being typed, or a progress bar) is cleared before
// a line is printed and drawn again after it: messages never tear what the person types.
#pragma once

#include <cstddef>
#include <string>

namespace chatnode::cli {

class console {
 public:
  console();
  console(const console&) = delete;
  console& operator=(const console&) = delete;

  // A line on stdout (what the command was for: messages, results) ...
  void out(const std::string& line);
  // ... or on stderr (status, warnings, errors).
  void err(const std::string& line);

  // The bottom row: drawn on `fd` (a terminal) with the cursor at `cursor_column`; empty
  // text removes it. Ignored when `fd` is not a terminal.
  void set_footer(int fd, std::string text, std::size_t cursor_column);
  void clear_footer();
  // Clears the terminal and draws the footer again (Ctrl-L).
  void clear_screen();

  bool stdout_is_tty() const { return stdout_tty_; }
  bool stderr_is_tty() const { return stderr_tty_; }
  // Columns of the terminal on `fd` (80 when unknown).
  static std::size_t width(int fd);

 private:
  void hide_footer();
  void draw_footer();

  bool stdout_tty_;
  bool stderr_tty_;
  int footer_fd_ = -1;
  std::string footer_;
  std::size_t footer_cursor_ = 0;
  bool footer_shown_ = false;
};

// Puts a terminal into raw mode (no echo, no line buffering, no signals from keys) for
// its lifetime; the previous settings come back on destruction and at exit.
class raw_terminal {
 public:
  explicit raw_terminal(int fd);
  ~raw_terminal();
  raw_terminal(const raw_terminal&) = delete;
  raw_terminal& operator=(const raw_terminal&) = delete;
  bool active() const { return active_; }

 private:
  int fd_;
  bool active_ = false;
};

// Reads a password from the terminal without echo ("" when stdin is not a terminal or
// the input ended).
std::string read_password(const std::string& prompt);

}  // namespace chatnode::cli
