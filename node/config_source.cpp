#include "config_source.hpp"

#include <stdexcept>

namespace chatnode::node {

config_source::config_source(config initial) {
  snapshots_.push_back(std::make_unique<const config>(std::move(initial)));
  current_.store(snapshots_.back().get(), std::memory_order_release);
}

config_source::config_source(const config& fixed, view_tag) { current_.store(&fixed, std::memory_order_release); }

std::unique_ptr<config_source> config_source::view(const config& fixed) {
  return std::unique_ptr<config_source>(new config_source(fixed, view_tag{}));
}

namespace {

bool same(const listen_address& a, const listen_address& b) { return a.host == b.host && a.port == b.port; }

// Keeps `field` of `old` in `next`, noting `name` when `next` wanted another value.
template <class T, class Equal>
void keep(T& next_field, const T& old_field, const char* name, std::vector<std::string>& changed, Equal equal) {
  if (!equal(next_field, old_field)) changed.emplace_back(name);
  next_field = old_field;
}
template <class T>
void keep(T& next_field, const T& old_field, const char* name, std::vector<std::string>& changed) {
  keep(next_field, old_field, name, changed, [](const T& a, const T& b) { return a == b; });
}

}  // namespace

std::vector<std::string> config_source::publish(config next) {
  std::lock_guard lock(mutex_);
  if (snapshots_.empty()) throw std::logic_error("config_source::publish on a view");
  const config& old = get();
  std::vector<std::string> changed;
  keep(next.domain, old.domain, "domain", changed);
  keep(next.data_dir, old.data_dir, "data_dir", changed);
  keep(next.client.listen, old.client.listen, "client.listen", changed, same);
  keep(next.federation.listen, old.federation.listen, "federation.listen", changed, same);
  if (next.federation.enabled() != old.federation.enabled()) changed.emplace_back("federation.ca (on/off)");
  if (!old.federation.enabled()) next.federation.ca = old.federation.ca;
  if (old.federation.enabled() && !next.federation.enabled()) next.federation = old.federation;
  keep(next.federation.dial_on_start, old.federation.dial_on_start, "federation.dial_on_start", changed);
  keep(next.threads, old.threads, "threads", changed);
  keep(next.kdf_threads, old.kdf_threads, "kdf_threads", changed);
  keep(next.kdf, old.kdf, "kdf", changed, [](const crypto::scrypt_params& a, const crypto::scrypt_params& b) {
    return a.n == b.n && a.r == b.r && a.p == b.p;
  });
  keep(next.store_map_size_mb, old.store_map_size_mb, "store.map_size_mb", changed);
  keep(next.store_max_map_size_mb, old.store_max_map_size_mb, "store.max_map_size_mb", changed);
  keep(next.web.enabled, old.web.enabled, "web.enabled", changed);
  keep(next.web.root, old.web.root, "web.root", changed);
  next.web.root_is_default = old.web.root_is_default;
  keep(next.metrics.listen, old.metrics.listen, "metrics.listen", changed, same);
  keep(next.admin_socket, old.admin_socket, "admin.socket", changed);
  snapshots_.push_back(std::make_unique<const config>(std::move(next)));
  current_.store(snapshots_.back().get(), std::memory_order_release);
  return changed;
}

}  // namespace chatnode::node
