// FED_HELLO, the first frame each side of a federation link sends after the WebSocket
// handshake: {"type":"FED_HELLO","origin":"beta.example","version":1}. Sans-I/O.
#pragma once

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace chatnode::federation {

inline constexpr int protocol_version = 1;
// A hello is tiny; anything longer before authentication is refused unread.
inline constexpr std::size_t max_hello_bytes = 4096;

struct hello {
  std::string origin;  // case-folded domain
  int version = 0;
};

std::string encode_hello(std::string_view origin);
// errc::bad_hello for anything but a FED_HELLO with a valid domain and an integer version;
// errc::unsupported_version for a version other than protocol_version.
boost::system::error_code parse_hello(std::string_view frame, hello& out) noexcept;

}  // namespace chatnode::federation
