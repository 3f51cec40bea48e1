// Durable (fsync'd) LMDB commits: one commit per write versus the writer's group commit
// with K concurrent submitters, each putting a chat-message-sized value and waiting for it.
#include "store/keys.hpp"
#include "store/writer.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace {

using namespace chatnode::store;

constexpr std::size_t value_size = 200;  // about one chat message
constexpr std::size_t bench_map_size = std::size_t{1} << 30;

// A data dir on the real disk (under /tmp), removed afterwards.
class bench_dir {
 public:
  bench_dir() {
    std::string tmpl = "/tmp/chatnode-store-bench-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~bench_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  bench_dir(const bench_dir&) = delete;
  bench_dir& operator=(const bench_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct fixture {
  bench_dir dir;
  std::unique_ptr<database> db;
  std::unique_ptr<writer> w;
  std::atomic<std::uint64_t> next_key = 0;

  fixture() {
    options o;
    o.dir = dir.path();
    o.map_size = bench_map_size;
    db = std::make_unique<database>(o);
    w = std::make_unique<writer>(*db);
  }
  ~fixture() {
    w.reset();  // joins the writer before the database closes
    db.reset();
  }
};

void put_and_wait(writer& w, std::uint64_t key, const std::string& value) {
  auto done = std::make_shared<std::promise<std::error_code>>();
  auto result = done->get_future();
  w.submit([k = be64(key), &value](txn& t) { t.put(table_id::users, k, value); },
           [done](std::error_code ec) { done->set_value(ec); });
  if (auto ec = result.get()) throw std::system_error(ec, "store_bench put");
}

void report(benchmark::State& state, const writer::stats& s) {
  state.counters["commits/s"] = benchmark::Counter(static_cast<double>(s.commits), benchmark::Counter::kIsRate);
  state.counters["avg_batch"] =
      s.commits == 0 ? 0.0 : static_cast<double>(s.jobs) / static_cast<double>(s.commits);
  state.counters["max_batch"] = static_cast<double>(s.largest_batch);
}

// (a) Baseline without the writer thread: begin, put, commit (fsync), one write at a time.
void BM_raw_commit_per_write(benchmark::State& state) {
  fixture f;
  f.w.reset();  // this one writes directly
  const std::string value(value_size, 'm');
  std::uint64_t key = 0;
  for (auto _ : state) {
    txn t = f.db->begin_write();
    t.put(table_id::users, be64(key++), value);
    t.commit();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["commits/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_raw_commit_per_write)->UseRealTime()->Unit(benchmark::kMicrosecond);

// (a) Through the writer, one submitter that waits for each write: every batch holds one job.
void BM_commit_per_write(benchmark::State& state) {
  fixture f;
  const std::string value(value_size, 'm');
  std::uint64_t key = 0;
  for (auto _ : state) put_and_wait(*f.w, key++, value);
  state.SetItemsProcessed(state.iterations());
  report(state, f.w->get_stats());
}
BENCHMARK(BM_commit_per_write)->UseRealTime()->Unit(benchmark::kMicrosecond);

// (b) Group commit: state.threads() submitters, each waiting for its own write before the
// next, like sessions waiting for their ACK. Thread 0 owns the fixture; the benchmark loop
// starts and ends with a barrier across all threads.
std::unique_ptr<fixture> shared_fixture;

void BM_group_commit(benchmark::State& state) {
  if (state.thread_index() == 0) shared_fixture = std::make_unique<fixture>();
  const std::string value(value_size, 'm');
  for (auto _ : state) {
    put_and_wait(*shared_fixture->w, shared_fixture->next_key.fetch_add(1), value);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    report(state, shared_fixture->w->get_stats());
    shared_fixture.reset();
  }
}
BENCHMARK(BM_group_commit)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
