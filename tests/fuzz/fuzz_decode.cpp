// libFuzzer target for protocol::decode: any input either fails with one of the decode
// error codes or decodes to a message that survives encode → decode unchanged.
#include "protocol/codec.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace chatnode::protocol;

bool is_decode_error_code(code c) {
  return c == code::malformed_json || c == code::unknown_type || c == code::invalid_field ||
         c == code::too_large;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = decode(text);
  if (const auto* error = std::get_if<decode_error>(&result)) {
    if (!is_decode_error_code(error->error) || error->message.empty()) __builtin_trap();
    return 0;
  }
  const auto& message = std::get<envelope>(result);
  const std::string wire = encode(message);
  // Escaping can make the strict form longer than the lenient input.
  decode_limits limits;
  limits.max_message_bytes = wire.size();
  const auto again = decode(wire, limits);
  const auto* decoded = std::get_if<envelope>(&again);
  if (decoded == nullptr || !(*decoded == message)) __builtin_trap();
  if (encode(*decoded) != wire) __builtin_trap();
  return 0;
}
