// FED_HELLO: protocol::fed decodes and encodes it; the link refuses anything else.
#include "federation/hello.hpp"

#include "federation/errors.hpp"

#include <utility>
#include <variant>

namespace chatnode::federation {

std::string encode_hello(std::string_view origin) {
  return protocol::fed::encode(hello{std::string(origin), protocol_version});
}

boost::system::error_code parse_hello(std::string_view frame, hello& out) noexcept {
  auto decoded = protocol::fed::decode_frame(frame, {max_hello_bytes, protocol::fed::frame_limits{}.max_depth});
  auto* f = std::get_if<protocol::fed::frame>(&decoded);
  auto* h = f != nullptr ? std::get_if<hello>(f) : nullptr;
  if (h == nullptr) return errc::bad_hello;
  if (h->version != protocol_version) return errc::unsupported_version;
  out = std::move(*h);
  return {};
}

}  // namespace chatnode::federation
