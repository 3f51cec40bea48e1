// `chatnode init`. Paths in the written config are relative to its directory, so the
// whole DIR can be moved.
#include "init.hpp"

#include "config.hpp"

#include "certs/certs.hpp"
#include "crypto/kdf.hpp"
#include "protocol/ids.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <sstream>

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

namespace {

void write_pretty(std::ostream& out, const json::value& v, int indent, int depth) {
  const auto newline = [&](int level) { out << '\n' << std::string(static_cast<std::size_t>(indent * level), ' '); };
  if (const auto* obj = v.if_object(); obj && !obj->empty()) {
    out << '{';
    bool first = true;
    for (const auto& kv : *obj) {
      if (!first) out << ',';
      first = false;
      newline(depth + 1);
      out << json::serialize(json::string(kv.key())) << ": ";
      write_pretty(out, kv.value(), indent, depth + 1);
    }
    newline(depth);
    out << '}';
  } else if (const auto* arr = v.if_array(); arr && !arr->empty()) {
    out << '[';
    bool first = true;
    for (const auto& item : *arr) {
      if (!first) out << ',';
      first = false;
      newline(depth + 1);
      write_pretty(out, item, indent, depth + 1);
    }
    newline(depth);
    out << ']';
  } else {
    out << json::serialize(v);  // scalars, {} and []
  }
}

}  // namespace

std::string pretty_json(const json::value& value, int indent) {
  std::ostringstream out;
  write_pretty(out, value, indent, 0);
  return out.str();
}

namespace {

// --peer DOMAIN=HOST:PORT options as federation.peers.
json::object parse_peers(const std::vector<std::string>& peers) {
  json::object out;
  for (const auto& p : peers) {
    const auto eq = p.find('=');
    const std::string peer = protocol::fold_case(p.substr(0, eq == std::string::npos ? 0 : eq));
    if (eq == std::string::npos || !protocol::is_valid_domain(peer))
      throw std::runtime_error("--peer: \"" + p + "\" is not DOMAIN=HOST:PORT");
    parse_listen(p.substr(eq + 1), "--peer " + peer);
    out[peer] = p.substr(eq + 1);
  }
  return out;
}

// The CA that signs the node certificate, and how the config names it.
struct ca_files {
  fs::path cert;
  fs::path key;
  std::string in_config;
};

// The CA of --ca, or the development CA in DIR/ca (made if it is not there yet).
ca_files find_or_make_ca(const init_options& opts, const fs::path& dir, const std::string& domain, std::ostream& out) {
  if (opts.ca_dir) {
    const fs::path ca_dir = fs::absolute(*opts.ca_dir);
    ca_files ca{ca_dir / "ca.crt", ca_dir / "ca.key", ""};
    if (!fs::exists(ca.cert) || !fs::exists(ca.key))
      throw std::runtime_error("--ca " + ca_dir.string() + ": needs ca.crt and ca.key");
    ca.in_config = ca.cert.string();
    return ca;
  }
  ca_files ca{dir / "ca" / "ca.crt", dir / "ca" / "ca.key", "ca/ca.crt"};
  if (!fs::exists(ca.cert) || !fs::exists(ca.key)) {
    // Long domains are fine: make_ca shortens a CN beyond X.509's 64 characters.
    certs::make_ca(ca.cert, ca.key, "chatnode development CA (" + domain + ")");
    out << "made a development CA: " << ca.cert.string() << "\n";
  }
  return ca;
}

// DIR/certs/node.crt for `domain`. The node key outlives re-issued certificates: peers may
// pin it (federation.pins).
void issue_node_certificate(const init_options& opts, const fs::path& dir, const std::string& domain, const ca_files& ca,
                            std::ostream& out) {
  const fs::path node_cert = dir / "certs" / "node.crt", node_key = dir / "certs" / "node.key";
  const bool keep_key = !opts.new_key && fs::exists(node_key);
  certs::issue_node_cert(ca.cert, ca.key, domain, node_cert, node_key, 825, {},
                         keep_key ? certs::node_key::keep : certs::node_key::fresh);
  if (keep_key)
    out << "kept the node key " << node_key.string() << " (SPKI pin " << certs::spki_sha256_pin(node_cert)
        << "; --new-key makes a new one)\n";
  out << "issued a certificate for " << domain << ": " << node_cert.string() << "\n";
}

// Keys in the order docs/config.md explains them; paths relative to DIR.
json::object initial_config(const init_options& opts, const std::string& domain, const ca_files& ca,
                            json::object peers) {
  const crypto::scrypt_params kdf;
  json::object cfg{
      {"domain", domain},
      {"data_dir", "data"},
      {"client", json::object{{"listen", opts.client_listen}, {"cert", "certs/node.crt"}, {"key", "certs/node.key"}}},
      {"federation", json::object{{"listen", opts.federation_listen}, {"ca", ca.in_config}, {"peers", std::move(peers)}}},
      {"kdf", json::object{{"N", kdf.n}, {"r", kdf.r}, {"p", kdf.p}}},
  };
  if (opts.test_limits) cfg["limits"] = test_limits();
  return cfg;
}

void write_config(const fs::path& config_file, const json::object& cfg) {
  std::ofstream f(config_file, std::ios::trunc);
  f << pretty_json(cfg) << "\n";
  if (!f) throw std::runtime_error("cannot write " + config_file.string());
}

void print_next_steps(std::ostream& out, const std::string& domain, const listen_address& client_listen,
                      const fs::path& config_file, const fs::path& ca_cert) {
  const std::string port = client_listen.port == 0 ? "PORT" : std::to_string(client_listen.port);
  out << "\nnext:\n"
      << "  start the node:  chatnode serve --config " << config_file.string() << "\n"
      << "  web client:      https://" << domain << ":" << port << "/  (" << domain
      << " must resolve to this machine)\n"
      << "  apps connect to: wss://" << domain << ":" << port << "/ws\n";
  if (client_listen.port == 0)
    out << "                   PORT: client.listen is port 0, so serve picks one and prints it in its ready line\n";
  out << "  trust:           browsers and apps must trust the CA " << ca_cert.string() << " first\n"
      << "                   (a public node uses a certificate they already trust: docs/self-hosting.md)\n"
      << "  health check:    curl --cacert " << ca_cert.string() << " https://" << domain << ":" << port << "/healthz\n"
      << "  config:          " << config_file.string() << " (every key: docs/config.md)\n";
}

}  // namespace

void init_node(const init_options& opts, std::ostream& out) {
  const std::string domain = protocol::fold_case(opts.domain);
  if (!protocol::is_valid_domain(domain)) throw std::runtime_error("--domain: \"" + opts.domain + "\" is not a valid domain name");
  const listen_address client_listen = parse_listen(opts.client_listen, "--client-listen");
  parse_listen(opts.federation_listen, "--federation-listen");
  json::object peers = parse_peers(opts.peers);

  const fs::path dir = fs::absolute(opts.dir);
  const fs::path config_file = dir / "chatnode.json";
  if (fs::exists(config_file) && !opts.force)
    throw std::runtime_error(config_file.string() + " exists; use --force to write a new one");
  fs::create_directories(dir / "data");

  const ca_files ca = find_or_make_ca(opts, dir, domain, out);
  issue_node_certificate(opts, dir, domain, ca, out);
  write_config(config_file, initial_config(opts, domain, ca, std::move(peers)));
  load_config(config_file);  // what we wrote must be what serve accepts
  out << "wrote " << config_file.string() << "\n";
  print_next_steps(out, domain, client_listen, config_file, ca.cert);
}

}  // namespace chatnode::node
