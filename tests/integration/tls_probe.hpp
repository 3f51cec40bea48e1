// Raw TLS and HTTPS probes for the integration tests (things the WebSocket client does
// not do: plain HTTP requests, forcing a TLS protocol version).
#pragma once

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chatnode::testing {

struct tls_target {
  std::uint16_t port = 0;       // on 127.0.0.1
  std::string ca_file;          // trust anchors
  std::string server_name;      // SNI and the name the certificate must carry
  std::chrono::milliseconds timeout{10000};
  std::string local_address;  // connect from this loopback address (default 127.0.0.1)
  std::string tls12_ciphers;  // offer only these TLS 1.2 ciphers (OpenSSL names); empty: defaults
};

class node_process;
// The client port of a running test node, trusting its CA, named by its domain.
tls_target target_of(const node_process& node);

struct http_result {
  unsigned status = 0;
  std::string body;
};

// GET https://<server_name>:<port><target_path> over a verified TLS connection.
// Throws std::system_error naming the failed step.
http_result https_get(const tls_target& target, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& headers = {});

// Opens a WebSocket on /ws, sends the first fragment of a text message (FIN clear) and
// nothing more. Returns how long the node took to drop the connection, or nullopt if it
// was still open after `wait`.
std::optional<std::chrono::milliseconds> stalled_fragment(const tls_target& target, std::chrono::seconds wait);

// Only a TLS handshake, offering protocol versions [min_version, max_version]
// (TLS1_1_VERSION …; OpenSSL's security level is lowered so old versions really are
// offered). Returns the handshake's error code, empty on success.
boost::system::error_code tls_handshake(const tls_target& target, int min_version, int max_version);

// A verified TLS handshake; returns the SPKI pin (base64 SHA-256, as certs::spki_sha256_pin)
// of the certificate the node presented. Throws std::system_error when the handshake fails.
std::string served_certificate_pin(const tls_target& target);

}  // namespace chatnode::testing
