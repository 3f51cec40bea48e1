// One WebSocket-over-mutual-TLS connection to a peer node, inbound or outbound. The
// service runs the handshake and FED_HELLO on it, then start() turns it into a live link:
// a read loop that hands each frame to a callback, and a bounded write queue with one
// write in flight. Everything runs on the connection's strand; send() and close() may be
// called from any thread.
#pragma once

#include "net/write_queue.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace chatnode::federation {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using ws_stream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

enum class direction { inbound, outbound };

class link : public std::enable_shared_from_this<link> {
 public:
  using frame_handler = std::function<void(const std::shared_ptr<link>&, std::string_view frame)>;
  using closed_handler = std::function<void(const std::shared_ptr<link>&)>;

  struct limits {
    std::size_t max_frame_bytes = 1024 * 1024;
    std::size_t write_queue_messages = 4096;
    std::size_t write_queue_bytes = 8 * 1024 * 1024;
  };

  link(tcp::socket socket, asio::ssl::context& ctx, direction dir, limits lim);
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  // For the handshake, on the strand, before start().
  ws_stream& stream() noexcept { return ws_; }
  void set_peer(std::string domain) { peer_ = std::move(domain); }
  // Re-reads the remote address (an outbound link knows it only once connected).
  void refresh_remote();

  // Starts the read loop; `on_frame` gets every text frame, `on_closed` runs once when the
  // link is gone (either side closed, error, or an overflowing write queue).
  void start(frame_handler on_frame, closed_handler on_closed);
  // Queues a text frame. Dropped silently once the link is closing (the caller learns of
  // that through on_closed).
  void send(std::shared_ptr<const std::string> frame);
  void send(std::string frame) { send(std::make_shared<const std::string>(std::move(frame))); }
  // Flushes what is queued, then closes with `code`; before start(), just closes.
  void close(std::uint16_t code, std::string reason = {});

  direction dir() const noexcept { return dir_; }
  const std::string& peer() const noexcept { return peer_; }
  const std::string& remote() const noexcept { return remote_; }

 private:
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void enqueue(std::shared_ptr<const std::string> frame);
  void start_close();
  void finish();

  // The write loop's hooks (net/write_queue.hpp).
  friend class net::write_queue<link, ws_stream>;
  std::shared_ptr<link> write_keep_alive() { return shared_from_this(); }
  bool write_abandoned() const noexcept { return finished_; }
  void on_write_error(beast::error_code) { finish(); }
  void on_frame_written() noexcept {}
  void on_write_idle() {
    if (closing_) start_close();
  }

  ws_stream ws_;
  direction dir_;
  limits limits_;
  std::string peer_;    // the authenticated domain
  std::string remote_;  // ip:port, for logs
  beast::flat_buffer buffer_;
  net::write_queue<link, ws_stream> writes_;
  frame_handler on_frame_;
  closed_handler on_closed_;
  bool started_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool finished_ = false;
  std::uint16_t close_code_ = 1000;
  std::string close_reason_;
};

}  // namespace chatnode::federation
