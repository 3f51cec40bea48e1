// The admin socket: a Unix stream socket (admin.socket, default <data_dir>/admin.sock, mode
// 0600) on which the running node serves `chatnode admin`. Only the node's own user (or
// root) may use it: the file mode keeps others out and every connection's peer credentials
// (SO_PEERCRED) are checked. One request per connection, one line of JSON each way:
//   → {"args":["user","add","bob"],"password":"…","json":false}
//   ← {"exit":0,"output":"added bob@alpha.example\n"}
// Commands run on the socket's own thread, one at a time (they wait for commits and hash
// passwords; the I/O threads never do).
#pragma once

#include "admin.hpp"

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

namespace chatnode::node {

class admin_socket {
 public:
  // Binds `path` (a stale socket file left by a crash is replaced) and starts serving.
  // Throws std::system_error naming the path.
  admin_socket(const std::filesystem::path& path, admin_commands& commands);
  ~admin_socket();  // stops and removes the socket file
  admin_socket(const admin_socket&) = delete;
  admin_socket& operator=(const admin_socket&) = delete;

 private:
  void serve();
  void answer(int fd);

  std::filesystem::path path_;
  admin_commands& commands_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

// `chatnode admin`'s side: sends `req` to the node on `path`. nullopt when no node listens
// there (no socket file, or nobody accepting); throws std::runtime_error on other failures.
std::optional<admin_reply> admin_call(const std::filesystem::path& path, const admin_request& req);

}  // namespace chatnode::node
