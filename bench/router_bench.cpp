// The router's handling of a TEXT_MESSAGE between two online friends, end to end through
// the writer: decode, rules, a durable (fsync'd) group commit, the ACK to the sender and
// the delivery to the receiver. Fake sessions (the router tests' own) stand in for sockets;
// the store is real, in a temp dir on disk. `batch` messages are in flight per iteration,
// so the writer can group-commit them.
#include "tests/node/fake_session.hpp"

#include "node/router.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>

namespace {

using namespace chatnode;
using node::testing::fake_session;
namespace fs = std::filesystem;

class two_friends {
 public:
  two_friends() {
    dir_ = fs::temp_directory_path() / ("chatnode-router-bench-" + std::to_string(std::random_device{}()));
    cfg_.domain = "alpha.example";
    cfg_.data_dir = dir_;
    cfg_.kdf = {1024, 8, 1};
    db_.emplace(store::options{dir_});
    writer_.emplace(*db_);
    router_.emplace(cfg_, *db_, *writer_, online_, [](std::function<void()> fn) { fn(); });
    for (auto& [s, name] : {std::pair{alice, "alice"}, std::pair{bob, "bob"}}) {
      request(s, R"({"type":"REGISTER_REQUEST","payload":{"username":")" + std::string(name) + R"(","passwordHash":"pw"}})");
      request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":")" + std::string(name) + R"(","passwordHash":"pw"}})");
    }
    request(alice, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})");
    request(bob, R"({"type":"FRIEND_REQUEST","payload":{"sender":"bob","receiver":"alice"}})");
    // Statuses and the friend response: let them arrive, then forget them.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    while (alice->pending()) alice->next();
    while (bob->pending()) bob->next();
  }
  ~two_friends() {
    writer_->stop();  // jobs still queued run while the router exists
    router_.reset();
    writer_.reset();
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Waits for the reply when the router answers synchronously or asynchronously.
  void request(const std::shared_ptr<fake_session>& s, const std::string& frame) {
    if (!router_->on_frame(s, frame) && !s->wait_resumed(++resumes_[s.get()])) throw std::runtime_error("no resume");
    if (s->next().empty()) throw std::runtime_error("no reply to " + frame);
  }

  std::shared_ptr<fake_session> alice = std::make_shared<fake_session>();
  std::shared_ptr<fake_session> bob = std::make_shared<fake_session>();
  std::optional<node::router> router_;

 private:
  fs::path dir_;
  node::config cfg_;
  std::optional<store::database> db_;
  std::optional<store::writer> writer_;
  node::registry online_;
  std::map<const void*, int> resumes_;
};

void BM_TextMessageBetweenOnlineFriends(benchmark::State& state) {
  two_friends f;
  const auto batch = static_cast<int>(state.range(0));
  const std::string frame =
      R"({"type":"TEXT_MESSAGE","payload":{"sender":"alice","receiver":"bob","content":"0 1234 5678901234567 Hello"}})";
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) f.router_->on_frame(f.alice, frame);
    for (int i = 0; i < batch; ++i) {
      if (f.bob->next().empty() || f.alice->next().empty()) {
        state.SkipWithError("a message or its ACK did not arrive");
        return;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_TextMessageBetweenOnlineFriends)->Arg(1)->Arg(64)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
