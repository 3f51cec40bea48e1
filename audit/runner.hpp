// `chatnode audit`: runs protocol vectors against running nodes over wss, one line per
// vector and a summary; optional JSON report (docs/vectors/README.md §6).
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::audit {

struct target {
  std::string domain;  // the node's domain: users are name@domain; also the TLS name checked
  std::string host;
  std::uint16_t port = 0;
};

// "DOMAIN=HOST:PORT"; nullopt when malformed.
std::optional<target> parse_target(std::string_view text);

struct options {
  std::string ca_file;                  // trust anchors for every node's client certificate
  std::vector<target> targets;          // n1, n2, … in order
  std::vector<std::string> paths;       // vector files or directories
  std::chrono::milliseconds timeout{5000};  // per receive / close wait
  std::chrono::milliseconds quiet{500};     // default wait of "receive_none"
  std::set<std::string> features;       // what the nodes have, for "requires"
  std::string json_report;              // empty: none
};

struct vector_result {
  std::string name;
  std::string file;
  std::string outcome;  // "pass", "fail", "skip"
  std::string detail;   // the first difference, or why it was skipped
  double seconds = 0;
};

// Runs every vector under options.paths in path order. Prints to `out`; returns the
// results. Throws std::runtime_error for a path that does not exist.
std::vector<vector_result> run(const options& opts, std::ostream& out);

// 0 when nothing failed, 1 otherwise.
int exit_status(const std::vector<vector_result>& results);

}  // namespace chatnode::audit
