// FED_HELLO, the first frame each side of a federation link sends after the WebSocket
// handshake: {"type":"FED_HELLO","origin":"beta.example","version":1}. The frame is
// protocol::fed::hello (protocol/federation.hpp); this is the link's verdict on it. Sans-I/O.
#pragma once

#include "protocol/federation.hpp"

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace chatnode::federation {

inline constexpr int protocol_version = protocol::fed::protocol_version;
// A hello is tiny; anything longer before authentication is refused unread.
inline constexpr std::size_t max_hello_bytes = protocol::fed::max_hello_bytes;

using hello = protocol::fed::hello;  // origin: case-folded domain

std::string encode_hello(std::string_view origin);
// errc::bad_hello for anything but a FED_HELLO with a valid domain and an integer version;
// errc::unsupported_version for a version other than protocol_version.
boost::system::error_code parse_hello(std::string_view frame, hello& out) noexcept;

}  // namespace chatnode::federation
