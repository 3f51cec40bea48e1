// The per-user login throttle locks after N failures, doubles, and forgives on success.
#include "node/login_throttle.hpp"

#include <gtest/gtest.h>

namespace chatnode::node {
namespace {
using namespace std::chrono_literals;

TEST(LoginThrottle, LocksAfterMaxFailuresOnlyThatUser) {
  login_throttle t(3, 10s);
  auto now = login_throttle::clock::now();
  t.record_failure("alice", now);
  t.record_failure("alice", now);
  EXPECT_TRUE(t.allowed("alice", now));
  t.record_failure("alice", now);
  EXPECT_FALSE(t.allowed("alice", now));
  EXPECT_FALSE(t.allowed("alice", now + 9s));
  EXPECT_TRUE(t.allowed("alice", now + 10s));
  EXPECT_TRUE(t.allowed("bob", now));
}

TEST(LoginThrottle, LockoutDoublesWithFurtherFailures) {
  login_throttle t(1, 10s);
  auto now = login_throttle::clock::now();
  t.record_failure("alice", now);  // locked 10 s
  t.record_failure("alice", now + 10s);  // locked 20 s from then
  EXPECT_FALSE(t.allowed("alice", now + 29s));
  EXPECT_TRUE(t.allowed("alice", now + 30s));
}

TEST(LoginThrottle, SuccessClears) {
  login_throttle t(1, 10s);
  auto now = login_throttle::clock::now();
  t.record_failure("alice", now);
  EXPECT_FALSE(t.allowed("alice", now));
  t.record_success("alice");
  EXPECT_TRUE(t.allowed("alice", now));
}

}  // namespace
}  // namespace chatnode::node
