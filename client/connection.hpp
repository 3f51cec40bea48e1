// A small blocking client for a chatnode over wss: connect (trusting a CA file), send JSON
// text frames, wait for received messages by type. It runs its own I/O thread; every
// received frame is parsed and queued until a wait_* call takes it. Used by the
// integration tests, chatnode-client and chatbench.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace chatnode::client {

struct connect_options {
  std::string host = "127.0.0.1";      // address or name to connect to
  std::uint16_t port = 7443;
  std::string ca_file;                 // PEM trust anchors; the server cert must chain to it
  std::string server_name = "localhost";  // SNI and the name the certificate must carry
  std::string path = "/ws";
  std::chrono::milliseconds timeout{10000};  // connect + TLS + WebSocket handshake
  // Optional local address to connect from (tests use 127.0.0.2… to be "another address").
  std::string local_address;
  // Optional client certificate (federation-style mTLS tests); empty = none.
  std::string cert_file;
  std::string key_file;
};

class connection {
 public:
  // Throws std::system_error (with a message saying which step failed) on failure.
  static std::unique_ptr<connection> connect(const connect_options& opts);
  ~connection();  // closes (best effort) and joins the I/O thread
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Queue one text frame. Thread-safe. Frames go out in call order.
  void send_text(std::string text);
  void send(const boost::json::value& message);

  // Takes the oldest queued message whose "type" is `type` (other messages stay queued,
  // in order), waiting up to `timeout` for one to arrive. nullopt on timeout or when the
  // connection closed first.
  std::optional<boost::json::object> wait_for(std::string_view type,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Takes the oldest queued message of any type.
  std::optional<boost::json::object> next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when a message of `type` is already queued (does not take it, does not wait).
  bool has_queued(std::string_view type) const;
  std::size_t queued() const;

  // For poll()-driven callers: a descriptor that is readable once a message was queued
  // or the connection ended since the last clear_ready(). Call clear_ready() before
  // taking the queued messages, so none that arrives meanwhile goes unnoticed.
  int ready_fd() const;
  void clear_ready();

  // Waits until the server closes the connection (or it fails). True if it did in time.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool is_open() const;
  // The WebSocket close code the server sent (0 if none yet), e.g. 1009 for too big.
  int close_code() const;
  // Sends a WebSocket close and waits briefly for the server's reply.
  void close();
  // Drops the TCP connection without a WebSocket or TLS close (a "crash" of the client).
  void abort();

 private:
  struct impl;
  explicit connection(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

// Builds {"type":type,"timestamp":now,"payload":payload} (and "id" if given).
boost::json::object make_message(std::string_view type, boost::json::object payload,
                                 std::optional<std::string> id = std::nullopt);

}  // namespace chatnode::client
