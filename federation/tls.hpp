// TLS for federation links: the server and client contexts (mutual TLS, trust anchors from
// federation.ca only) and the identity check every link runs on its peer's certificate.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace chatnode::federation {

struct tls_files {
  std::filesystem::path cert;  // PEM chain this node presents (its DNS SAN = our domain)
  std::filesystem::path key;
  std::filesystem::path ca;    // PEM trust anchors for peer certificates (nothing else)
};

// TLS 1.2 minimum; verify_peer + fail_if_no_peer_cert; only `files.ca` is trusted.
// Throw std::runtime_error naming the file at fault.
boost::asio::ssl::context make_server_context(const tls_files& files);
// TLS 1.2 minimum; presents the node certificate; verifies the server against `files.ca`.
boost::asio::ssl::context make_client_context(const tls_files& files);

// Does `cert` speak for `domain`: a DNS SAN equal to it (ASCII case-insensitive, no
// wildcards; the CN is ignored) and, when `pin` is set, an SPKI pin equal to it. Chain
// verification is the TLS handshake's job; the checks themselves are certs/identity.hpp,
// this gives their outcome as the link's reason (errors.hpp).
boost::system::error_code verify_identity(X509* cert, std::string_view domain,
                                          const std::optional<std::string>& pin);
// The same on a connection after its handshake: also refuses a missing certificate or a
// chain that did not verify.
boost::system::error_code verify_peer_identity(SSL* ssl, std::string_view domain,
                                               const std::optional<std::string>& pin);

// Start-up check: the certificate in `cert_file` must name `domain` as a DNS SAN; throws
// std::runtime_error with a message that says what to do.
void check_own_certificate(const std::filesystem::path& cert_file, std::string_view domain);

}  // namespace chatnode::federation
