// A connection's outgoing frames, shared by client sessions and federation links: FIFO,
// bounded in count and bytes, so a peer that does not read cannot grow our memory (the
// caller drops it when push() refuses). A std::list, unlike a std::deque, allocates
// nothing while empty, which matters for thousands of idle connections.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>

namespace chatnode::protocol {

class frame_queue {
 public:
  using frame = std::shared_ptr<const std::string>;

  frame_queue(std::size_t max_frames, std::size_t max_bytes) : max_frames_(max_frames), max_bytes_(max_bytes) {}

  // Appends `f`; false (and nothing queued) when it would pass either limit.
  bool push(frame f) {
    if (frames_.size() >= max_frames_ || bytes_ + f->size() > max_bytes_) return false;
    bytes_ += f->size();
    frames_.push_back(std::move(f));
    return true;
  }
  const std::string& front() const { return *frames_.front(); }
  void pop() {
    bytes_ -= frames_.front()->size();
    frames_.pop_front();
  }
  void clear() {
    frames_.clear();
    bytes_ = 0;
  }
  bool empty() const noexcept { return frames_.empty(); }
  std::size_t size() const noexcept { return frames_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::size_t max_frames_;
  std::size_t max_bytes_;
  std::list<frame> frames_;
  std::size_t bytes_ = 0;
};

}  // namespace chatnode::protocol
