// Login and registration budgets (see auth_guard.hpp).
#include "auth_guard.hpp"

#include <algorithm>

namespace chatnode::node {
namespace {
constexpr auto window = std::chrono::hours(1);
constexpr auto max_lockout = std::chrono::hours(1);
constexpr std::size_t prune_every = 4096;

std::string pair_key(const std::string& address, const std::string& user) {
  std::string k;
  k.reserve(address.size() + 1 + user.size());
  k.append(address).push_back('\0');
  k.append(user);
  return k;
}
}  // namespace

void auth_guard::expire(std::deque<clock::time_point>& q, clock::time_point now) {
  while (!q.empty() && q.front() + window <= now) q.pop_front();
}

auth_guard::verdict auth_guard::begin_login(const std::string& address, const std::string& user, clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (++ops_since_prune_ >= prune_every) prune(now);
  auto& a = addresses_[address];
  expire(a.failures, now);
  if (a.failures.size() + a.in_flight >= settings_.address_failures) return verdict::locked;
  auto& p = pairs_[pair_key(address, user)];
  if (now < p.locked_until) return verdict::locked;
  // Up to the limit, attempts may run side by side; past it (after a lockout), one at a time,
  // and each further failure doubles the lockout.
  const unsigned budget = std::max(settings_.user_failures, p.failures + 1);
  if (p.failures + p.in_flight >= budget) return verdict::locked;
  if (a.in_flight >= settings_.address_in_flight) return verdict::busy;
  ++a.in_flight;
  ++p.in_flight;
  return verdict::ok;
}

void auth_guard::end_login(const std::string& address, const std::string& user, bool success, bool counted,
                           clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& a = addresses_[address];
  auto& p = pairs_[pair_key(address, user)];
  if (a.in_flight) --a.in_flight;
  if (p.in_flight) --p.in_flight;
  if (!counted) return;
  if (success) {
    p.failures = 0;
    p.locked_until = {};
    return;
  }
  a.failures.push_back(now);
  if (++p.failures >= settings_.user_failures) {
    const unsigned doublings = std::min(p.failures - settings_.user_failures, 12u);
    p.locked_until = now + std::min<std::chrono::seconds>(settings_.user_lockout * (1u << doublings), max_lockout);
  }
}

auth_guard::verdict auth_guard::begin_registration(const std::string& address, clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (++ops_since_prune_ >= prune_every) prune(now);
  while (!registrations_.empty() && registrations_.front() + std::chrono::minutes(1) <= now) registrations_.pop_front();
  auto& a = addresses_[address];
  expire(a.registrations, now);
  if (registrations_.size() >= settings_.registrations_per_minute ||
      a.registrations.size() >= settings_.registrations_per_address_hour)
    return verdict::registration_limit;
  if (a.in_flight >= settings_.address_in_flight) return verdict::busy;
  registrations_.push_back(now);
  a.registrations.push_back(now);
  ++a.in_flight;
  return verdict::ok;
}

void auth_guard::end_registration(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto& a = addresses_[address];
  if (a.in_flight) --a.in_flight;
}

void auth_guard::prune(clock::time_point now) {
  // Forget what no longer limits anyone, so the maps cannot grow without bound.
  std::erase_if(pairs_, [&](const auto& kv) {
    const auto& p = kv.second;
    return p.in_flight == 0 && p.locked_until + window < now;
  });
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    auto& a = it->second;
    expire(a.failures, now);
    expire(a.registrations, now);
    it = a.in_flight == 0 && a.failures.empty() && a.registrations.empty() ? addresses_.erase(it) : std::next(it);
  }
  ops_since_prune_ = 0;
}

void auth_guard::update(settings s) {
  std::lock_guard lock(mutex_);
  settings_ = s;
}

}  // namespace chatnode::node
