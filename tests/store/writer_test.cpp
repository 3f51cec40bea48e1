// The single writer: group commit, per-job rollback, ordering, stop, map growth, MVCC.
#include "store/keys.hpp"
#include "store/writer.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::store {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t mib = std::size_t{1} << 20;

// Submits one job and waits for its completion. The promise is shared with the completion,
// so it outlives the writer thread's set_value().
std::error_code submit_and_wait(writer& w, writer::job j) {
  auto done = std::make_shared<std::promise<std::error_code>>();
  auto result = done->get_future();
  w.submit(std::move(j), [done](std::error_code ec) { done->set_value(ec); });
  if (result.wait_for(60s) != std::future_status::ready) {
    ADD_FAILURE() << "completion did not arrive";
    return std::make_error_code(std::errc::timed_out);
  }
  return result.get();
}

writer::job put_job(std::string key, std::string value) {
  return [key = std::move(key), value = std::move(value)](txn& t) {
    t.put(table_id::users, key, value);
  };
}

bool visible(const database& db, std::string_view key) {
  txn r = db.begin_read();
  return r.get(table_id::users, key).has_value();
}

// A job that blocks the writer until released, so that what is submitted meanwhile queues
// up into the next batch.
class gate {
 public:
  writer::job job() {
    return [this](txn&) {
      if (!started_signalled_.exchange(true)) started_.set_value();
      released_future_.wait();
    };
  }
  void wait_started() {
    ASSERT_EQ(started_future_.wait_for(60s), std::future_status::ready);
  }
  void release() { released_.set_value(); }

 private:
  std::atomic<bool> started_signalled_ = false;  // the job may run again after MAP_FULL
  std::promise<void> started_;
  std::future<void> started_future_ = started_.get_future();
  std::promise<void> released_;
  std::shared_future<void> released_future_ = released_.get_future().share();
};

class writer_test : public ::testing::Test {
 protected:
  options opts() const {
    options o;
    o.dir = dir_.path() / "data";
    return o;
  }
  test::temp_dir dir_;
};

TEST_F(writer_test, completion_follows_the_commit) {
  database db(opts());
  writer w(db);
  std::atomic<bool> seen_in_completion = false;
  auto done = std::make_shared<std::promise<void>>();
  w.submit(put_job("alice", "A"), [&, done](std::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    seen_in_completion = visible(db, "alice");  // committed before we are told
    done->set_value();
  });
  ASSERT_EQ(done->get_future().wait_for(60s), std::future_status::ready);
  EXPECT_TRUE(seen_in_completion);
  w.stop();
  EXPECT_EQ(w.get_stats().jobs, 1u);
  EXPECT_EQ(w.get_stats().commits, 1u);
}

TEST_F(writer_test, group_commit_batches_concurrent_submitters) {
  constexpr int submitters = 8;
  constexpr int per_submitter = 50;
  constexpr int total = submitters * per_submitter;

  database db(opts());
  gate g;
  std::vector<std::atomic<int>> calls(total);
  std::vector<std::atomic<bool>> ok(total);
  std::latch all_done(total + 1);
  writer w(db);

  w.submit(g.job(), [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    all_done.count_down();
  });
  g.wait_started();  // the first commit is now in progress

  std::vector<std::thread> threads;
  for (int s = 0; s < submitters; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < per_submitter; ++i) {
        const int id = s * per_submitter + i;
        w.submit(put_job(be64(static_cast<std::uint64_t>(id)), "v"), [&, id](std::error_code ec) {
          ++calls[static_cast<std::size_t>(id)];
          ok[static_cast<std::size_t>(id)] =
              !ec && visible(db, be64(static_cast<std::uint64_t>(id)));
          all_done.count_down();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  g.release();
  all_done.wait();
  w.stop();

  for (std::size_t id = 0; id < total; ++id) {
    EXPECT_EQ(calls[id], 1) << id;
    EXPECT_TRUE(ok[id]) << id;
  }
  const auto stats = w.get_stats();
  EXPECT_EQ(stats.jobs, total + 1u);
  EXPECT_EQ(stats.commits, 2u);  // the gate alone, then everything that queued behind it
  EXPECT_EQ(stats.largest_batch, static_cast<std::uint64_t>(total));
}

TEST_F(writer_test, batches_are_capped_at_max_batch) {
  database db(opts());
  gate g;
  writer w(db, 10);
  w.submit(g.job(), {});
  g.wait_started();
  for (int i = 0; i < 35; ++i) w.submit(put_job(be64(static_cast<std::uint64_t>(i)), "v"), {});
  g.release();
  w.stop();
  const auto stats = w.get_stats();
  EXPECT_EQ(stats.jobs, 36u);
  EXPECT_EQ(stats.commits, 5u);  // 1 + 10 + 10 + 10 + 5
  EXPECT_EQ(stats.largest_batch, 10u);
}

TEST_F(writer_test, throwing_job_is_rolled_back_alone) {
  database db(opts());
  gate g;
  std::vector<std::error_code> results(5);
  writer w(db);
  w.submit(g.job(), {});
  g.wait_started();
  w.submit(put_job("a", "A"), [&](std::error_code ec) { results[0] = ec; });
  w.submit(
      [](txn& t) {
        t.put(table_id::users, "b", "B");
        throw std::runtime_error("rule refused");
      },
      [&](std::error_code ec) { results[1] = ec; });
  w.submit(put_job("c", "C"), [&](std::error_code ec) { results[2] = ec; });
  w.submit(
      [](txn& t) {
        t.put(table_id::users, "d", "D");
        t.put(table_id::users, "a", "overwritten by a failing job");
        throw store_error(MDB_KEYEXIST, "test");
      },
      [&](std::error_code ec) { results[3] = ec; });
  w.submit(put_job("e", "E"), [&](std::error_code ec) { results[4] = ec; });
  g.release();
  w.stop();

  EXPECT_FALSE(results[0]);
  EXPECT_EQ(results[1], std::make_error_code(std::errc::io_error));
  EXPECT_FALSE(results[2]);
  EXPECT_EQ(results[3], make_lmdb_error(MDB_KEYEXIST));
  EXPECT_FALSE(results[4]);
  txn r = db.begin_read();
  EXPECT_EQ(r.get(table_id::users, "a"), "A");
  EXPECT_FALSE(r.get(table_id::users, "b"));
  EXPECT_EQ(r.get(table_id::users, "c"), "C");
  EXPECT_FALSE(r.get(table_id::users, "d"));
  EXPECT_EQ(r.get(table_id::users, "e"), "E");
  EXPECT_EQ(w.get_stats().commits, 2u);  // the failures did not cost a batch
}

TEST_F(writer_test, completions_run_in_submission_order) {
  constexpr int jobs = 2000;
  database db(opts());
  std::vector<int> order;  // touched only by the writer thread until stop() joins it
  writer w(db);
  for (int i = 0; i < jobs; ++i) {
    w.submit(put_job(be64(static_cast<std::uint64_t>(i)), "v"),
             [&order, i](std::error_code ec) {
               EXPECT_FALSE(ec);
               order.push_back(i);
             });
  }
  w.stop();
  ASSERT_EQ(order.size(), static_cast<std::size_t>(jobs));
  for (int i = 0; i < jobs; ++i) ASSERT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST_F(writer_test, stop_drains_queued_jobs) {
  constexpr int queued = 100;
  database db(opts());
  gate g;
  std::atomic<int> succeeded = 0;
  writer w(db);
  w.submit(g.job(), {});
  g.wait_started();
  for (int i = 0; i < queued; ++i) {
    w.submit(put_job(be64(static_cast<std::uint64_t>(i)), "v"), [&](std::error_code ec) {
      if (!ec) ++succeeded;
    });
  }
  std::thread stopper([&] { w.stop(); });
  // stop() has taken effect once a new submission is refused; the queue is still full.
  for (;;) {
    // Shared: a probe that was still accepted completes later, on the writer thread.
    auto canceled = std::make_shared<std::atomic<bool>>(false);
    w.submit([](txn&) {}, [canceled](std::error_code ec) {
      if (ec == std::errc::operation_canceled) *canceled = true;
    });
    if (*canceled) break;
    std::this_thread::sleep_for(1ms);
  }
  g.release();
  stopper.join();
  EXPECT_EQ(succeeded, queued);
  txn r = db.begin_read();
  for (int i = 0; i < queued; ++i) EXPECT_TRUE(r.get(table_id::users, be64(static_cast<std::uint64_t>(i))));
}

TEST_F(writer_test, submit_after_stop_is_canceled_at_once) {
  database db(opts());
  writer w(db);
  w.stop();
  w.stop();  // idempotent
  bool ran = false;
  std::error_code result;
  w.submit([&](txn&) { ran = true; }, [&](std::error_code ec) { result = ec; });
  EXPECT_EQ(result, std::errc::operation_canceled);  // already called, on this thread
  EXPECT_FALSE(ran);
  w.submit([](txn&) {}, {});  // an empty completion is fine
}

TEST_F(writer_test, stop_from_a_completion_does_not_deadlock) {
  database db(opts());
  auto stopped = std::make_shared<std::promise<void>>();
  writer w(db);
  w.submit(put_job("a", "A"), [&w, stopped](std::error_code) {
    w.stop();
    stopped->set_value();
  });
  ASSERT_EQ(stopped->get_future().wait_for(60s), std::future_status::ready);
  EXPECT_EQ(submit_and_wait(w, put_job("b", "B")), std::errc::operation_canceled);
}

TEST_F(writer_test, map_grows_when_full) {
  options o = opts();
  o.map_size = mib;
  database db(o);
  constexpr int jobs = 256;
  const std::string value(16 * 1024, 'x');  // 4 MiB in all
  std::atomic<int> succeeded = 0;
  writer w(db);
  for (int i = 0; i < jobs; ++i) {
    w.submit(put_job(be64(static_cast<std::uint64_t>(i)), value), [&](std::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      if (!ec) ++succeeded;
    });
  }
  w.stop();
  EXPECT_EQ(succeeded, jobs);
  EXPECT_GT(w.get_stats().map_growths, 0u);
  EXPECT_GE(db.map_size(), 4 * mib);
  txn r = db.begin_read();
  for (int i = 0; i < jobs; ++i) {
    auto v = r.get(table_id::users, be64(static_cast<std::uint64_t>(i)));
    ASSERT_TRUE(v) << i;
    EXPECT_EQ(v->size(), value.size());
  }
}

TEST_F(writer_test, map_full_at_max_size_reaches_completions) {
  options o = opts();
  o.map_size = mib;
  o.max_map_size = 2 * mib;
  database db(o);
  writer w(db);
  const std::string value(16 * 1024, 'x');
  const auto too_big = [&value](txn& t) {
    for (std::uint64_t i = 0; i < 256; ++i) t.put(table_id::users, be64(i), value);
  };
  EXPECT_EQ(submit_and_wait(w, too_big), make_lmdb_error(MDB_MAP_FULL));
  EXPECT_EQ(w.get_stats().map_growths, 1u);
  EXPECT_EQ(db.map_size(), 2 * mib);
  EXPECT_FALSE(visible(db, be64(0)));
  // The writer carries on with what fits.
  EXPECT_FALSE(submit_and_wait(w, put_job("small", "fits")));
  EXPECT_TRUE(visible(db, "small"));
}

TEST_F(writer_test, open_reader_keeps_its_snapshot_and_does_not_block_the_writer) {
  database db(opts());
  writer w(db);
  ASSERT_FALSE(submit_and_wait(w, put_job("k", "v1")));

  txn reader = db.begin_read();  // stays open across the following commits
  EXPECT_EQ(reader.get(table_id::users, "k"), "v1");
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(submit_and_wait(w, put_job("k", "v" + std::to_string(i + 2))));
    ASSERT_FALSE(submit_and_wait(w, put_job("new" + std::to_string(i), "x")));
  }
  EXPECT_EQ(reader.get(table_id::users, "k"), "v1");
  EXPECT_FALSE(reader.get(table_id::users, "new0"));
  {
    txn fresh = db.begin_read();
    EXPECT_EQ(fresh.get(table_id::users, "k"), "v6");
    EXPECT_TRUE(fresh.get(table_id::users, "new4"));
  }
  EXPECT_EQ(w.get_stats().map_growths, 0u);
}

}  // namespace
}  // namespace chatnode::store
