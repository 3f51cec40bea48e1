// `chatnode certs ca | issue | pin` (see command.hpp): options parsed here, the work done by
// certs.hpp.
#include "certs/command.hpp"

#include "certs/certs.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <stdexcept>

namespace chatnode::certs {

namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr const char* usage =
    "usage: chatnode certs <subcommand> [options]\n"
    "\n"
    "subcommands (docs/federation.md walks through them):\n"
    "  ca      make a federation CA: DIR/ca.crt and DIR/ca.key\n"
    "  issue   issue a node certificate for a domain (SAN DNS:D, serverAuth + clientAuth)\n"
    "  pin     print a certificate's SPKI SHA-256 pin (for federation.pins)\n"
    "\n"
    "`chatnode certs <subcommand> --help` describes its options.\n";

// Parses `args` into `vm`; true when --help was asked for (and printed on `out`).
bool parse_args(const std::vector<std::string>& args, const po::options_description& desc, po::variables_map& vm,
                std::ostream& out, const po::positional_options_description* positional = nullptr) {
  auto parser = po::command_line_parser(args).options(desc);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    out << desc << "\n";
    return true;
  }
  po::notify(vm);
  return false;
}

void refuse_overwrite(const fs::path& file, bool force) {
  if (!force && fs::exists(file)) throw std::runtime_error(file.string() + " exists; use --force to replace it");
}

int cmd_ca(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("chatnode certs ca --dir DIR [--name NAME]");
  std::string dir, name = "chatnode federation CA";
  int days = 3650;
  bool force = false;
  desc.add_options()
      ("help,h", "show this help")
      ("dir", po::value(&dir)->required(), "directory for ca.crt and ca.key (keep ca.key offline)")
      ("name", po::value(&name)->default_value(name), "the CA's common name")
      ("days", po::value(&days)->default_value(days), "validity in days")
      ("force", po::bool_switch(&force), "replace an existing CA (every node certificate must then be re-issued)");
  po::variables_map vm;
  if (parse_args(args, desc, vm, out)) return 0;
  const fs::path cert = fs::path(dir) / "ca.crt", key = fs::path(dir) / "ca.key";
  refuse_overwrite(key, force);
  make_ca(cert, key, name, days);
  out << "made a federation CA: " << cert.string() << " (key " << key.string() << ")\n";
  return 0;
}

int cmd_issue(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("chatnode certs issue --ca DIR --domain D --out DIR");
  std::string ca, domain, out_dir;
  int days = 825;
  bool force = false;
  desc.add_options()
      ("help,h", "show this help")
      ("ca", po::value(&ca)->required(), "directory with the CA's ca.crt and ca.key")
      ("domain", po::value(&domain)->required(), "the node's domain: the certificate's DNS subjectAltName")
      ("out", po::value(&out_dir)->required(), "directory for node.crt and node.key")
      ("days", po::value(&days)->default_value(days), "validity in days")
      ("force", po::bool_switch(&force), "replace an existing node.crt/node.key");
  po::variables_map vm;
  if (parse_args(args, desc, vm, out)) return 0;
  const fs::path cert = fs::path(out_dir) / "node.crt", key = fs::path(out_dir) / "node.key";
  refuse_overwrite(key, force);
  issue_node_cert(fs::path(ca) / "ca.crt", fs::path(ca) / "ca.key", domain, cert, key, days);
  out << "issued a certificate for " << domain << ": " << cert.string() << " (key " << key.string()
      << ")\nSPKI pin: " << spki_sha256_pin(cert) << "\n";
  return 0;
}

int cmd_pin(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("chatnode certs pin FILE");
  std::string file;
  desc.add_options()
      ("help,h", "show this help")
      ("file", po::value(&file)->required(), "PEM certificate (the first one in the file is pinned)");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (parse_args(args, desc, vm, out, &positional)) return 0;
  out << spki_sha256_pin(file) << "\n";
  return 0;
}

}  // namespace

int run_command(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << usage;
    return args.empty() ? 2 : 0;
  }
  const std::string sub = args[0];
  args.erase(args.begin());
  // The messages and statuses chatnode's main gives every other command.
  try {
    if (sub == "ca") return cmd_ca(args, out);
    if (sub == "issue") return cmd_issue(args, out);
    if (sub == "pin") return cmd_pin(args, out);
  } catch (const po::error& e) {
    err << "chatnode certs: " << e.what() << " (see chatnode certs --help)\n";
    return 2;
  } catch (const std::exception& e) {
    err << "chatnode certs: " << e.what() << "\n";
    return 1;
  }
  err << "chatnode certs: unknown subcommand \"" << sub << "\"\n" << usage;
  return 2;
}

}  // namespace chatnode::certs
