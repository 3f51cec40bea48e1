// Certificate identity checks (see identity.hpp), on OpenSSL 3.
#include "certs/identity.hpp"

#include "crypto/encoding.hpp"

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <span>

namespace chatnode::certs {

namespace {

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::vector<std::string> dns_names(const X509* cert) {
  std::vector<std::string> out;
  const auto free_names = [](GENERAL_NAMES* p) { GENERAL_NAMES_free(p); };
  const std::unique_ptr<GENERAL_NAMES, decltype(free_names)> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)), free_names);
  if (!sans) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), i);
    if (name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                     static_cast<std::size_t>(ASN1_STRING_length(dns)));
  }
  return out;
}

std::string spki_pin(const X509* cert) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (length <= 0) return {};
  const auto free_der = [](unsigned char* p) { OPENSSL_free(p); };
  const std::unique_ptr<unsigned char, decltype(free_der)> owned(der, free_der);
  return crypto::base64_encode(crypto::sha256_digest(std::span(der, static_cast<std::size_t>(length))));
}

bool names_domain(std::string_view dns_name, std::string_view domain) {
  return dns_name.find('*') == std::string_view::npos && dns_name.size() == domain.size() &&
         std::equal(dns_name.begin(), dns_name.end(), domain.begin(),
                    [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool names_domain(const X509* cert, std::string_view domain) {
  const auto names = dns_names(cert);
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return names_domain(n, domain); });
}

bool pin_matches(const X509* cert, std::string_view pin) {
  const std::string actual = spki_pin(cert);
  return !actual.empty() && actual.size() == pin.size() && CRYPTO_memcmp(actual.data(), pin.data(), actual.size()) == 0;
}

}  // namespace chatnode::certs
