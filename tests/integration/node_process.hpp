// A real chatnode process for integration tests: `chatnode init` into a fresh temp dir,
// `chatnode serve` on :0 ports, stop (SIGTERM) or crash (SIGKILL), restart on the same dir.
#pragma once

#include "client/connection.hpp"

#include <boost/json/object.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::testing {

struct command_result {
  int status = -1;     // exit status; 128 + signal; -1 when it had to be killed
  std::string output;  // stdout and stderr
};
// Runs `chatnode ARGS…` (CHATNODE_BIN) to the end, output to `log`; killed after `timeout`.
// With `input`, stdin reads it (from a file beside `log`), else /dev/null.
command_result run_chatnode(const std::vector<std::string>& args, const std::filesystem::path& log,
                            std::chrono::seconds timeout = std::chrono::seconds(30),
                            const std::optional<std::string>& input = std::nullopt);

// Polls `predicate` every `step` until it holds or `timeout` passes.
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                std::chrono::milliseconds step = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

struct node_options {
  std::string domain = "localhost";
  // A CA directory (ca.crt + ca.key) to sign the node certificate with; empty: init
  // makes a dev CA in <dir>/ca.
  std::filesystem::path ca_dir;
  // `chatnode init --test-limits`: the abuse limits (registration, login, request rates)
  // relaxed, as every test but those of the limits themselves wants.
  bool test_limits = true;
  // Merged key by key into the config's "limits" object.
  boost::json::object limits;
  // Any other config change, applied last.
  std::function<void(boost::json::object&)> edit_config;
};

class node_process {
 public:
  // Runs `chatnode init` and prepares the config (cheap KDF, limits). Throws with the
  // init output on failure.
  explicit node_process(node_options options = {});
  // Kills a running node, removes the temp dir (kept, and the node log printed, when the
  // current test failed or CHATNODE_KEEP_TEST_DIRS is set).
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  // Spawns `chatnode serve` and returns once it printed its ready line (ports known).
  // Throws with the node log if it exits first or is not ready within 20 s.
  void start();
  // SIGTERM; returns the exit status (128 + signal if it died of a signal). Throws if the
  // node does not exit within 10 s (it is then killed).
  int stop();
  // SIGKILL, reaped before returning.
  void kill9();
  bool running() const { return pid_ > 0; }
  // SIGSTOP / SIGCONT: a node that accepts TCP (in the kernel) but answers nothing.
  void freeze();
  void thaw();
  // Sends `sig` (e.g. SIGHUP: reload) to the running node.
  void signal(int sig);
  // Reads the config file, lets `edit` change it, writes it back (for a reload or restart).
  void rewrite_config(const std::function<void(boost::json::object&)>& edit);
  // How often `text` occurs in log() so far.
  std::size_t log_count(const std::string& text) const;

  std::uint16_t client_port() const { return client_port_; }
  std::uint16_t federation_port() const { return federation_port_; }  // 0: federation off
  const std::string& domain() const { return options_.domain; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config_file() const { return dir_ / "chatnode.json"; }
  // The CA the node certificate chains to (the dev CA, or ca_dir's).
  std::filesystem::path ca_file() const;
  // Everything the node wrote to stderr and stdout so far (plus init's output).
  std::string log() const;

  client::connect_options connect_options() const;
  std::unique_ptr<client::connection> connect() const;

 private:
  void prepare_config();
  void join_drain();

  node_options options_;
  std::filesystem::path root_;  // the temp dir; holds dir_ and init.log
  std::filesystem::path dir_;   // the node's --dir
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int drain_stop_fds_[2] = {-1, -1};
  std::thread drain_;
  std::uint16_t client_port_ = 0;
  std::uint16_t federation_port_ = 0;
};

}  // namespace chatnode::testing
