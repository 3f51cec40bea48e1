// chatnode-client processes and nodes for the CLI integration tests.
#include "tests/integration/cli_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace chatnode::testing {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto poll_step = 20ms;

[[noreturn]] void throw_errno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

fs::path make_temp(const char* prefix) {
  std::string pattern = (fs::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp");
  return pattern;
}

// The test's environment minus CHATNODE_PASSWORD (and TERM on a pipe), plus `extra`.
std::vector<std::string> child_environment(const std::vector<std::string>& extra, bool terminal) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("CHATNODE_PASSWORD=") || entry.starts_with("TERM=")) continue;
    env.emplace_back(entry);
  }
  if (terminal) env.emplace_back("TERM=xterm");
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

}  // namespace

cli_options cli_options::with_env(std::vector<std::string> env) {
  cli_options o;
  o.env = std::move(env);
  return o;
}

cli_options cli_options::in_dir(fs::path cwd) {
  cli_options o;
  o.cwd = std::move(cwd);
  return o;
}

cli_options cli_options::on_terminal(unsigned short columns) {
  cli_options o;
  o.terminal = true;
  o.columns = columns;
  return o;
}

cli_process::cli_process(const std::vector<std::string>& args, cli_options options) : terminal_(options.terminal) {
  // A client that exits before reading its stdin must not kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  dir_ = make_temp("chatnode-cli-");
  posix_spawn_file_actions_t actions{};
  ::posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attributes{};
  ::posix_spawnattr_init(&attributes);
  int child_side = -1;
  if (terminal_) {
    winsize size{};
    size.ws_col = options.columns;
    size.ws_row = 30;
    if (::openpty(&master_fd_, &child_side, nullptr, nullptr, &size) != 0) throw_errno("openpty");
    ::fcntl(master_fd_, F_SETFD, FD_CLOEXEC);
    for (int fd = 0; fd <= 2; ++fd) ::posix_spawn_file_actions_adddup2(&actions, child_side, fd);
    ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
    stdin_fd_ = master_fd_;
  } else {
    std::array<int, 2> in{};
    // CLOEXEC: no other child (a node started later) may hold the write end open.
    if (::pipe2(in.data(), O_CLOEXEC) != 0) throw_errno("pipe2");
    stdin_fd_ = in[1];
    child_side = in[0];
    ::posix_spawn_file_actions_adddup2(&actions, child_side, 0);
    ::posix_spawn_file_actions_addopen(&actions, 1, (dir_ / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::posix_spawn_file_actions_addopen(&actions, 2, (dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (!options.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

  std::vector<std::string> all = {CHATNODE_CLIENT_BIN};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env_strings = child_environment(options.env, terminal_);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int rc = ::posix_spawn(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  ::close(child_side);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), std::string("posix_spawn ") + CHATNODE_CLIENT_BIN);
  if (!terminal_) return;
  if (::pipe2(stop_fds_, O_CLOEXEC) != 0) throw_errno("pipe2");
  reader_ = std::thread([this] {
    std::array<char, 4096> chunk{};
    struct done_flag {
      std::atomic<bool>& done;
      ~done_flag() { done.store(true); }
    } mark{reader_done_};
    for (;;) {
      std::array<pollfd, 2> fds{pollfd{master_fd_, POLLIN, 0}, pollfd{stop_fds_[0], POLLIN, 0}};
      if (::poll(fds.data(), fds.size(), -1) < 0 && errno == EINTR) continue;
      if (fds[1].revents != 0) return;
      const ssize_t n = ::read(master_fd_, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // EIO: every slave side is closed
      std::lock_guard lock(terminal_mutex_);
      terminal_output_.append(chunk.data(), static_cast<std::size_t>(n));
    }
  });
}

cli_process::~cli_process() {
  if (!terminal_) close_stdin();
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (reader_.joinable()) {
    const char stop = 'x';
    [[maybe_unused]] const ssize_t n = ::write(stop_fds_[1], &stop, 1);
    reader_.join();
  }
  for (int fd : {stop_fds_[0], stop_fds_[1], master_fd_}) {
    if (fd >= 0) ::close(fd);
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void cli_process::write(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client exited
    done += static_cast<std::size_t>(n);
  }
}

void cli_process::close_stdin() {
  if (terminal_) return;  // the terminal stays; Ctrl-D ends its input
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

bool cli_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t w = ::waitpid(pid_, &status, WNOHANG);
  if (w == 0) return true;
  if (w == pid_) status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
  return false;
}

void cli_process::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool cli_process::wait_for(const std::function<bool()>& found, std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    if (found()) return true;
    if (!running() || steady::now() >= deadline) {
      std::this_thread::sleep_for(poll_step);  // what the exiting client wrote last
      return found();
    }
    std::this_thread::sleep_for(poll_step);
  }
}

bool cli_process::wait_output(const std::string& text, std::chrono::milliseconds timeout) {
  return wait_for([&] { return contains(out(), text); }, timeout);
}

bool cli_process::wait_output_if(const std::function<bool(const std::string&)>& found,
                                 std::chrono::milliseconds timeout) {
  return wait_for([&] { return found(out()); }, timeout);
}

bool cli_process::wait_error(const std::string& text, std::chrono::milliseconds timeout) {
  return wait_for([&] { return contains(err(), text); }, timeout);
}

bool cli_process::wait_output_match(const std::regex& pattern, std::chrono::milliseconds timeout) {
  return wait_for([&] { return std::regex_search(out(), pattern); }, timeout);
}

bool cli_process::wait_error_match(const std::regex& pattern, std::chrono::milliseconds timeout) {
  return wait_for([&] { return std::regex_search(err(), pattern); }, timeout);
}

int cli_process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  while (status_ < 0) {
    if (!running()) break;
    if (steady::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      ADD_FAILURE() << "chatnode-client did not exit within " << timeout.count() << " ms (killed)\nstdout:\n"
                    << out() << "\nstderr:\n"
                    << err();
      return -1;
    }
    std::this_thread::sleep_for(poll_step);
  }
  // On a terminal, what the client wrote just before it exited may still wait on the master
  // side: the output is whole once the reader has read up to EIO.
  if (terminal_) {
    const auto until = steady::now() + timeout;
    while (!reader_done_.load() && steady::now() < until) std::this_thread::sleep_for(poll_step);
    if (!reader_done_.load()) ADD_FAILURE() << "the terminal's output did not end after chatnode-client exited";
  }
  return status_;
}

std::string cli_process::out() const {
  if (!terminal_) return read_file_text(dir_ / "stdout");
  std::lock_guard lock(terminal_mutex_);
  return terminal_output_;
}

std::string cli_process::err() const { return terminal_ ? out() : read_file_text(dir_ / "stderr"); }

std::ostream& operator<<(std::ostream& os, const cli_result& r) {
  return os << "exit " << r.status << "\n[stdout]\n" << r.out << "[stderr]\n" << r.err;
}

cli_result run_cli(const std::vector<std::string>& args, const std::string& input, cli_options options) {
  cli_process p(args, std::move(options));
  p.write(input);
  p.close_stdin();
  cli_result r;
  r.status = p.wait();
  r.out = p.out();
  r.err = p.err();
  return r;
}

// ---- cli_node -----------------------------------------------------------------------------

cli_node::cli_node(node_options options) : node_(std::move(options)) {
  node_.start();
  port_ = node_.client_port();
}

std::vector<std::string> cli_node::base() const {
  return {"--ca", node_.ca_file().string(), "--server", "127.0.0.1:" + std::to_string(port_), "--server-name",
          "localhost", "--timeout", "10"};
}

std::vector<std::string> cli_node::as(const std::string& user, std::vector<std::string> args) const {
  auto all = base();
  all.insert(all.end(), {"--user", user, "--password", "pw-" + user});
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

cli_result cli_node::run(const std::string& user, const std::vector<std::string>& args, const std::string& input,
                         cli_options options) const {
  return run_cli(as(user, args), input, std::move(options));
}

void cli_node::add_user(const std::string& user) const {
  auto args = base();
  args.insert(args.end(), {"register", user, "pw-" + user});
  const auto r = run_cli(args);
  ASSERT_EQ(r.status, 0) << r;
}

void cli_node::befriend(const std::string& a, const std::string& b) const {
  const auto asked = run(a, {"friend-request", b});
  ASSERT_EQ(asked.status, 0) << asked;
  const auto accepted = run(b, {"accept", a});
  ASSERT_EQ(accepted.status, 0) << accepted;
}

std::string cli_node::send(const std::string& from, const std::vector<std::string>& args) const {
  std::vector<std::string> all = {"--json", "send"};
  all.insert(all.end(), args.begin(), args.end());
  const auto r = run(from, all);
  if (r.status != 0) {
    ADD_FAILURE() << "send failed: " << r;
    return {};
  }
  json::error_code ec;
  const auto parsed = json::parse(r.out, ec);
  if (ec || !parsed.is_object()) return {};
  const auto& payload = parsed.as_object().at("payload").as_object();
  return std::string(payload.at("messageId").as_string());
}

void cli_node::set_listen_port(std::uint16_t port) {
  const std::string text = read_file_text(node_.config_file());
  json::object config = json::parse(text).as_object();
  config["client"].as_object()["listen"] = "127.0.0.1:" + std::to_string(port);
  std::ofstream(node_.config_file(), std::ios::binary | std::ios::trunc) << json::serialize(config);
}

void cli_node::pin_port() { set_listen_port(port_); }

void cli_node::restart_on(std::uint16_t port) {
  if (node_.running()) node_.stop();
  set_listen_port(port);
  node_.start();
}

// ---- small things -------------------------------------------------------------------------

temp_dir::temp_dir() : path_(make_temp("chatnode-cli-files-")) {}

temp_dir::~temp_dir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace chatnode::testing
