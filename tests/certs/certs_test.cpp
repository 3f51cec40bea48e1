// CA and node certificates made in a temp dir, checked with OpenSSL directly and with
// the openssl command-line tool.
#include "certs/certs.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>

namespace chatnode::certs {
namespace {

namespace fs = std::filesystem;

struct x509_free_t {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct pkey_free_t {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using x509_ptr = std::unique_ptr<X509, x509_free_t>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free_t>;

x509_ptr load_cert(const fs::path& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  x509_ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

pkey_ptr load_key(const fs::path& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  pkey_ptr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return key;
}

// Verifies `leaf` against `anchor` as OpenSSL's TLS stack would for `purpose`.
bool chain_verifies(const fs::path& anchor, const fs::path& leaf, int purpose) {
  const x509_ptr ca = load_cert(anchor);
  const x509_ptr cert = load_cert(leaf);
  if (!ca || !cert) return false;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  bool ok = store != nullptr && ctx != nullptr && X509_STORE_add_cert(store, ca.get()) == 1 &&
            X509_STORE_CTX_init(ctx, store, cert.get(), nullptr) == 1 &&
            X509_STORE_CTX_set_purpose(ctx, purpose) == 1;
  ok = ok && X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[512];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

unsigned file_mode(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class Certs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chatnode-certs-" + crypto::random_id(8));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(Certs, CaAndNodeCert) {
  // Nested paths: parents must be created.
  const fs::path ca_cert = dir_ / "ca" / "ca.pem";
  const fs::path ca_key = dir_ / "ca" / "private" / "ca.key";
  const fs::path node_cert = dir_ / "node" / "alpha.pem";
  const fs::path node_key = dir_ / "node" / "alpha.key";
  make_ca(ca_cert, ca_key, "chatnode test CA");
  issue_node_cert(ca_cert, ca_key, "alpha.example", node_cert, node_key, 825, {"chat.alpha.example", "alpha.example"});

  EXPECT_EQ(file_mode(ca_key), 0600u);
  EXPECT_EQ(file_mode(node_key), 0600u);
  EXPECT_FALSE(fs::exists(fs::path(node_key) += ".tmp"));

  const x509_ptr ca = load_cert(ca_cert);
  const x509_ptr node = load_cert(node_cert);
  ASSERT_TRUE(ca);
  ASSERT_TRUE(node);

  // CA: self-signed, CA:TRUE (critical), keyCertSign, SHA-256, 16-byte serial.
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_issued(ca.get(), ca.get()), X509_V_OK);
  EXPECT_TRUE(X509_get_extension_flags(ca.get()) & EXFLAG_CA);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_CRL_SIGN);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca.get(), X509_get_ext_by_NID(ca.get(), NID_basic_constraints, -1))), 1);
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_EQ(X509_get_signature_nid(ca.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(ASN1_STRING_length(X509_get0_serialNumber(ca.get())), 16);
  EXPECT_EQ(X509_get_version(ca.get()), X509_VERSION_3);

  // Node: not a CA, signed by the CA, SAN, EKU server + client, AKI = CA's SKI.
  EXPECT_EQ(X509_check_ca(node.get()), 0);
  EXPECT_EQ(X509_check_issued(ca.get(), node.get()), X509_V_OK);
  EXPECT_EQ(X509_get_signature_nid(node.get()), NID_ecdsa_with_SHA256);
  EXPECT_TRUE(X509_get_key_usage(node.get()) & KU_DIGITAL_SIGNATURE);
  const std::uint32_t eku = X509_get_extended_key_usage(node.get());
  EXPECT_TRUE(eku & XKU_SSL_SERVER);
  EXPECT_TRUE(eku & XKU_SSL_CLIENT);
  ASSERT_NE(X509_get0_authority_key_id(node.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(node.get()), X509_get0_subject_key_id(ca.get())), 0);
  EXPECT_EQ(X509_check_host(node.get(), "alpha.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(node.get(), "chat.alpha.example", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(node.get(), "beta.example", 0, 0, nullptr), 1);
  EXPECT_EQ(cert_dns_names(node_cert), (std::vector<std::string>{"alpha.example", "chat.alpha.example"}));
  EXPECT_TRUE(cert_dns_names(ca_cert).empty());

  // Keys match their certificates.
  const pkey_ptr key = load_key(node_key);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(node.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);

  EXPECT_TRUE(chain_verifies(ca_cert, node_cert, X509_PURPOSE_SSL_SERVER));
  EXPECT_TRUE(chain_verifies(ca_cert, node_cert, X509_PURPOSE_SSL_CLIENT));
}

TEST_F(Certs, OtherCaDoesNotVerify) {
  make_ca(dir_ / "ca1.pem", dir_ / "ca1.key", "CA one");
  make_ca(dir_ / "ca2.pem", dir_ / "ca2.key", "CA two");
  issue_node_cert(dir_ / "ca2.pem", dir_ / "ca2.key", "beta.example", dir_ / "beta.pem", dir_ / "beta.key");
  EXPECT_TRUE(chain_verifies(dir_ / "ca2.pem", dir_ / "beta.pem", X509_PURPOSE_SSL_SERVER));
  EXPECT_FALSE(chain_verifies(dir_ / "ca1.pem", dir_ / "beta.pem", X509_PURPOSE_SSL_SERVER));
  EXPECT_FALSE(chain_verifies(dir_ / "ca1.pem", dir_ / "beta.pem", X509_PURPOSE_SSL_CLIENT));

  // Same subject name, different key: still refused.
  make_ca(dir_ / "ca3.pem", dir_ / "ca3.key", "CA two");
  EXPECT_FALSE(chain_verifies(dir_ / "ca3.pem", dir_ / "beta.pem", X509_PURPOSE_SSL_SERVER));
}

TEST_F(Certs, SpkiPinMatchesIndependentComputations) {
  make_ca(dir_ / "ca.pem", dir_ / "ca.key", "pin CA");
  issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", "alpha.example", dir_ / "a.pem", dir_ / "a.key");
  const std::string pin = spki_sha256_pin(dir_ / "a.pem");
  EXPECT_EQ(pin.size(), 44u);

  // Through the EVP_PKEY rather than the certificate's X509_PUBKEY.
  const x509_ptr cert = load_cert(dir_ / "a.pem");
  ASSERT_TRUE(cert);
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(X509_get0_pubkey(cert.get()), &der);
  ASSERT_GT(length, 0);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  ASSERT_EQ(EVP_Digest(der, static_cast<std::size_t>(length), digest, &digest_length, EVP_sha256(), nullptr), 1);
  OPENSSL_free(der);
  unsigned char b64[64] = {};
  EVP_EncodeBlock(b64, digest, static_cast<int>(digest_length));
  EXPECT_EQ(pin, reinterpret_cast<const char*>(b64));

  // And the documented command line.
  const std::string cli = run("openssl x509 -in '" + (dir_ / "a.pem").string() +
                              "' -pubkey -noout | openssl pkey -pubin -outform der | "
                              "openssl dgst -sha256 -binary | base64");
  EXPECT_EQ(pin, cli);

  // Different keys, different pins.
  EXPECT_NE(spki_sha256_pin(dir_ / "ca.pem"), pin);
}

// The subject's CN as text (UTF-8).
std::string common_name(const x509_ptr& cert) {
  X509_NAME* name = X509_get_subject_name(cert.get());
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) return {};
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

// A 200-character domain of several labels (each at most 63): far beyond X.509's 64-character
// CN, well within a DNS name's 253. The CA's CN ("chatnode development CA (DOMAIN)", as
// `chatnode init` makes it) and the node certificate's are shortened; the node certificate
// names the whole domain in its subjectAltName and verifies for it.
TEST_F(Certs, DomainLongerThanACommonName) {
  const std::string domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + ".chat1234";
  ASSERT_EQ(domain.size(), 200u);
  make_ca(dir_ / "ca.pem", dir_ / "ca.key", "chatnode development CA (" + domain + ")");
  issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", domain, dir_ / "node.pem", dir_ / "node.key");

  const x509_ptr ca = load_cert(dir_ / "ca.pem");
  const x509_ptr node = load_cert(dir_ / "node.pem");
  ASSERT_TRUE(ca);
  ASSERT_TRUE(node);
  const std::string ca_cn = common_name(ca), node_cn = common_name(node);
  EXPECT_EQ(ca_cn.size(), 64u) << ca_cn;
  EXPECT_TRUE(ca_cn.starts_with("chatnode development CA (aaaa")) << ca_cn;
  EXPECT_EQ(node_cn.size(), 64u) << node_cn;
  EXPECT_TRUE(node_cn.starts_with(std::string(61, 'a'))) << node_cn;
  EXPECT_EQ(cert_dns_names(dir_ / "node.pem"), std::vector<std::string>{domain});
  EXPECT_EQ(X509_check_host(node.get(), domain.c_str(), domain.size(), 0, nullptr), 1);
  EXPECT_TRUE(chain_verifies(dir_ / "ca.pem", dir_ / "node.pem", X509_PURPOSE_SSL_SERVER));
  EXPECT_TRUE(chain_verifies(dir_ / "ca.pem", dir_ / "node.pem", X509_PURPOSE_SSL_CLIENT));
}

TEST(CommonName, FitsX509Limit) {
  EXPECT_EQ(fit_common_name("alpha.example"), "alpha.example");
  const std::string at_limit(64, 'x');
  EXPECT_EQ(fit_common_name(at_limit), at_limit);
  EXPECT_EQ(fit_common_name(at_limit + "y"), std::string(61, 'x') + "...");
  // Characters, not bytes, and never half a character: 70 two-byte "ü".
  std::string umlauts;
  for (int i = 0; i < 70; ++i) umlauts += "\xc3\xbc";
  std::string expected;
  for (int i = 0; i < 61; ++i) expected += "\xc3\xbc";
  EXPECT_EQ(fit_common_name(umlauts), expected + "...");
  std::string sixty_four;
  for (int i = 0; i < 64; ++i) sixty_four += "\xc3\xbc";
  EXPECT_EQ(fit_common_name(sixty_four), sixty_four);  // 128 bytes, 64 characters: fits
}

// Re-issuing with node_key::keep signs the key already in key_out (the SPKI pin stays);
// node_key::fresh, the default, replaces it. keep without a key makes one.
TEST_F(Certs, ReissueKeepsOrReplacesTheKey) {
  make_ca(dir_ / "ca.pem", dir_ / "ca.key", "CA");
  issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", "alpha.example", dir_ / "a.pem", dir_ / "a.key", 825, {}, node_key::keep);
  ASSERT_TRUE(load_key(dir_ / "a.key"));
  const std::string pin = spki_sha256_pin(dir_ / "a.pem");

  issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", "alpha.example", dir_ / "a.pem", dir_ / "a.key", 825,
                  {"chat.alpha.example"}, node_key::keep);
  EXPECT_EQ(spki_sha256_pin(dir_ / "a.pem"), pin);
  EXPECT_EQ(cert_dns_names(dir_ / "a.pem"), (std::vector<std::string>{"alpha.example", "chat.alpha.example"}));
  const x509_ptr cert = load_cert(dir_ / "a.pem");
  const pkey_ptr key = load_key(dir_ / "a.key");
  ASSERT_TRUE(cert && key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(file_mode(dir_ / "a.key"), 0600u);

  issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", "alpha.example", dir_ / "a.pem", dir_ / "a.key");
  EXPECT_NE(spki_sha256_pin(dir_ / "a.pem"), pin);
}

TEST_F(Certs, KeyModeIsResetOnOverwrite) {
  const fs::path key = dir_ / "ca.key";
  { std::ofstream(key) << "old"; }
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  make_ca(dir_ / "ca.pem", key, "CA");
  EXPECT_EQ(file_mode(key), 0600u);
  EXPECT_TRUE(load_key(key));
}

TEST_F(Certs, Errors) {
  make_ca(dir_ / "ca.pem", dir_ / "ca.key", "CA");
  make_ca(dir_ / "other.pem", dir_ / "other.key", "Other");
  issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", "alpha.example", dir_ / "a.pem", dir_ / "a.key");

  const auto message_of = [](const auto& f) -> std::string {
    try {
      f();
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "(no exception)";
  };

  const fs::path missing = dir_ / "missing.pem";
  EXPECT_NE(message_of([&] { issue_node_cert(missing, dir_ / "ca.key", "x.example", dir_ / "x.pem", dir_ / "x.key"); })
                .find(missing.string()),
            std::string::npos);
  EXPECT_NE(message_of([&] { (void)cert_dns_names(missing); }).find(missing.string()), std::string::npos);
  EXPECT_NE(message_of([&] { (void)spki_sha256_pin(missing); }).find(missing.string()), std::string::npos);

  // A file that is not PEM.
  { std::ofstream(dir_ / "junk.pem") << "not a certificate\n"; }
  EXPECT_THROW((void)spki_sha256_pin(dir_ / "junk.pem"), std::runtime_error);

  // The CA key does not belong to the CA certificate.
  EXPECT_NE(message_of([&] { issue_node_cert(dir_ / "ca.pem", dir_ / "other.key", "x.example", dir_ / "x.pem", dir_ / "x.key"); })
                .find("does not match"),
            std::string::npos);
  // A node certificate is not a CA.
  EXPECT_THROW(issue_node_cert(dir_ / "a.pem", dir_ / "a.key", "x.example", dir_ / "x.pem", dir_ / "x.key"),
               std::runtime_error);
  EXPECT_FALSE(fs::exists(dir_ / "x.pem"));
  EXPECT_FALSE(fs::exists(dir_ / "x.key"));

  // Names that are not DNS names, and bad validity.
  for (const std::string bad : {"", "alpha example", "alpha.example,DNS:evil", ".alpha", "a..b", "alpha/x"})
    EXPECT_THROW(issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", bad, dir_ / "x.pem", dir_ / "x.key"),
                 std::runtime_error)
        << bad;
  EXPECT_THROW(issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", "x.example", dir_ / "x.pem", dir_ / "x.key", 825, {"bad name"}),
               std::runtime_error);
  EXPECT_THROW(issue_node_cert(dir_ / "ca.pem", dir_ / "ca.key", "x.example", dir_ / "x.pem", dir_ / "x.key", 0),
               std::runtime_error);
  EXPECT_THROW(make_ca(dir_ / "y.pem", dir_ / "y.key", "CA", -1), std::runtime_error);

  // An output path whose parent is a regular file.
  EXPECT_THROW(make_ca(dir_ / "ca.pem" / "sub.pem", dir_ / "z.key", "CA"), std::runtime_error);
}

}  // namespace
}  // namespace chatnode::certs
