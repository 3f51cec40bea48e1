// The message-stream load shared by relay, echo and fanout: senders keep a bounded window
// of unacknowledged messages (or follow an offered rate); receivers check that every
// message from each of their senders arrives exactly once and in order, and time it.
#pragma once

#include "pool.hpp"
#include "report.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace chatbench {

struct stream_plan {
  std::vector<client_ptr> clients;  // open, set up
  // A sender's frame is prefix + content + suffix; receivers-only have an empty prefix.
  std::vector<std::string> prefix, suffix;
  std::vector<std::uint32_t> slot;  // the slot a sender's messages carry
  // Per receiver: the client index sending under each slot, or -1 (none, e.g. itself).
  std::vector<std::vector<int>> sources;
  std::size_t window = 32;  // unacknowledged messages per sender
  double rate = 0;          // offered messages/s over all senders; 0 = as fast as the window allows
  std::chrono::duration<double> warmup{1.0}, duration{20.0};
  std::chrono::seconds drain{10};
};

// Runs the load, stops the pools, checks delivery. Adds throughput, latency, CPU (of every
// target process, summed) and failures to `r`.
void run_stream(const std::vector<client_pool*>& pools, stream_plan& plan, const std::vector<pid_t>& targets, report& r);

}  // namespace chatbench
