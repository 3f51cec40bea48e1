// libFuzzer target for federation::parse_hello, the first frame a federation peer sends
// (before anything else it says is read). Property: it either refuses with bad_hello /
// unsupported_version, or yields a folded, valid domain that encode_hello → parse_hello
// gives back unchanged.
#include "federation/errors.hpp"
#include "federation/hello.hpp"

#include "protocol/ids.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace federation = chatnode::federation;
namespace protocol = chatnode::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  federation::hello h;
  const auto ec = federation::parse_hello(frame, h);
  if (ec) {
    if (ec != federation::errc::bad_hello && ec != federation::errc::unsupported_version) __builtin_trap();
    return 0;
  }
  if (h.version != federation::protocol_version || frame.size() > federation::max_hello_bytes) __builtin_trap();
  if (h.origin != protocol::fold_case(h.origin) || !protocol::is_valid_domain(h.origin)) __builtin_trap();
  federation::hello again;
  if (federation::parse_hello(federation::encode_hello(h.origin), again) || again.origin != h.origin ||
      again.version != h.version)
    __builtin_trap();
  return 0;
}
