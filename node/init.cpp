// `chatnode init`. Paths in the written config are relative to its directory, so the
// whole DIR can be moved.
#include "init.hpp"

#include "config.hpp"

#include "crypto/certs.hpp"
#include "crypto/kdf.hpp"
#include "protocol/ids.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>

namespace chatnode::node {
namespace fs = std::filesystem;
namespace json = boost::json;

json::object test_limits() {
  constexpr std::uint64_t many = 1000000;
  return json::object{{"address_max_failures", many},          {"kdf_per_address", 1000},
                      {"registrations_per_address_hour", many}, {"registrations_per_minute", many},
                      {"max_connections_per_address", many},    {"requests_per_second", many},
                      {"requests_burst", many},                 {"friend_requests_per_hour", many},
                      {"friend_requests_per_pair_day", many}};
}

void init_node(const init_options& opts, std::ostream& out) {
  const std::string domain = protocol::fold_case(opts.domain);
  if (!protocol::is_valid_domain(domain)) throw std::runtime_error("--domain: \"" + opts.domain + "\" is not a valid domain name");
  parse_listen(opts.client_listen, "--client-listen");
  parse_listen(opts.federation_listen, "--federation-listen");
  json::object peers;
  for (const auto& p : opts.peers) {
    const auto eq = p.find('=');
    const std::string peer = protocol::fold_case(p.substr(0, eq == std::string::npos ? 0 : eq));
    if (eq == std::string::npos || !protocol::is_valid_domain(peer))
      throw std::runtime_error("--peer: \"" + p + "\" is not DOMAIN=HOST:PORT");
    parse_listen(p.substr(eq + 1), "--peer " + peer);
    peers[peer] = p.substr(eq + 1);
  }

  const fs::path dir = fs::absolute(opts.dir);
  const fs::path config_file = dir / "chatnode.json";
  if (fs::exists(config_file) && !opts.force)
    throw std::runtime_error(config_file.string() + " exists; use --force to write a new one");
  fs::create_directories(dir / "data");

  fs::path ca_cert, ca_key;
  std::string ca_in_config;
  if (opts.ca_dir) {
    const fs::path ca_dir = fs::absolute(*opts.ca_dir);
    ca_cert = ca_dir / "ca.crt";
    ca_key = ca_dir / "ca.key";
    if (!fs::exists(ca_cert) || !fs::exists(ca_key))
      throw std::runtime_error("--ca " + ca_dir.string() + ": needs ca.crt and ca.key");
    ca_in_config = ca_cert.string();
  } else {
    ca_cert = dir / "ca" / "ca.crt";
    ca_key = dir / "ca" / "ca.key";
    if (!fs::exists(ca_cert) || !fs::exists(ca_key)) {
      crypto::make_ca(ca_cert, ca_key, "chatnode development CA (" + domain + ")");
      out << "made a development CA: " << ca_cert.string() << "\n";
    }
    ca_in_config = "ca/ca.crt";
  }
  crypto::issue_node_cert(ca_cert, ca_key, domain, dir / "certs" / "node.crt", dir / "certs" / "node.key");
  out << "issued a certificate for " << domain << ": " << (dir / "certs" / "node.crt").string() << "\n";

  const crypto::scrypt_params kdf;
  json::object cfg{
      {"domain", domain},
      {"data_dir", "data"},
      {"client", json::object{{"listen", opts.client_listen}, {"cert", "certs/node.crt"}, {"key", "certs/node.key"}}},
      {"federation", json::object{{"listen", opts.federation_listen}, {"ca", ca_in_config}, {"peers", std::move(peers)}}},
      {"kdf", json::object{{"N", kdf.n}, {"r", kdf.r}, {"p", kdf.p}}},
  };
  if (opts.test_limits) cfg["limits"] = test_limits();
  {
    std::ofstream f(config_file, std::ios::trunc);
    f << json::serialize(cfg) << "\n";
    if (!f) throw std::runtime_error("cannot write " + config_file.string());
  }
  load_config(config_file);  // what we wrote must be what serve accepts
  out << "wrote " << config_file.string() << "\n"
      << "start it with: chatnode serve --config " << config_file.string() << "\n";
}

}  // namespace chatnode::node
