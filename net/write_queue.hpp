// The write side of a WebSocket connection, shared by client sessions and federation links:
// a bounded queue of shared frames (protocol::frame_queue) with one text write in flight.
// Everything runs on the connection's strand. What an overflow, a failed write or an empty
// queue means is the owner's business; this class only keeps the loop going.
#pragma once

#include "protocol/frame_queue.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <utility>

namespace chatnode::net {

// `Owner` holds the write_queue and the `Stream` (anything with text(bool) and a Beast-style
// async_write(buffer, handler), e.g. a websocket::stream) and provides, on the strand:
//   write_keep_alive()       what the pending write holds on to (the owner's shared_ptr)
//   write_abandoned()        true once the connection is finished: what is queued is dropped
//   on_write_error(ec)       a write failed; the queue is already empty
//   on_frame_written()       one frame went out
//   on_write_idle()          the last queued frame went out (close after flush, idle waiters);
//                            a push() from here starts the next write
// The owner can make these private and befriend write_queue.
template <class Owner, class Stream>
class write_queue {
 public:
  using frame = protocol::frame_queue::frame;

  write_queue(Owner& owner, Stream& stream, std::size_t max_frames, std::size_t max_bytes)
      : owner_(owner), stream_(stream), queue_(max_frames, max_bytes) {}
  write_queue(const write_queue&) = delete;
  write_queue& operator=(const write_queue&) = delete;

  // Appends `f` and starts writing unless a write is in flight. False, with nothing queued,
  // when `f` would pass the frame or byte limit: the owner then drops the peer, so that one
  // that does not read cannot grow our memory.
  bool push(frame f) {
    if (!queue_.push(std::move(f))) return false;
    if (queue_.size() == 1) do_write();
    return true;
  }

  // Invariant: the queue is non-empty exactly while a write is in flight.
  bool idle() const noexcept { return queue_.empty(); }
  std::size_t size() const noexcept { return queue_.size(); }
  std::size_t bytes() const noexcept { return queue_.bytes(); }

 private:
  void do_write() {
    stream_.text(true);
    stream_.async_write(boost::asio::buffer(queue_.front()),
                        [this, keep = owner_.write_keep_alive()](boost::system::error_code ec, std::size_t) {
                          on_write(ec);
                        });
  }

  void on_write(boost::system::error_code ec) {
    if (ec || owner_.write_abandoned()) {
      queue_.clear();
      if (ec) owner_.on_write_error(ec);
      return;
    }
    queue_.pop();
    owner_.on_frame_written();
    if (!queue_.empty()) return do_write();
    owner_.on_write_idle();
  }

  Owner& owner_;
  Stream& stream_;
  protocol::frame_queue queue_;
};

}  // namespace chatnode::net
