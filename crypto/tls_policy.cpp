// TLS policy (see tls_policy.hpp).
#include "tls_policy.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace chatnode::crypto {

void apply_tls_policy(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) throw std::runtime_error("TLS: cannot set the TLS 1.2 cipher list");
}

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

void load_tls_identity(SSL_CTX* ctx, const std::filesystem::path& cert, const std::filesystem::path& key,
                       std::string_view cert_key, std::string_view key_key) {
  apply_tls_policy(ctx);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
    throw std::runtime_error(std::string(cert_key) + ": cannot load " + cert.string() + ": " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error(std::string(key_key) + ": cannot load " + key.string() + ": " + openssl_error());
  if (SSL_CTX_check_private_key(ctx) != 1)
    throw std::runtime_error(std::string(key_key) + " " + key.string() + " does not match " + std::string(cert_key) + " " +
                             cert.string());
}

}  // namespace chatnode::crypto
