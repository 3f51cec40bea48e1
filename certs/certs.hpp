// X.509 with OpenSSL: a CA, node certificates for a domain, fingerprints. Used by
// `chatnode init` and `chatnode certs …`; the checks on a peer's certificate are identity.hpp.
// Keys are ECDSA P-256; files are PEM; private keys are written with mode 0600.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace chatnode::certs {

// X.509 allows at most 64 characters in a common name (ub-common-name, RFC 5280); a longer
// name is cut to 61 characters and "..." (whole UTF-8 characters). Names are identified by
// the subjectAltName, which has no such limit; the CN is only a label for people.
constexpr std::size_t max_common_name_chars = 64;
std::string fit_common_name(const std::string& name);

// Makes a self-signed CA (basicConstraints CA:TRUE, keyCertSign) valid for `days`, with
// fit_common_name(common_name) as its CN.
// Throws std::runtime_error with a readable message on failure.
void make_ca(const std::filesystem::path& cert_out, const std::filesystem::path& key_out,
             const std::string& common_name, int days = 3650);

// What issue_node_cert does when `key_out` already holds a key.
enum class node_key {
  fresh,  // a new key replaces it
  keep,   // the certificate is issued for that key (its SPKI pin stays); a new one only if none
};

// Issues a certificate for `domain` signed by the CA: SAN DNS:domain (plus any `extra_dns`),
// CN = fit_common_name(domain), extendedKeyUsage serverAuth + clientAuth (the same cert
// serves clients and federation), valid for `days`.
void issue_node_cert(const std::filesystem::path& ca_cert, const std::filesystem::path& ca_key,
                     const std::string& domain, const std::filesystem::path& cert_out,
                     const std::filesystem::path& key_out, int days = 825,
                     const std::vector<std::string>& extra_dns = {}, node_key key = node_key::fresh);

// DNS SubjectAltNames of the first certificate in a PEM file.
std::vector<std::string> cert_dns_names(const std::filesystem::path& cert);

// SPKI pin: base64(SHA-256(DER SubjectPublicKeyInfo)) of the first certificate in a PEM file
// (the HPKP / `openssl … | openssl dgst -sha256 -binary | base64` form).
std::string spki_sha256_pin(const std::filesystem::path& cert);

}  // namespace chatnode::certs
