// Federation listener, dialler and peer bookkeeping. The handshakes are coroutines: each
// is one straight sequence of steps (TCP, TLS, identity, upgrade, FED_HELLO) under one
// deadline, which reads better than a chain of a dozen callbacks.
#include "federation/service.hpp"

#include "federation/errors.hpp"
#include "federation/hello.hpp"
#include "federation/tls.hpp"

#include "net/endpoint.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <openssl/err.h>

#include <algorithm>

namespace chatnode::federation {
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr unsigned max_inbound_handshakes = 64;  // more in progress: closed at once
constexpr std::size_t max_request_header_bytes = 8 * 1024;
constexpr std::size_t max_close_reason_bytes = 120;  // a close frame's reason fits in 123 bytes
constexpr const char* federation_path = "/federation";
constexpr const char* user_agent = "chatnode-federation";

auto redirect(beast::error_code& ec) { return asio::redirect_error(use_awaitable, ec); }

// "host:port" or "[v6]:port" (already syntax-checked by the config).
bool split_address(const std::string& address, std::string& host, std::string& port) {
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') return false;
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  return !port.empty();
}

void set_live_timeouts(ws_stream& ws, const options& opts) {
  // From here on the WebSocket's own timer keeps the link honest: ping at half the idle
  // time, drop the link if nothing (not even the pong) came back by the end.
  beast::get_lowest_layer(ws).expires_never();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = opts.handshake_timeout;
  t.idle_timeout = opts.idle_timeout;
  t.keep_alive_pings = true;
  ws.set_option(t);
}

std::string close_reason_text(const beast::error_code& ec) {
  std::string text = ec.message();
  if (text.size() > max_close_reason_bytes) text.resize(max_close_reason_bytes);
  return text;
}

}  // namespace

std::string_view to_string(link_state s) noexcept {
  switch (s) {
    case link_state::idle: return "idle";
    case link_state::connecting: return "connecting";
    case link_state::up: return "up";
    case link_state::backoff: return "backoff";
  }
  return "?";
}

struct service::peer {
  peer(std::string d, asio::strand<asio::io_context::executor_type> strand) : domain(std::move(d)), timer(strand) {}
  std::string domain;
  bool wanted = false;                // connect() was called: keep a link up
  std::shared_ptr<link> current;      // the live link (after FED_HELLO), if any
  std::shared_ptr<link> dialing;      // our outbound attempt in progress, if any
  asio::steady_timer timer;           // redial backoff
  bool timer_pending = false;
  unsigned attempts = 0;              // consecutive failed dials (0 once the peer is heard from)
  link_state state = link_state::idle;
};

service::service(asio::io_context& ioc, options opts, logger log)
    : ioc_(ioc), log_(std::move(log)), strand_(asio::make_strand(ioc)), acceptor_(strand_), rng_(std::random_device{}()) {
  auto server = make_server_context(opts.tls);
  auto client = make_client_context(opts.tls);
  publish(std::make_unique<generation>(generation{std::move(opts), std::move(server), std::move(client)}));
}

void service::publish(std::unique_ptr<generation> g) {
  {
    std::lock_guard lock(stats_mutex_);
    for (const auto& [domain, address] : g->opts.peers) stats_[domain];
  }
  std::lock_guard lock(generations_mutex_);
  generations_.push_back(std::move(g));
  current_.store(generations_.back().get(), std::memory_order_release);
  opts_.store(&generations_.back()->opts, std::memory_order_release);
}

void service::reload(options next) {
  const options& old = opts();
  next.domain = old.domain;
  next.listen_host = old.listen_host;
  next.listen_port = old.listen_port;
  auto server = make_server_context(next.tls);  // throws: nothing changed
  auto client = make_client_context(next.tls);
  publish(std::make_unique<generation>(generation{std::move(next), std::move(server), std::move(client)}));
  // Links up with a domain this config no longer accepts go; the others stay.
  std::vector<std::pair<std::shared_ptr<link>, std::string>> closing;
  {
    std::lock_guard lock(stats_mutex_);
    for (const auto& [domain, l] : live_) {
      if (auto ec = opts().check_allowed(domain)) {
        closing.emplace_back(l, ec.message());
      } else if (opts().pin_for(domain) != old.pin_for(domain) && opts().pin_for(domain)) {
        closing.emplace_back(l, "its pin changed");
      }
    }
  }
  for (auto& [l, why] : closing) {
    log(severity::warn, "closing the link with ", l->peer(), " after a reload: ", why);
    l->close(1008, why);
  }
}

service::~service() = default;

void service::start() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(opts().listen_host, ec);
  if (ec) throw std::runtime_error("federation.listen: \"" + opts().listen_host + "\" is not an IP address");
  const tcp::endpoint endpoint(address, opts().listen_port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::system_error(ec, "federation.listen: cannot listen on " + address.to_string() + ":" +
                                    std::to_string(opts().listen_port));
  asio::co_spawn(strand_, [self = shared_from_this()] { return self->accept_loop(); }, asio::detached);
  if (opts().dial_on_start)
    for (const auto& [domain, address_text] : opts().peers) connect(domain);
}

void service::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    for (auto& [domain, p] : self->peers_) {
      p->timer.cancel();
      if (p->current) p->current->close(1001, "going away");
      if (p->dialing) p->dialing->close(1001);
    }
  });
}

tcp::endpoint service::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

// ---- inbound ----

awaitable<void> service::accept_loop() {
  auto self = shared_from_this();
  asio::steady_timer retry(strand_);
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::make_strand(ioc_), redirect(ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open() || stopped_) co_return;
    if (ec) {
      // EMFILE and friends: say so and keep accepting; the condition is usually transient.
      log(severity::warn, "accept: ", ec.message());
      retry.expires_after(std::chrono::milliseconds(100));
      co_await retry.async_wait(redirect(ec));
      continue;
    }
    if (handshakes_.load(std::memory_order_relaxed) >= max_inbound_handshakes) {
      refuse(net::endpoint_text(socket), errc::too_many_handshakes);
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto l = std::make_shared<link>(std::move(socket), server_tls(), direction::inbound,
                                    link::limits{opts().max_frame_bytes, opts().write_queue_messages,
                                                 opts().write_queue_bytes});
    handshakes_.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(l->stream().get_executor(), [self, l] { return self->run_inbound(l); }, asio::detached);
  }
}

awaitable<void> service::run_inbound(std::shared_ptr<link> l) {
  auto self = shared_from_this();
  struct release {
    std::atomic<unsigned>& n;
    ~release() { n.fetch_sub(1, std::memory_order_relaxed); }
  } releaser{handshakes_};

  auto& ws = l->stream();
  // One deadline for everything up to and including the peer's FED_HELLO.
  beast::get_lowest_layer(ws).expires_after(opts().handshake_timeout);
  beast::error_code ec;
  co_await ws.next_layer().async_handshake(ssl::stream_base::server, redirect(ec));
  if (ec) {
    // No certificate, or one our CA did not sign: OpenSSL says which.
    refuse(l->remote(), ec, "TLS handshake: ");
    co_return;
  }
  if (!co_await accept_upgrade(*l)) co_return;
  if (!co_await answer_hello(*l)) co_return;
  set_live_timeouts(ws, opts());
  asio::post(strand_, [self, l] { self->on_link_up(l); });
}

awaitable<bool> service::accept_upgrade(link& l) {
  auto& ws = l.stream();
  beast::error_code ec;
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(max_request_header_bytes);
  parser.body_limit(0);
  co_await http::async_read(ws.next_layer(), buffer, parser, redirect(ec));
  if (ec) {
    log(severity::debug, l.remote(), ": reading the upgrade request: ", ec.message());
    co_return false;
  }
  const auto& req = parser.get();
  if (!websocket::is_upgrade(req) || req.target() != federation_path) {
    refuse(l.remote(), errc::not_federation_request);
    http::response<http::string_body> res{http::status::not_found, req.version()};
    res.set(http::field::server, user_agent);
    res.set(http::field::content_type, "text/plain");
    res.body() = "this port takes federation WebSocket links at /federation\n";
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(ws.next_layer(), res, redirect(ec));
    co_return false;
  }
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, user_agent); }));
  ws.read_message_max(max_hello_bytes);
  co_await ws.async_accept(req, redirect(ec));
  if (ec) log(severity::debug, l.remote(), ": WebSocket accept: ", ec.message());
  co_return !ec;
}

awaitable<bool> service::answer_hello(link& l) {
  auto& ws = l.stream();
  beast::error_code ec;
  beast::flat_buffer frame;
  co_await ws.async_read(frame, redirect(ec));
  if (ec) {
    refuse(l.remote(), ec, "waiting for FED_HELLO: ");
    co_return false;
  }
  hello h;
  ec = ws.got_text() ? parse_hello(beast::buffers_to_string(frame.data()), h) : make_error_code(errc::bad_hello);
  if (!ec) ec = opts().check_allowed(h.origin);
  if (!ec) ec = verify_peer_identity(ws.next_layer().native_handle(), h.origin, opts().pin_for(h.origin));
  if (ec) {
    refuse(h.origin.empty() ? l.remote() : h.origin, ec);
    websocket::close_reason why(websocket::close_code::policy_error);
    why.reason = close_reason_text(ec);
    beast::error_code ignored;
    co_await ws.async_close(why, redirect(ignored));
    co_return false;
  }
  l.set_peer(h.origin);
  ws.text(true);
  const std::string answer = encode_hello(opts().domain);
  co_await ws.async_write(asio::buffer(answer), redirect(ec));
  if (ec) {
    log(severity::info, "link from ", h.origin, " (", l.remote(), ") failed during FED_HELLO: ", ec.message());
    co_return false;
  }
  co_return true;
}

// ---- outbound ----

void service::connect(const std::string& domain) {
  asio::post(strand_, [self = shared_from_this(), domain] {
    if (self->stopped_) return;
    if (auto ec = self->opts().check_allowed(domain)) {
      self->log(severity::warn, "not dialling ", domain, ": ", ec.message());
      return;
    }
    peer& p = self->peer_for(domain);
    p.wanted = true;
    if (p.current || p.dialing || p.timer_pending) return;
    self->start_dial(p);
  });
}

void service::start_dial(peer& p) {
  // A redial checks again: a reload may have denied the domain since.
  if (auto ec = opts().check_allowed(p.domain)) {
    log(severity::warn, "not dialling ", p.domain, ": ", ec.message());
    p.wanted = false;
    set_state(p, link_state::idle);
    return;
  }
  const auto it = opts().peers.find(p.domain);
  if (it == opts().peers.end()) {
    log(severity::warn, "cannot dial ", p.domain, ": ", make_error_code(errc::no_address).message());
    set_state(p, link_state::idle);
    return;
  }
  p.dialing = std::make_shared<link>(tcp::socket(asio::make_strand(ioc_)), client_tls(), direction::outbound,
                                     link::limits{opts().max_frame_bytes, opts().write_queue_messages,
                                                  opts().write_queue_bytes});
  set_state(p, link_state::connecting);
  log(severity::debug, "dialling ", p.domain, " at ", it->second);
  auto task = [](std::shared_ptr<service> self, std::shared_ptr<link> l, std::string domain,
                 std::string address) -> awaitable<void> {
    const beast::error_code ec = co_await self->run_outbound(l, domain, address);
    asio::post(self->strand_, [self, l, domain, ec] { self->on_dial_done(domain, l, ec); });
  };
  asio::co_spawn(p.dialing->stream().get_executor(), task(shared_from_this(), p.dialing, p.domain, it->second),
                 asio::detached);
}

awaitable<beast::error_code> service::run_outbound(std::shared_ptr<link> l, std::string domain,
                                                   std::string address) {
  auto& ws = l->stream();
  auto& tcp_layer = beast::get_lowest_layer(ws);
  beast::error_code ec;
  std::string host, port;
  if (!split_address(address, host, port)) co_return make_error_code(errc::no_address);

  tcp_layer.expires_after(opts().handshake_timeout);
  // The resolver is not covered by the stream deadline; peers are usually IP literals or
  // names the local resolver answers quickly.
  tcp::resolver resolver(co_await asio::this_coro::executor);
  const auto endpoints = co_await resolver.async_resolve(host, port, redirect(ec));
  if (ec) co_return ec;
  co_await tcp_layer.async_connect(endpoints, redirect(ec));
  if (ec) co_return ec;
  l->refresh_remote();
  tcp_layer.socket().set_option(tcp::no_delay(true), ec);

  // SNI names the peer domain; the identity check below is what actually matters.
  if (SSL_set_tlsext_host_name(ws.next_layer().native_handle(), domain.c_str()) != 1)
    co_return beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  co_await ws.next_layer().async_handshake(ssl::stream_base::client, redirect(ec));
  if (ec) co_return ec;
  if (ec = verify_peer_identity(ws.next_layer().native_handle(), domain, opts().pin_for(domain)); ec) co_return ec;

  ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(http::field::user_agent, user_agent); }));
  ws.read_message_max(max_hello_bytes);
  co_await ws.async_handshake(domain, federation_path, redirect(ec));
  if (ec) co_return ec;
  ws.text(true);
  const std::string greeting = encode_hello(opts().domain);
  co_await ws.async_write(asio::buffer(greeting), redirect(ec));
  if (ec) co_return ec;
  beast::flat_buffer frame;
  co_await ws.async_read(frame, redirect(ec));
  if (ec == websocket::error::closed) {
    log(severity::info, domain, " closed the link during FED_HELLO: ", ws.reason().code, " ",
        std::string(ws.reason().reason.c_str()));
    co_return ec;
  }
  if (ec) co_return ec;
  hello h;
  ec = ws.got_text() ? parse_hello(beast::buffers_to_string(frame.data()), h) : make_error_code(errc::bad_hello);
  if (!ec && h.origin != domain) ec = errc::wrong_origin;
  if (ec) {
    websocket::close_reason why(websocket::close_code::policy_error);
    why.reason = close_reason_text(ec);
    beast::error_code ignored;
    co_await ws.async_close(why, redirect(ignored));
    co_return ec;
  }
  l->set_peer(domain);
  set_live_timeouts(ws, opts());
  co_return beast::error_code{};
}

void service::on_dial_done(const std::string& domain, const std::shared_ptr<link>& l, beast::error_code ec) {
  peer& p = peer_for(domain);
  if (p.dialing == l) p.dialing.reset();
  if (stopped_) {
    if (!ec) {
      l->start(nullptr, nullptr);
      l->close(1001, "going away");
    }
    return;
  }
  if (ec) {
    {
      std::lock_guard lock(stats_mutex_);
      stats_[domain].last_error = "dialling: " + ec.message();
    }
    if (ec.category() == category()) refuse(domain, ec);
    else log(severity::info, "dialling ", domain, " failed: ", ec.message());
    if (!p.current) schedule_redial(p);
    return;
  }
  on_link_up(l);
}

void service::schedule_redial(peer& p) {
  if (!p.wanted || stopped_) return set_state(p, link_state::idle);
  ++p.attempts;
  const auto delay = backoff_delay(opts(), p.attempts, std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_[p.domain].retries;
  }
  set_state(p, link_state::backoff);
  log(severity::info, "redialling ", p.domain, " in ", delay.count(), " ms (attempt ", p.attempts + 1, ")");
  p.timer_pending = true;
  p.timer.expires_after(delay);
  p.timer.async_wait([self = shared_from_this(), domain = p.domain](beast::error_code ec) {
    peer& q = self->peer_for(domain);
    q.timer_pending = false;
    if (ec || self->stopped_ || q.current || q.dialing) return;
    self->start_dial(q);
  });
}

// ---- live links ----

bool service::preferred(const link& l) const {
  const std::string& dialled_by = l.dir() == direction::outbound ? opts().domain : l.peer();
  return dialled_by == std::min(opts().domain, l.peer());
}

void service::on_link_up(const std::shared_ptr<link>& l) {
  if (stopped_) {
    l->start(nullptr, nullptr);
    l->close(1001, "going away");
    return;
  }
  peer& p = peer_for(l->peer());
  if (p.current) {
    if (!preferred(*l) || preferred(*p.current)) {
      log(severity::debug, "closing a duplicate link with ", p.domain, " (", l->remote(), ")");
      l->start(nullptr, nullptr);
      l->close(1000, "duplicate link");
      return;
    }
    log(severity::debug, "replacing the link with ", p.domain, " by the one ",
        std::min(opts().domain, p.domain), " dialled");
    auto old = std::move(p.current);
    old->close(1000, "duplicate link");
  }
  p.current = l;
  p.attempts = 0;  // heard from the peer: the next drop starts the backoff afresh
  p.timer.cancel();
  {
    std::lock_guard lock(stats_mutex_);
    live_[p.domain] = l;
    ++stats_[p.domain].links_established;
    stats_[p.domain].last_error.clear();  // the link is up: no error stands
  }
  std::weak_ptr<service> weak = weak_from_this();
  l->start(
      [weak](const std::shared_ptr<link>& from, std::string_view frame) {
        if (auto self = weak.lock(); self && self->on_frame_) self->on_frame_(from->peer(), frame);
      },
      [weak](const std::shared_ptr<link>& gone) {
        if (auto self = weak.lock()) asio::post(self->strand_, [self, gone] { self->on_link_closed(gone); });
      });
  // After start(), so what the state handler sends goes out on this link. A link that
  // replaces another is announced too: whatever was in flight on the old one is resent.
  const bool was_up = p.state == link_state::up;
  set_state(p, link_state::up);
  if (was_up && on_state_) on_state_(p.domain, link_state::up);
  log(severity::info, "link up with ", p.domain, l->dir() == direction::inbound ? " (inbound from " : " (outbound to ",
      l->remote(), ")");
}

void service::on_link_closed(const std::shared_ptr<link>& l) {
  auto it = peers_.find(l->peer());
  if (it == peers_.end() || it->second->current != l) return;  // a replaced duplicate
  peer& p = *it->second;
  p.current.reset();
  {
    std::lock_guard lock(stats_mutex_);
    live_.erase(p.domain);
  }
  log(severity::info, "link with ", p.domain, " down");
  if (p.dialing || p.timer_pending) return;
  schedule_redial(p);
}

bool service::send(const std::string& domain, std::string frame) {
  std::shared_ptr<link> l;
  {
    std::lock_guard lock(stats_mutex_);
    auto it = live_.find(domain);
    if (it == live_.end()) return false;
    l = it->second;
  }
  l->send(std::move(frame));
  return true;
}

void service::drop_link(const std::string& domain, const std::string& why) {
  std::shared_ptr<link> l;
  {
    std::lock_guard lock(stats_mutex_);
    auto it = live_.find(domain);
    if (it == live_.end()) return;
    l = it->second;
  }
  log(severity::warn, "closing the link with ", domain, ": ", why);
  l->close(1011, why);
}

// ---- bookkeeping ----

service::peer& service::peer_for(const std::string& domain) {
  auto it = peers_.find(domain);
  if (it == peers_.end()) it = peers_.emplace(domain, std::make_unique<peer>(domain, strand_)).first;
  return *it->second;
}

void service::set_state(peer& p, link_state s) {
  if (p.state == s) return;
  p.state = s;
  {
    std::lock_guard lock(stats_mutex_);
    stats_[p.domain].state = s;
  }
  if (on_state_) on_state_(p.domain, s);
}

void service::refuse(const std::string& who, const beast::error_code& ec, std::string_view what) {
  {
    std::lock_guard lock(stats_mutex_);
    ++refusals_[std::string(reason_label(ec))];
  }
  log(severity::warn, "refused ", who, ": ", what, ec.message());
}

std::vector<service::peer_status> service::peers_status() const {
  std::lock_guard lock(stats_mutex_);
  std::vector<peer_status> out;
  for (const auto& [domain, s] : stats_) out.push_back({domain, s.state, s.retries, s.links_established, s.last_error});
  return out;
}

link_state service::state(const std::string& domain) const {
  std::lock_guard lock(stats_mutex_);
  auto it = stats_.find(domain);
  return it == stats_.end() ? link_state::idle : it->second.state;
}

std::size_t service::links_up() const {
  std::lock_guard lock(stats_mutex_);
  return live_.size();
}

void service::write_metrics(std::ostream& out) const {
  std::lock_guard lock(stats_mutex_);
  out << "# HELP chatnode_federation_link_state Federation link state per peer (1 = the current state).\n"
         "# TYPE chatnode_federation_link_state gauge\n";
  for (const auto& [domain, st] : stats_)
    for (auto s : {link_state::idle, link_state::connecting, link_state::up, link_state::backoff})
      out << "chatnode_federation_link_state{peer=\"" << domain << "\",state=\"" << to_string(s) << "\"} "
          << (st.state == s ? 1 : 0) << '\n';
  out << "# HELP chatnode_federation_links_up Live federation links.\n"
         "# TYPE chatnode_federation_links_up gauge\n"
         "chatnode_federation_links_up "
      << live_.size() << '\n';
  out << "# HELP chatnode_federation_links_established_total Links that completed FED_HELLO, per peer.\n"
         "# TYPE chatnode_federation_links_established_total counter\n";
  for (const auto& [domain, st] : stats_)
    out << "chatnode_federation_links_established_total{peer=\"" << domain << "\"} " << st.links_established << '\n';
  out << "# HELP chatnode_federation_dial_retries_total Redials scheduled after a failed dial or a dropped link.\n"
         "# TYPE chatnode_federation_dial_retries_total counter\n";
  for (const auto& [domain, st] : stats_)
    out << "chatnode_federation_dial_retries_total{peer=\"" << domain << "\"} " << st.retries << '\n';
  out << "# HELP chatnode_federation_refused_total Federation links refused, by reason.\n"
         "# TYPE chatnode_federation_refused_total counter\n";
  for (const auto& [reason, n] : refusals_) out << "chatnode_federation_refused_total{reason=\"" << reason << "\"} " << n << '\n';
}

}  // namespace chatnode::federation
