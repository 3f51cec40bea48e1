// Who may spend the node's password-hashing time, and how often (docs/config.md "Limits").
// Failed logins are counted per (address, user) and per address *before* the KDF runs, so
// parallel guesses cannot exceed the budget, and a lockout stops the address that failed,
// never the account owner logging in from elsewhere. Registrations are rate-limited per
// address and for the whole node. In memory: a restart forgives.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace chatnode::node {

class auth_guard {
 public:
  using clock = std::chrono::steady_clock;
  struct settings {
    unsigned user_failures = 5;                      // per (address, user), consecutive
    std::chrono::seconds user_lockout{30};           // then doubling, at most an hour
    unsigned address_failures = 20;                  // per address in any hour, any users
    unsigned address_in_flight = 2;                  // password hashes queued or running per address
    unsigned registrations_per_address_hour = 10;    // registration attempts per address per hour
    unsigned registrations_per_minute = 60;          // for the whole node
  };
  enum class verdict {
    ok,
    locked,      // too many failures for this user from this address, or from this address
    busy,        // this address already has address_in_flight hashes waiting
    registration_limit,
  };

  explicit auth_guard(settings s) : settings_(s) {}
  // New limits (a config reload); counts so far are kept.
  void update(settings s);

  // Reserves one login attempt (an attempt in flight counts as a failure until it ends).
  verdict begin_login(const std::string& address, const std::string& user, clock::time_point now = clock::now());
  // Ends a reserved attempt. `counted`: whether it counts at all (false when it never ran,
  // e.g. the KDF queue was full).
  void end_login(const std::string& address, const std::string& user, bool success, bool counted = true,
                 clock::time_point now = clock::now());
  verdict begin_registration(const std::string& address, clock::time_point now = clock::now());
  void end_registration(const std::string& address);

 private:
  struct pair_state {
    unsigned failures = 0;
    unsigned in_flight = 0;
    clock::time_point locked_until{};
  };
  struct address_state {
    std::deque<clock::time_point> failures;       // within the last hour, oldest first
    std::deque<clock::time_point> registrations;  // likewise
    unsigned in_flight = 0;
  };
  static void expire(std::deque<clock::time_point>& q, clock::time_point now);
  void prune(clock::time_point now);

  settings settings_;  // under mutex_
  std::mutex mutex_;
  std::unordered_map<std::string, pair_state> pairs_;        // address \0 user
  std::unordered_map<std::string, address_state> addresses_;
  std::deque<clock::time_point> registrations_;              // whole node, last minute
  std::size_t ops_since_prune_ = 0;
};

}  // namespace chatnode::node
