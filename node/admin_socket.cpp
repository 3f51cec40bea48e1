// The admin socket, in plain POSIX: one thread, poll() on the listening socket and a stop pipe.
#include "admin_socket.hpp"

#include "log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace chatnode::node {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_line = 64 * 1024;
constexpr int io_timeout_seconds = 10;

sockaddr_un address_of(const fs::path& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  const std::string s = path.string();
  if (s.size() >= sizeof(a.sun_path))
    throw std::runtime_error("admin.socket: " + s + " is longer than " + std::to_string(sizeof(a.sun_path) - 1) + " bytes");
  std::memcpy(a.sun_path, s.c_str(), s.size() + 1);
  return a;
}

void set_timeouts(int fd) {
  timeval tv{io_timeout_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Reads up to '\n' (not included); false on EOF, timeout or an over-long line.
bool read_line(int fd, std::string& out) {
  char buf[4096];
  for (;;) {
    const auto nl = out.find('\n');
    if (nl != std::string::npos) {
      out.resize(nl);
      return true;
    }
    if (out.size() > max_line) return false;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

admin_socket::admin_socket(const fs::path& path, admin_commands& commands) : path_(path), commands_(commands) {
  const sockaddr_un a = address_of(path_);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::system_error(errno, std::generic_category(), "admin socket");
  // The node holds the data dir's serve lock, so a socket file here is a crashed node's.
  std::error_code ignored;
  fs::remove(path_, ignored);
  // Created 0600 (umask while binding): no moment in which others could connect.
  const mode_t old_mask = ::umask(0177);
  const int rc = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  ::umask(old_mask);
  if (rc != 0 || ::listen(listen_fd_, 8) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    throw std::system_error(err, std::generic_category(), "cannot listen on admin socket " + path_.string());
  }
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    throw std::system_error(err, std::generic_category(), "admin socket pipe");
  }
  thread_ = std::thread([this] { serve(); });
}

admin_socket::~admin_socket() {
  if (stop_pipe_[1] >= 0) {
    const char c = 0;
    [[maybe_unused]] auto n = ::write(stop_pipe_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]})
    if (fd >= 0) ::close(fd);
  std::error_code ignored;
  fs::remove(path_, ignored);
}

void admin_socket::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log(log_level::error, "admin", "poll: ", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    answer(fd);
    ::close(fd);
  }
}

void admin_socket::answer(int fd) {
  set_timeouts(fd);
  ucred peer{};
  socklen_t len = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || (peer.uid != ::geteuid() && peer.uid != 0)) {
    log(log_level::warn, "admin", "refused a connection from uid ", peer.uid, " (only uid ", ::geteuid(), " or root)");
    write_all(fd, R"({"exit":1,"output":"refused: only the node's user may use the admin socket\n"})" "\n");
    return;
  }
  std::string line;
  admin_reply r;
  if (!read_line(fd, line)) return;
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  admin_request req;
  try {
    if (ec || !v.is_object()) throw std::invalid_argument("not a JSON object");
    const auto& o = v.as_object();
    req.args = json::value_to<std::vector<std::string>>(o.at("args"));
    if (const auto* pw = o.if_contains("password"); pw && !pw->is_null()) req.password = json::value_to<std::string>(*pw);
    if (const auto* j = o.if_contains("json")) req.json = j->as_bool();
  } catch (const std::exception&) {
    r = {admin_usage, "unreadable admin request\n"};
    write_all(fd, json::serialize(json::object{{"exit", r.exit}, {"output", r.output}}) + "\n");
    return;
  }
  try {
    r = commands_.run(req);
  } catch (const std::exception& e) {
    log(log_level::error, "admin", "command failed: ", e.what());
    r = {admin_failed, std::string(e.what()) + "\n"};
  }
  write_all(fd, json::serialize(json::object{{"exit", r.exit}, {"output", r.output}}) + "\n");
}

std::optional<admin_reply> admin_call(const fs::path& path, const admin_request& req) {
  const sockaddr_un a = address_of(path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == ENOENT || err == ECONNREFUSED) return std::nullopt;
    throw std::system_error(err, std::generic_category(), "cannot reach the node on " + path.string());
  }
  // Commands that wait for a commit or a password hash take well under a minute.
  timeval tv{120, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  json::object o{{"args", json::value_from(req.args)}, {"json", req.json}};
  if (req.password) o["password"] = *req.password;
  std::string line;
  const bool ok = write_all(fd, json::serialize(o) + "\n") && read_line(fd, line);
  ::close(fd);
  if (!ok) throw std::runtime_error("no answer from the node on " + path.string());
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) throw std::runtime_error("unreadable answer from the node: " + line);
  return admin_reply{static_cast<int>(v.at("exit").to_number<std::int64_t>()), json::value_to<std::string>(v.at("output"))};
}

}  // namespace chatnode::node
