// The federation error category.
#include "federation/errors.hpp"

#include <string>

namespace chatnode::federation {
namespace {

// boost::system::error_category has a protected non-virtual destructor by design; the
// category is a function-local static, never deleted through a base pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "chatnode.federation"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::no_peer_certificate: return "peer presented no certificate";
      case errc::chain_not_verified: return "certificate does not chain to federation.ca";
      case errc::name_mismatch: return "certificate does not name the domain as a DNS subjectAltName";
      case errc::pin_mismatch: return "certificate key does not match federation.pins";
      case errc::not_allowed: return "domain not in federation.allow";
      case errc::denied: return "domain in federation.deny";
      case errc::own_domain: return "peer claims this node's own domain";
      case errc::bad_hello: return "first frame is not a valid FED_HELLO";
      case errc::unsupported_version: return "unsupported federation protocol version";
      case errc::wrong_origin: return "peer answered FED_HELLO for another domain";
      case errc::not_federation_request: return "not a WebSocket request for /federation";
      case errc::no_address: return "no address in federation.peers";
      case errc::too_many_handshakes: return "too many federation handshakes in progress";
    }
    return "federation error " + std::to_string(value);
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

std::string_view reason_label(const boost::system::error_code& ec) noexcept {
  if (ec.category() != category()) return "tls";
  switch (static_cast<errc>(ec.value())) {
    case errc::no_peer_certificate: return "no_certificate";
    case errc::chain_not_verified: return "untrusted_chain";
    case errc::name_mismatch: return "name_mismatch";
    case errc::pin_mismatch: return "pin_mismatch";
    case errc::not_allowed: return "not_allowed";
    case errc::denied: return "denied";
    case errc::own_domain: return "own_domain";
    case errc::bad_hello: return "bad_hello";
    case errc::unsupported_version: return "unsupported_version";
    case errc::wrong_origin: return "wrong_origin";
    case errc::not_federation_request: return "not_federation_request";
    case errc::no_address: return "no_address";
    case errc::too_many_handshakes: return "too_many_handshakes";
  }
  return "other";
}

}  // namespace chatnode::federation
