// The fixture router tests share: a real LMDB store in a temp dir, a real writer, a router
// whose KDF work runs inline, and helpers to send frames through fake sessions.
#pragma once

#include "fake_session.hpp"

#include "node/router.hpp"

#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>

namespace chatnode::node::testing {

// Polls `predicate` (every 5 ms, at most 10 s): for effects that complete on the writer thread.
template <class Predicate>
bool eventually_true(Predicate predicate) {
  for (int i = 0; i < 2000; ++i) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

class router_fixture : public ::testing::Test {
 protected:
  // `tweak` adjusts the config before the router is built from it.
  explicit router_fixture(const std::function<void(config&)>& tweak = {}) {
    dir_ = std::filesystem::temp_directory_path() / ("router-test-" + std::to_string(std::random_device{}()));
    cfg_.domain = "alpha.example";
    cfg_.data_dir = dir_;
    cfg_.kdf = {1024, 8, 1};
    if (tweak) tweak(cfg_);
    db_.emplace(store::options{dir_});
    writer_.emplace(*db_);
    router_.emplace(cfg_, *db_, *writer_, online_, [](std::function<void()> fn) { fn(); },
                    [this](kdf_queue::lane, std::function<void()> job) {
                      ++kdf_runs_;
                      if (!kdf_runner_) return job(), true;
                      kdf_runner_(std::move(job));
                      return true;
                    });
  }
  ~router_fixture() override {
    writer_->stop();  // jobs still queued (presence after a disconnect) run while the router exists
    router_.reset();
    writer_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::shared_ptr<fake_session> session(const std::string& address = "192.0.2.1") {
    auto s = std::make_shared<fake_session>();
    s->set_address(address);
    return s;
  }

  // Sends a frame; if the router paused reading, waits until it resumes.
  void send(const std::shared_ptr<fake_session>& s, const std::string& frame) {
    if (!router_->on_frame(s, frame)) {
      EXPECT_TRUE(s->wait_resumed(++resumes_[s.get()]));
    }
  }
  // Sends a frame and returns the next frame the session gets.
  boost::json::object request(const std::shared_ptr<fake_session>& s, const std::string& frame) {
    send(s, frame);
    return s->next();
  }
  boost::json::object reg(const std::shared_ptr<fake_session>& s, const std::string& name, const std::string& pw = "pw") {
    return request(s, R"({"type":"REGISTER_REQUEST","payload":{"username":")" + name + R"(","passwordHash":")" + pw + R"("}})");
  }
  boost::json::object login(const std::shared_ptr<fake_session>& s, const std::string& name, const std::string& pw = "pw") {
    return request(s, R"({"type":"LOGIN_REQUEST","payload":{"username":")" + name + R"(","passwordHash":")" + pw + R"("}})");
  }
  static std::int64_t code(const boost::json::object& m) {
    if (m.empty()) return -1;
    return m.at("payload").at("code").as_int64();
  }

  std::filesystem::path dir_;
  config cfg_;
  std::optional<store::database> db_;
  std::optional<store::writer> writer_;
  registry online_;
  std::optional<router> router_;
  std::map<const void*, int> resumes_;
  // Password hashes: counted, and run inline unless a test holds them back.
  std::atomic<int> kdf_runs_{0};
  std::function<void(std::function<void()>)> kdf_runner_;
};

}  // namespace chatnode::node::testing
