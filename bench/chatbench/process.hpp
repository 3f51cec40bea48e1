// The process under load: readings from /proc, and spawning a chatnode (init + serve in a
// temp dir) or the echo server, with the fd limit raised so they can hold many connections.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace chatbench {

struct proc_sample {
  double cpu_seconds = 0;      // utime + stime
  std::int64_t rss_kib = 0;    // VmRSS
};
// Throws when the process is gone.
proc_sample sample(pid_t pid);
// This process's own CPU time (user + system).
double self_cpu_seconds();
// Raises this process's RLIMIT_NOFILE soft limit to the hard limit (children inherit it).
std::uint64_t raise_fd_limit();

// A process started by chatbench: killed and reaped, and its temp dir removed, on destruction.
class spawned {
 public:
  // `chatnode init` into a new temp dir with a cheap KDF (setup speed only; storage stays
  // durable), then `chatnode serve`. Returns once the ready line is read.
  static spawned node(const std::filesystem::path& chatnode);
  // `count` nodes (node0.bench, node1.bench, …) federated with each other on loopback:
  // a federation CA made with `chatnode certs ca`, each node's certificate from it, and
  // every other node in federation.peers. Returns once every node is ready.
  static std::vector<spawned> federation(const std::filesystem::path& chatnode, std::size_t count);
  // Makes certificates with `chatnode init`, then starts `echo` on them.
  static spawned echo(const std::filesystem::path& chatnode, const std::filesystem::path& echo, unsigned threads);

  spawned(spawned&& other) noexcept;
  spawned& operator=(spawned&&) = delete;
  ~spawned();

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  std::filesystem::path ca_file() const { return ca_file_.empty() ? dir_ / "node" / "ca" / "ca.crt" : ca_file_; }
  const std::string& server_name() const { return domain_; }

 private:
  spawned() = default;
  void init(const std::filesystem::path& chatnode, const std::vector<std::string>& extra = {});
  void start(const std::vector<std::string>& args, const std::string& ready_prefix);

  std::filesystem::path dir_;
  std::filesystem::path ca_file_;  // set when the CA is not init's dev CA
  std::string domain_ = "bench.example";
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int stdout_fd_ = -1;
};

}  // namespace chatbench
