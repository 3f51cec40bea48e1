// Terminal output with a redrawn bottom row, raw mode and password input.
#include "client/cli/console.hpp"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

namespace chatnode::cli {

namespace {

constexpr std::size_t default_width = 80;
// "\r" + erase the row: where the footer was.
constexpr const char* erase_row = "\r\033[K";

void write_fd(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;  // the terminal is gone: nothing else to do with output
    done += static_cast<std::size_t>(n);
  }
}

// The settings raw_terminal replaced, for the exit and signal paths.
termios saved_settings{};
int saved_fd = -1;

void restore_saved() {
  if (saved_fd >= 0) ::tcsetattr(saved_fd, TCSAFLUSH, &saved_settings);
}

extern "C" void restore_and_die(int signal_number) {
  restore_saved();
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

}  // namespace

console::console() : stdout_tty_(::isatty(STDOUT_FILENO) == 1), stderr_tty_(::isatty(STDERR_FILENO) == 1) {}

void console::out(const std::string& line) {
  hide_footer();
  std::cout << line << '\n' << std::flush;
  draw_footer();
}

void console::err(const std::string& line) {
  hide_footer();
  std::cerr << line << '\n' << std::flush;
  draw_footer();
}

void console::set_footer(int fd, std::string text, std::size_t cursor_column) {
  if (::isatty(fd) != 1) return;
  if (footer_fd_ >= 0 && footer_fd_ != fd) hide_footer();
  footer_fd_ = fd;
  footer_ = std::move(text);
  footer_cursor_ = cursor_column;
  draw_footer();
}

void console::clear_footer() {
  hide_footer();
  footer_.clear();
  footer_fd_ = -1;
}

void console::clear_screen() {
  if (footer_fd_ < 0) return;
  write_fd(footer_fd_, "\033[H\033[2J");
  footer_shown_ = false;
  draw_footer();
}

void console::hide_footer() {
  if (!footer_shown_) return;
  std::cout << std::flush;
  std::cerr << std::flush;
  write_fd(footer_fd_, erase_row);
  footer_shown_ = false;
}

void console::draw_footer() {
  if (footer_fd_ < 0 || footer_.empty()) return;
  std::cout << std::flush;
  std::cerr << std::flush;
  std::string text = erase_row + footer_ + "\r";
  if (footer_cursor_ > 0) text += "\033[" + std::to_string(footer_cursor_) + "C";
  write_fd(footer_fd_, text);
  footer_shown_ = true;
}

std::size_t console::width(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return default_width;
}

raw_terminal::raw_terminal(int fd) : fd_(fd) {
  termios current{};
  if (::isatty(fd) != 1 || ::tcgetattr(fd, &current) != 0) return;
  saved_settings = current;
  saved_fd = fd;
  termios raw = current;
  raw.c_iflag &= ~static_cast<tcflag_t>(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
  raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ICANON | IEXTEN | ISIG);
  raw.c_cflag |= CS8;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSAFLUSH, &raw) != 0) return;
  active_ = true;
  std::atexit(restore_saved);
  // Output processing stays on, so "\n" still returns to the first column.
  for (const int s : {SIGTERM, SIGHUP, SIGQUIT}) std::signal(s, restore_and_die);
}

raw_terminal::~raw_terminal() {
  if (!active_) return;
  restore_saved();
  saved_fd = -1;
}

std::string read_password(const std::string& prompt) {
  if (::isatty(STDIN_FILENO) != 1) return {};
  termios current{};
  if (::tcgetattr(STDIN_FILENO, &current) != 0) return {};
  termios quiet = current;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  std::cerr << prompt << std::flush;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string password;
  std::getline(std::cin, password);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &current);
  std::cerr << '\n' << std::flush;
  return password;
}

}  // namespace chatnode::cli
