// The stream load: per-client state lives on the client's strand; the main thread sees
// only atomic totals until the pool has stopped.
#include "stream.hpp"

#include "wire.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <latch>
#include <mutex>
#include <thread>

namespace chatbench {

namespace {

using clock = std::chrono::steady_clock;
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
}
constexpr auto rate_tick = std::chrono::milliseconds(1);

struct peer {
  std::uint64_t sent = 0, acked = 0;
  std::vector<std::uint64_t> next_seq;  // per slot heard
  std::uint64_t duplicates = 0, gaps = 0, malformed = 0, errors = 0;
  std::string first_error;
  std::vector<std::int64_t> latency_ns;
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::size_t audience = 0;  // receivers of each message it sends
};

class stream_run {
 public:
  stream_run(stream_plan& plan) : plan_(plan), peers_(plan.clients.size()) {
    for (std::size_t r = 0; r < peers_.size(); ++r) {
      peers_[r].next_seq.assign(plan.sources[r].size(), 0);
      for (int s : plan.sources[r])
        if (s >= 0) ++peers_[static_cast<std::size_t>(s)].audience;
    }
    std::size_t senders = 0;
    for (const auto& p : plan.prefix) senders += p.empty() ? 0 : 1;
    per_sender_rate_ = senders ? plan.rate / static_cast<double>(senders) : 0;
  }

  void start() {
    // Every client listens before any sends: a receiver whose handler came after its
    // partner's first window would miss those deliveries (counted as lost).
    std::latch listening(static_cast<std::ptrdiff_t>(peers_.size()));
    for (std::size_t i = 0; i < peers_.size(); ++i) {
      auto& c = plan_.clients[i];
      c->post([this, i, c, &listening] {
        c->set_handler([this, i](std::string_view f) { on_frame(i, f); });
        listening.count_down();
      });
    }
    listening.wait();
    start_ns_ = now_ns();
    for (std::size_t i = 0; i < peers_.size(); ++i) {
      auto& c = plan_.clients[i];
      c->post([this, i, c] {
        if (plan_.prefix[i].empty()) return;
        if (per_sender_rate_ > 0) {
          peers_[i].timer = std::make_unique<boost::asio::steady_timer>(c->get_executor());
          tick(i);
        } else {
          top_up(i);
        }
      });
    }
  }

  void set_recording(bool on) { recording_ = on; }
  void stop_sending() { sending_ = false; }
  bool drained() const { return delivered_ == expected_ && acked_ == sent_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t acked() const { return acked_; }
  std::uint64_t sent() const { return sent_; }

  // After the pool stopped.
  void check(report& r) {
    std::uint64_t lost = 0, duplicated = 0, malformed = 0, errors = 0;
    std::string first_error;
    std::vector<std::int64_t> all;
    for (std::size_t i = 0; i < peers_.size(); ++i) {
      auto& p = peers_[i];
      for (std::size_t k = 0; k < p.next_seq.size(); ++k) {
        const int s = plan_.sources[i][k];
        if (s < 0) continue;
        const auto sent = peers_[static_cast<std::size_t>(s)].sent;
        if (p.next_seq[k] < sent) lost += sent - p.next_seq[k];
      }
      lost += p.gaps;
      duplicated += p.duplicates;
      malformed += p.malformed;
      errors += p.errors;
      if (first_error.empty()) first_error = p.first_error;
      if (p.acked != p.sent) lost += p.sent - p.acked;  // unacknowledged after the drain
      all.insert(all.end(), p.latency_ns.begin(), p.latency_ns.end());
    }
    r.add("lost", static_cast<double>(lost), "msgs");
    r.add("duplicated", static_cast<double>(duplicated), "msgs");
    if (lost) r.failures.push_back(std::to_string(lost) + " messages lost (or unacknowledged)");
    if (duplicated) r.failures.push_back(std::to_string(duplicated) + " messages duplicated");
    if (malformed) r.failures.push_back(std::to_string(malformed) + " deliveries without a readable stamp");
    if (errors) r.failures.push_back(std::to_string(errors) + " error replies, first: " + first_error);
    r.add_latency("latency", std::move(all));
  }

 private:
  void send_one(std::size_t i) {
    auto& p = peers_[i];
    stamp st{plan_.slot[i], p.sent, now_ns()};
    std::string frame = plan_.prefix[i];
    frame += format_stamp(st);
    frame += plan_.suffix[i];
    ++p.sent;
    sent_.fetch_add(1, std::memory_order_relaxed);
    expected_.fetch_add(p.audience, std::memory_order_relaxed);
    plan_.clients[i]->send(std::move(frame));
  }

  void top_up(std::size_t i) {
    auto& p = peers_[i];
    while (sending_.load(std::memory_order_relaxed) && p.sent - p.acked < plan_.window) send_one(i);
  }

  void tick(std::size_t i) {
    auto& p = peers_[i];
    if (!sending_.load(std::memory_order_relaxed)) return;
    const double due = per_sender_rate_ * static_cast<double>(now_ns() - start_ns_) / 1e9;
    while (static_cast<double>(p.sent) < due && p.sent - p.acked < plan_.window) send_one(i);
    p.timer->expires_after(rate_tick);
    p.timer->async_wait([this, i](boost::system::error_code ec) {
      if (!ec) tick(i);
    });
  }

  void on_frame(std::size_t i, std::string_view f) {
    auto& p = peers_[i];
    const auto type = frame_type(f);
    if (type == "TEXT_MESSAGE") {
      const auto st = parse_stamp(string_field(f, "content"));
      if (!st || st->slot >= p.next_seq.size()) {
        ++p.malformed;
        return;
      }
      auto& next = p.next_seq[st->slot];
      if (st->seq < next) {
        ++p.duplicates;
      } else {
        p.gaps += st->seq - next;
        next = st->seq + 1;
      }
      if (recording_.load(std::memory_order_relaxed)) p.latency_ns.push_back(now_ns() - st->sent_ns);
      delivered_.fetch_add(1, std::memory_order_relaxed);
    } else if (type == "TEXT_MESSAGE_ACK") {
      if (int_field(f, "code").value_or(-1) != 0) error(p, f);
      ++p.acked;
      acked_.fetch_add(1, std::memory_order_relaxed);
      if (per_sender_rate_ == 0) top_up(i);
    } else if (type == "ERROR") {
      error(p, f);
    }
  }

  static void error(peer& p, std::string_view f) {
    if (p.errors++ == 0) p.first_error = std::string(f.substr(0, 300));
  }

  stream_plan& plan_;
  std::vector<peer> peers_;
  double per_sender_rate_ = 0;
  std::int64_t start_ns_ = 0;
  std::atomic<bool> sending_{true}, recording_{false};
  std::atomic<std::uint64_t> sent_{0}, expected_{0}, delivered_{0}, acked_{0};
};

}  // namespace

void run_stream(const std::vector<client_pool*>& pools, stream_plan& plan, const std::vector<pid_t>& targets, report& r) {
  stream_run run(plan);
  run.start();
  std::this_thread::sleep_for(plan.warmup);
  meter m(targets);
  const auto delivered0 = run.delivered(), acked0 = run.acked(), sent0 = run.sent();
  run.set_recording(true);
  m.start();
  std::this_thread::sleep_for(plan.duration);
  m.stop();
  run.set_recording(false);
  const double delivered = static_cast<double>(run.delivered() - delivered0);
  const double acked = static_cast<double>(run.acked() - acked0);
  const double sent = static_cast<double>(run.sent() - sent0);
  run.stop_sending();
  const auto deadline = clock::now() + plan.drain;
  while (!run.drained() && clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (auto* pool : pools) pool->stop();

  if (plan.rate > 0) r.add("offered", plan.rate, "msgs/s");
  r.add("sent", sent / m.seconds(), "msgs/s");
  r.add("delivered", delivered / m.seconds(), "msgs/s");
  r.add("acks", acked / m.seconds(), "acks/s");
  m.add_cpu(r, delivered, "delivered msg");
  run.check(r);
}

}  // namespace chatbench
