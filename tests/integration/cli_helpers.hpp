// Running chatnode-client as a real process against real nodes (the CLI integration
// tests): stdin a pipe or a pseudo-terminal, stdout/stderr captured, every wait bounded,
// plus a node whose client port can be pinned so a restart comes back on the same port.
#pragma once

#include "tests/integration/node_process.hpp"

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::testing {

// A one-shot command talks to a local node; even a slow CI machine is far below this.
inline constexpr std::chrono::milliseconds cli_run_timeout{30000};

struct cli_options {
  std::vector<std::string> env;        // added to the test's environment (minus CHATNODE_PASSWORD)
  std::filesystem::path cwd;           // working directory; empty: the test's
  bool terminal = false;               // stdin, stdout and stderr on a pseudo-terminal
  unsigned short columns = 100;        // the terminal's width

  static cli_options with_env(std::vector<std::string> env);
  static cli_options in_dir(std::filesystem::path cwd);
  static cli_options on_terminal(unsigned short columns = 100);
};

// One chatnode-client process. With a pipe, stdout and stderr go to files; on a
// terminal everything it writes is collected from the terminal's master side. The
// destructor kills it if it is still running.
class cli_process {
 public:
  explicit cli_process(const std::vector<std::string>& args, cli_options options = {});
  ~cli_process();
  cli_process(const cli_process&) = delete;
  cli_process& operator=(const cli_process&) = delete;

  void write(const std::string& text);
  void close_stdin();
  // True once stdout (everything, on a terminal) contains `text` / matches `pattern`;
  // false at the timeout or when the client exited without it.
  bool wait_output(const std::string& text, std::chrono::milliseconds timeout = cli_run_timeout);
  bool wait_error(const std::string& text, std::chrono::milliseconds timeout = cli_run_timeout);
  bool wait_output_match(const std::regex& pattern, std::chrono::milliseconds timeout = cli_run_timeout);
  bool wait_error_match(const std::regex& pattern, std::chrono::milliseconds timeout = cli_run_timeout);
  // True once `found(out())` holds (same rules).
  bool wait_output_if(const std::function<bool(const std::string&)>& found,
                      std::chrono::milliseconds timeout = cli_run_timeout);
  // The exit status; -1 (and the client killed, a test failure added) when it did not exit in time.
  int wait(std::chrono::milliseconds timeout = cli_run_timeout);
  void signal(int sig);
  bool running();

  std::string out() const;
  std::string err() const;

 private:
  bool wait_for(const std::function<bool()>& found, std::chrono::milliseconds timeout);

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int status_ = -1;
  bool terminal_ = false;
  int master_fd_ = -1;
  int stop_fds_[2] = {-1, -1};
  std::thread reader_;
  std::atomic<bool> reader_done_{false};  // the terminal's output is all read (every slave side closed)
  mutable std::mutex terminal_mutex_;
  std::string terminal_output_;
};

struct cli_result {
  int status = -1;
  std::string out;
  std::string err;
};
std::ostream& operator<<(std::ostream& os, const cli_result& r);

// Runs chatnode-client to the end with `input` on stdin.
cli_result run_cli(const std::vector<std::string>& args, const std::string& input = "", cli_options options = {});

// A node plus the options every client run needs to reach it (127.0.0.1, the node's CA,
// the certificate name localhost).
class cli_node {
 public:
  explicit cli_node(node_options options = {});

  std::vector<std::string> base() const;
  // base() + --user NAME --password pw-NAME + `args`.
  std::vector<std::string> as(const std::string& user, std::vector<std::string> args) const;
  cli_result run(const std::string& user, const std::vector<std::string>& args, const std::string& input = "",
                 cli_options options = {}) const;
  // register USER with password pw-USER; asserts success.
  void add_user(const std::string& user) const;
  // a asks b, b accepts; asserts success.
  void befriend(const std::string& a, const std::string& b) const;
  // `send` with --json; returns the messageId of the TEXT_MESSAGE_ACK ("" on failure).
  std::string send(const std::string& from, const std::vector<std::string>& args) const;

  // Writes the current client port into the config, so every later start uses it.
  void pin_port();
  // Stops the node and starts it again on `port` (0: any free port; the pinned one is
  // restored by pin_port()).
  void restart_on(std::uint16_t port);
  std::uint16_t port() const { return port_; }
  node_process& node() { return node_; }
  const node_process& node() const { return node_; }

 private:
  void set_listen_port(std::uint16_t port);
  node_process node_;
  std::uint16_t port_ = 0;  // the port clients are pointed at
};

// A temporary directory removed at the end of the test.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

bool contains(const std::string& text, const std::string& part);
std::size_t count_of(const std::string& text, const std::string& part);
std::vector<std::string> lines_of(const std::string& text);
std::string read_file_text(const std::filesystem::path& p);
void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes);

}  // namespace chatnode::testing
