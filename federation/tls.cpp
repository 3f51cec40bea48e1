// Federation TLS contexts and the peer identity check.
#include "federation/tls.hpp"

#include "federation/errors.hpp"

#include "certs/certs.hpp"
#include "certs/identity.hpp"
#include "crypto/tls_context.hpp"

#include <stdexcept>

namespace chatnode::federation {
namespace ssl = boost::asio::ssl;

namespace {

// Fixed id so session resumption works with client verification (OpenSSL requires one).
constexpr unsigned char session_id_context[] = "chatnode-federation";
constexpr int max_chain_depth = 4;

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

boost::system::error_code verify_identity(X509* cert, std::string_view domain,
                                          const std::optional<std::string>& pin) {
  if (!cert) return errc::no_peer_certificate;
  if (!certs::names_domain(cert, domain)) return errc::name_mismatch;
  if (pin && !certs::pin_matches(cert, *pin)) return errc::pin_mismatch;
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
  const auto names = certs::cert_dns_names(cert_file);
  for (const auto& n : names)
    if (certs::names_domain(n, domain)) return;
  std::string listed;
  for (const auto& n : names) listed += (listed.empty() ? "" : ", ") + n;
  throw std::runtime_error("federation.cert " + cert_file.string() + " does not name this node's domain \"" +
                           std::string(domain) + "\" as a DNS subjectAltName (it names: " +
                           (listed.empty() ? std::string("none") : listed) +
                           "); issue one with `chatnode certs issue --ca CA_DIR --domain " + std::string(domain) +
                           " --out DIR`");
}

}  // namespace chatnode::federation
