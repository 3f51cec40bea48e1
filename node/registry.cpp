// Online registry.
#include "registry.hpp"

namespace chatnode::node {

bool registry::try_add(const std::string& user, const std::shared_ptr<client_session>& s) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = online_.try_emplace(user, entry{s, "online"});
  if (inserted) return true;
  auto current = it->second.session.lock();
  if (current == s) return true;
  if (current) return false;
  it->second = entry{s, "online"};  // the previous session is gone but had not unregistered yet
  return true;
}

void registry::remove(const std::string& user, const client_session* s) {
  std::lock_guard lock(mutex_);
  auto it = online_.find(user);
  if (it == online_.end()) return;
  auto current = it->second.session.lock();
  if (!current || current.get() == s) online_.erase(it);
}

std::shared_ptr<client_session> registry::find(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = online_.find(user);
  return it == online_.end() ? nullptr : it->second.session.lock();
}

std::shared_ptr<client_session> registry::find_live(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = online_.find(user);
  return it == online_.end() || !it->second.caught_up ? nullptr : it->second.session.lock();
}

void registry::set_caught_up(const std::string& user, const client_session* s) {
  std::lock_guard lock(mutex_);
  auto it = online_.find(user);
  if (it != online_.end() && it->second.session.lock().get() == s) it->second.caught_up = true;
}

std::size_t registry::size() const {
  std::lock_guard lock(mutex_);
  return online_.size();
}

void registry::set_status(const std::string& user, const client_session* s, std::string status) {
  std::lock_guard lock(mutex_);
  auto it = online_.find(user);
  if (it == online_.end()) return;
  auto current = it->second.session.lock();
  if (current.get() == s) it->second.status = std::move(status);
}

std::string registry::visible_status(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = online_.find(user);
  if (it == online_.end() || it->second.session.expired()) {
    auto r = remote_.find(user);
    return r == remote_.end() ? "offline" : r->second;
  }
  return it->second.status;
}

void registry::set_remote_status(const std::string& user, const std::string& status) {
  std::lock_guard lock(mutex_);
  if (status == "offline") {
    remote_.erase(user);
  } else {
    remote_[user] = status;
  }
}

std::vector<std::pair<std::string, std::string>> registry::visible_users() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [user, e] : online_)
    if (!e.session.expired()) out.emplace_back(user, e.status);
  return out;
}

std::vector<std::string> registry::forget_remote_domain(const std::string& domain) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> gone;
  const std::string suffix = "@" + domain;
  for (auto it = remote_.begin(); it != remote_.end();) {
    if (it->first.size() > suffix.size() && it->first.ends_with(suffix)) {
      gone.push_back(it->first);
      it = remote_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

}  // namespace chatnode::node
