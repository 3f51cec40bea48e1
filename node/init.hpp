// `chatnode init`: a config file, a data dir and a certificate for a domain, so that
// `chatnode serve --config DIR/chatnode.json` works at once.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace chatnode::node {

struct init_options {
  std::string domain;
  std::filesystem::path dir;
  std::optional<std::filesystem::path> ca_dir;  // holds ca.crt + ca.key; else a new dev CA
  std::string client_listen = "0.0.0.0:7443";
  std::string federation_listen = "0.0.0.0:7444";
  bool force = false;    // overwrite an existing chatnode.json (keeps the data dir and the node key)
  bool new_key = false;  // a new certs/node.key even if one exists (its SPKI pin changes)
  // federation.peers: "domain=host:port" each.
  std::vector<std::string> peers;
  // Writes test_limits() into the config: for test suites, audits and benchmarks, which
  // register and log in many users from one address. Never for a public node.
  bool test_limits = false;
};

// The abuse limits relaxed (docs/config.md lists each): registration, login, request and
// friend-request rates, connections per address.
boost::json::object test_limits();

// Throws std::runtime_error with a readable message. Writes a summary to `out`: what it
// made, then how to start the node and reach it (the web client's https://DOMAIN:PORT/).
void init_node(const init_options& opts, std::ostream& out);

// `value` as JSON for people: objects one key per line in their order, arrays one item per
// line, `indent` spaces per level; empty objects and arrays as {} and [].
std::string pretty_json(const boost::json::value& value, int indent = 2);

}  // namespace chatnode::node
