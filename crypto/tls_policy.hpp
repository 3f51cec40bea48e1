// The TLS policy every chatnode TLS context follows (client port and federation links):
// TLS 1.2 or 1.3; with 1.2 only ECDHE key exchange with AEAD ciphers (no CBC, no RSA key
// transport); no renegotiation, no compression; the server's cipher order.
#pragma once

typedef struct ssl_ctx_st SSL_CTX;

namespace chatnode::crypto {

// The OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are all AEAD).
inline constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Applies the policy; throws std::runtime_error if OpenSSL refuses it. Contexts are built
// with make_tls_context (tls_context.hpp), which starts with this.
void apply_tls_policy(SSL_CTX* ctx);

}  // namespace chatnode::crypto
