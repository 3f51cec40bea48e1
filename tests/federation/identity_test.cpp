// Peer identity checks against certificates made at test time: the DNS SAN must equal the
// claimed domain, a configured pin must match, and only federation.ca is trusted. The
// certificate inspection itself (names, pins) is tested in tests/certs/identity_test.cpp.
#include "federation/errors.hpp"
#include "federation/tls.hpp"

#include "certs/certs.hpp"

#include "tests/certs/test_certificates.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>

namespace chatnode::federation {
namespace {

namespace fs = std::filesystem;

using certs::test::load;
using certs::test::make_cert_without_san;
using certs::test::x509_ptr;

class identity_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chatnode-fed-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    certs::make_ca(dir_ / "ca.crt", dir_ / "ca.key", "test federation CA");
    certs::make_ca(dir_ / "other-ca.crt", dir_ / "other-ca.key", "another CA");
    certs::issue_node_cert(dir_ / "ca.crt", dir_ / "ca.key", "beta.example", dir_ / "beta.crt", dir_ / "beta.key");
    certs::issue_node_cert(dir_ / "ca.crt", dir_ / "ca.key", "gamma.example", dir_ / "gamma.crt", dir_ / "gamma.key");
    certs::issue_node_cert(dir_ / "other-ca.crt", dir_ / "other-ca.key", "beta.example", dir_ / "rogue.crt",
                           dir_ / "rogue.key");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST_F(identity_test, certificate_naming_the_domain_is_accepted) {
  auto cert = load(dir_ / "beta.crt");
  EXPECT_FALSE(verify_identity(cert.get(), "beta.example", std::nullopt));
  EXPECT_FALSE(verify_identity(cert.get(), "BETA.Example", std::nullopt)) << "DNS names compare case-insensitively";
}

TEST_F(identity_test, certificate_for_another_domain_is_refused) {
  auto cert = load(dir_ / "gamma.crt");
  EXPECT_EQ(verify_identity(cert.get(), "beta.example", std::nullopt), errc::name_mismatch);
  EXPECT_EQ(verify_identity(cert.get(), "example", std::nullopt), errc::name_mismatch);
  EXPECT_EQ(verify_identity(cert.get(), "gamma.example.evil", std::nullopt), errc::name_mismatch);
}

TEST_F(identity_test, wildcard_san_does_not_speak_for_a_domain) {
  certs::issue_node_cert(dir_ / "ca.crt", dir_ / "ca.key", "wild.example", dir_ / "wild.crt", dir_ / "wild.key", 30,
                         {"*.example"});
  auto cert = load(dir_ / "wild.crt");
  EXPECT_EQ(verify_identity(cert.get(), "beta.example", std::nullopt), errc::name_mismatch);
}

TEST_F(identity_test, matching_pin_is_accepted_and_other_pin_refused) {
  auto cert = load(dir_ / "beta.crt");
  const std::string pin = certs::spki_sha256_pin(dir_ / "beta.crt");
  EXPECT_FALSE(verify_identity(cert.get(), "beta.example", pin));
  const std::string other = certs::spki_sha256_pin(dir_ / "gamma.crt");
  EXPECT_EQ(verify_identity(cert.get(), "beta.example", other), errc::pin_mismatch);
  // A certificate re-issued for the same domain has a new key: the pin catches it.
  auto rogue = load(dir_ / "rogue.crt");
  EXPECT_EQ(verify_identity(rogue.get(), "beta.example", pin), errc::pin_mismatch);
}

TEST_F(identity_test, certificate_without_san_is_refused_even_if_cn_matches) {
  make_cert_without_san(dir_ / "nosan.crt", "beta.example");
  auto cert = load(dir_ / "nosan.crt");
  ASSERT_TRUE(cert);
  EXPECT_EQ(verify_identity(cert.get(), "beta.example", std::nullopt), errc::name_mismatch);
}

TEST_F(identity_test, missing_certificate_is_refused) {
  EXPECT_EQ(verify_identity(nullptr, "beta.example", std::nullopt), errc::no_peer_certificate);
}

// The contexts trust federation.ca and nothing else: a certificate from another CA (even
// one naming the right domain) does not chain.
TEST_F(identity_test, contexts_trust_only_the_federation_ca) {
  const tls_files files{dir_ / "gamma.crt", dir_ / "gamma.key", dir_ / "ca.crt"};
  for (auto* make : {&make_server_context, &make_client_context}) {
    auto ctx = make(files);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.native_handle());
    auto chains = [&](const fs::path& file) {
      auto cert = load(file);
      std::unique_ptr<X509_STORE_CTX, void (*)(X509_STORE_CTX*)> vctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
      X509_STORE_CTX_init(vctx.get(), store, cert.get(), nullptr);
      return X509_verify_cert(vctx.get()) == 1;
    };
    EXPECT_TRUE(chains(dir_ / "beta.crt"));
    EXPECT_FALSE(chains(dir_ / "rogue.crt"));
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.native_handle()), TLS1_2_VERSION);
  }
  auto server = make_server_context(files);
  EXPECT_EQ(SSL_CTX_get_verify_mode(server.native_handle()), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  auto client = make_client_context(files);
  EXPECT_EQ(SSL_CTX_get_verify_mode(client.native_handle()), SSL_VERIFY_PEER);
}

TEST_F(identity_test, own_certificate_check_at_start_up) {
  EXPECT_NO_THROW(check_own_certificate(dir_ / "beta.crt", "beta.example"));
  try {
    check_own_certificate(dir_ / "gamma.crt", "beta.example");
    FAIL() << "expected a refusal";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not name"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gamma.example"), std::string::npos) << e.what();
  }
}

TEST(federation_errors, labels_and_messages) {
  EXPECT_EQ(reason_label(errc::pin_mismatch), "pin_mismatch");
  EXPECT_EQ(reason_label(boost::system::error_code(boost::asio::error::eof)), "tls");
  EXPECT_FALSE(make_error_code(errc::denied).message().empty());
}

}  // namespace
}  // namespace chatnode::federation
