// Identity checks on a certificate already in memory (a peer's, after the TLS handshake):
// the DNS names it carries, its SPKI pin, and whether those speak for a domain. Chain
// verification is the handshake's job; these are the parts OpenSSL cannot know.
#pragma once

#include <string>
#include <string_view>
#include <vector>

typedef struct x509_st X509;

namespace chatnode::certs {

// DNS SubjectAltNames of `cert`, as written in it (none without a subjectAltName).
std::vector<std::string> dns_names(const X509* cert);

// base64(SHA-256(DER SubjectPublicKeyInfo)) of `cert`, as spki_sha256_pin and `chatnode
// certs pin`; empty if the key cannot be encoded.
std::string spki_pin(const X509* cert);

// Does the SAN `dns_name` speak for `domain`: equal to it, ASCII case-insensitive. A
// wildcard never does, and the CN is never asked: a federation domain is named exactly.
bool names_domain(std::string_view dns_name, std::string_view domain);
// The same for any DNS SAN of `cert`.
bool names_domain(const X509* cert, std::string_view domain);

// Is `pin` the SPKI pin of `cert`; compared in constant time.
bool pin_matches(const X509* cert, std::string_view pin);

}  // namespace chatnode::certs
