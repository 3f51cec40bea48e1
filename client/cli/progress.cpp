// Progress rendering for send-file and fetch.
#include "client/cli/progress.hpp"

#include "client/cli/format.hpp"

#include <algorithm>

namespace chatnode::cli {

namespace {

constexpr int log_step_percent = 10;
constexpr std::size_t min_bar_cells = 10;
constexpr std::size_t max_bar_cells = 40;
// Room kept for " 100%  1023.9 MiB of 1023.9 MiB  1023.9 MiB/s".
constexpr std::size_t tail_room = 46;

}  // namespace

progress::progress(std::string name, std::uint64_t total_bytes) : name_(std::move(name)), total_(total_bytes) {}

std::optional<std::string> progress::update(std::uint64_t done_bytes) {
  if (!started_) {
    started_ = true;
    start_done_ = done_bytes;
    start_ = std::chrono::steady_clock::now();
  }
  done_ = std::min(done_bytes, total_);
  const int step = percent() / log_step_percent;
  if (step <= logged_step_) return std::nullopt;
  logged_step_ = step;
  return name_ + ": " + std::to_string(percent()) + "% (" + human_size(done_) + " of " + human_size(total_) + ")";
}

int progress::percent() const {
  if (total_ == 0) return 100;
  return static_cast<int>(done_ * 100 / total_);
}

std::string progress::brief() const { return name_ + " " + std::to_string(percent()) + "%"; }

std::string progress::bar(std::size_t width) const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string tail = " " + std::to_string(percent()) + "%  " + human_size(done_) + " of " + human_size(total_);
  if (seconds > 0.5 && done_ > start_done_) {
    tail += "  " + human_size(static_cast<std::uint64_t>(static_cast<double>(done_ - start_done_) / seconds)) + "/s";
  }
  std::string name = name_;
  // The cells do not depend on the tail, whose length changes as the numbers do.
  const std::size_t fixed = tail_room + 3;  // " [" and "]"
  const std::size_t room = width > fixed + 1 ? width - fixed - 1 : 0;  // for the name and the cells
  if (room < name.size() + min_bar_cells) name = name.substr(0, room > min_bar_cells ? room - min_bar_cells : 0);
  const std::size_t cells = std::clamp(room - std::min(room, name.size()), min_bar_cells, max_bar_cells);
  const auto filled = total_ == 0 ? cells : static_cast<std::size_t>(done_ * cells / total_);
  return name + " [" + std::string(filled, '#') + std::string(cells - filled, '-') + "]" + tail;
}

}  // namespace chatnode::cli
