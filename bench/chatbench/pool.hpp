// The generator's event loop: one io_context run by a few threads, the TLS client context,
// and the target every connection dials. Setup helpers open connections in bounded batches
// and run request/reply exchanges on them (setup is not timed).
#pragma once

#include "ws_client.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace chatbench {

using client_ptr = std::shared_ptr<ws_client>;

class client_pool {
 public:
  client_pool(endpoint target, const std::string& ca_file, unsigned threads);
  ~client_pool();
  client_pool(const client_pool&) = delete;
  client_pool& operator=(const client_pool&) = delete;

  client_ptr make_client(std::uint32_t index) { return std::make_shared<ws_client>(ioc_, tls_, index); }
  const endpoint& target() const { return target_; }
  boost::asio::io_context& ioc() { return ioc_; }
  // Stops the loop and joins its threads; afterwards every client's state may be read from
  // the calling thread.
  void stop();

  // Runs start(i, done) for i in [0, n) with at most `window` unfinished at once; each
  // start must call done(error) once (empty: success). Throws the first error, or on timeout.
  void run_batched(std::size_t n, std::size_t window, std::chrono::seconds timeout,
                   const std::function<void(std::size_t, std::function<void(std::string)>)>& start);

  // On `c` (already open or not): sends `frames`, then calls done once `count` frames of
  // `reply_type` arrived, each with code 0 (or an error naming what came instead).
  void exchange(const client_ptr& c, std::vector<std::string> frames, std::string reply_type, std::size_t count,
                std::function<void(std::string)> done);
  // Opens connections for i in [0, n), each sending first_frames(i) and waiting for `count`
  // replies of `reply_type` (every_frame: one per frame sent); at most `window` at once.
  static constexpr std::size_t every_frame = static_cast<std::size_t>(-1);
  std::vector<client_ptr> open_all(std::size_t n, std::size_t window,
                                   const std::function<std::vector<std::string>(std::size_t)>& first_frames,
                                   const std::string& reply_type, std::size_t count = 1);

 private:
  endpoint target_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::ssl::context tls_;
  std::vector<std::thread> threads_;
};

}  // namespace chatbench
