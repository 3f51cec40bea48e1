// Why a federation link was refused or failed: one error category for the module, with a
// readable message and a short label (the `reason` of the refusal metrics).
#pragma once

#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace chatnode::federation {

enum class errc {
  no_peer_certificate = 1,  // the peer presented no certificate
  chain_not_verified,       // the certificate does not chain to federation.ca
  name_mismatch,            // no DNS SAN of the certificate equals the claimed domain
  pin_mismatch,             // the certificate's key is not the pinned one
  not_allowed,              // federation.allow is set and does not list the domain
  denied,                   // federation.deny lists the domain
  own_domain,               // the peer claims to be us
  bad_hello,                // the first frame is not a FED_HELLO
  unsupported_version,      // FED_HELLO of a protocol version we do not speak
  wrong_origin,             // the dialled peer answered for another domain
  not_federation_request,   // not a WebSocket upgrade on /federation
  no_address,               // no federation.peers entry to dial
  too_many_handshakes,      // inbound handshakes above the bound
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

// Short, stable label for metrics: "name_mismatch", "pin_mismatch", … ("tls" for errors of
// other categories, which are TLS/transport failures).
std::string_view reason_label(const boost::system::error_code& ec) noexcept;

}  // namespace chatnode::federation

template <>
struct boost::system::is_error_code_enum<chatnode::federation::errc> : std::true_type {};
