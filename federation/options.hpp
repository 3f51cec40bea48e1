// What the federation service needs from the node's config, and the domain policy
// (allow/deny lists, pins) every link is checked against.
#pragma once

#include "federation/tls.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatnode::federation {

struct options {
  std::string domain;                        // ours, case-folded
  std::string listen_host = "0.0.0.0";       // IP literal
  std::uint16_t listen_port = 7444;          // 0: any free port
  tls_files tls;
  std::map<std::string, std::string> peers;  // domain -> "host:port"
  std::map<std::string, std::string> pins;   // domain -> base64 SPKI SHA-256
  std::vector<std::string> allow;            // empty: any domain federation.ca vouches for
  std::vector<std::string> deny;
  bool dial_on_start = false;
  std::chrono::seconds handshake_timeout{10};  // TCP + TLS + upgrade + FED_HELLO
  std::chrono::seconds idle_timeout{60};       // ping at half, drop the link if no reply
  std::size_t max_frame_bytes = 1024 * 1024;
  std::size_t write_queue_messages = 4096;     // per link; overflow drops the link
  std::size_t write_queue_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};

  // Is `domain` allowed to link at all (deny first, then allow when set)?
  boost::system::error_code check_allowed(const std::string& domain) const;
  std::optional<std::string> pin_for(const std::string& domain) const;
};

// Redial delay after `attempt` consecutive failures (1, 2, …): initial·2^(attempt-1) capped
// at max, then "equal jitter": uniformly in [delay/2, delay]. `unit` in [0, 1) is the random draw.
std::chrono::milliseconds backoff_delay(const options& opts, unsigned attempt, double unit) noexcept;

}  // namespace chatnode::federation
