// Certificates for the federation: a CA, node certificates signed by it, and the
// fingerprints of certificate files (identity.cpp computes them). OpenSSL 3; every handle is owned by a unique_ptr.
#include "certs/certs.hpp"

#include "certs/identity.hpp"
#include "crypto/random.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace chatnode::certs {

namespace {

namespace fs = std::filesystem;

// Backdate notBefore so a peer whose clock runs a little behind still accepts a fresh cert.
constexpr long clock_skew_seconds = 60 * 60;
constexpr std::size_t serial_length = 16;

template <auto Free>
struct deleter {
  template <typename T>
  void operator()(T* p) const noexcept { Free(p); }
};
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, deleter<BN_free>>;
using asn1_integer_ptr = std::unique_ptr<ASN1_INTEGER, deleter<ASN1_INTEGER_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, deleter<GENERAL_NAMES_free>>;
using general_name_ptr = std::unique_ptr<GENERAL_NAME, deleter<GENERAL_NAME_free>>;

// "what (path): OpenSSL reasons", draining the thread's error queue.
[[noreturn]] void fail(const std::string& what, const fs::path& path = {}) {
  std::string message = what;
  if (!path.empty()) message += " (" + path.string() + ")";
  std::string reasons;
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    reasons += reasons.empty() ? ": " : "; ";
    reasons += buf;
  }
  throw std::runtime_error(message + reasons);
}

x509_ptr read_cert(const fs::path& path) {
  ERR_clear_error();
  bio_ptr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) fail("cannot open certificate", path);
  x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) fail("cannot read PEM certificate", path);
  return cert;
}

pkey_ptr read_key(const fs::path& path) {
  ERR_clear_error();
  bio_ptr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) fail("cannot open private key", path);
  pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) fail("cannot read PEM private key", path);
  return key;
}

// Writes `data` to `path` with `mode`, through a temporary file renamed into place, so a
// reader never sees half a file and a private key never exists with wider permissions.
void write_file(const fs::path& path, const std::string& data, mode_t mode) {
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      throw std::runtime_error("cannot create directory (" + path.parent_path().string() + "): " + ec.message());
  }
  fs::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot create file (" + tmp.string() + "): " + std::strerror(errno));
  // open() applies the umask and leaves an existing file's mode alone; set it exactly.
  bool ok = ::fchmod(fd, mode) == 0;
  for (std::size_t done = 0; ok && done < data.size();) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    const int error = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write file (" + path.string() + "): " + std::strerror(error));
  }
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

void write_cert(const fs::path& path, X509* cert) {
  ERR_clear_error();
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("cannot encode certificate", path);
  write_file(path, bio_contents(bio.get()), 0644);
}

void write_key(const fs::path& path, EVP_PKEY* key) {
  ERR_clear_error();
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("cannot encode private key", path);
  std::string pem = bio_contents(bio.get());
  write_file(path, pem, 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
}

pkey_ptr make_key() {
  ERR_clear_error();
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("cannot generate P-256 key");
  return key;
}

// DNS names go into the SAN and the CN as given; refuse anything a resolver would not
// produce, so a stray space or comma cannot end up in a certificate.
void check_dns_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 253 && name.front() != '.' && name.back() != '.' &&
                  name.find("..") == std::string::npos &&
                  name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.*") ==
                      std::string::npos;
  if (!ok) throw std::runtime_error("not a valid DNS name for a certificate: '" + name + "'");
}

void check_days(int days) {
  if (days <= 0) throw std::runtime_error("certificate validity must be at least one day (got " + std::to_string(days) + ")");
}

// Version 3, a random positive 128-bit serial, validity, subject CN and public key.
x509_ptr new_cert(const std::string& common_name, EVP_PKEY* key, int days) {
  ERR_clear_error();
  x509_ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("cannot create certificate");

  std::array<std::uint8_t, serial_length> serial_bytes{};
  crypto::random_bytes(serial_bytes);
  serial_bytes[0] &= 0x7f;  // DER INTEGER stays positive and within 20 octets
  serial_bytes[0] |= 0x40;  // and non-zero, at full length
  bn_ptr serial_bn(BN_bin2bn(serial_bytes.data(), static_cast<int>(serial_bytes.size()), nullptr));
  if (!serial_bn) fail("cannot create serial number");
  asn1_integer_ptr serial(BN_to_ASN1_INTEGER(serial_bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert.get(), serial.get()) != 1) fail("cannot set serial number");

  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -clock_skew_seconds) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr))
    fail("cannot set validity");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string cn = fit_common_name(common_name);
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                                 static_cast<int>(cn.size()), -1, 0) != 1)
    fail("cannot set subject name '" + cn + "'");
  if (X509_set_pubkey(cert.get(), key) != 1) fail("cannot set public key");
  return cert;
}

// Adds an extension written in openssl.cnf syntax, with `issuer` and `subject` as context
// (needed by subjectKeyIdentifier and authorityKeyIdentifier).
void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  extension_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    fail(std::string("cannot add extension ") + OBJ_nid2sn(nid) + " = " + value);
}

void add_dns_names(X509* cert, const std::vector<std::string>& names) {
  general_names_ptr sans(sk_GENERAL_NAME_new_null());
  if (!sans) fail("cannot build subjectAltName");
  for (const auto& name : names) {
    general_name_ptr entry(GENERAL_NAME_new());
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (!entry || !ia5 || ASN1_STRING_set(ia5, name.data(), static_cast<int>(name.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      fail("cannot build subjectAltName");
    }
    GENERAL_NAME_set0_value(entry.get(), GEN_DNS, ia5);
    if (sk_GENERAL_NAME_push(sans.get(), entry.get()) == 0) fail("cannot build subjectAltName");
    entry.release();  // owned by the stack now
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT) != 1)
    fail("cannot add subjectAltName");
}

void sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) fail("cannot sign certificate");
}

}  // namespace

std::string fit_common_name(const std::string& name) {
  // Characters are counted as OpenSSL counts them for the limit: UTF-8 code points.
  const auto starts_char = [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; };
  const auto chars = static_cast<std::size_t>(std::count_if(name.begin(), name.end(), starts_char));
  if (chars <= max_common_name_chars) return name;
  constexpr std::string_view ellipsis = "...";
  std::size_t kept = 0, end = 0;
  for (; end < name.size(); ++end)
    if (starts_char(name[end]) && kept++ == max_common_name_chars - ellipsis.size()) break;
  return name.substr(0, end) + std::string(ellipsis);
}

void make_ca(const fs::path& cert_out, const fs::path& key_out, const std::string& common_name, int days) {
  check_days(days);
  if (common_name.empty()) throw std::runtime_error("CA common name must not be empty");
  const pkey_ptr key = make_key();
  const x509_ptr cert = new_cert(common_name, key.get(), days);
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) fail("cannot set issuer name");
  add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  sign(cert.get(), key.get());
  // Key first: a certificate without its key is useless, the reverse can be re-issued.
  write_key(key_out, key.get());
  write_cert(cert_out, cert.get());
}

void issue_node_cert(const fs::path& ca_cert, const fs::path& ca_key, const std::string& domain,
                     const fs::path& cert_out, const fs::path& key_out, int days,
                     const std::vector<std::string>& extra_dns, node_key key_choice) {
  check_days(days);
  check_dns_name(domain);
  for (const auto& name : extra_dns) check_dns_name(name);

  const x509_ptr ca = read_cert(ca_cert);
  const pkey_ptr ca_pkey = read_key(ca_key);
  ERR_clear_error();
  if (X509_check_private_key(ca.get(), ca_pkey.get()) != 1)
    fail("CA private key (" + ca_key.string() + ") does not match the CA certificate", ca_cert);
  if (X509_check_ca(ca.get()) == 0) fail("not a CA certificate", ca_cert);

  const bool keep_key = key_choice == node_key::keep && fs::exists(key_out);
  const pkey_ptr key = keep_key ? read_key(key_out) : make_key();
  const x509_ptr cert = new_cert(domain, key.get(), days);
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) != 1) fail("cannot set issuer name");

  std::vector<std::string> names{domain};
  for (const auto& name : extra_dns)
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  add_dns_names(cert.get(), names);
  add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  add_ext(cert.get(), ca.get(), NID_subject_key_identifier, "hash");
  // keyid when the CA has one (ours always do); issuer + serial for a CA made elsewhere without.
  add_ext(cert.get(), ca.get(), NID_authority_key_identifier, "keyid,issuer");
  sign(cert.get(), ca_pkey.get());
  if (!keep_key) write_key(key_out, key.get());
  write_cert(cert_out, cert.get());
}

std::vector<std::string> cert_dns_names(const fs::path& cert_path) { return dns_names(read_cert(cert_path).get()); }

std::string spki_sha256_pin(const fs::path& cert_path) {
  const x509_ptr cert = read_cert(cert_path);
  ERR_clear_error();
  std::string pin = spki_pin(cert.get());
  if (pin.empty()) fail("cannot encode public key", cert_path);
  return pin;
}

}  // namespace chatnode::certs
