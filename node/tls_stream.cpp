// The non-template half of tls_stream: the SSL object, its socket BIO, error mapping and the
// deadline timer.
#include "tls_stream.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>

#include <sys/socket.h>

#include <cerrno>
#include <limits>
#include <stdexcept>
#include <system_error>

namespace chatnode::node {
namespace tls_detail {
namespace {

namespace ssl = boost::asio::ssl;

// A socket BIO of our own rather than BIO_s_socket(), which writes with write(2): a peer
// that resets the connection would raise SIGPIPE and kill the node. The BIO reaches the
// descriptor through the socket object, so once the socket is closed it gets EBADF and can
// never touch a descriptor number the kernel has handed to another connection.
bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

int bio_write(BIO* bio, const char* data, int size) {
  auto* socket = static_cast<tcp::socket*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::send(socket->native_handle(), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && would_block(errno)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
  auto* socket = static_cast<tcp::socket*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::recv(socket->native_handle(), data, static_cast<std::size_t>(size), 0);
  if (n < 0 && would_block(errno)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  // OpenSSL flushes after each handshake flight; there is nothing buffered to flush.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "chatnode socket");
    if (!m || BIO_meth_set_write(m, bio_write) != 1 || BIO_meth_set_read(m, bio_read) != 1 ||
        BIO_meth_set_ctrl(m, bio_ctrl) != 1 || BIO_meth_set_create(m, bio_create) != 1)
      throw std::runtime_error("cannot create the TLS socket BIO method");
    return m;
  }();
  return method;
}

beast::error_code openssl_error(unsigned long err) {
  return {static_cast<int>(err), boost::asio::error::get_ssl_category()};
}

int clamp_int(std::size_t n) {
  return n < static_cast<std::size_t>(std::numeric_limits<int>::max()) ? static_cast<int>(n)
                                                                       : std::numeric_limits<int>::max();
}

}  // namespace

core::core(tcp::socket&& socket, SSL_CTX* ctx)
    : socket_(std::move(socket)), ssl_(SSL_new(ctx)), timer_(socket_.get_executor()) {
  if (!ssl_) throw std::system_error(openssl_error(ERR_get_error()), "SSL_new");
  BIO* bio = BIO_new(socket_bio_method());
  if (!bio) {
    SSL_free(ssl_);
    throw std::system_error(openssl_error(ERR_get_error()), "BIO_new");
  }
  BIO_set_data(bio, &socket_);
  SSL_set_bio(ssl_, bio, bio);
  // RELEASE_BUFFERS is what makes this stream lean: OpenSSL frees its record buffers
  // whenever they are empty, i.e. whenever the connection is idle.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // A renegotiation would let SSL_write want to read, and a read waiting on the socket
  // could then miss bytes SSL_write consumed. Clients have no use for it.
  SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);
  // One recv may fetch several records (a burst of small frames) into the record buffer.
  // Safe because an operation always calls SSL first and waits on the socket only when
  // OpenSSL has nothing buffered and asks for more.
  SSL_set_read_ahead(ssl_, 1);
  beast::error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) failed_ = ec;  // the handshake reports it
}

core::~core() { SSL_free(ssl_); }

bool core::usable(beast::error_code& ec) const {
  if (failed_) {
    ec = failed_;
    return false;
  }
  if (!socket_.is_open()) {
    // Closed by the deadline, by beast::close_socket or by the session (a slow peer).
    ec = timed_out_ ? beast::error_code(beast::error::timeout) : beast::error_code(boost::asio::error::operation_aborted);
    return false;
  }
  return true;
}

want core::classify(int result, int sys_errno, beast::error_code& ec) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return want::readable;
    case SSL_ERROR_WANT_WRITE:
      return want::writable;
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      ec = boost::asio::error::eof;
      return want::done;
    case SSL_ERROR_SYSCALL:
      if (const unsigned long err = ERR_get_error())
        ec = openssl_error(err);
      else if (sys_errno != 0)
        ec = beast::error_code(sys_errno, boost::system::system_category());
      else
        ec = ssl::error::stream_truncated;  // EOF in the middle of the protocol
      failed_ = ec;
      return want::done;
    case SSL_ERROR_SSL: {
      const unsigned long err = ERR_get_error();
      // OpenSSL 3 reports a TCP close without close_notify this way.
      if (ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        ec = ssl::error::stream_truncated;
      else if (err != 0)
        ec = openssl_error(err);
      else
        ec = ssl::error::unexpected_result;  // never a success: the queue was empty
      failed_ = ec;
      return want::done;
    }
    default:
      ec = ssl::error::unexpected_result;
      failed_ = ec;
      return want::done;
  }
}

want core::handshake(beast::error_code& ec) {
  if (!usable(ec)) return want::done;
  ERR_clear_error();
  errno = 0;
  const int r = SSL_do_handshake(ssl_);
  const int sys_errno = errno;
  return r == 1 ? want::done : classify(r, sys_errno, ec);
}

want core::read(asio::mutable_buffer buffer, std::size_t& bytes, beast::error_code& ec) {
  if (buffer.size() == 0) return want::done;
  if (!usable(ec)) return want::done;
  ERR_clear_error();
  errno = 0;
  const int r = SSL_read(ssl_, buffer.data(), clamp_int(buffer.size()));
  const int sys_errno = errno;
  if (r > 0) {
    bytes = static_cast<std::size_t>(r);
    return want::done;
  }
  return classify(r, sys_errno, ec);
}

want core::write(asio::const_buffer buffer, std::size_t& bytes, beast::error_code& ec) {
  if (buffer.size() == 0) return want::done;
  if (!usable(ec)) return want::done;
  ERR_clear_error();
  errno = 0;
  const int r = SSL_write(ssl_, buffer.data(), clamp_int(buffer.size()));
  const int sys_errno = errno;
  if (r > 0) {
    bytes = static_cast<std::size_t>(r);
    return want::done;
  }
  return classify(r, sys_errno, ec);
}

want core::shutdown(beast::error_code& ec) {
  if (!usable(ec)) return want::done;
  ERR_clear_error();
  errno = 0;
  // 0: our close_notify is out; call again to wait for the peer's (as asio::ssl does).
  int r = SSL_shutdown(ssl_);
  if (r == 0) r = SSL_shutdown(ssl_);
  const int sys_errno = errno;
  if (r == 1) return want::done;
  const want w = classify(r, sys_errno, ec);
  if (ec == boost::asio::error::eof) ec = {};  // the peer's close_notify: shutdown complete
  return w;
}

beast::error_code core::wait_error(beast::error_code ec) const {
  if (ec == boost::asio::error::operation_aborted && timed_out_) return beast::error::timeout;
  return ec;
}

void core::expires_after(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (auto self = weak.lock()) self->on_timer(ec);
  });
}

void core::expires_never() { timer_.expires_at(asio::steady_timer::time_point::max()); }

void core::on_timer(beast::error_code ec) {
  // A wait that completed just before the deadline was moved must not act on the new one.
  if (ec || timer_.expiry() > asio::steady_timer::clock_type::now()) return;
  timed_out_ = true;
  beast::error_code ignored;
  socket_.close(ignored);
}

}  // namespace tls_detail

tls_stream::tls_stream(tls_detail::tcp::socket&& socket, boost::asio::ssl::context& ctx)
    : core_(std::make_shared<tls_detail::core>(std::move(socket), ctx.native_handle())) {}

void beast_close_socket(tls_stream& stream) {
  boost::beast::error_code ignored;
  stream.socket().close(ignored);
}

}  // namespace chatnode::node
