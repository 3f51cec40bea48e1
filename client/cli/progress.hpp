// How a transfer's progress looks: a bar on a terminal, "NAME 45%" in the interactive
// prompt, and a line per 10 % step for logs (--verbose).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace chatnode::cli {

class progress {
 public:
  progress(std::string name, std::uint64_t total_bytes);

  // Records `done_bytes`; returns a log line when a new 10 % step was reached.
  std::optional<std::string> update(std::uint64_t done_bytes);
  // "photo.jpg [#########---------]  45%  1.1 MiB of 2.5 MiB  850.0 KiB/s" in `width` columns.
  std::string bar(std::size_t width) const;
  // "photo.jpg 45%".
  std::string brief() const;
  int percent() const;

 private:
  std::string name_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  std::uint64_t start_done_ = 0;  // what was done before this run's first update (resumed)
  bool started_ = false;
  int logged_step_ = -1;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace chatnode::cli
