// `chatnode certs` run in-process: what it prints, what it writes, its exit statuses.
// tests/integration/federation_link_test.cpp runs the same through the chatnode binary.
#include "certs/command.hpp"

#include "certs/certs.hpp"
#include "crypto/random.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace chatnode::certs {
namespace {

namespace fs = std::filesystem;

struct result {
  int status;
  std::string out, err;
};

result run(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int status = run_command(std::move(args), out, err);
  return {status, out.str(), err.str()};
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class CertsCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chatnode-certs-command-" + crypto::random_id(8));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST_F(CertsCommand, CaIssueAndPinAgreeWithTheLibrary) {
  const auto ca = run({"ca", "--dir", (dir_ / "ca").string(), "--name", "test CA"});
  ASSERT_EQ(ca.status, 0) << ca.err;
  EXPECT_EQ(ca.out, "made a federation CA: " + (dir_ / "ca" / "ca.crt").string() + " (key " +
                        (dir_ / "ca" / "ca.key").string() + ")\n");
  EXPECT_TRUE(ca.err.empty()) << ca.err;

  const fs::path cert = dir_ / "out" / "node.crt", key = dir_ / "out" / "node.key";
  const auto issued = run({"issue", "--ca", (dir_ / "ca").string(), "--domain", "delta.example", "--out",
                           (dir_ / "out").string()});
  ASSERT_EQ(issued.status, 0) << issued.err;
  EXPECT_EQ(cert_dns_names(cert), std::vector<std::string>{"delta.example"});
  const std::string pin = spki_sha256_pin(cert);
  EXPECT_EQ(issued.out, "issued a certificate for delta.example: " + cert.string() + " (key " + key.string() +
                            ")\nSPKI pin: " + pin + "\n");

  const auto printed = run({"pin", cert.string()});
  EXPECT_EQ(printed.status, 0) << printed.err;
  EXPECT_EQ(printed.out, pin + "\n");
  EXPECT_TRUE(printed.err.empty()) << printed.err;
}

TEST_F(CertsCommand, RefusesToOverwriteAKeyWithoutForce) {
  ASSERT_EQ(run({"ca", "--dir", dir_.string()}).status, 0);
  const std::string key = read_text(dir_ / "ca.key");
  const auto again = run({"ca", "--dir", dir_.string()});
  EXPECT_EQ(again.status, 1);
  EXPECT_TRUE(again.out.empty()) << again.out;
  EXPECT_EQ(again.err, "chatnode certs: " + (dir_ / "ca.key").string() + " exists; use --force to replace it\n");
  EXPECT_EQ(read_text(dir_ / "ca.key"), key);

  EXPECT_EQ(run({"ca", "--dir", dir_.string(), "--force"}).status, 0);
  EXPECT_NE(read_text(dir_ / "ca.key"), key);
}

TEST_F(CertsCommand, UsageAndHelp) {
  const auto bare = run({});
  EXPECT_EQ(bare.status, 2);
  EXPECT_TRUE(contains(bare.out, "usage: chatnode certs <subcommand>")) << bare.out;
  const auto help = run({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_EQ(help.out, bare.out);

  for (const char* sub : {"ca", "issue", "pin"}) {
    const auto sub_help = run({sub, "--help"});
    EXPECT_EQ(sub_help.status, 0) << sub;
    EXPECT_TRUE(contains(sub_help.out, std::string("chatnode certs ") + sub)) << sub_help.out;
  }

  const auto unknown = run({"renew"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_TRUE(contains(unknown.err, "chatnode certs: unknown subcommand \"renew\"\n")) << unknown.err;

  const auto missing = run({"issue", "--ca", dir_.string(), "--out", dir_.string()});
  EXPECT_EQ(missing.status, 2);
  EXPECT_TRUE(contains(missing.err, "(see chatnode certs --help)")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "--domain")) << missing.err;
  EXPECT_FALSE(fs::exists(dir_ / "node.key"));

  const auto failed = run({"pin", (dir_ / "missing.crt").string()});
  EXPECT_EQ(failed.status, 1);
  EXPECT_TRUE(contains(failed.err, (dir_ / "missing.crt").string())) << failed.err;
}

}  // namespace
}  // namespace chatnode::certs
