// The node's configuration file (JSON, docs/config.md): parse, defaults, validation.
// Unknown keys are refused so a typo never silently falls back to a default.
#pragma once

#include "crypto/kdf.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatnode::node {

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct listen_address {
  std::string host;  // an IP address literal; "0.0.0.0" or "::" for all interfaces
  std::uint16_t port = 0;
  std::string to_string() const;
};
// "HOST:PORT" or "[V6]:PORT"; throws config_error.
listen_address parse_listen(const std::string& text, const std::string& key);

struct limits_config {
  std::size_t max_message_bytes = 128 * 1024;  // larger message: ERROR 9006, connection kept
  std::size_t max_frame_bytes = 1024 * 1024;   // larger frame: connection closed (1009)
  std::size_t write_queue_messages = 4096;     // per connection; overflow drops the peer
  std::size_t write_queue_bytes = 8 * 1024 * 1024;
  std::chrono::seconds handshake_timeout{10};  // TCP+TLS+HTTP upgrade
  std::chrono::seconds idle_timeout{300};      // WebSocket: ping at half, close if no reply
  unsigned login_max_failures = 5;             // consecutive, per (address, user)
  std::chrono::seconds login_lockout{30};      // doubles per further failure, capped at 1 h
  unsigned address_max_failures = 20;          // failed logins per address per hour, any users
  unsigned kdf_per_address = 2;                // password hashes waiting or running per address
  std::size_t max_pending_kdf = 64;            // queued login hashes; more: ERROR 9007
  std::size_t max_pending_registrations = 16;  // queued registration hashes; more: ERROR 9007
  unsigned registrations_per_address_hour = 10;
  unsigned registrations_per_minute = 60;      // whole node
  std::chrono::seconds login_timeout{60};      // a connection must log in within this
  std::chrono::seconds frame_read_timeout{30}; // a started frame must arrive within this
  std::size_t max_connections = 50000;         // more: accepted and closed at once
  std::size_t max_connections_per_address = 32;
  unsigned requests_per_second = 50;           // per logged-in user, sustained; more: ERROR 9007
  unsigned requests_burst = 200;
  std::size_t max_inbox_messages = 10000;      // text/media waiting for one user; more: ACK 7004
  unsigned friend_requests_per_hour = 30;      // per requester; more: ACK 3009
  unsigned friend_requests_per_pair_day = 3;   // to one user who has not answered; more: ACK 3009
  std::size_t max_text_bytes = 16 * 1024;      // TEXT_MESSAGE content; more: ACK code 9006
  std::size_t max_blocks = 1000;               // users one user may block; more: USER_BLOCK_ACK 11003
};

struct tokens_config {
  std::chrono::seconds lifetime{30 * 24 * 3600};  // resumption tokens expire after this
  std::size_t max_per_user = 20;                  // the oldest is dropped beyond this
};

// An address range, "10.0.0.0/8" or "2001:db8::/32" (a bare address is a range of one).
struct cidr {
  std::array<std::uint8_t, 16> network{};  // IPv4 as v4-mapped IPv6
  unsigned prefix = 128;                   // in IPv6 bits
  bool contains(const std::array<std::uint8_t, 16>& address) const noexcept;
};
// Throws config_error naming `key`.
cidr parse_cidr(const std::string& text, const std::string& key);

struct metrics_config {
  listen_address listen{};  // empty host: /metrics on the client port
  std::string token;        // set: /metrics needs "Authorization: Bearer <token>"
  std::vector<cidr> allow;  // may read /metrics without the token (default: loopback)
  bool own_listener() const noexcept { return !listen.host.empty(); }
};

struct media_config {
  std::uint64_t max_bytes = 256ull << 20;        // largest mediaSize accepted
  std::size_t max_chunk_bytes = 64 * 1024;       // raw bytes per MEDIA_MESSAGE_DATA
  unsigned max_concurrent_uploads = 4;           // unfinished uploads per user
  std::uint64_t quota_bytes = 1ull << 30;        // stored media per user (uploads not yet purged)
  std::chrono::seconds retention{7 * 24 * 3600}; // media older than this is deleted
  unsigned delivery_window = 8;                  // chunks in flight per download
};

// The web client the client port serves at `/` (node/web_files.hpp, docs/web-client.md).
struct web_config {
  bool enabled = true;
  std::filesystem::path root;  // the built client; default: default_web_root()
  bool root_is_default = true; // a missing default root is a warning, a configured one an error
};
// `<directory of the running chatnode>/../share/chatnode/web`: /usr/share/chatnode/web for an
// installed binary, build/<preset>/share/chatnode/web in a build tree.
std::filesystem::path default_web_root();

struct config {
  std::filesystem::path file;  // where it was read from (relative paths resolve against it)
  std::string domain;
  std::filesystem::path data_dir;
  struct {
    listen_address listen{"0.0.0.0", 7443};
    std::filesystem::path cert;
    std::filesystem::path key;
  } client;
  struct {
    listen_address listen{"0.0.0.0", 7444};
    std::filesystem::path cert;  // default: client.cert
    std::filesystem::path key;   // default: client.key
    std::filesystem::path ca;    // federation trust anchors; empty: federation off
    std::map<std::string, std::string> peers;  // domain -> "host:port"
    std::map<std::string, std::string> pins;   // domain -> base64 SPKI SHA-256 pin
    std::vector<std::string> allow;  // domains allowed to link; empty: any the CA vouches for
    std::vector<std::string> deny;   // domains refused even if allowed
    bool dial_on_start = false;      // dial every configured peer at start-up
    std::chrono::seconds max_clock_skew{300};            // a peer's timestamp ahead of ours by more: ours
    std::chrono::seconds max_event_age{30 * 24 * 3600};  // behind ours by more: ours
    bool enabled() const noexcept { return !ca.empty(); }
  } federation;
  crypto::scrypt_params kdf;
  bool registration_open = true;
  unsigned threads = 0;      // I/O threads; 0 = one per CPU
  unsigned kdf_threads = 0;  // password hashing threads; 0 = one per CPU
  std::string log_level = "info";   // log.level (or the older top-level log_level)
  std::string log_format = "text";  // log.format: "text" or "json"
  std::size_t store_map_size_mb = 64;
  std::size_t store_max_map_size_mb = 1024 * 1024;
  limits_config limits;
  media_config media;
  tokens_config tokens;
  metrics_config metrics;
  std::filesystem::path admin_socket;  // admin.socket; default <data_dir>/admin.sock
  web_config web;
};

// Reads and validates FILE; throws config_error naming the key at fault.
config load_config(const std::filesystem::path& file);
config parse_config(const boost::json::object& root, const std::filesystem::path& file);

}  // namespace chatnode::node
