// libFuzzer target for node::load_config, the node's config file (docs/config.md): the bytes
// are written to a file and loaded the way `chatnode serve --config` does. Property: a bad
// file is refused with a config_error that says why (never another exception, a crash or
// UB); an accepted one holds what validation promises (a valid domain, the required paths,
// usable scrypt parameters, consistent limits, peers that parse as host:port).
#include "node/config.hpp"

#include "scratch_dir.hpp"

#include "crypto/kdf.hpp"
#include "protocol/ids.hpp"

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string_view>

namespace {

namespace node = chatnode::node;

void check_accepted(const node::config& c) {
  if (!chatnode::protocol::is_valid_domain(c.domain) || c.data_dir.empty() || c.client.cert.empty() ||
      c.client.key.empty() || c.federation.cert.empty() || c.federation.key.empty())
    __builtin_trap();
  if (c.limits.max_frame_bytes < c.limits.max_message_bytes) __builtin_trap();
  if (c.store_max_map_size_mb < c.store_map_size_mb) __builtin_trap();
  chatnode::crypto::check_params(c.kdf);  // throws (and so aborts) if it let a bad one through
  for (const auto& [domain, address] : c.federation.peers) {
    if (!chatnode::protocol::is_valid_domain(domain)) __builtin_trap();
    node::parse_listen(address, "peer");  // throws if it let a bad one through
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const chatnode::fuzz::scratch_dir dir;
  static const auto file = dir.path() / "chatnode.json";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) __builtin_trap();
  }
  try {
    check_accepted(node::load_config(file));
  } catch (const node::config_error& e) {
    if (std::string_view(e.what()).empty()) __builtin_trap();
  }
  // Any other exception escapes: libFuzzer reports it as a crash.
  return 0;
}
