// TLS policy (see tls_policy.hpp).
#include "tls_policy.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

namespace chatnode::crypto {

void apply_tls_policy(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) throw std::runtime_error("TLS: cannot set the TLS 1.2 cipher list");
}

}  // namespace chatnode::crypto
