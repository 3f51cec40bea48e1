// One running node: store, writer, router, TLS context, client listener, federation links,
// I/O threads, password-hashing pool, and orderly shutdown on SIGTERM/SIGINT.
#pragma once

#include "beast.hpp"
#include "config.hpp"
#include "config_source.hpp"
#include "registry.hpp"
#include "federation/relay.hpp"
#include "router.hpp"
#include "server_state.hpp"

#include "federation/service.hpp"
#include "store/backup.hpp"
#include "store/lmdb.hpp"
#include "store/writer.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <ostream>

namespace chatnode::node {

class listener;
class admin_commands;
class admin_socket;
class metrics_listener;

class server {
 public:
  // Opens the data dir and loads the certificates; throws std::runtime_error with a
  // readable message on any start-up problem.
  explicit server(config cfg);
  ~server();

  // Listens, prints the ready line to `ready_out`, serves until SIGTERM/SIGINT, then drains:
  // stops accepting, closes every session with 1001, lets pending writes commit.
  // Returns the process exit code.
  int run(std::ostream& ready_out);

  // Re-reads the config file and the certificate files (SIGHUP, `chatnode admin reload`).
  // What can change at runtime takes effect at once: registration, limits, tokens, media
  // limits, log level, federation peers/allow/deny/pins/limits, certificates for new
  // handshakes; open connections stay. A config or certificate that cannot be loaded is
  // refused and the running config kept. Thread-safe. Returns what happened (also logged):
  // ok = false with the reason when refused.
  struct reload_result {
    bool ok = false;
    std::string message;
  };
  reload_result reload();
  // Per configured peer (JSON array): link state, outbox depth, dial retries, last error.
  std::string federation_status() const;
  const config& cfg() const noexcept { return cfg_.get(); }

 private:
  void on_signal();
  void wait_for_reload_signal();
  void wait_for_sessions(int remaining_ticks);
  void schedule_purge();

  config_source cfg_;
  std::mutex reload_mutex_;  // one reload at a time
  store::serve_lock lock_;  // before the data is opened
  store::database db_;
  store::writer writer_;
  registry online_;
  asio::thread_pool kdf_pool_;  // blocking work other than passwords (media hashing)
  kdf_queue kdf_queue_;         // password hashing: logins ahead of registrations
  router router_;
  std::shared_ptr<server_state> state_;
  // Declared last: destroyed first, so pending handlers release their sessions while the
  // router and state they point to still exist.
  asio::io_context ioc_;
  asio::signal_set signals_;
  asio::signal_set reload_signals_;  // SIGHUP
  asio::steady_timer shutdown_timer_;
  asio::steady_timer purge_timer_;
  std::unique_ptr<ssl::context> client_tls_;  // until the listener takes it
  std::shared_ptr<listener> client_listener_;
  std::shared_ptr<metrics_listener> metrics_listener_;  // null unless metrics.listen is set
  std::shared_ptr<federation::service> federation_;  // null when federation.ca is not set
  std::unique_ptr<federation::relay> relay_;         // likewise
  std::unique_ptr<admin_commands> admin_;
  std::unique_ptr<admin_socket> admin_socket_;  // from run() until the node stops
};

// The client port's TLS context from client.cert/client.key; throws with the file name.
std::unique_ptr<ssl::context> make_client_tls(const config& cfg);
// The same from any PEM files: the common context (crypto/tls_context.hpp) whose idle
// connections give their TLS buffers back. Throws naming client.cert/client.key and the file.
ssl::context make_client_port_tls(const std::filesystem::path& cert, const std::filesystem::path& key);

}  // namespace chatnode::node
