// Federation TLS contexts and the peer identity check.
#include "federation/tls.hpp"

#include "federation/errors.hpp"

#include "crypto/certs.hpp"
#include "crypto/encoding.hpp"
#include "crypto/tls_context.hpp"

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <span>
#include <stdexcept>

namespace chatnode::federation {
namespace ssl = boost::asio::ssl;

namespace {

// Fixed id so session resumption works with client verification (OpenSSL requires one).
constexpr unsigned char session_id_context[] = "chatnode-federation";
constexpr int max_chain_depth = 4;

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// The common context (crypto/tls_context.hpp) with federation.cert/key, verifying peers
// against federation.ca alone.
ssl::context make_context(crypto::tls_role role, const tls_files& files) {
  auto ctx = crypto::make_tls_context(role, {files.cert, files.key, "federation.cert", "federation.key"});
  boost::system::error_code ec;
  // Only the federation CA: never the system store, so a public CA cannot vouch for a peer.
  ctx.load_verify_file(files.ca.string(), ec);
  if (ec) throw std::runtime_error("federation.ca: cannot load " + files.ca.string() + ": " + ec.message());
  SSL_CTX_set_verify_depth(ctx.native_handle(), max_chain_depth);
  return ctx;
}

}  // namespace

ssl::context make_server_context(const tls_files& files) {
  auto ctx = make_context(crypto::tls_role::server, files);
  ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  SSL_CTX_set_session_id_context(ctx.native_handle(), session_id_context, sizeof session_id_context - 1);
  // Tell clients which CA we accept, so one with several certificates picks the right one.
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str()))
    SSL_CTX_set_client_CA_list(ctx.native_handle(), names);
  return ctx;
}

ssl::context make_client_context(const tls_files& files) {
  auto ctx = make_context(crypto::tls_role::client, files);
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

std::vector<std::string> dns_names(X509* cert) {
  std::vector<std::string> out;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!sans) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    if (name->type != GEN_DNS) continue;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                     static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
  }
  GENERAL_NAMES_free(sans);
  return out;
}

std::string spki_pin(X509* cert) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (length <= 0) return {};
  const auto free_der = [](unsigned char* p) { OPENSSL_free(p); };
  const std::unique_ptr<unsigned char, decltype(free_der)> owned(der, free_der);
  return crypto::base64_encode(crypto::sha256_digest(std::span(der, static_cast<std::size_t>(length))));
}

boost::system::error_code verify_identity(X509* cert, std::string_view domain,
                                          const std::optional<std::string>& pin) {
  if (!cert) return errc::no_peer_certificate;
  const auto names = dns_names(cert);
  // Exact match only: a wildcard SAN never speaks for a federation domain.
  const bool named = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
    return n.find('*') == std::string::npos && iequal(n, domain);
  });
  if (!named) return errc::name_mismatch;
  if (pin) {
    const std::string actual = spki_pin(cert);
    if (actual.empty() || actual.size() != pin->size() ||
        CRYPTO_memcmp(actual.data(), pin->data(), actual.size()) != 0)
      return errc::pin_mismatch;
  }
  return {};
}

boost::system::error_code verify_peer_identity(SSL* ssl, std::string_view domain,
                                               const std::optional<std::string>& pin) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return errc::no_peer_certificate;
  if (SSL_get_verify_result(ssl) != X509_V_OK) return errc::chain_not_verified;
  return verify_identity(cert, domain, pin);
}

void check_own_certificate(const std::filesystem::path& cert_file, std::string_view domain) {
  const auto names = crypto::cert_dns_names(cert_file);
  for (const auto& n : names)
    if (n.find('*') == std::string::npos && iequal(n, domain)) return;
  std::string listed;
  for (const auto& n : names) listed += (listed.empty() ? "" : ", ") + n;
  throw std::runtime_error("federation.cert " + cert_file.string() + " does not name this node's domain \"" +
                           std::string(domain) + "\" as a DNS subjectAltName (it names: " +
                           (listed.empty() ? std::string("none") : listed) +
                           "); issue one with `chatnode certs issue --ca CA_DIR --domain " + std::string(domain) +
                           " --out DIR`");
}

}  // namespace chatnode::federation
