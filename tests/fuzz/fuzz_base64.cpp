// libFuzzer target for crypto::base64_decode, the strict decoder behind media chunks
// (MEDIA_MESSAGE_DATA, FED_MEDIA_DATA), stored credentials and federation.pins. Property:
// whatever it accepts is canonical, so encoding the bytes gives back the input exactly.
#include "crypto/encoding.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto bytes = chatnode::crypto::base64_decode(text);
  if (!bytes) return 0;
  if (bytes->size() != text.size() / 4 * 3 - (text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0))
    __builtin_trap();
  if (chatnode::crypto::base64_encode(*bytes) != text) __builtin_trap();
  return 0;
}
