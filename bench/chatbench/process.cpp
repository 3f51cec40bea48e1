// /proc readings and child processes for chatbench.
#include "process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace chatbench {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

pid_t spawn_process(const std::vector<std::string>& args, int stdout_fd, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  const std::string log_path = log.string();
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  } else {
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn " + args[0]);
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

proc_sample sample(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  // Fields after the command name, which is in parentheses and may hold spaces.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  proc_sample s;
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::istringstream status(read_text("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::stoll(line.substr(6));
  }
  return s;
}

double self_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

std::uint64_t raise_fd_limit() {
  rlimit l{};
  if (::getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &l);
  }
  return l.rlim_cur;
}

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "chatbench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  return pattern;
}

// A port nobody listens on right now (the kernel's pick for an ephemeral bind).
std::uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

void spawned::init(const fs::path& chatnode, const std::vector<std::string>& extra) {
  if (dir_.empty()) dir_ = make_temp_dir();
  std::vector<std::string> args{chatnode.string(), "init", "--domain", domain_, "--dir", (dir_ / "node").string(),
                                "--client-listen", "127.0.0.1:0", "--test-limits"};
  args.insert(args.end(), extra.begin(), extra.end());
  if (std::find(extra.begin(), extra.end(), "--federation-listen") == extra.end()) {
    args.push_back("--federation-listen");
    args.push_back("127.0.0.1:0");
  }
  const pid_t pid = spawn_process(args, -1, dir_ / "init.log");
  if (wait_status(pid) != 0) throw std::runtime_error("chatnode init failed:\n" + read_text(dir_ / "init.log"));
  // A cheap KDF makes registering thousands of users fast; it does not touch the
  // message path, and storage stays durable (fsync on every commit, as configured).
  const fs::path config = dir_ / "node" / "chatnode.json";
  json::parse_options lenient;
  lenient.allow_comments = true;
  lenient.allow_trailing_commas = true;
  json::value root = json::parse(read_text(config), {}, lenient);
  root.as_object()["kdf"] = json::object{{"N", 1024}, {"r", 8}, {"p", 1}};
  root.as_object()["log_level"] = "warn";
  std::ofstream(config, std::ios::trunc) << json::serialize(root);
}

void spawned::start(const std::vector<std::string>& args, const std::string& ready_prefix) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  pid_ = spawn_process(args, fds[1], dir_ / "serve.log");
  ::close(fds[1]);
  std::string out;
  const auto ready = [&] {
    const auto at = out.find(ready_prefix);
    return at != std::string::npos && out.find('\n', at) != std::string::npos;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char chunk[512];
  while (!ready()) {
    pollfd p{fds[0], POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  // Kept open (and never read again: nothing follows the ready line) so that a later
  // write to stdout cannot kill the child with SIGPIPE.
  stdout_fd_ = fds[0];
  const auto at = out.find(ready_prefix);
  const auto key = out.find("client=", at == std::string::npos ? 0 : at);
  if (at == std::string::npos || key == std::string::npos) {
    throw std::runtime_error(args[0] + " was not ready:\n" + out + read_text(dir_ / "serve.log"));
  }
  const auto end = out.find_first_of(" \n", key);
  const std::string address = out.substr(key + 7, end - key - 7);
  port_ = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

spawned spawned::node(const fs::path& chatnode) {
  spawned s;
  s.init(chatnode);
  s.start({chatnode.string(), "serve", "--config", (s.dir_ / "node" / "chatnode.json").string()}, "chatnode ready ");
  return s;
}

std::vector<spawned> spawned::federation(const fs::path& chatnode, std::size_t count) {
  std::vector<spawned> nodes;
  nodes.reserve(count);
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    nodes.push_back(spawned());
    nodes[i].dir_ = make_temp_dir();
    nodes[i].domain_ = "node" + std::to_string(i) + ".bench";
    ports.push_back(free_port());
  }
  const fs::path ca_dir = nodes[0].dir_ / "federation-ca";
  const pid_t ca = spawn_process({chatnode.string(), "certs", "ca", "--dir", ca_dir.string(), "--name", "chatbench federation CA"}, -1,
                                 nodes[0].dir_ / "ca.log");
  if (wait_status(ca) != 0) throw std::runtime_error("chatnode certs ca failed:\n" + read_text(nodes[0].dir_ / "ca.log"));
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<std::string> extra{"--ca", ca_dir.string(), "--federation-listen", "127.0.0.1:" + std::to_string(ports[i])};
    for (std::size_t k = 0; k < count; ++k) {
      if (k == i) continue;
      extra.push_back("--peer");
      extra.push_back(nodes[k].domain_ + "=127.0.0.1:" + std::to_string(ports[k]));
    }
    nodes[i].init(chatnode, extra);
    nodes[i].ca_file_ = ca_dir / "ca.crt";
  }
  for (auto& n : nodes)
    n.start({chatnode.string(), "serve", "--config", (n.dir_ / "node" / "chatnode.json").string()}, "chatnode ready ");
  return nodes;
}

spawned spawned::echo(const fs::path& chatnode, const fs::path& echo, unsigned threads) {
  spawned s;
  s.init(chatnode);
  const fs::path certs = s.dir_ / "node" / "certs";
  s.start({echo.string(), "--listen", "127.0.0.1:0", "--cert", (certs / "node.crt").string(), "--key",
           (certs / "node.key").string(), "--threads", std::to_string(threads)},
          "chatbench_echo ready ");
  return s;
}

spawned::spawned(spawned&& other) noexcept
    : dir_(std::move(other.dir_)), ca_file_(std::move(other.ca_file_)), domain_(std::move(other.domain_)), pid_(other.pid_), port_(other.port_), stdout_fd_(other.stdout_fd_) {
  other.pid_ = -1;
  other.stdout_fd_ = -1;
  other.dir_.clear();
}

spawned::~spawned() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_status(pid_);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

}  // namespace chatbench
