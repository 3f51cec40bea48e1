// The TLS context builder with certificates made at test time: the policy (TLS 1.2 floor,
// no ceiling, only ECDHE + AEAD suites for TLS 1.2), the identity it presents, and errors
// that name the config key and the file.
#include "crypto/tls_context.hpp"

#include "certs/certs.hpp"

#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

namespace chatnode::crypto {
namespace {

namespace fs = std::filesystem;

class TlsContext : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("chatnode-tls-context-" + std::to_string(std::random_device{}())));
    fs::create_directories(*dir_);
    certs::make_ca(*dir_ / "ca.crt", *dir_ / "ca.key", "test CA");
    certs::issue_node_cert(*dir_ / "ca.crt", *dir_ / "ca.key", "alpha.example", *dir_ / "alpha.crt", *dir_ / "alpha.key");
    certs::issue_node_cert(*dir_ / "ca.crt", *dir_ / "ca.key", "beta.example", *dir_ / "beta.crt", *dir_ / "beta.key");
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
  }

  static tls_identity alpha() { return {*dir_ / "alpha.crt", *dir_ / "alpha.key", "test.cert", "test.key"}; }

  // The message make_tls_context throws with, or "" when it does not throw.
  static std::string refusal(const tls_identity& id) {
    try {
      make_tls_context(tls_role::server, id);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return {};
  }

  static inline fs::path* dir_ = nullptr;
};

TEST_F(TlsContext, BothRolesFollowThePolicyAndPresentTheCertificate) {
  for (auto role : {tls_role::server, tls_role::client}) {
    auto ctx = make_tls_context(role, alpha());
    SSL_CTX* native = ctx.native_handle();
    EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
    EXPECT_EQ(SSL_CTX_get_max_proto_version(native), 0);  // left open: TLS 1.3 and later
    const auto options = SSL_CTX_get_options(native);
    EXPECT_TRUE(options & SSL_OP_NO_COMPRESSION);
    EXPECT_TRUE(options & SSL_OP_NO_RENEGOTIATION);
    EXPECT_NE(SSL_CTX_get0_certificate(native), nullptr);
    EXPECT_EQ(SSL_CTX_check_private_key(native), 1);
    // Peer verification is the caller's (federation adds it; the client port has none).
    EXPECT_EQ(SSL_CTX_get_verify_mode(native), SSL_VERIFY_NONE);
    std::unique_ptr<SSL, void (*)(SSL*)> ssl(SSL_new(native), &SSL_free);
    ASSERT_TRUE(ssl);
    EXPECT_EQ(SSL_is_server(ssl.get()) == 1, role == tls_role::server);
  }
}

TEST_F(TlsContext, Tls12OffersOnlyEcdheWithAeadCiphers) {
  auto ctx = make_tls_context(tls_role::server, alpha());
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx.native_handle());
  ASSERT_NE(ciphers, nullptr);
  int tls12 = 0;
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    const std::string name = SSL_CIPHER_get_name(c);
    EXPECT_EQ(SSL_CIPHER_is_aead(c), 1) << name;
    if (std::string(SSL_CIPHER_get_version(c)) == "TLSv1.3") continue;  // all AEAD, no kx choice
    ++tls12;
    EXPECT_EQ(SSL_CIPHER_get_kx_nid(c), NID_kx_ecdhe) << name;
  }
  EXPECT_GT(tls12, 0);
}

TEST_F(TlsContext, AMissingCertificateIsNamedByItsConfigKey) {
  auto id = alpha();
  id.cert = *dir_ / "absent.crt";
  const std::string why = refusal(id);
  EXPECT_EQ(why.rfind("test.cert: cannot load " + id.cert.string(), 0), 0u) << why;
}

TEST_F(TlsContext, AMissingKeyIsNamedByItsConfigKey) {
  auto id = alpha();
  id.key = *dir_ / "absent.key";
  const std::string why = refusal(id);
  EXPECT_EQ(why.rfind("test.key: cannot load " + id.key.string(), 0), 0u) << why;
}

TEST_F(TlsContext, AKeyOfAnotherCertificateIsRefused) {
  auto id = alpha();
  id.key = *dir_ / "beta.key";
  const std::string why = refusal(id);
  // OpenSSL 3 already notices while loading the key ("key values mismatch"); the explicit
  // check after it ("does not match test.cert …") covers what loading does not.
  EXPECT_EQ(why.rfind("test.key", 0), 0u) << why;
  EXPECT_TRUE(why.find("mismatch") != std::string::npos || why.find("does not match test.cert") != std::string::npos)
      << why;
}

}  // namespace
}  // namespace chatnode::crypto
