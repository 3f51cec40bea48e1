// The one builder for chatnode's TLS contexts (client port, federation server and client),
// run at start-up and on reload, from files: the policy (tls_policy.hpp), then this node's
// certificate chain and key. Each caller adds only what its role needs on top.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <string_view>

namespace chatnode::crypto {

enum class tls_role { server, client };

// The PEM files a context presents, and the config keys that name them in errors
// (e.g. "client.cert", "client.key").
struct tls_identity {
  std::filesystem::path cert;
  std::filesystem::path key;
  std::string_view cert_key;
  std::string_view key_key;
};

// Throws std::runtime_error naming the config key and the file when OpenSSL refuses the
// policy or a file, or when the key does not belong to the certificate.
boost::asio::ssl::context make_tls_context(tls_role role, const tls_identity& identity);

}  // namespace chatnode::crypto
