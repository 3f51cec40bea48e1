// Setup steps the scenarios share (not timed): register users, log them in, run a batch of
// request/reply exchanges. Each throws on the first failure.
#pragma once

#include "pool.hpp"
#include "report.hpp"

#include <memory>

#include <string>
#include <vector>

namespace chatbench {

// Registers `names` over a few connections, each pipelining its share.
void register_users(client_pool& pool, const std::vector<std::string>& names);
// One logged-in connection per name (a bounded number of logins at a time).
std::vector<client_ptr> login_all(client_pool& pool, const std::vector<std::string>& names);
// Client i sends requests[i] and waits for as many replies of `reply_type` (or replies_each).
void exchange_all(client_pool& pool, const std::vector<client_ptr>& clients,
                  const std::vector<std::vector<std::string>>& requests, const std::string& reply_type,
                  std::size_t replies_each = client_pool::every_frame);

// login's storm running beside another scenario (relay --storm S): S connect+login
// attempts in flight on their own pool until stopped. Its users are registered at
// construction (setup, not timed).
class background_storm {
 public:
  background_storm(const endpoint& target, const std::string& ca_file, const std::string& tag, std::size_t slots);
  ~background_storm();
  void start();
  // Stops, waits for the attempts in flight, and adds logins/s and the storm's failures.
  void stop(report& r, double seconds);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace chatbench
