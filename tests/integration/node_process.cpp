// Spawning, watching and stopping chatnode processes for the integration tests. Every
// wait here has a deadline, so a broken node fails a test instead of hanging it.
#include "tests/integration/node_process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

extern char** environ;

namespace chatnode::testing {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto init_timeout = 60s;
constexpr auto ready_timeout = 20s;
constexpr auto stop_timeout = 10s;
constexpr auto kill_timeout = 10s;
constexpr std::size_t log_tail_bytes = 16 * 1024;

[[noreturn]] void throw_errno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string tail(const std::string& text) {
  if (text.size() <= log_tail_bytes) return text;
  return "...(" + std::to_string(text.size() - log_tail_bytes) + " bytes cut)...\n" +
         text.substr(text.size() - log_tail_bytes);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int poll_one(int fd, steady::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now());
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
    if (r >= 0 || errno != EINTR) return r;
  }
}

// Waits for `pid` to exit and reaps it; nullopt when it is still running at the timeout.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    const int r = poll_one(pidfd, deadline);
    ::close(pidfd);
    if (r == 0) return std::nullopt;
  }
  for (;;) {
    int status = 0;
    // With a pidfd that polled readable the child is a zombie already; without one
    // (old kernel) fall back to checking every few milliseconds.
    const pid_t w = ::waitpid(pid, &status, pidfd >= 0 ? 0 : WNOHANG);
    if (w == pid) return decode_status(status);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw_errno("waitpid");
    if (steady::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

class spawn_actions {
 public:
  spawn_actions() {
    if (::posix_spawn_file_actions_init(&actions_) != 0) throw std::runtime_error("posix_spawn_file_actions_init");
  }
  ~spawn_actions() { ::posix_spawn_file_actions_destroy(&actions_); }
  spawn_actions(const spawn_actions&) = delete;
  spawn_actions& operator=(const spawn_actions&) = delete;
  // posix_spawn reads the path later, so the string is kept here.
  void open(int fd, const fs::path& path, int flags) {
    paths_.push_back(path.string());
    check(::posix_spawn_file_actions_addopen(&actions_, fd, paths_.back().c_str(), flags, 0644));
  }
  void dup2(int from, int to) { check(::posix_spawn_file_actions_adddup2(&actions_, from, to)); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  static void check(int rc) {
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn_file_actions");
  }
  posix_spawn_file_actions_t actions_{};
  std::deque<std::string> paths_;  // a deque: earlier c_str() pointers stay valid
};

pid_t spawn(const std::vector<std::string>& args, spawn_actions& actions) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], actions.get(), nullptr, argv.data(), environ);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn " + args[0]);
  return pid;
}

// The port of `key=HOST:PORT` in the ready line; 0 for `key=off` (listener disabled).
std::uint16_t port_after(const std::string& line, const std::string& key) {
  const auto at = line.find(key);
  if (at == std::string::npos) throw std::runtime_error("ready line without " + key + ": " + line);
  auto end = line.find(' ', at);
  if (end == std::string::npos) end = line.size();
  const std::string address = line.substr(at + key.size(), end - at - key.size());
  if (address == "off") return 0;
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("ready line: bad address " + address);
  const int port = std::stoi(address.substr(colon + 1));
  if (port <= 0 || port > 65535) throw std::runtime_error("ready line: bad port in " + address);
  return static_cast<std::uint16_t>(port);
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

command_result run_chatnode(const std::vector<std::string>& args, const fs::path& log, std::chrono::seconds timeout,
                            const std::optional<std::string>& input) {
  const fs::path input_file = log.string() + ".in";
  if (input) write_text(input_file, *input);
  std::vector<std::string> all{CHATNODE_BIN};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions{};
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, input ? input_file.c_str() : "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn chatnode");
  command_result r;
  const auto deadline = steady::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (steady::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  r.output = read_text(log);
  return r;
}

node_process::node_process(node_options options) : options_(std::move(options)) {
  std::string pattern = (fs::temp_directory_path() / "chatnode-it-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp");
  root_ = pattern;
  dir_ = root_ / "node";

  std::vector<std::string> args = {CHATNODE_BIN,          "init",
                                   "--domain",            options_.domain,
                                   "--dir",               dir_.string(),
                                   "--client-listen",     "127.0.0.1:0",
                                   "--federation-listen", "127.0.0.1:0"};
  // Tests register and log in many users from 127.0.0.1; the tests of those limits set them.
  if (options_.test_limits) args.emplace_back("--test-limits");
  if (!options_.ca_dir.empty()) {
    args.emplace_back("--ca");
    args.push_back(options_.ca_dir.string());
  }
  spawn_actions actions;
  actions.open(0, "/dev/null", O_RDONLY);
  actions.open(1, root_ / "init.log", O_WRONLY | O_CREAT | O_APPEND);
  actions.dup2(1, 2);
  const pid_t pid = spawn(args, actions);
  const auto status = wait_exit(pid, init_timeout);
  if (!status) {
    ::kill(pid, SIGKILL);
    wait_exit(pid, kill_timeout);
    throw std::runtime_error("chatnode init did not finish in time:\n" + read_text(root_ / "init.log"));
  }
  if (*status != 0) {
    throw std::runtime_error("chatnode init exited with " + std::to_string(*status) + ":\n" +
                             read_text(root_ / "init.log"));
  }
  prepare_config();
}

void node_process::rewrite_config(const std::function<void(json::object&)>& edit) {
  const std::string text = read_text(config_file());
  json::parse_options lenient;
  lenient.allow_comments = true;
  lenient.allow_trailing_commas = true;
  json::error_code ec;
  json::value root = json::parse(text, ec, {}, lenient);
  if (ec || !root.is_object()) throw std::runtime_error("unreadable config: " + text);
  edit(root.as_object());
  write_text(config_file(), json::serialize(root));
}

std::size_t node_process::log_count(const std::string& text) const {
  const std::string all = log();
  std::size_t n = 0;
  for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + text.size())) ++n;
  return n;
}

void node_process::prepare_config() {
  const std::string text = read_text(config_file());
  json::parse_options lenient;
  lenient.allow_comments = true;
  lenient.allow_trailing_commas = true;
  json::error_code ec;
  json::value root = json::parse(text, ec, {}, lenient);
  if (ec || !root.is_object()) throw std::runtime_error("init wrote an unreadable config: " + text);
  json::object& config = root.as_object();
  // Tests register and log in often: a cheap scrypt keeps them fast (never use this live).
  config["kdf"] = json::object{{"N", 1024}, {"r", 8}, {"p", 1}};
  if (!options_.limits.empty()) {
    json::value& limits = config["limits"];
    if (!limits.is_object()) limits = json::object{};
    for (const auto& [key, value] : options_.limits) limits.as_object()[key] = value;
  }
  if (options_.edit_config) options_.edit_config(config);
  write_text(config_file(), json::serialize(config));
}

node_process::~node_process() {
  if (running()) {
    try {
      kill9();
    } catch (const std::exception& e) {
      std::cerr << "node_process: " << e.what() << '\n';
    }
  }
  join_drain();
  const bool failed = ::testing::Test::HasFailure();
  const bool keep = failed || std::getenv("CHATNODE_KEEP_TEST_DIRS") != nullptr;
  if (failed) std::cerr << "---- chatnode log (" << dir_.string() << ") ----\n" << tail(log()) << "---- end ----\n";
  if (keep) {
    std::cerr << "node_process: kept " << root_.string() << '\n';
  } else {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
}

fs::path node_process::ca_file() const {
  return options_.ca_dir.empty() ? dir_ / "ca" / "ca.crt" : options_.ca_dir / "ca.crt";
}

std::string node_process::log() const {
  std::string out = read_text(root_ / "init.log");
  out += read_text(dir_ / "node.log");
  const std::string stdout_text = read_text(dir_ / "node.stdout.log");
  if (!stdout_text.empty()) out += "[stdout]\n" + stdout_text;
  return out;
}

void node_process::start() {
  if (running()) throw std::logic_error("node_process::start: already running");
  join_drain();
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) throw_errno("pipe2");
  spawn_actions actions;
  actions.open(0, "/dev/null", O_RDONLY);
  actions.dup2(pipe_fds[1], 1);
  actions.open(2, dir_ / "node.log", O_WRONLY | O_CREAT | O_APPEND);
  pid_t pid = -1;
  try {
    pid = spawn({CHATNODE_BIN, "serve", "--config", config_file().string()}, actions);
  } catch (...) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw;
  }
  ::close(pipe_fds[1]);
  pid_ = pid;
  stdout_fd_ = pipe_fds[0];

  // Read stdout until the ready line.
  const auto deadline = steady::now() + ready_timeout;
  std::string buffer;
  std::string before_ready;
  std::string ready_line;
  std::array<char, 4096> chunk{};
  for (;;) {
    const auto newline = buffer.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (line.rfind("chatnode ready ", 0) == 0) {
        ready_line = std::move(line);
        break;
      }
      before_ready += line + '\n';
      continue;
    }
    const int r = poll_one(stdout_fd_, deadline);
    if (r < 0) throw_errno("poll");
    ssize_t n = 0;
    if (r > 0) {
      n = ::read(stdout_fd_, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
    }
    if (r == 0 || n <= 0) {
      // Timed out, or stdout closed (the node exited) before it was ready.
      std::string why;
      if (r == 0) {
        why = "was not ready within " + std::to_string(ready_timeout.count()) + " s";
        kill9();
      } else {
        const auto status = wait_exit(pid_, stop_timeout);
        if (!status) {
          ::kill(pid_, SIGKILL);
          wait_exit(pid_, kill_timeout);
        }
        why = status ? "exited with " + std::to_string(*status) + " before it was ready"
                     : "closed stdout before it was ready";
        pid_ = -1;
        ::close(stdout_fd_);
        stdout_fd_ = -1;
      }
      throw std::runtime_error("chatnode serve " + why + "\n[stdout before]\n" + before_ready + buffer +
                               "\n[log]\n" + tail(log()));
    }
    buffer.append(chunk.data(), static_cast<std::size_t>(n));
  }
  client_port_ = port_after(ready_line, "client=");
  if (client_port_ == 0) throw std::runtime_error("ready line without a client port: " + ready_line);
  federation_port_ = port_after(ready_line, "federation=");

  // Keep draining stdout so the node never blocks on (or dies of) a full or closed pipe.
  if (::pipe2(drain_stop_fds_, O_CLOEXEC) != 0) throw_errno("pipe2");
  const int out_fd = ::open((dir_ / "node.stdout.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) throw_errno("open node.stdout.log");
  std::string rest = before_ready + buffer;
  drain_ = std::thread([in = stdout_fd_, stop = drain_stop_fds_[0], out_fd, rest = std::move(rest)] {
    write_all(out_fd, rest.data(), rest.size());
    std::array<char, 4096> data{};
    for (;;) {
      std::array<pollfd, 2> fds{pollfd{in, POLLIN, 0}, pollfd{stop, POLLIN, 0}};
      const int r = ::poll(fds.data(), fds.size(), -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || fds[1].revents != 0) break;
      const ssize_t n = ::read(in, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      write_all(out_fd, data.data(), static_cast<std::size_t>(n));
    }
    ::close(out_fd);
  });
}

void node_process::join_drain() {
  if (drain_.joinable()) {
    // The node has exited (or is being abandoned): stop the drain even if a grandchild
    // still holds the pipe open.
    const char stop = 'x';
    write_all(drain_stop_fds_[1], &stop, 1);
    drain_.join();
  }
  for (int& fd : drain_stop_fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
}

int node_process::stop() {
  if (!running()) throw std::logic_error("node_process::stop: not running");
  ::kill(pid_, SIGTERM);
  ::kill(pid_, SIGCONT);  // in case it was frozen
  auto status = wait_exit(pid_, stop_timeout);
  if (!status) {
    ::kill(pid_, SIGKILL);
    wait_exit(pid_, kill_timeout);
    pid_ = -1;
    join_drain();
    throw std::runtime_error("chatnode did not exit within " + std::to_string(stop_timeout.count()) +
                             " s of SIGTERM (killed)\n" + tail(log()));
  }
  pid_ = -1;
  join_drain();
  return *status;
}

void node_process::kill9() {
  if (!running()) throw std::logic_error("node_process::kill9: not running");
  ::kill(pid_, SIGKILL);
  const auto status = wait_exit(pid_, kill_timeout);
  const pid_t pid = pid_;
  pid_ = -1;
  join_drain();
  if (!status) throw std::runtime_error("chatnode pid " + std::to_string(pid) + " survived SIGKILL");
}

void node_process::freeze() {
  if (!running()) throw std::logic_error("node_process::freeze: not running");
  ::kill(pid_, SIGSTOP);
}

void node_process::thaw() {
  if (!running()) throw std::logic_error("node_process::thaw: not running");
  ::kill(pid_, SIGCONT);
}

void node_process::signal(int sig) {
  if (!running()) throw std::logic_error("node_process::signal: not running");
  ::kill(pid_, sig);
}

client::connect_options node_process::connect_options() const {
  client::connect_options o;
  o.host = "127.0.0.1";
  o.port = client_port_;
  o.ca_file = ca_file().string();
  o.server_name = options_.domain;
  o.timeout = 10s;
  return o;
}

std::unique_ptr<client::connection> node_process::connect() const {
  if (!running()) throw std::logic_error("node_process::connect: node not running");
  return client::connection::connect(connect_options());
}

}  // namespace chatnode::testing
