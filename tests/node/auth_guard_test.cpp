// The login and registration budgets: failures count before the KDF runs, lockouts stop the
// address that failed (not the account owner elsewhere), registrations are rate-limited.
#include "node/auth_guard.hpp"

#include <gtest/gtest.h>

namespace chatnode::node {
namespace {
using namespace std::chrono_literals;
using verdict = auth_guard::verdict;

auth_guard::settings small() {
  auth_guard::settings s;
  s.user_failures = 3;
  s.user_lockout = 10s;
  s.address_failures = 8;
  s.address_in_flight = 100;
  s.registrations_per_address_hour = 2;
  s.registrations_per_minute = 3;
  return s;
}

TEST(AuthGuard, AttemptsInFlightCountAsFailures) {
  auth_guard g(small());
  const auto now = auth_guard::clock::now();
  // 40 guesses sent at once: only the budget of 3 may run the KDF.
  int admitted = 0;
  for (int i = 0; i < 40; ++i) admitted += g.begin_login("10.0.0.1", "alice", now) == verdict::ok;
  EXPECT_EQ(admitted, 3);
}

TEST(AuthGuard, LockoutStopsTheAddressNotTheOwner) {
  auth_guard g(small());
  const auto now = auth_guard::clock::now();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(g.begin_login("10.0.0.66", "alice", now), verdict::ok);
    g.end_login("10.0.0.66", "alice", false, true, now);
  }
  EXPECT_EQ(g.begin_login("10.0.0.66", "alice", now), verdict::locked);
  EXPECT_EQ(g.begin_login("10.0.0.66", "alice", now + 9s), verdict::locked);
  // Alice from her own address is not affected.
  EXPECT_EQ(g.begin_login("192.168.1.5", "alice", now), verdict::ok);
}

TEST(AuthGuard, LockoutDoublesWithEachFurtherFailure) {
  auth_guard g(small());
  auto now = auth_guard::clock::now();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(g.begin_login("a", "alice", now), verdict::ok);
    g.end_login("a", "alice", false, true, now);
  }
  now += 10s;  // the first lockout ended: one attempt at a time now
  ASSERT_EQ(g.begin_login("a", "alice", now), verdict::ok);
  EXPECT_EQ(g.begin_login("a", "alice", now), verdict::locked);
  g.end_login("a", "alice", false, true, now);
  EXPECT_EQ(g.begin_login("a", "alice", now + 19s), verdict::locked);
  EXPECT_EQ(g.begin_login("a", "alice", now + 20s), verdict::ok);
}

TEST(AuthGuard, SuccessClearsTheUserCountButNotTheAddressBudget) {
  auth_guard g(small());
  const auto now = auth_guard::clock::now();
  // 8 failures an hour from one address, spread over users, lock the address...
  for (int i = 0; i < 8; ++i) {
    const std::string user = "u" + std::to_string(i % 4);
    if (i % 2 == 1) {  // ...even with successes in between
      ASSERT_EQ(g.begin_login("a", "mine", now), verdict::ok);
      g.end_login("a", "mine", true, true, now);
    }
    ASSERT_EQ(g.begin_login("a", user, now), verdict::ok) << i;
    g.end_login("a", user, false, true, now);
  }
  EXPECT_EQ(g.begin_login("a", "mine", now), verdict::locked);
  EXPECT_EQ(g.begin_login("b", "mine", now), verdict::ok);
  EXPECT_EQ(g.begin_login("a", "mine", now + 1h), verdict::ok);
}

TEST(AuthGuard, AttemptsThatNeverRanDoNotCount) {
  auth_guard g(small());
  const auto now = auth_guard::clock::now();
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(g.begin_login("a", "alice", now), verdict::ok);
    g.end_login("a", "alice", false, false, now);
  }
  EXPECT_EQ(g.begin_login("a", "alice", now), verdict::ok);
}

TEST(AuthGuard, AnAddressHasABoundedNumberOfHashesInFlight) {
  auto s = small();
  s.address_in_flight = 2;
  auth_guard g(s);
  const auto now = auth_guard::clock::now();
  EXPECT_EQ(g.begin_login("a", "x", now), verdict::ok);
  EXPECT_EQ(g.begin_registration("a", now), verdict::ok);
  EXPECT_EQ(g.begin_login("a", "y", now), verdict::busy);
  EXPECT_EQ(g.begin_login("b", "y", now), verdict::ok);
  g.end_registration("a");
  EXPECT_EQ(g.begin_login("a", "y", now), verdict::ok);
}

TEST(AuthGuard, RegistrationsAreLimitedPerAddressAndForTheNode) {
  auth_guard g(small());
  const auto now = auth_guard::clock::now();
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(g.begin_registration("a", now), verdict::ok);
    g.end_registration("a");
  }
  EXPECT_EQ(g.begin_registration("a", now), verdict::registration_limit);
  ASSERT_EQ(g.begin_registration("b", now), verdict::ok);
  g.end_registration("b");
  // Three in the last minute for the whole node.
  EXPECT_EQ(g.begin_registration("c", now), verdict::registration_limit);
  EXPECT_EQ(g.begin_registration("c", now + 1min), verdict::ok);
  EXPECT_EQ(g.begin_registration("a", now + 1h), verdict::ok);
}

}  // namespace
}  // namespace chatnode::node
