// The blocking wss client: all socket work runs on one private I/O thread; callers
// exchange whole JSON messages with it through a mutex-guarded queue.
#include "client/connection.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace chatnode::client {

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;

// The server enforces its own limits; the client must be able to receive anything it sends.
constexpr std::size_t read_message_max = 64U * 1024U * 1024U;
// How long close() waits for the server's close reply before dropping the socket.
constexpr std::chrono::milliseconds close_wait{2000};
// The destructor only tries briefly: the server may be gone.
constexpr std::chrono::milliseconds destructor_close_wait{500};
// WebSocket close handshake timeout on the I/O thread (bounds a close to a dead peer).
constexpr std::chrono::seconds ws_close_timeout{5};

[[noreturn]] void fail(error_code ec, const std::string& step) { throw std::system_error(ec, step); }

}  // namespace

struct connection::impl {
  net::io_context ioc{1};
  // Keeps run() going after the connection ends, so late send_text posts are drained.
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  ssl::context tls{ssl::context::tls_client};
  // Built only once `tls` is configured: OpenSSL copies the verify mode, protocol versions
  // and client certificate from the context into each stream when the stream is made.
  std::optional<websocket::stream<ssl::stream<beast::tcp_stream>>> ws;
  std::thread io_thread;

  // Touched on the I/O thread only (or before it starts).
  beast::flat_buffer read_buffer;
  std::deque<std::string> outbox;
  bool writing = false;
  bool close_requested = false;
  bool close_sent = false;
  bool alive = false;

  // Shared with callers.
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::deque<boost::json::object> inbox;
  bool open = false;
  int close_code = 0;
  // Readable while something happened that a poll()-driven caller has not looked at.
  int ready_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() {
    if (ready_fd >= 0) ::close(ready_fd);
  }

  void signal_ready() const {
    const std::uint64_t one = 1;
    if (ready_fd < 0) return;
    // Only fails when the counter is saturated, which still reads as ready.
    const ssize_t written = ::write(ready_fd, &one, sizeof one);
    static_cast<void>(written);
  }

  // Runs the context on the calling thread (before the I/O thread exists) until the
  // operation started by `start` completes; at the deadline `cancel` is called once, which
  // must make the operation complete soon.
  template <class Start, class Cancel>
  error_code run_step(steady::time_point deadline, Start&& start, Cancel&& cancel) {
    std::optional<error_code> result;
    bool timed_out = false;
    start([&result](error_code ec, auto&&...) { result = ec; });
    while (!result) {
      if (!timed_out) {
        if (ioc.run_one_until(deadline) == 0 && steady::now() >= deadline) {
          cancel();
          timed_out = true;
        }
      } else {
        ioc.run_one();
      }
    }
    return timed_out && *result == net::error::operation_aborted ? error_code(net::error::timed_out) : *result;
  }

  // ---- connecting: each step throws std::system_error naming it -------------------------

  // Verify the server against the given CA (or the system's); a client certificate if given.
  void configure_tls(const connect_options& opts) {
    error_code ec;
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.set_verify_mode(ssl::verify_peer, ec);
    if (ec) fail(ec, "TLS setup");
    if (opts.ca_file.empty()) {
      tls.set_default_verify_paths(ec);
      if (ec) fail(ec, "loading default trust store");
    } else {
      tls.load_verify_file(opts.ca_file, ec);
      if (ec) fail(ec, "loading CA file " + opts.ca_file);
    }
    if (!opts.cert_file.empty()) {
      tls.use_certificate_chain_file(opts.cert_file, ec);
      if (ec) fail(ec, "loading client certificate " + opts.cert_file);
      tls.use_private_key_file(opts.key_file.empty() ? opts.cert_file : opts.key_file, ssl::context::pem, ec);
      if (ec) fail(ec, "loading client key " + opts.key_file);
    }
  }

  // The stream over the configured `tls`: it sends `server_name` as SNI and expects it in
  // the server's certificate.
  void make_stream(const std::string& server_name) {
    error_code ec;
    ws.emplace(ioc, tls);
    auto& tls_stream = ws->next_layer();
    tls_stream.set_verify_callback(ssl::host_name_verification(server_name), ec);
    if (ec) fail(ec, "TLS setup");
    if (SSL_set_tlsext_host_name(tls_stream.native_handle(), server_name.c_str()) != 1) {
      fail(error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()), "setting SNI");
    }
  }

  // Numeric addresses skip the resolver.
  std::vector<tcp::endpoint> resolve(const connect_options& opts, steady::time_point deadline) {
    tcp::resolver resolver(ioc);
    error_code ec;
    const auto address = net::ip::make_address(opts.host, ec);
    if (!ec) return {tcp::endpoint(address, opts.port)};
    tcp::resolver::results_type results;
    ec = run_step(
        deadline,
        [&](auto handler) {
          resolver.async_resolve(opts.host, std::to_string(opts.port),
                                 [&results, handler](error_code e, tcp::resolver::results_type r) mutable {
                                   results = std::move(r);
                                   handler(e);
                                 });
        },
        [&] { resolver.cancel(); });
    if (ec) fail(ec, "resolving " + opts.host);
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    return endpoints;
  }

  // Cancels a TCP connect or a TLS or WebSocket handshake at its deadline.
  void close_tcp() { beast::get_lowest_layer(*ws).close(); }

  void connect_tcp(const connect_options& opts, std::vector<tcp::endpoint> endpoints, steady::time_point deadline) {
    auto& tcp_layer = beast::get_lowest_layer(*ws);
    error_code ec;
    tcp_layer.expires_at(deadline);
    if (!opts.local_address.empty()) {
      // Bound before connecting, so one endpoint only (a range would reopen the socket).
      const auto local = net::ip::make_address(opts.local_address, ec);
      if (ec) fail(ec, "local address " + opts.local_address);
      endpoints.resize(1);
      tcp_layer.socket().open(endpoints.front().protocol(), ec);
      if (!ec) tcp_layer.socket().bind(tcp::endpoint(local, 0), ec);
      if (ec) fail(ec, "binding to " + opts.local_address);
    }
    ec = run_step(
        deadline,
        [&](auto handler) {
          if (opts.local_address.empty()) {
            tcp_layer.async_connect(endpoints, std::move(handler));
          } else {
            tcp_layer.async_connect(endpoints.front(), std::move(handler));
          }
        },
        [this] { close_tcp(); });
    if (ec) fail(ec, "TCP connect to " + opts.host + ":" + std::to_string(opts.port));
    tcp_layer.socket().set_option(tcp::no_delay(true), ec);
  }

  void tls_handshake(const std::string& server_name, steady::time_point deadline) {
    beast::get_lowest_layer(*ws).expires_at(deadline);
    const error_code ec = run_step(
        deadline,
        [&](auto handler) { ws->next_layer().async_handshake(ssl::stream_base::client, std::move(handler)); },
        [this] { close_tcp(); });
    if (ec) fail(ec, "TLS handshake with " + server_name);
  }

  // The WebSocket layer's own timeouts; `handshake` also bounds a close handshake.
  void set_ws_timeouts(std::chrono::milliseconds handshake) {
    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout = handshake;
    ws->set_option(timeouts);
  }

  void websocket_handshake(const connect_options& opts, steady::time_point deadline) {
    // The websocket stream has its own timeouts; the TCP-level one must be off now.
    beast::get_lowest_layer(*ws).expires_never();
    set_ws_timeouts(ws_close_timeout);
    ws->set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(beast::http::field::user_agent, "chatnode-client");
    }));
    ws->read_message_max(read_message_max);
    ws->auto_fragment(false);
    ws->binary(false);
    const auto ws_remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (ws_remaining.count() <= 0) fail(net::error::timed_out, "WebSocket handshake");
    set_ws_timeouts(ws_remaining);
    const error_code ec = run_step(
        deadline, [&](auto handler) { ws->async_handshake(opts.server_name, opts.path, std::move(handler)); },
        [this] { close_tcp(); });
    if (ec) fail(ec, "WebSocket handshake on " + opts.path);
    set_ws_timeouts(ws_close_timeout);
  }

  // Connected: from now on the context runs on the I/O thread, reading all the while.
  void start_io_thread() {
    alive = true;
    open = true;
    do_read();
    io_thread = std::thread([this] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (...) {
          // A handler threw (e.g. bad_alloc); keep serving the remaining handlers.
        }
      }
    });
  }

  // ---- connected: the I/O thread's handlers ------------------------------------------

  void do_read() {
    ws->async_read(read_buffer, [this](error_code ec, std::size_t) { on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec) {
      on_closed();
      return;
    }
    std::string text = beast::buffers_to_string(read_buffer.data());
    read_buffer.consume(read_buffer.size());
    boost::json::object message;
    error_code parse_ec;
    boost::json::value parsed = boost::json::parse(text, parse_ec);
    if (!parse_ec && parsed.is_object()) {
      message = std::move(parsed.as_object());
    } else {
      message["type"] = "__unparsable__";
      message["raw"] = std::move(text);
    }
    {
      std::lock_guard lock(mutex);
      inbox.push_back(std::move(message));
    }
    changed.notify_all();
    signal_ready();
    do_read();
  }

  // The read loop ended: the server closed, the connection failed, or we aborted.
  void on_closed() {
    alive = false;
    outbox.clear();
    // reason() is set as soon as a close frame arrived, even when the read then failed
    // on something else (e.g. the server dropped TCP while our close reply was queued).
    int code = static_cast<int>(ws->reason().code);
    error_code ignored;
    beast::get_lowest_layer(*ws).socket().close(ignored);
    {
      std::lock_guard lock(mutex);
      open = false;
      close_code = code;
    }
    changed.notify_all();
    signal_ready();
  }

  void enqueue(std::string text) {
    if (!alive || close_requested) return;
    outbox.push_back(std::move(text));
    if (!writing) do_write();
  }

  void do_write() {
    if (!alive) {
      writing = false;
      return;
    }
    if (outbox.empty()) {
      writing = false;
      if (close_requested && !close_sent) do_close();
      return;
    }
    writing = true;
    ws->text(true);
    ws->async_write(net::buffer(outbox.front()), [this](error_code ec, std::size_t) {
      if (!outbox.empty()) outbox.pop_front();
      if (ec) {
        writing = false;
        outbox.clear();
        return;  // the read loop reports the failure
      }
      do_write();
    });
  }

  void request_close() {
    if (!alive || close_requested) return;
    close_requested = true;
    if (!writing) do_close();
  }

  void do_close() {
    close_sent = true;
    ws->async_close(websocket::close_code::normal, [this](error_code ec) {
      if (ec) {
        error_code ignored;
        beast::get_lowest_layer(*ws).socket().close(ignored);
      }
      // On success the pending read completes with websocket::error::closed.
    });
  }

  void drop() {
    if (!alive) return;
    error_code ignored;
    beast::get_lowest_layer(*ws).socket().close(ignored);
  }

  bool wait_not_open(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [this] { return !open; });
  }

  bool is_open() const {
    std::lock_guard lock(mutex);
    return open;
  }

  template <class Match>
  std::optional<boost::json::object> take(Match&& match, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    std::unique_lock lock(mutex);
    for (;;) {
      for (auto it = inbox.begin(); it != inbox.end(); ++it) {
        if (match(*it)) {
          boost::json::object found = std::move(*it);
          inbox.erase(it);
          return found;
        }
      }
      if (!open) return std::nullopt;
      if (changed.wait_until(lock, deadline) == std::cv_status::timeout) {
        // One last look: a message may have arrived together with the timeout.
        for (auto it = inbox.begin(); it != inbox.end(); ++it) {
          if (match(*it)) {
            boost::json::object found = std::move(*it);
            inbox.erase(it);
            return found;
          }
        }
        return std::nullopt;
      }
    }
  }
};

namespace {

bool has_type(const boost::json::object& message, std::string_view type) {
  const auto* found = message.if_contains("type");
  return found != nullptr && found->is_string() && found->get_string() == type;
}

}  // namespace

connection::connection(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

std::unique_ptr<connection> connection::connect(const connect_options& opts) {
  auto p = std::make_unique<impl>();
  const auto deadline = steady::now() + opts.timeout;
  p->configure_tls(opts);
  p->make_stream(opts.server_name);
  std::vector<tcp::endpoint> endpoints = p->resolve(opts, deadline);
  // TCP connect, TLS handshake, WebSocket handshake: all bounded by the one deadline.
  p->connect_tcp(opts, std::move(endpoints), deadline);
  p->tls_handshake(opts.server_name, deadline);
  p->websocket_handshake(opts, deadline);
  p->start_io_thread();
  return std::unique_ptr<connection>(new connection(std::move(p)));
}

connection::~connection() {
  if (!impl_) return;
  if (impl_->is_open()) {
    net::post(impl_->ioc, [p = impl_.get()] { p->request_close(); });
    if (!impl_->wait_not_open(destructor_close_wait)) {
      net::post(impl_->ioc, [p = impl_.get()] { p->drop(); });
      impl_->wait_not_open(destructor_close_wait);
    }
  }
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->io_thread.joinable()) impl_->io_thread.join();
}

void connection::send_text(std::string text) {
  net::post(impl_->ioc, [p = impl_.get(), t = std::move(text)]() mutable { p->enqueue(std::move(t)); });
}

void connection::send(const boost::json::value& message) { send_text(boost::json::serialize(message)); }

std::optional<boost::json::object> connection::wait_for(std::string_view type, std::chrono::milliseconds timeout) {
  return impl_->take([type](const boost::json::object& m) { return has_type(m, type); }, timeout);
}

std::optional<boost::json::object> connection::next(std::chrono::milliseconds timeout) {
  return impl_->take([](const boost::json::object&) { return true; }, timeout);
}

bool connection::has_queued(std::string_view type) const {
  std::lock_guard lock(impl_->mutex);
  for (const auto& m : impl_->inbox) {
    if (has_type(m, type)) return true;
  }
  return false;
}

std::size_t connection::queued() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->inbox.size();
}

int connection::ready_fd() const { return impl_->ready_fd; }

void connection::clear_ready() {
  std::uint64_t count = 0;
  if (impl_->ready_fd < 0) return;
  // EAGAIN (nothing pending) is the normal case.
  const ssize_t got = ::read(impl_->ready_fd, &count, sizeof count);
  static_cast<void>(got);
}

bool connection::wait_closed(std::chrono::milliseconds timeout) { return impl_->wait_not_open(timeout); }

bool connection::is_open() const { return impl_->is_open(); }

int connection::close_code() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->close_code;
}

void connection::close() {
  if (!impl_->is_open()) return;
  net::post(impl_->ioc, [p = impl_.get()] { p->request_close(); });
  if (impl_->wait_not_open(close_wait)) return;
  net::post(impl_->ioc, [p = impl_.get()] { p->drop(); });
  impl_->wait_not_open(close_wait);
}

void connection::abort() {
  if (!impl_->is_open()) return;
  net::post(impl_->ioc, [p = impl_.get()] { p->drop(); });
  impl_->wait_not_open(close_wait);
}

boost::json::object make_message(std::string_view type, boost::json::object payload, std::optional<std::string> id) {
  boost::json::object message;
  message["type"] = type;
  message["timestamp"] = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  if (id) message["id"] = *id;
  message["payload"] = std::move(payload);
  return message;
}

}  // namespace chatnode::client
