// Setup steps the scenarios share (not timed): register users, log them in, run a batch of
// request/reply exchanges. Each throws on the first failure.
#pragma once

#include "pool.hpp"

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

}  // namespace chatbench
