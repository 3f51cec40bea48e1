// Federation domain policy and redial backoff.
#include "federation/options.hpp"

#include "federation/errors.hpp"

#include <algorithm>

namespace chatnode::federation {

boost::system::error_code options::check_allowed(const std::string& d) const {
  if (std::find(deny.begin(), deny.end(), d) != deny.end()) return errc::denied;
  if (!allow.empty() && std::find(allow.begin(), allow.end(), d) == allow.end()) return errc::not_allowed;
  if (d == domain) return errc::own_domain;
  return {};
}

std::optional<std::string> options::pin_for(const std::string& d) const {
  auto it = pins.find(d);
  if (it == pins.end()) return std::nullopt;
  return it->second;
}

std::chrono::milliseconds backoff_delay(const options& opts, unsigned attempt, double unit) noexcept {
  using ms = std::chrono::milliseconds;
  ms delay = opts.backoff_initial;
  for (unsigned i = 1; i < attempt && delay < opts.backoff_max; ++i) delay *= 2;
  delay = std::min(delay, opts.backoff_max);
  unit = std::clamp(unit, 0.0, 1.0);
  return ms(delay.count() / 2 + static_cast<ms::rep>(static_cast<double>(delay.count() - delay.count() / 2) * unit));
}

}  // namespace chatnode::federation
