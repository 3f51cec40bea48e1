// A client's WebSocket session over TLS: reads one JSON message per text frame and hands it
// to the router; writes through a bounded queue with one write in flight. Everything runs
// on the connection's strand.
#pragma once

#include "beast.hpp"
#include "client_session.hpp"
#include "request_latency.hpp"

#include "net/write_queue.hpp"

#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace chatnode::node {

class server_state;
class connection_slot;

class ws_session final : public client_session {
 public:
  ws_session(tls_stream&& stream, std::shared_ptr<server_state> state, std::unique_ptr<connection_slot> slot,
             std::string remote);

  // Accepts the WebSocket upgrade carried by `req`, then reads.
  void run(http::request<http::string_body> req);

  void send(frame_ptr frame) override;
  void close(std::uint16_t code) override;
  void post(std::function<void()> fn) override;
  void resume_reading() override;
  void when_idle(std::function<void()> fn) override;
  const std::string& remote() const override { return remote_; }
  const std::string& address() const override;

 private:
  std::shared_ptr<ws_session> self() { return std::static_pointer_cast<ws_session>(shared_from_this()); }
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read_some(beast::error_code ec, std::size_t bytes);
  void on_message(std::size_t bytes);
  // A started frame must be complete within limits.frame_read_timeout (a peer sending a byte
  // at a time, or a message in fragments that never ends, would hold its slot for ever).
  void arm_frame_deadline();
  // A connection must log in within limits.login_timeout.
  void arm_login_deadline();
  void cut(const char* why);  // closes the TCP connection at once
  void enqueue(frame_ptr frame);
  void start_close(std::uint16_t code);
  void fail(beast::error_code ec, const char* what);
  void finish();

  // The write loop's hooks (net/write_queue.hpp).
  using stream_type = websocket::stream<tls_stream>;
  friend class net::write_queue<ws_session, stream_type>;
  std::shared_ptr<ws_session> write_keep_alive() { return self(); }
  bool write_abandoned() const noexcept { return finished_; }
  void on_write_error(beast::error_code ec) { fail(ec, "write"); }
  void on_frame_written();
  void on_write_idle();

  stream_type ws_;
  std::shared_ptr<server_state> state_;
  std::unique_ptr<connection_slot> slot_;
  std::string remote_;
  asio::steady_timer login_deadline_;
  asio::steady_timer frame_deadline_;
  bool frame_started_ = false;  // part of a message is in, the rest not yet
  beast::flat_buffer buffer_;
  net::write_queue<ws_session, stream_type> writes_;
  std::vector<std::function<void()>> idle_waiters_;
  bool reading_ = false;       // a read is in flight
  bool paused_ = false;        // the router asked us to stop reading for now
  request_timer paused_request_;  // the request whose reply ends the pause (timed till then)
  bool closing_ = false;       // close requested: flush the queue, then close
  bool close_sent_ = false;
  bool finished_ = false;      // on_disconnect done
  std::uint16_t close_code_ = 1000;
};

}  // namespace chatnode::node
