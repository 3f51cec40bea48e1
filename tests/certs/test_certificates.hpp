// Certificates by hand for tests of the identity checks (tests/certs, tests/federation):
// reading a PEM file, and a self-signed certificate with only a CN, which certs.hpp never makes.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace chatnode::certs::test {

struct x509_deleter {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

inline x509_ptr load(const std::filesystem::path& file) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(file.c_str(), "r"), &std::fclose);
  if (!f) throw std::runtime_error("cannot open " + file.string());
  return x509_ptr(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
}

// A self-signed certificate with only a CN (no subjectAltName at all).
inline void make_cert_without_san(const std::filesystem::path& cert_out, const std::string& cn) {
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
  x509_ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(cert_out.c_str(), "w"), &std::fclose);
  ASSERT_TRUE(f);
  ASSERT_EQ(PEM_write_X509(f.get(), cert.get()), 1);
}

}  // namespace chatnode::certs::test
