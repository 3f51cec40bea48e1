// How the node writes a TCP endpoint in logs and status lines: "address:port".
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <string>

namespace chatnode::net {

inline std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// The peer of `socket`; "?" when it has none (closed, or never connected).
inline std::string endpoint_text(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  return endpoint_text(ep);
}

}  // namespace chatnode::net
