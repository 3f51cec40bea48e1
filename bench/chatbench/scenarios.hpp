// The scenarios. Each sets up its users (not timed), runs its load for the duration and
// fills a report.
#pragma once

#include "report.hpp"
#include "ws_client.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace chatbench {

struct bench_options {
  endpoint target;
  endpoint peer_target;  // federation: the second node (its server name is its domain)
  pid_t peer_pid = -1;
  std::string ca_file;
  pid_t pid = -1;  // the process whose CPU and RSS are read; -1: none
  unsigned threads = 1;
  std::chrono::duration<double> duration{20.0};
  std::string tag;  // prefix of user names, unique per run
  std::size_t pairs = 16, members = 100, senders = 2, connections = 0, window = 32;
  double rate = 0;
  std::size_t storm = 0;  // relay: login attempts in flight beside the load (0: none)
  std::uint64_t media_size = 1 << 20;
};

report run_relay(const bench_options& o, bool echo);
report run_fanout(const bench_options& o);
report run_login(const bench_options& o);
report run_idle(const bench_options& o);
report run_media(const bench_options& o);
report run_federation(const bench_options& o);

}  // namespace chatbench
