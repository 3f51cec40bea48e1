// libFuzzer target for the decoders of stored records: a data dir is outside input too (a
// disk error, a restored backup, a record written by another version). The first byte picks
// the decoder, the rest is the record:
//   a  accounts (store/accounts.hpp)        c  stored credential (crypto::stored_params)
//   m  messages (store::decode_message)    g  groups (store::decode_group)
//   d  media (store::decode_media)         f  media fetches (decode_fetch)
// Property: a bad record is refused (nullopt), never an exception or a crash; an accepted one
// re-encodes to a fixed point: encode(decode(encode(decode(x)))) == encode(decode(x)).
#include "store/accounts.hpp"
#include "store/tables.hpp"

#include "crypto/kdf.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace store = chatnode::store;

// decode → encode → decode → encode: the two encodings must match.
template <class Decode, class Encode>
void check_fixed_point(std::string_view stored, Decode decode, Encode encode) {
  const auto first = decode(stored);
  if (!first) return;
  const std::string once = encode(*first);
  const auto second = decode(once);
  if (!second || encode(*second) != once) __builtin_trap();
}

void check_credential(std::string_view stored) {
  const auto params = chatnode::crypto::stored_params(stored);
  if (!params) return;
  // Accepted parameters are usable: verify_password will not throw on them.
  try {
    chatnode::crypto::check_params(*params);
  } catch (const std::exception&) {
    __builtin_trap();
  }
  if (!std::has_single_bit(params->n)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view record(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'a':
      check_fixed_point(record, store::decode_account, store::encode_account);
      if (const auto account = store::decode_account(record)) check_credential(account->credential);
      break;
    case 'c':
      check_credential(record);
      break;
    case 'm':
      check_fixed_point(record, store::decode_message, store::encode_message);
      break;
    case 'g':
      check_fixed_point(record, [](std::string_view s) { return store::decode_group(s); }, store::encode_group);
      break;
    case 'd':
      check_fixed_point(record, store::decode_media, store::encode_media);
      break;
    case 'f':
      check_fixed_point(record, store::decode_fetch, store::encode_fetch);
      break;
    default:
      break;
  }
  return 0;
}
