// Node start-up, serving and shutdown.
#include "server.hpp"

#include "admin.hpp"
#include "admin_socket.hpp"
#include "listener.hpp"
#include "metrics_listener.hpp"
#include "log.hpp"
#include "ws_session.hpp"

#include "crypto/tls_context.hpp"
#include "net/endpoint.hpp"

#include <openssl/ssl.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <thread>
#include <vector>

namespace chatnode::node {
namespace {

unsigned or_cpus(unsigned n) {
  if (n) return n;
  unsigned cpus = std::thread::hardware_concurrency();
  return cpus ? cpus : 1;
}

store::options store_options(const config& cfg) {
  store::options o;
  o.dir = cfg.data_dir;
  o.map_size = cfg.store_map_size_mb << 20;
  o.max_map_size = cfg.store_max_map_size_mb << 20;
  return o;
}

federation::options federation_options(const config& cfg) {
  federation::options o;
  o.domain = cfg.domain;
  o.listen_host = cfg.federation.listen.host;
  o.listen_port = cfg.federation.listen.port;
  o.tls = {cfg.federation.cert, cfg.federation.key, cfg.federation.ca};
  o.peers = cfg.federation.peers;
  o.pins = cfg.federation.pins;
  o.allow = cfg.federation.allow;
  o.deny = cfg.federation.deny;
  o.dial_on_start = cfg.federation.dial_on_start;
  o.handshake_timeout = cfg.limits.handshake_timeout;
  o.max_frame_bytes = cfg.limits.max_frame_bytes;
  o.write_queue_messages = cfg.limits.write_queue_messages;
  o.write_queue_bytes = cfg.limits.write_queue_bytes;
  return o;
}

void federation_log(federation::severity s, const std::string& message) {
  const log_level level = s == federation::severity::error  ? log_level::error
                          : s == federation::severity::warn ? log_level::warn
                          : s == federation::severity::info ? log_level::info
                                                            : log_level::debug;
  log(level, "federation", message);
}

}  // namespace

std::unique_ptr<ssl::context> make_client_tls(const config& cfg) {
  return std::make_unique<ssl::context>(make_client_port_tls(cfg.client.cert, cfg.client.key));
}

ssl::context make_client_port_tls(const std::filesystem::path& cert, const std::filesystem::path& key) {
  auto ctx = crypto::make_tls_context(crypto::tls_role::server, {cert, key, "client.cert", "client.key"});
  // Idle connections give their TLS read/write buffers back.
  SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

server::server(config initial)
    : cfg_(std::move(initial)),
      lock_(cfg().data_dir),
      db_(store_options(cfg())),
      writer_(db_),
      kdf_pool_(or_cpus(cfg().kdf_threads)),
      kdf_queue_(or_cpus(cfg().kdf_threads), cfg().limits.max_pending_kdf, cfg().limits.max_pending_registrations),
      router_(cfg_, db_, writer_, online_, [this](std::function<void()> fn) { asio::post(kdf_pool_, std::move(fn)); },
              [this](kdf_queue::lane lane, std::function<void()> fn) { return kdf_queue_.submit(lane, std::move(fn)); }),
      state_(std::make_shared<server_state>(cfg_, router_, online_, writer_)),
      ioc_(static_cast<int>(or_cpus(cfg().threads))),
      signals_(ioc_, SIGTERM, SIGINT),
      reload_signals_(ioc_, SIGHUP),
      shutdown_timer_(ioc_),
      purge_timer_(ioc_) {
  client_tls_ = make_client_tls(cfg());  // before anything listens: a bad file stops the start
  state_->set_web(web_files::from_config(cfg().web));
  if (cfg().federation.enabled()) {
    // A node must not speak for a domain its own certificate does not name.
    federation::check_own_certificate(cfg().federation.cert, cfg().domain);
    federation_ = std::make_shared<federation::service>(ioc_, federation_options(cfg()), federation_log);
    relay_ = std::make_unique<federation::relay>(db_, writer_, router_, *federation_, ioc_, federation_log);
    state_->add_metrics_source([weak = std::weak_ptr<federation::service>(federation_), r = relay_.get()](std::ostream& out) {
      if (auto fed = weak.lock()) fed->write_metrics(out);
      r->write_metrics(out);
    });
  }
}

server::~server() = default;

int server::run(std::ostream& ready_out) {
  beast::error_code ec;
  auto address = asio::ip::make_address(cfg().client.listen.host, ec);
  if (ec) throw std::runtime_error("client.listen: \"" + cfg().client.listen.host + "\" is not an IP address");
  client_listener_ = std::make_shared<listener>(ioc_, std::move(client_tls_), tcp::endpoint(address, cfg().client.listen.port), state_);
  client_listener_->run();
  std::string metrics_address;
  if (cfg().metrics.own_listener()) {
    auto maddress = asio::ip::make_address(cfg().metrics.listen.host, ec);
    if (ec) throw std::runtime_error("metrics.listen: \"" + cfg().metrics.listen.host + "\" is not an IP address");
    metrics_listener_ = std::make_shared<metrics_listener>(ioc_, tcp::endpoint(maddress, cfg().metrics.listen.port), state_);
    metrics_listener_->run();
    metrics_address = " metrics=" + net::endpoint_text(metrics_listener_->local_endpoint());
  }
  std::string federation_address = "off";
  if (federation_) {
    relay_->start();
    federation_->start();
    federation_address = net::endpoint_text(federation_->local_endpoint());
    log(log_level::info, "server", "federation links for ", cfg().domain, " on ", federation_address, " (",
        cfg().federation.peers.size(), " configured peers)");
  }
  admin_live live;
  live.reload = [this] {
    auto r = reload();
    return std::pair{r.ok, r.message};
  };
  if (federation_) live.federation_status = [this] { return federation_status(); };
  admin_ = std::make_unique<admin_commands>(router_, db_, writer_, online_, std::move(live));
  admin_socket_ = std::make_unique<admin_socket>(cfg().admin_socket, *admin_);
  router_.purge_expired_media();
  schedule_purge();
  signals_.async_wait([this](beast::error_code wait_ec, int) {
    if (!wait_ec) on_signal();
  });
  wait_for_reload_signal();

  const std::string bound = net::endpoint_text(client_listener_->local_endpoint());
  log(log_level::info, "server", "serving ", cfg().domain, " on wss://", bound, "/ws (data in ", cfg().data_dir.string(),
      ")");
  // The one line on stdout: scripts and tests wait for it and read the bound ports from it.
  ready_out << "chatnode ready client=" << bound << " federation=" << federation_address << metrics_address
            << std::endl;

  const unsigned threads = or_cpus(cfg().threads);
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : pool) t.join();

  admin_socket_.reset();  // no admin command waits for a writer that is stopping
  kdf_queue_.stop();
  kdf_pool_.stop();
  kdf_pool_.join();
  writer_.stop();  // everything acknowledged is committed; queued jobs run before this returns
  const auto ws = writer_.get_stats();
  log(log_level::info, "server", "stopped; ", ws.commits, " commits for ", ws.jobs, " write jobs");
  return 0;
}

void server::schedule_purge() {
  // Media retention is counted in days; checking every ten minutes is plenty.
  purge_timer_.expires_after(std::chrono::minutes(10));
  purge_timer_.async_wait([this](beast::error_code ec) {
    if (ec) return;
    router_.purge_expired_media();
    schedule_purge();
  });
}

void server::wait_for_reload_signal() {
  reload_signals_.async_wait([this](beast::error_code ec, int) {
    if (ec) return;
    log(log_level::info, "server", "SIGHUP: reloading ", cfg().file.string());
    // Loading certificates and hashing nothing: quick enough for an I/O thread.
    reload();
    wait_for_reload_signal();
  });
}

server::reload_result server::reload() {
  std::lock_guard lock(reload_mutex_);
  const std::string file = cfg().file.string();
  auto refuse = [&](const std::string& why) {
    log(log_level::error, "server", "reload refused, the running config stays: ", why);
    return reload_result{false, why};
  };
  config next;
  try {
    next = load_config(cfg().file);
  } catch (const std::exception& e) {
    return refuse(file + ": " + e.what());
  }
  std::unique_ptr<ssl::context> tls;
  try {
    tls = make_client_tls(next);
    if (federation_ && next.federation.enabled()) {
      federation::check_own_certificate(next.federation.cert, cfg().domain);
      federation_->reload(federation_options(next));  // the last step that can fail
    }
  } catch (const std::exception& e) {
    return refuse(e.what());
  }
  log_level level{};
  parse_log_level(next.log_level, level);
  log_format format{};
  parse_log_format(next.log_format, format);
  const auto restart_needed = cfg_.publish(std::move(next));
  set_log_level(level);
  set_log_format(format);
  client_listener_->set_context(std::move(tls));
  kdf_queue_.set_capacity(cfg().limits.max_pending_kdf, cfg().limits.max_pending_registrations);
  router_.reconfigure();
  std::string message = "reloaded " + file;
  if (!restart_needed.empty()) {
    message += "; changed but kept until a restart:";
    for (const auto& name : restart_needed) message += " " + name;
  }
  log(log_level::info, "server", message);
  return {true, message};
}

std::string server::federation_status() const {
  boost::json::array out;
  if (!federation_) return boost::json::serialize(out);
  const auto depths = relay_->outbox_depths();
  std::map<std::string, federation::service::peer_status> peers;
  for (auto& s : federation_->peers_status()) peers[s.domain] = s;
  for (const auto& [domain, n] : depths) peers[domain].domain = domain;
  for (const auto& [domain, s] : peers) {
    const auto d = depths.find(domain);
    boost::json::object o{{"peer", domain},
                          {"configured", cfg().federation.peers.contains(domain)},
                          {"state", std::string(federation::to_string(s.state))},
                          {"outbox", d == depths.end() ? 0 : d->second},
                          {"retries", s.retries},
                          {"linksEstablished", s.links_established}};
    if (!s.last_error.empty()) o["lastError"] = s.last_error;
    out.push_back(std::move(o));
  }
  return boost::json::serialize(out);
}

void server::on_signal() {
  purge_timer_.cancel();
  reload_signals_.cancel();
  log(log_level::info, "server", "shutting down: closing ", state_->sessions().size(), " sessions");
  state_->begin_shutdown();
  client_listener_->stop();
  if (metrics_listener_) metrics_listener_->stop();
  if (federation_) federation_->stop();
  for (auto& s : state_->sessions()) s->close(1001);
  wait_for_sessions(100);  // up to 100 ticks of 20 ms for clients to finish the close
}

void server::wait_for_sessions(int remaining_ticks) {
  const bool links_closed = !federation_ || federation_->links_up() == 0;
  if ((state_->sessions().empty() && links_closed) || remaining_ticks <= 0) {
    ioc_.stop();
    return;
  }
  shutdown_timer_.expires_after(std::chrono::milliseconds(20));
  shutdown_timer_.async_wait([this, remaining_ticks](beast::error_code ec) {
    if (!ec) wait_for_sessions(remaining_ticks - 1);
  });
}

}  // namespace chatnode::node
