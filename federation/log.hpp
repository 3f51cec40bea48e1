// How federation/ logs: through a function the node gives it (the node's logger, with its
// level and format), so nothing here writes to a stream of its own.
#pragma once

#include <functional>
#include <sstream>
#include <string>

namespace chatnode::federation {

enum class severity { debug, info, warn, error };
using logger = std::function<void(severity, const std::string&)>;

// write_log(log, severity::warn, "ignored a frame from ", peer): one line, when `log` is set.
template <class... Args>
void write_log(const logger& log, severity level, const Args&... args) {
  if (!log) return;
  std::ostringstream out;
  (out << ... << args);
  log(level, out.str());
}

}  // namespace chatnode::federation
