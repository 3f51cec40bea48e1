// The client pool's event loop and the batched setup exchanges.
#include "pool.hpp"

#include "wire.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace chatbench {

client_pool::client_pool(endpoint target, const std::string& ca_file, unsigned threads)
    : target_(std::move(target)), work_(ioc_.get_executor()), tls_(make_tls_client(ca_file)) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { ioc_.run(); });
}

client_pool::~client_pool() { stop(); }

void client_pool::stop() {
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void client_pool::run_batched(std::size_t n, std::size_t window, std::chrono::seconds timeout,
                              const std::function<void(std::size_t, std::function<void(std::string)>)>& start) {
  struct state {
    std::mutex m;
    std::condition_variable cv;
    std::size_t next = 0;
    std::size_t finished = 0;
    std::string error;
  };
  auto st = std::make_shared<state>();
  // Each completion starts the next item, so at most `window` are ever in flight.
  auto launch = std::make_shared<std::function<void()>>();
  *launch = [st, n, &start, weak = std::weak_ptr<std::function<void()>>(launch)] {
    std::size_t i = 0;
    {
      std::lock_guard lock(st->m);
      if (st->next >= n || !st->error.empty()) return;
      i = st->next++;
    }
    start(i, [st, weak](std::string error) {
      {
        std::lock_guard lock(st->m);
        ++st->finished;
        if (!error.empty() && st->error.empty()) st->error = std::move(error);
      }
      st->cv.notify_all();
      if (auto l = weak.lock()) (*l)();
    });
  };
  for (std::size_t k = 0; k < std::min(n, window); ++k) (*launch)();
  std::unique_lock lock(st->m);
  const bool done = st->cv.wait_for(lock, timeout, [&] { return st->finished == st->next && (st->next == n || !st->error.empty()); });
  if (!st->error.empty()) throw std::runtime_error(st->error);
  if (!done) throw std::runtime_error("setup timed out after " + std::to_string(st->finished) + " of " + std::to_string(n));
  // `launch` dies here: late completions (none expected) find the weak_ptr expired.
}

void client_pool::exchange(const client_ptr& c, std::vector<std::string> frames, std::string reply_type,
                           std::size_t count, std::function<void(std::string)> done) {
  c->post([c, frames = std::move(frames), reply_type = std::move(reply_type), count, done = std::move(done)]() mutable {
    auto left = std::make_shared<std::size_t>(count);
    c->set_handler([index = c->index(), left, reply_type, done](std::string_view frame) {
      if (*left == 0) return;
      const auto type = frame_type(frame);
      const bool is_error = type == "ERROR";
      if (type != reply_type && !is_error) return;  // statuses, invitations and such
      if (is_error || int_field(frame, "code").value_or(0) != 0) {
        *left = 0;
        return done("connection " + std::to_string(index) + " expected " + reply_type + ", got " +
                    std::string(frame.substr(0, 300)));
      }
      if (--*left == 0) done({});
    });
    for (auto& f : frames) c->send(std::move(f));
    if (count == 0) done({});
  });
}

std::vector<client_ptr> client_pool::open_all(std::size_t n, std::size_t window,
                                              const std::function<std::vector<std::string>(std::size_t)>& first_frames,
                                              const std::string& reply_type, std::size_t count) {
  std::vector<client_ptr> clients(n);
  for (std::size_t i = 0; i < n; ++i) clients[i] = make_client(static_cast<std::uint32_t>(i));
  run_batched(n, window, std::chrono::seconds(300), [&](std::size_t i, std::function<void(std::string)> done) {
    auto c = clients[i];
    c->open(target_, [this, c, i, &first_frames, &reply_type, count, done](boost::system::error_code ec) {
      if (ec) return done("connection " + std::to_string(i) + ": " + ec.message());
      auto frames = first_frames(i);
      const auto expected = count == every_frame ? frames.size() : count;
      exchange(c, std::move(frames), reply_type, expected, done);
    });
  });
  return clients;
}

}  // namespace chatbench
