// login: a storm of new connections, each a full TLS handshake, a WebSocket upgrade and a
// LOGIN_REQUEST, then closed; `connections` attempts in flight at any time.
#include "pool.hpp"
#include "scenarios.hpp"
#include "setup.hpp"
#include "wire.hpp"

#include <atomic>
#include <mutex>
#include <thread>

namespace chatbench {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t users_per_slot = 4;  // a slot's next login is another user: the last one may still be leaving

class storm {
 public:
  storm(client_pool& pool, std::vector<std::string> names, std::size_t slots)
      : pool_(pool), names_(std::move(names)), slots_(slots), handshake_ns_(slots), login_ns_(slots) {}

  void start() {
    for (std::size_t s = 0; s < slots_; ++s) attempt(s, s);
  }
  void set_recording(bool on) { recording_ = on; }
  void stop() { running_ = false; }
  bool idle() const { return active_ == 0; }
  std::uint64_t handshakes() const { return handshakes_; }
  std::uint64_t logins() const { return logins_; }

  // After the pool stopped.
  void finish(report& r) {
    std::vector<std::int64_t> hs, li;
    for (std::size_t s = 0; s < slots_; ++s) {
      hs.insert(hs.end(), handshake_ns_[s].begin(), handshake_ns_[s].end());
      li.insert(li.end(), login_ns_[s].begin(), login_ns_[s].end());
    }
    r.add_latency("handshake", std::move(hs));
    r.add_latency("connect+login", std::move(li));
    r.add("already logged in (2002)", static_cast<double>(busy_), "");
    if (failures_) r.failures.push_back(std::to_string(failures_) + " failed attempts, first: " + first_error_);
  }

 private:
  void attempt(std::size_t slot, std::size_t user) {
    if (!running_) return;
    ++active_;
    auto c = pool_.make_client(static_cast<std::uint32_t>(slot));
    const auto t0 = clock::now();
    c->open(pool_.target(), [this, c, slot, user, t0](boost::system::error_code ec) {
      if (ec) return done(slot, user, "handshake: " + ec.message());
      ++handshakes_;
      if (recording_) handshake_ns_[slot].push_back((clock::now() - t0).count());
      pool_.exchange(c, {login_frame(names_[user], "bench-password")}, "LOGIN_RESPONSE", 1,
                     [this, c, slot, user, t0](std::string error) {
                       if (error.empty()) {
                         ++logins_;
                         if (recording_) login_ns_[slot].push_back((clock::now() - t0).count());
                       }
                       c->close();
                       done(slot, user, std::move(error));
                     });
    });
  }

  void done(std::size_t slot, std::size_t user, std::string error) {
    if (error.find("\"code\":2002") != std::string::npos) {
      ++busy_;
    } else if (!error.empty()) {
      std::lock_guard lock(mutex_);
      if (failures_++ == 0) first_error_ = std::move(error);
    }
    --active_;
    attempt(slot, (user + slots_) % names_.size());
  }

  client_pool& pool_;
  std::vector<std::string> names_;
  std::size_t slots_;
  std::vector<std::vector<std::int64_t>> handshake_ns_, login_ns_;  // per slot: one attempt at a time
  std::atomic<bool> running_{true}, recording_{false};
  std::atomic<std::size_t> active_{0};
  std::atomic<std::uint64_t> handshakes_{0}, logins_{0}, busy_{0}, failures_{0};
  std::mutex mutex_;
  std::string first_error_;
};

}  // namespace

struct background_storm::impl {
  impl(const endpoint& target, const std::string& ca_file, const std::string& tag, std::size_t slots)
      : pool(target, ca_file, 1), names(make_names(tag, slots)), s(pool, names, slots) {}
  static std::vector<std::string> make_names(const std::string& tag, std::size_t slots) {
    std::vector<std::string> n;
    for (std::size_t i = 0; i < slots * users_per_slot; ++i) n.push_back(tag + "s" + std::to_string(i));
    return n;
  }
  client_pool pool;
  std::vector<std::string> names;
  storm s;
  std::uint64_t logins0 = 0;
};

background_storm::background_storm(const endpoint& target, const std::string& ca_file, const std::string& tag,
                                   std::size_t slots)
    : impl_(std::make_unique<impl>(target, ca_file, tag, slots)) {
  register_users(impl_->pool, impl_->names);
}

background_storm::~background_storm() = default;

void background_storm::start() {
  impl_->s.start();
  impl_->logins0 = impl_->s.logins();
}

void background_storm::stop(report& r, double seconds) {
  const auto logins = impl_->s.logins() - impl_->logins0;
  impl_->s.stop();
  const auto deadline = clock::now() + std::chrono::seconds(10);
  while (!impl_->s.idle() && clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  impl_->pool.stop();
  r.add("storm logins", static_cast<double>(logins) / seconds, "/s");
  report storm_report;
  impl_->s.finish(storm_report);
  for (auto& m : storm_report.metrics)
    if (m.name.rfind("connect+login p99", 0) == 0) r.add("storm " + m.name, m.value, m.unit);
  for (auto& f : storm_report.failures) r.failures.push_back("storm: " + f);
}

report run_login(const bench_options& o) {
  report r;
  r.scenario = "login";
  const std::size_t slots = o.connections ? o.connections : 32;
  r.params = {{"connections", slots}, {"duration_s", o.duration.count()}};
  client_pool pool(o.target, o.ca_file, o.threads);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < slots * users_per_slot; ++i) names.push_back(o.tag + "l" + std::to_string(i));
  register_users(pool, names);
  storm s(pool, names, slots);
  s.start();
  std::this_thread::sleep_for(std::min(std::chrono::duration<double>(1.0), o.duration / 4));
  meter m(o.pid);
  const auto hs0 = s.handshakes(), li0 = s.logins();
  s.set_recording(true);
  m.start();
  std::this_thread::sleep_for(o.duration);
  m.stop();
  s.set_recording(false);
  const double handshakes = static_cast<double>(s.handshakes() - hs0), logins = static_cast<double>(s.logins() - li0);
  s.stop();
  const auto deadline = clock::now() + std::chrono::seconds(10);
  while (!s.idle() && clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  pool.stop();
  r.add("handshakes", handshakes / m.seconds(), "/s");
  r.add("logins", logins / m.seconds(), "/s");
  m.add_cpu(r, logins, "login");
  s.finish(r);
  return r;
}

}  // namespace chatbench
