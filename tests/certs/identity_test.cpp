// The identity checks on a certificate in memory: its DNS names, its SPKI pin, and which
// domain those speak for. Certificates made at test time by certs.hpp (and one by hand).
#include "certs/identity.hpp"

#include "certs/certs.hpp"
#include "crypto/random.hpp"

#include "tests/certs/test_certificates.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace chatnode::certs {
namespace {

namespace fs = std::filesystem;

using certs::test::load;
using certs::test::make_cert_without_san;
using certs::test::x509_ptr;

class Identity : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chatnode-identity-" + crypto::random_id(8));
    fs::create_directories(dir_);
    make_ca(dir_ / "ca.crt", dir_ / "ca.key", "test federation CA");
    issue_node_cert(dir_ / "ca.crt", dir_ / "ca.key", "beta.example", dir_ / "beta.crt", dir_ / "beta.key", 30,
                    {"chat.beta.example", "*.example"});
    issue_node_cert(dir_ / "ca.crt", dir_ / "ca.key", "gamma.example", dir_ / "gamma.crt", dir_ / "gamma.key");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST_F(Identity, DnsNamesAreTheSubjectAltNamesAsWritten) {
  const auto cert = load(dir_ / "beta.crt");
  EXPECT_EQ(dns_names(cert.get()), (std::vector<std::string>{"beta.example", "chat.beta.example", "*.example"}));
  EXPECT_EQ(dns_names(cert.get()), cert_dns_names(dir_ / "beta.crt"));
  EXPECT_TRUE(dns_names(load(dir_ / "ca.crt").get()).empty());
}

TEST_F(Identity, SpkiPinIsThePinOfTheFile) {
  const auto beta = load(dir_ / "beta.crt");
  EXPECT_EQ(spki_pin(beta.get()), spki_sha256_pin(dir_ / "beta.crt"));
  EXPECT_NE(spki_pin(beta.get()), spki_pin(load(dir_ / "gamma.crt").get()));
}

TEST_F(Identity, NamesDomainExactlyAndCaseInsensitively) {
  EXPECT_TRUE(names_domain("beta.example", "beta.example"));
  EXPECT_TRUE(names_domain("Beta.EXAMPLE", "beta.example"));
  EXPECT_TRUE(names_domain("beta.example", "BETA.Example"));
  EXPECT_FALSE(names_domain("beta.example", "example"));
  EXPECT_FALSE(names_domain("beta.example", "beta.example.evil"));
  EXPECT_FALSE(names_domain("beta.example", "alpha.example"));
  EXPECT_FALSE(names_domain("", "beta.example"));
  // A wildcard never speaks for a federation domain, not even for itself.
  EXPECT_FALSE(names_domain("*.example", "beta.example"));
  EXPECT_FALSE(names_domain("*.example", "*.example"));

  const auto beta = load(dir_ / "beta.crt");
  EXPECT_TRUE(names_domain(beta.get(), "beta.example"));
  EXPECT_TRUE(names_domain(beta.get(), "CHAT.beta.example"));
  EXPECT_FALSE(names_domain(beta.get(), "gamma.example")) << "only through the wildcard SAN";
}

TEST_F(Identity, CertificateWithoutSanNamesNothingEvenIfCnMatches) {
  make_cert_without_san(dir_ / "nosan.crt", "beta.example");
  const auto cert = load(dir_ / "nosan.crt");
  ASSERT_TRUE(cert);
  EXPECT_TRUE(dns_names(cert.get()).empty());
  EXPECT_FALSE(names_domain(cert.get(), "beta.example"));
}

TEST_F(Identity, PinMatchesOnlyItsOwnKey) {
  const auto beta = load(dir_ / "beta.crt");
  const std::string pin = spki_sha256_pin(dir_ / "beta.crt");
  EXPECT_TRUE(pin_matches(beta.get(), pin));
  EXPECT_FALSE(pin_matches(beta.get(), spki_sha256_pin(dir_ / "gamma.crt")));
  EXPECT_FALSE(pin_matches(beta.get(), pin.substr(0, pin.size() - 1)));
  EXPECT_FALSE(pin_matches(beta.get(), ""));
  // Re-issued with a fresh key for the same domain: the pin no longer matches.
  issue_node_cert(dir_ / "ca.crt", dir_ / "ca.key", "beta.example", dir_ / "beta.crt", dir_ / "beta.key");
  EXPECT_FALSE(pin_matches(load(dir_ / "beta.crt").get(), pin));
}

}  // namespace
}  // namespace chatnode::certs
