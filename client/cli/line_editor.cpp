// Key handling and rendering of interactive mode's line editor.
#include "client/cli/line_editor.hpp"

#include <algorithm>

namespace chatnode::cli {

namespace {

// History entries kept (oldest dropped first).
constexpr std::size_t max_history = 500;
// A line longer than this is not extended further (a runaway paste).
constexpr std::size_t max_line_bytes = 64 * 1024;
// Escape sequence parameters longer than this are not a key we know: dropped.
constexpr std::size_t max_escape_params = 16;

constexpr char ctrl(char c) { return static_cast<char>(c & 0x1f); }
constexpr char del = 0x7f;
constexpr char esc = 0x1b;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }
bool is_word(char c) { return c != ' ' && c != '\t'; }

// Code points in text[from, to).
std::size_t columns(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation(c); }));
}

// Byte offset after skipping `n` code points of `text` from `from`.
std::size_t skip_columns(std::string_view text, std::size_t from, std::size_t n) {
  std::size_t i = from;
  while (n > 0 && i < text.size()) {
    ++i;
    while (i < text.size() && is_continuation(text[i])) ++i;
    --n;
  }
  return i;
}

}  // namespace

line_editor::action line_editor::feed(char byte) {
  switch (escape_) {
    case escape_state::escape:
      escape_ = escape_state::none;
      if (byte == '[') escape_ = escape_state::csi;
      if (byte == 'O') escape_ = escape_state::ss3;
      escape_params_.clear();
      if (byte == 'b') return word_left();   // Alt-b
      if (byte == 'f') return word_right();  // Alt-f
      return action::none;
    case escape_state::csi:
    case escape_state::ss3:
      if ((byte >= '0' && byte <= '9') || byte == ';') {
        if (escape_params_.size() < max_escape_params) escape_params_ += byte;
        return action::none;
      }
      escape_ = escape_state::none;
      return on_escape_final(byte, escape_params_);
    case escape_state::none:
      break;
  }
  if (byte == esc) {
    escape_ = escape_state::escape;
    return action::none;
  }
  if (static_cast<unsigned char>(byte) < 0x20 || byte == del) return on_control(byte);
  if (buffer_.size() >= max_line_bytes) return action::none;
  buffer_.insert(cursor_, 1, byte);
  ++cursor_;
  return action::redraw;
}

line_editor::action line_editor::on_control(char byte) {
  switch (byte) {
    case '\r':
    case '\n': return action::submit;
    case ctrl('A'): cursor_ = 0; return action::redraw;
    case ctrl('E'): cursor_ = buffer_.size(); return action::redraw;
    case ctrl('B'): return move_left();
    case ctrl('F'): return move_right();
    case ctrl('H'):
    case del: return erase_before();
    case ctrl('D'): return buffer_.empty() ? action::end_of_input : erase_at();
    case ctrl('U'): return kill_to_start();
    case ctrl('K'): return kill_to_end();
    case ctrl('W'): return kill_word_before();
    case ctrl('P'): return history_step(-1);
    case ctrl('N'): return history_step(+1);
    case ctrl('L'): return action::clear_screen;
    case ctrl('I'): return action::complete;
    case ctrl('C'):
      buffer_.clear();
      cursor_ = 0;
      history_pos_ = history_.size();
      return action::cancel;
    default: return action::none;
  }
}

line_editor::action line_editor::on_escape_final(char final, const std::string& params) {
  const bool ctrl_mod = params.size() >= 3 && params.substr(params.size() - 2) == ";5";
  switch (final) {
    case 'A': return history_step(-1);
    case 'B': return history_step(+1);
    case 'C': return ctrl_mod ? word_right() : move_right();
    case 'D': return ctrl_mod ? word_left() : move_left();
    case 'H': cursor_ = 0; return action::redraw;
    case 'F': cursor_ = buffer_.size(); return action::redraw;
    case '~':
      if (params == "1" || params == "7") {
        cursor_ = 0;
        return action::redraw;
      }
      if (params == "4" || params == "8") {
        cursor_ = buffer_.size();
        return action::redraw;
      }
      if (params == "3") return erase_at();
      return action::none;
    default: return action::none;
  }
}

line_editor::action line_editor::move_left() {
  if (cursor_ == 0) return action::none;
  --cursor_;
  while (cursor_ > 0 && is_continuation(buffer_[cursor_])) --cursor_;
  return action::redraw;
}

line_editor::action line_editor::move_right() {
  if (cursor_ >= buffer_.size()) return action::none;
  cursor_ = skip_columns(buffer_, cursor_, 1);
  return action::redraw;
}

line_editor::action line_editor::word_left() {
  while (cursor_ > 0 && !is_word(buffer_[cursor_ - 1])) --cursor_;
  while (cursor_ > 0 && is_word(buffer_[cursor_ - 1])) --cursor_;
  return action::redraw;
}

line_editor::action line_editor::word_right() {
  while (cursor_ < buffer_.size() && !is_word(buffer_[cursor_])) ++cursor_;
  while (cursor_ < buffer_.size() && is_word(buffer_[cursor_])) ++cursor_;
  return action::redraw;
}

line_editor::action line_editor::erase_before() {
  if (cursor_ == 0) return action::none;
  const std::size_t end = cursor_;
  move_left();
  buffer_.erase(cursor_, end - cursor_);
  return action::redraw;
}

line_editor::action line_editor::erase_at() {
  if (cursor_ >= buffer_.size()) return action::none;
  buffer_.erase(cursor_, skip_columns(buffer_, cursor_, 1) - cursor_);
  return action::redraw;
}

line_editor::action line_editor::kill_to_start() {
  buffer_.erase(0, cursor_);
  cursor_ = 0;
  return action::redraw;
}

line_editor::action line_editor::kill_to_end() {
  buffer_.erase(cursor_);
  return action::redraw;
}

line_editor::action line_editor::kill_word_before() {
  const std::size_t end = cursor_;
  while (cursor_ > 0 && !is_word(buffer_[cursor_ - 1])) --cursor_;
  while (cursor_ > 0 && is_word(buffer_[cursor_ - 1])) --cursor_;
  buffer_.erase(cursor_, end - cursor_);
  return action::redraw;
}

line_editor::action line_editor::history_step(int direction) {
  if (secret_ || history_.empty()) return action::none;
  if (direction < 0 && history_pos_ == 0) return action::none;
  if (direction > 0 && history_pos_ >= history_.size()) return action::none;
  if (history_pos_ == history_.size()) draft_ = buffer_;
  history_pos_ = direction < 0 ? history_pos_ - 1 : history_pos_ + 1;
  buffer_ = history_pos_ == history_.size() ? draft_ : history_[history_pos_];
  cursor_ = buffer_.size();
  return action::redraw;
}

void line_editor::insert(std::string_view text) {
  if (buffer_.size() + text.size() > max_line_bytes) return;
  buffer_.insert(cursor_, text);
  cursor_ += text.size();
}

std::string line_editor::take_line() {
  std::string line = std::move(buffer_);
  buffer_.clear();
  cursor_ = 0;
  draft_.clear();
  if (!secret_) add_history(line);
  history_pos_ = history_.size();
  return line;
}

void line_editor::add_history(const std::string& line) {
  if (line.find_first_not_of(" \t") == std::string::npos) return;
  if (!history_.empty() && history_.back() == line) return;
  history_.push_back(line);
  if (history_.size() > max_history) history_.pop_front();
}

line_editor::view line_editor::render(std::string_view prompt, std::size_t width) const {
  const std::string shown = secret_ ? std::string() : buffer_;
  const std::size_t shown_cursor = secret_ ? 0 : cursor_;
  const std::size_t prompt_columns = columns(prompt);
  // Keep at least a few columns for the line even on a tiny terminal.
  const std::size_t room = width > prompt_columns + 4 ? width - prompt_columns - 1 : 4;
  const std::size_t cursor_columns = columns(std::string_view(shown).substr(0, shown_cursor));
  // Scroll so the cursor stays visible, in steps of half the room so typing does not
  // scroll on every key.
  std::size_t first = 0;
  if (cursor_columns >= room) first = (cursor_columns - room) / (room / 2) * (room / 2) + room / 2;
  const std::size_t begin = skip_columns(shown, 0, first);
  const std::size_t end = skip_columns(shown, begin, room);
  view v;
  v.text = std::string(prompt) + shown.substr(begin, end - begin);
  v.cursor_column = prompt_columns + cursor_columns - first;
  return v;
}

}  // namespace chatnode::cli
