// The write loop without sockets: a scripted stream completes each write when the test says
// so, and a recording owner shows what the loop reported.
#include "net/write_queue.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace chatnode::net {
namespace {

using boost::system::error_code;

// Records each write it is given and holds its handler until complete().
struct scripted_stream {
  std::vector<std::string> started;  // payloads of the writes started, in order
  std::function<void(error_code, std::size_t)> pending;
  bool text_frames = false;

  void text(bool on) { text_frames = on; }
  template <class Handler>
  void async_write(boost::asio::const_buffer buffer, Handler&& handler) {
    EXPECT_FALSE(pending) << "a second write while one is in flight";
    started.emplace_back(static_cast<const char*>(buffer.data()), buffer.size());
    pending = std::forward<Handler>(handler);
  }
  void complete(error_code ec = {}) {
    ASSERT_TRUE(pending) << "no write in flight";
    auto handler = std::move(pending);
    pending = nullptr;
    handler(ec, ec ? 0 : started.back().size());
  }
};

struct recording_owner {
  recording_owner(std::size_t max_frames, std::size_t max_bytes) : writes(*this, stream, max_frames, max_bytes) {}

  std::shared_ptr<int> write_keep_alive() { return alive; }
  bool write_abandoned() const noexcept { return finished; }
  void on_write_error(error_code ec) { errors.push_back(ec); }
  void on_frame_written() { ++frames_written; }
  void on_write_idle() {
    ++idle_reports;
    if (when_idle) std::exchange(when_idle, nullptr)();
  }

  scripted_stream stream;
  write_queue<recording_owner, scripted_stream> writes;
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  bool finished = false;
  std::vector<error_code> errors;
  int frames_written = 0;
  int idle_reports = 0;
  std::function<void()> when_idle;
};

std::shared_ptr<const std::string> frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

TEST(WriteQueue, OneTextWriteInFlightInOrder) {
  recording_owner o(16, 1024);
  EXPECT_TRUE(o.writes.idle());
  EXPECT_TRUE(o.writes.push(frame("a")));
  EXPECT_TRUE(o.writes.push(frame("b")));
  EXPECT_TRUE(o.writes.push(frame("c")));
  EXPECT_TRUE(o.stream.text_frames);
  EXPECT_EQ(o.stream.started, (std::vector<std::string>{"a"}));
  o.stream.complete();
  EXPECT_EQ(o.stream.started, (std::vector<std::string>{"a", "b"}));
  o.stream.complete();
  o.stream.complete();
  EXPECT_EQ(o.stream.started, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(o.stream.pending);
  EXPECT_EQ(o.frames_written, 3);
  EXPECT_EQ(o.idle_reports, 1);  // once, when the last one went out
  EXPECT_TRUE(o.writes.idle());
}

TEST(WriteQueue, APendingWriteKeepsTheOwnerAlive) {
  recording_owner o(16, 1024);
  ASSERT_TRUE(o.writes.push(frame("a")));
  EXPECT_EQ(o.alive.use_count(), 2);
  o.stream.complete();
  EXPECT_EQ(o.alive.use_count(), 1);
}

TEST(WriteQueue, CountsFramesAndBytesUntilTheyAreWritten) {
  recording_owner o(16, 1024);
  ASSERT_TRUE(o.writes.push(frame("12345")));
  ASSERT_TRUE(o.writes.push(frame("123")));
  EXPECT_EQ(o.writes.size(), 2u);  // the frame being written counts until it is out
  EXPECT_EQ(o.writes.bytes(), 8u);
  o.stream.complete();
  EXPECT_EQ(o.writes.size(), 1u);
  EXPECT_EQ(o.writes.bytes(), 3u);
  o.stream.complete();
  EXPECT_EQ(o.writes.bytes(), 0u);
}

TEST(WriteQueue, RefusesAFramePastTheFrameLimitAndQueuesNothing) {
  recording_owner o(2, 1024);
  ASSERT_TRUE(o.writes.push(frame("a")));
  ASSERT_TRUE(o.writes.push(frame("b")));
  EXPECT_FALSE(o.writes.push(frame("c")));
  EXPECT_EQ(o.writes.size(), 2u);
  EXPECT_EQ(o.writes.bytes(), 2u);
  o.stream.complete();
  EXPECT_TRUE(o.writes.push(frame("d")));  // room again once one is out
  o.stream.complete();
  o.stream.complete();
  EXPECT_EQ(o.stream.started, (std::vector<std::string>{"a", "b", "d"}));
}

TEST(WriteQueue, RefusesAFramePastTheByteLimitAndQueuesNothing) {
  recording_owner o(16, 10);
  ASSERT_TRUE(o.writes.push(frame("123456")));
  EXPECT_FALSE(o.writes.push(frame("12345")));  // 11 bytes
  EXPECT_TRUE(o.writes.push(frame("1234")));    // exactly 10
  EXPECT_EQ(o.writes.bytes(), 10u);
  EXPECT_FALSE(o.writes.push(frame("1")));
}

TEST(WriteQueue, AFailedWriteEmptiesTheQueueAndIsReportedOnce) {
  recording_owner o(16, 1024);
  ASSERT_TRUE(o.writes.push(frame("a")));
  ASSERT_TRUE(o.writes.push(frame("b")));
  o.stream.complete(boost::asio::error::broken_pipe);
  EXPECT_EQ(o.errors, (std::vector<error_code>{boost::asio::error::broken_pipe}));
  EXPECT_TRUE(o.writes.idle());
  EXPECT_EQ(o.writes.bytes(), 0u);
  EXPECT_FALSE(o.stream.pending);  // "b" is dropped, not written
  EXPECT_EQ(o.frames_written, 0);
  EXPECT_EQ(o.idle_reports, 0);
}

TEST(WriteQueue, AFinishedOwnerDropsWhatIsQueuedWithoutAnError) {
  recording_owner o(16, 1024);
  ASSERT_TRUE(o.writes.push(frame("a")));
  ASSERT_TRUE(o.writes.push(frame("b")));
  o.finished = true;
  o.stream.complete();
  EXPECT_TRUE(o.errors.empty());
  EXPECT_TRUE(o.writes.idle());
  EXPECT_FALSE(o.stream.pending);
  EXPECT_EQ(o.frames_written, 0);
  EXPECT_EQ(o.idle_reports, 0);
}

TEST(WriteQueue, AnErrorIsReportedAlsoWhenTheOwnerIsFinished) {
  recording_owner o(16, 1024);
  ASSERT_TRUE(o.writes.push(frame("a")));
  o.finished = true;
  o.stream.complete(boost::asio::error::connection_reset);
  EXPECT_EQ(o.errors.size(), 1u);
}

TEST(WriteQueue, AFrameQueuedWhenIdleIsReportedStartsTheNextWrite) {
  recording_owner o(16, 1024);
  o.when_idle = [&] { ASSERT_TRUE(o.writes.push(frame("more"))); };
  ASSERT_TRUE(o.writes.push(frame("a")));
  o.stream.complete();
  EXPECT_EQ(o.stream.started, (std::vector<std::string>{"a", "more"}));
  EXPECT_FALSE(o.writes.idle());
  o.stream.complete();
  EXPECT_TRUE(o.writes.idle());
  EXPECT_EQ(o.idle_reports, 2);
}

}  // namespace
}  // namespace chatnode::net
