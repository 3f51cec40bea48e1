// How long the node takes to answer a client: from the moment a request's frame has been
// read to the moment its reply (the ACK, RESPONSE or ERROR) is queued on the connection,
// per request type. For a request that changes state this includes the durable commit.
//
// The session opens a request_scope around the router's handling of one frame; the router
// names the type once it has decoded the frame, and a handler whose reply comes later (after
// a writer job) takes the request's timer and calls done() when it queues the reply. A
// request nobody took is done when the scope ends; one whose session paused reading is
// done when reading resumes (the router resumes once the reply is queued).
#pragma once

#include "histogram.hpp"

#include "protocol/message_type.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <ostream>

namespace chatnode::node {

class request_latency {
 public:
  using clock = std::chrono::steady_clock;
  // Upper bounds in seconds: a fsync'd commit takes around a millisecond, a login a password
  // hash (tens of milliseconds, more while logins queue).
  static constexpr std::array<double, 15> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10,   30};

  request_latency();
  void observe(protocol::message_type type, clock::duration elapsed) noexcept;
  // chatnode_request_duration_seconds{type="text_message",…} for every type seen so far.
  void write(std::ostream& out) const;
  const histogram& of(protocol::message_type type) const;

 private:
#define CHATNODE_X(e, s) +1
  static constexpr std::size_t type_count = 0 CHATNODE_MESSAGE_TYPES(CHATNODE_X);
#undef CHATNODE_X
  std::array<std::unique_ptr<histogram>, type_count> by_type_;
};

// One request on its way to its reply. A small value (copied into writer callbacks);
// default-constructed it times nothing.
class request_timer {
 public:
  request_timer() = default;
  request_timer(request_latency& sink, protocol::message_type type, request_latency::clock::time_point start) noexcept
      : sink_(&sink), type_(type), start_(start) {}
  explicit operator bool() const noexcept { return sink_ != nullptr; }
  // Records the time since the frame arrived. Call once, when the reply is queued.
  void done() const noexcept {
    if (sink_) sink_->observe(type_, request_latency::clock::now() - start_);
  }

 private:
  request_latency* sink_ = nullptr;
  protocol::message_type type_{};
  request_latency::clock::time_point start_{};
};

// The frame being handled on this thread. Scopes nest (the previous one is restored).
class request_scope {
 public:
  explicit request_scope(request_latency& sink) noexcept;
  ~request_scope();
  request_scope(const request_scope&) = delete;
  request_scope& operator=(const request_scope&) = delete;

  // The router decoded the frame as `type`; a frame never named (not parsed) is not timed.
  static void set_type(protocol::message_type type) noexcept;
  // The reply comes later: the caller calls done() on what it gets when it queues it. Empty
  // outside a scope and once taken, so only the first writer job of a request times it.
  static request_timer take() noexcept;
  // The session paused reading: it keeps the timer until it resumes.
  request_timer release() noexcept;

 private:
  request_latency& sink_;
  request_latency::clock::time_point start_;
  std::optional<protocol::message_type> type_;
  bool taken_ = false;
  request_scope* previous_;
};

}  // namespace chatnode::node
