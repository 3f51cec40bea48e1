// TLS context builder (see tls_context.hpp).
#include "tls_context.hpp"

#include "tls_policy.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace chatnode::crypto {
namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

ssl::context make_tls_context(tls_role role, const tls_identity& id) {
  ssl::context ctx(role == tls_role::server ? ssl::context::tls_server : ssl::context::tls_client);
  SSL_CTX* native = ctx.native_handle();
  apply_tls_policy(native);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, id.cert.c_str()) != 1)
    throw std::runtime_error(std::string(id.cert_key) + ": cannot load " + id.cert.string() + ": " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(native, id.key.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error(std::string(id.key_key) + ": cannot load " + id.key.string() + ": " + openssl_error());
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::runtime_error(std::string(id.key_key) + " " + id.key.string() + " does not match " +
                             std::string(id.cert_key) + " " + id.cert.string());
  return ctx;
}

}  // namespace chatnode::crypto
