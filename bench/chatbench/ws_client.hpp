// One asynchronous WebSocket-over-TLS client connection. Everything it does runs on its
// own strand; frames are written in order with one write in flight and the rest queued
// (pipelined), and each received frame goes to the handler as a string_view.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace chatbench {

struct endpoint {
  boost::asio::ip::tcp::endpoint address;
  std::string server_name;  // SNI and the name the certificate must carry
};

// A TLS 1.2+ client context trusting `ca_file`.
boost::asio::ssl::context make_tls_client(const std::string& ca_file);

class ws_client : public std::enable_shared_from_this<ws_client> {
 public:
  using frame_handler = std::function<void(std::string_view frame)>;
  using open_handler = std::function<void(boost::system::error_code)>;

  ws_client(boost::asio::io_context& ioc, boost::asio::ssl::context& tls, std::uint32_t index);

  std::uint32_t index() const noexcept { return index_; }
  // TCP connect, TLS and WebSocket handshakes, then reads until closed, calling `on_frame`
  // on the strand for each frame. `on_open` runs on the strand once (with the error, if any).
  void open(const endpoint& ep, open_handler on_open);
  // Replaces the frame handler; call on the strand (or before open).
  void set_handler(frame_handler h) { on_frame_ = std::move(h); }
  // Queues a frame; call on the strand.
  void send(std::string frame);
  auto get_executor() { return ws_.get_executor(); }
  // Runs `fn` on the strand.
  template <class Fn>
  void post(Fn&& fn) {
    boost::asio::post(ws_.get_executor(), std::forward<Fn>(fn));
  }
  // WebSocket close (on the strand, after what is queued has gone out).
  void close();
  bool is_open() const noexcept { return open_; }
  // Why it ended: empty while open or after a close we asked for.
  const boost::system::error_code& failure() const noexcept { return failure_; }

 private:
  void on_connect(boost::system::error_code ec);
  void on_tls(boost::system::error_code ec);
  void on_ws(boost::system::error_code ec);
  void do_read();
  void on_read(boost::system::error_code ec, std::size_t);
  void do_write();
  void on_write(boost::system::error_code ec, std::size_t);
  void fail(boost::system::error_code ec);

  boost::beast::websocket::stream<boost::asio::ssl::stream<boost::beast::tcp_stream>> ws_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::string host_;
  frame_handler on_frame_;
  open_handler on_open_;
  std::uint32_t index_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  boost::system::error_code failure_;
};

}  // namespace chatbench
