// A lean server-side TLS stream for the client port: the SSL object reads and writes the
// socket itself, so an idle connection holds no record buffers (with SSL_MODE_RELEASE_BUFFERS)
// where asio::ssl::stream keeps four 17 KiB buffers per connection for its whole life.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/async_base.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace chatnode::node {

namespace tls_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

// What one attempt at an SSL call needs before it can be retried.
enum class want { done, readable, writable };

// Plaintext gathered from several small buffers into one record (a WebSocket frame header
// and its payload, an HTTP header and body): the largest TLS record payload, so one copy
// never makes more than one record.
inline constexpr std::size_t gather_limit = 16 * 1024;

// State shared by the stream and its pending operations; heap-allocated so that the stream
// can move (http_session hands it to ws_session) and so that the BIO can keep a pointer to
// the socket.
class core : public std::enable_shared_from_this<core> {
 public:
  core(tcp::socket&& socket, SSL_CTX* ctx);
  ~core();
  core(const core&) = delete;
  core& operator=(const core&) = delete;

  // Each makes one attempt; `done` means finished with `ec` (and `bytes`) set, otherwise the
  // caller waits on the socket as asked and calls again with the same arguments.
  want handshake(beast::error_code& ec);
  want read(asio::mutable_buffer buffer, std::size_t& bytes, beast::error_code& ec);
  want write(asio::const_buffer buffer, std::size_t& bytes, beast::error_code& ec);
  want shutdown(beast::error_code& ec);

  // The error a failed wait on the socket reports (a timeout rather than an abort).
  beast::error_code wait_error(beast::error_code ec) const;

  void expires_after(std::chrono::steady_clock::duration after);
  void expires_never();

  tcp::socket socket_;
  SSL* ssl_ = nullptr;

 private:
  bool usable(beast::error_code& ec) const;
  want classify(int result, int sys_errno, beast::error_code& ec);
  void on_timer(beast::error_code ec);

  asio::steady_timer timer_;
  beast::error_code failed_;  // a fatal TLS or socket error: OpenSSL forbids further calls
  bool timed_out_ = false;
};

template <class Buffers>
asio::mutable_buffer first_mutable(const Buffers& buffers) {
  for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
    asio::mutable_buffer b(*it);
    if (b.size() != 0) return b;
  }
  return {};
}

struct handshake_step {
  using signature = void(beast::error_code);
  want operator()(core& c, std::size_t&, beast::error_code& ec) const { return c.handshake(ec); }
};

struct shutdown_step {
  using signature = void(beast::error_code);
  want operator()(core& c, std::size_t&, beast::error_code& ec) const { return c.shutdown(ec); }
};

struct read_step {
  using signature = void(beast::error_code, std::size_t);
  asio::mutable_buffer buffer;
  want operator()(core& c, std::size_t& bytes, beast::error_code& ec) const { return c.read(buffer, bytes, ec); }
};

// SSL_write takes one buffer. Sending a small first buffer on its own would cost a record
// and a syscall (a 2-byte WebSocket header, say), so leading buffers are gathered, up to
// one record, on the stack at each attempt: OpenSSL encrypts into its own buffer, and a
// retry after WANT_WRITE only needs the same bytes again (ACCEPT_MOVING_WRITE_BUFFER).
template <class ConstBuffers>
struct write_step {
  using signature = void(beast::error_code, std::size_t);
  ConstBuffers buffers;
  want operator()(core& c, std::size_t& bytes, beast::error_code& ec) const {
    asio::const_buffer first;
    std::size_t total = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
      asio::const_buffer b(*it);
      if (first.size() == 0) first = b;
      total += b.size();
      if (total >= gather_limit) break;
    }
    if (first.size() >= gather_limit || first.size() == total) return c.write(first, bytes, ec);
    std::array<char, gather_limit> gathered;
    const std::size_t n = asio::buffer_copy(asio::buffer(gathered), buffers);
    return c.write(asio::const_buffer(gathered.data(), n), bytes, ec);
  }
};

// One operation: try the SSL call, wait on the socket for what it wants, try again.
// Completion never happens inside the initiating call (async_base posts it).
template <class Handler, class Step>
class io_op : public beast::async_base<Handler, tcp::socket::executor_type> {
 public:
  template <class Handler_>
  io_op(Handler_&& handler, std::shared_ptr<core> c, Step step)
      : beast::async_base<Handler, tcp::socket::executor_type>(std::forward<Handler_>(handler),
                                                              c->socket_.get_executor()),
        core_(std::move(c)),
        step_(std::move(step)) {
    (*this)(beast::error_code{}, false);
  }

  void operator()(beast::error_code ec, bool cont = true) {
    std::size_t bytes = 0;
    if (ec) {
      ec = core_->wait_error(ec);
    } else {
      switch (step_(*core_, bytes, ec)) {
        case want::readable:
          return core_->socket_.async_wait(tcp::socket::wait_read, std::move(*this));
        case want::writable:
          return core_->socket_.async_wait(tcp::socket::wait_write, std::move(*this));
        case want::done:
          break;
      }
    }
    if constexpr (std::is_same_v<typename Step::signature, void(beast::error_code)>)
      this->complete(cont, ec);
    else
      this->complete(cont, ec, bytes);
  }

 private:
  std::shared_ptr<core> core_;
  Step step_;
};

template <class Step>
struct run_op {
  template <class Handler>
  void operator()(Handler&& handler, std::shared_ptr<core> c, Step step) const {
    io_op<std::decay_t<Handler>, Step>(std::forward<Handler>(handler), std::move(c), std::move(step));
  }
};

}  // namespace tls_detail

// The stream is its own lowest layer (beast::get_lowest_layer finds no next_layer): it
// offers the tcp_stream calls the sessions use, socket() and expires_after()/expires_never(),
// so their code reads the same. One read and one write may be pending at once (WebSocket
// reads while it writes); every call must come from the connection's strand.
class tls_stream {
 public:
  using executor_type = tls_detail::tcp::socket::executor_type;

  // Takes a connected socket (made non-blocking) and a server or client context.
  tls_stream(tls_detail::tcp::socket&& socket, boost::asio::ssl::context& ctx);
  tls_stream(tls_stream&&) noexcept = default;
  tls_stream& operator=(tls_stream&&) noexcept = default;
  ~tls_stream() = default;

  executor_type get_executor() noexcept { return core_->socket_.get_executor(); }
  tls_detail::tcp::socket& socket() noexcept { return core_->socket_; }
  SSL* native_handle() noexcept { return core_->ssl_; }

  // As beast::tcp_stream: when the deadline passes the socket is closed and the pending and
  // later operations fail with beast::error::timeout.
  void expires_after(std::chrono::steady_clock::duration after) { core_->expires_after(after); }
  void expires_never() { core_->expires_never(); }

  template <class Handler>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    if (type == boost::asio::ssl::stream_base::server)
      SSL_set_accept_state(core_->ssl_);
    else
      SSL_set_connect_state(core_->ssl_);
    return boost::asio::async_initiate<Handler, void(boost::beast::error_code)>(
        tls_detail::run_op<tls_detail::handshake_step>{}, handler, core_, tls_detail::handshake_step{});
  }

  // Sends close_notify and waits for the peer's; its close_notify or EOF is success.
  template <class Handler>
  auto async_shutdown(Handler&& handler) {
    return boost::asio::async_initiate<Handler, void(boost::beast::error_code)>(
        tls_detail::run_op<tls_detail::shutdown_step>{}, handler, core_, tls_detail::shutdown_step{});
  }

  // A close_notify from the peer reads as asio::error::eof, a TCP close without one as
  // ssl::error::stream_truncated.
  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    return boost::asio::async_initiate<ReadHandler, void(boost::beast::error_code, std::size_t)>(
        tls_detail::run_op<tls_detail::read_step>{}, handler, core_,
        tls_detail::read_step{tls_detail::first_mutable(buffers)});
  }

  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(boost::beast::error_code, std::size_t)>(
        tls_detail::run_op<tls_detail::write_step<ConstBufferSequence>>{}, handler, core_,
        tls_detail::write_step<ConstBufferSequence>{buffers});
  }

 private:
  std::shared_ptr<tls_detail::core> core_;
};

// What beast::close_socket (WebSocket timeouts) calls: pending operations end with
// operation_aborted.
void beast_close_socket(tls_stream& stream);

namespace tls_detail {

template <class Handler>
class teardown_op : public beast::async_base<Handler, tcp::socket::executor_type> {
 public:
  template <class Handler_>
  teardown_op(Handler_&& handler, tls_stream& stream, beast::role_type role)
      : beast::async_base<Handler, tcp::socket::executor_type>(std::forward<Handler_>(handler),
                                                              stream.get_executor()),
        stream_(stream),
        role_(role) {
    stream_.async_shutdown(std::move(*this));
  }

  // After the TLS shutdown (first call), then after the TCP teardown.
  void operator()(beast::error_code ec) {
    if (!shut_down_) {
      shut_down_ = true;
      shutdown_ec_ = ec;
      return beast::websocket::async_teardown(role_, stream_.socket(), std::move(*this));
    }
    this->complete_now(shutdown_ec_ ? shutdown_ec_ : ec);
  }

 private:
  tls_stream& stream_;
  beast::role_type role_;
  beast::error_code shutdown_ec_;
  bool shut_down_ = false;
};

}  // namespace tls_detail

// WebSocket teardown, as Beast does for ssl::stream: the TLS shutdown, then the TCP
// teardown of the socket. (Only the asynchronous form: the sessions make no blocking calls.)
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, tls_stream& stream, TeardownHandler&& handler) {
  tls_detail::teardown_op<std::decay_t<TeardownHandler>>(std::forward<TeardownHandler>(handler), stream, role);
}

}  // namespace chatnode::node
