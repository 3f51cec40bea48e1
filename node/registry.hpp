// Who is online: logged-in user → their session. Holds weak_ptrs so a registry entry never
// keeps a dead connection alive; nothing is sent under the lock.
#pragma once

#include "client_session.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace chatnode::node {

class registry {
 public:
  // Adds `s` as the session of `user` (a full id), still catching up on its inbox (see
  // find_live). False when another live session holds it; true if the same session already
  // does (so a retried writer job sees success).
  bool try_add(const std::string& user, const std::shared_ptr<client_session>& s);
  // Removes the entry only if it is `s` (a stale session cannot log out a newer one).
  void remove(const std::string& user, const client_session* s);
  std::shared_ptr<client_session> find(const std::string& user) const;
  // The session to deliver inbox-worthy events to live: none while it still catches up on
  // its inbox (those events queue behind the inbox, keeping their order).
  std::shared_ptr<client_session> find_live(const std::string& user) const;
  void set_caught_up(const std::string& user, const client_session* s);
  std::size_t size() const;

  // Presence: a logged-in user's chosen status ("online" at login).
  void set_status(const std::string& user, const client_session* s, std::string status);
  // What friends see: the chosen status, or "offline" when not logged in.
  std::string visible_status(const std::string& user) const;

  // Users of other nodes, as their nodes last told us (docs/federation.md): "offline"
  // removes the entry; visible_status reads these for ids it does not hold as local.
  void set_remote_status(const std::string& user, const std::string& status);
  // Every logged-in user with the status friends see (after the inbox or not).
  std::vector<std::pair<std::string, std::string>> visible_users() const;
  // The origin node restarted: forgets its users; returns those that were not offline.
  std::vector<std::string> forget_remote_domain(const std::string& domain);

 private:
  struct entry {
    std::weak_ptr<client_session> session;
    std::string status;
    bool caught_up = false;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> online_;
  std::unordered_map<std::string, std::string> remote_;  // remote user -> status
};

}  // namespace chatnode::node
