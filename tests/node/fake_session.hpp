// A client_session for router tests: records what the router sends and lets the test
// wait for it (the router answers from the KDF pool and the writer thread).
#pragma once

#include "node/client_session.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace chatnode::node::testing {

class fake_session final : public client_session {
 public:
  void send(frame_ptr frame) override {
    std::lock_guard lock(mutex_);
    frames_.push_back(*frame);
    cv_.notify_all();
  }
  void close(std::uint16_t code) override {
    std::lock_guard lock(mutex_);
    close_code_ = code;
    cv_.notify_all();
  }
  // The router only posts from other threads; running inline under a lock stands in for a strand.
  void post(std::function<void()> fn) override {
    std::lock_guard lock(strand_);
    fn();
  }
  void resume_reading() override {
    std::lock_guard lock(mutex_);
    ++resumes_;
    cv_.notify_all();
  }
  // Frames are "written" as soon as they are sent here, so the session is always idle,
  // unless the test holds writes back (as for a connection that stalls, then drops).
  void when_idle(std::function<void()> fn) override {
    {
      std::lock_guard lock(mutex_);
      if (hold_writes_) {
        held_.push_back(std::move(fn));
        return;
      }
    }
    post(std::move(fn));
  }
  void hold_writes() {
    std::lock_guard lock(mutex_);
    hold_writes_ = true;
  }
  // The connection ended with writes held: as a real session, forget who waited for them.
  void drop_held_writes() {
    std::lock_guard lock(mutex_);
    held_.clear();
  }
  const std::string& remote() const override { return remote_; }
  const std::string& address() const override { return address_; }
  void set_address(std::string a) { address_ = std::move(a); }

  // Waits for the next frame and returns it parsed.
  boost::json::object next(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !frames_.empty(); })) return {};
    auto text = std::move(frames_.front());
    frames_.pop_front();
    return boost::json::parse(text).as_object();
  }
  bool wait_resumed(int count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return resumes_ >= count; });
  }
  std::optional<std::uint16_t> close_code() {
    std::lock_guard lock(mutex_);
    return close_code_;
  }
  std::size_t pending() {
    std::lock_guard lock(mutex_);
    return frames_.size();
  }

 private:
  std::mutex mutex_;
  std::recursive_mutex strand_;
  std::condition_variable cv_;
  std::deque<std::string> frames_;
  int resumes_ = 0;
  std::optional<std::uint16_t> close_code_;
  std::string remote_ = "test";
  std::string address_ = "test";
  bool hold_writes_ = false;
  std::vector<std::function<void()>> held_;  // never run: the connection "drops" first
};

}  // namespace chatnode::node::testing
