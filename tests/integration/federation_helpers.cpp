// The federation harness of the integration tests (see federation_helpers.hpp).
#include "tests/integration/federation_helpers.hpp"

#include "tests/integration/social_helpers.hpp"
#include "tests/integration/tls_probe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace chatnode::testing {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

std::string metrics(const node_process& node) {
  tls_target target;
  target.port = node.client_port();
  target.ca_file = node.ca_file().string();
  target.server_name = node.domain();
  return https_get(target, "/metrics").body;
}

std::uint64_t metric_value(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + series.size() + 2));
}

bool link_up(const node_process& node, const std::string& peer) {
  if (!node.running()) return false;
  return contains(metrics(node), "chatnode_federation_link_state{peer=\"" + peer + "\",state=\"up\"} 1");
}

std::uint16_t free_port() {
  // Below the kernel's ephemeral range: a port chosen here stays free until the node binds
  // it, whereas an ephemeral one may be handed to any :0 bind meanwhile (another node's
  // client port, say).
  unsigned low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> low;
  const unsigned first = 10000, last = std::max(first + 1000, low) - 1;
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<unsigned> pick(first, last);
  asio::io_context ioc;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto port = static_cast<std::uint16_t>(pick(rng));
    boost::system::error_code ec;
    asio::ip::tcp::acceptor a(ioc);
    a.open(asio::ip::tcp::v4(), ec);
    if (!ec) a.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
    if (!ec) return port;
  }
  throw std::runtime_error("free_port: no free port found");
}

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// ---- federation ----

federation::federation(std::vector<std::string> domains,
                       std::function<void(const std::string& domain, json::object& config)> edit)
    : domains_(std::move(domains)) {
  std::string pattern = (fs::temp_directory_path() / "chatnode-fed-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  root_ = pattern;
  const auto ca = run_chatnode({"certs", "ca", "--dir", (root_ / "ca").string(), "--name", "test federation CA"},
                               root_ / "certs.log");
  if (ca.status != 0) throw std::runtime_error("chatnode certs ca failed:\n" + ca.output);
  for (const auto& d : domains_) ports_[d] = free_port();
  for (const auto& d : domains_) {
    node_options o;
    o.domain = d;
    o.ca_dir = root_ / "ca";
    o.edit_config = [this, d, edit](json::object& config) {
      auto& fed = config["federation"].as_object();
      fed["listen"] = loopback(ports_.at(d));
      json::object peers;
      for (const auto& [other, port] : ports_)
        if (other != d) peers[other] = loopback(port);
      fed["peers"] = std::move(peers);
      if (edit) edit(d, config);
    };
    nodes_[d] = std::make_unique<node_process>(std::move(o));
  }
}

federation::~federation() {
  nodes_.clear();  // stops the nodes (and prints their logs when the test failed)
  std::error_code ignored;
  if (!::testing::Test::HasFailure() && std::getenv("CHATNODE_KEEP_TEST_DIRS") == nullptr) fs::remove_all(root_, ignored);
}

node_process& federation::node(const std::string& domain) { return *nodes_.at(domain); }

void federation::start_all() {
  for (const auto& d : domains_) node(d).start();
  for (const auto& d : domains_) wait_links(d);
}

void federation::wait_link(const std::string& a, const std::string& b) {
  if (!eventually([&] { return link_up(node(a), b) && link_up(node(b), a); }))
    throw std::runtime_error("no link between " + a + " and " + b + " within " +
                             std::to_string(federation_timeout.count()) + " ms\n" + metrics(node(a)) +
                             metrics(node(b)));
}

void federation::wait_links(const std::string& domain) {
  for (const auto& other : domains_)
    if (other != domain && node(other).running()) wait_link(domain, other);
}

fs::path federation::issue(const std::string& domain) {
  const fs::path out = root_ / ("certs-" + domain);
  const auto r = run_chatnode({"certs", "issue", "--ca", (root_ / "ca").string(), "--domain", domain, "--out",
                               out.string(), "--force"},
                              root_ / "issue.log");
  if (r.status != 0) throw std::runtime_error("chatnode certs issue failed:\n" + r.output);
  return out;
}

// ---- flows ----

fake_peer::fake_peer(federation& fed, const std::string& target, const std::string& as_domain) {
  const auto certs = fed.issue(as_domain);
  client::connect_options o;
  o.port = fed.federation_port(target);
  o.ca_file = fed.ca_file().string();
  o.server_name = target;
  o.path = "/federation";
  o.cert_file = (certs / "node.crt").string();
  o.key_file = (certs / "node.key").string();
  link_ = client::connection::connect(o);
  link_->send(boost::json::object{{"type", "FED_HELLO"}, {"origin", as_domain}, {"version", 1}});
  const auto hello = link_->wait_for("FED_HELLO", federation_timeout);
  if (!hello || hello->at("origin") != target.c_str())
    throw std::runtime_error("fake peer: no FED_HELLO from " + target);
}

std::int64_t fake_peer::event(std::uint64_t seq, boost::json::object ev, const std::string& stream) {
  link_->send(boost::json::object{{"type", "FED_EVENT"}, {"stream", stream}, {"seq", seq}, {"event", std::move(ev)}});
  const auto ack = link_->wait_for("FED_ACK", federation_timeout);
  if (!ack) throw std::runtime_error("fake peer: no FED_ACK for event " + std::to_string(seq));
  if (ack->at("seq").to_number<std::uint64_t>() != seq || ack->at("stream") != stream.c_str())
    throw std::runtime_error("fake peer: FED_ACK for another event: " + boost::json::serialize(*ack));
  return ack->at("code").to_number<std::int64_t>();
}

boost::json::object fake_peer::deliver(std::vector<std::string> to, const boost::json::object& frame) {
  boost::json::array users;
  for (auto& u : to) users.emplace_back(u);
  return boost::json::object{{"kind", "deliver"}, {"to", std::move(users)}, {"message", frame}};
}

std::string user_at(std::string_view name, std::string_view domain) {
  return std::string(name) + "@" + std::string(domain);
}

void befriend(client::connection& a, const std::string& a_full, client::connection& b, const std::string& b_full) {
  const std::string what = "making " + a_full + " and " + b_full + " friends";
  send_request(a, "FRIEND_REQUEST", json::object{{"sender", a_full}, {"receiver", b_full}}, "befriend");
  const auto ack = expect_either(a, "FRIEND_REQUEST_ACK", "ERROR", federation_timeout);
  if (!has_fields(ack, "FRIEND_REQUEST_ACK", json::object{{"sender", a_full}, {"receiver", b_full}, {"code", 0}}) ||
      !has_id(ack, "befriend"))
    throw std::runtime_error(what + ": unexpected ack " + json::serialize(ack));
  const auto request = expect_message(b, "FRIEND_REQUEST", federation_timeout);
  if (!has_fields(request, "FRIEND_REQUEST", json::object{{"sender", a_full}, {"receiver", b_full}}))
    throw std::runtime_error(what + ": unexpected request " + json::serialize(request));
  send_request(b, "FRIEND_REQUEST_RESPONSE", json::object{{"sender", a_full}, {"receiver", b_full}, {"code", 0}});
  const auto response = expect_message(a, "FRIEND_REQUEST_RESPONSE", federation_timeout);
  if (!has_fields(response, "FRIEND_REQUEST_RESPONSE",
                  json::object{{"sender", a_full}, {"receiver", b_full}, {"code", 0}}))
    throw std::runtime_error(what + ": unexpected response " + json::serialize(response));
  // Each learns the other's status from the other's node (docs/protocol.md §7).
  const auto a_sees = expect_status(a, b_full);
  if (!has_fields(a_sees, "USER_STATUS_UPDATE", json::object{{"username", b_full}, {"status", "online"}}))
    throw std::runtime_error(what + ": unexpected status " + json::serialize(a_sees));
  const auto b_sees = expect_status(b, a_full);
  if (!has_fields(b_sees, "USER_STATUS_UPDATE", json::object{{"username", a_full}, {"status", "online"}}))
    throw std::runtime_error(what + ": unexpected status " + json::serialize(b_sees));
}

json::object expect_status(client::connection& conn, const std::string& user, std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  std::vector<json::object> others;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    auto m = conn.wait_for("USER_STATUS_UPDATE", std::max(left, 0ms));
    if (!m) break;
    if (payload_string(*m, "username") == user) return std::move(*m);
    others.push_back(std::move(*m));
  }
  std::string seen;
  for (const auto& o : others) seen += json::serialize(o) + ' ';
  throw std::runtime_error("no USER_STATUS_UPDATE for " + user + "; other updates: " + seen +
                           "; queued: " + drain_queued(conn));
}

std::vector<json::object> history(client::connection& conn, std::string_view username, json::object request) {
  request["username"] = username;
  send_request(conn, "MESSAGE_HISTORY_REQUEST", std::move(request), "history");
  const auto response = expect_either(conn, "MESSAGE_HISTORY_RESPONSE", "ERROR");
  if (type_of(response) != "MESSAGE_HISTORY_RESPONSE")
    throw std::runtime_error("history: " + json::serialize(response));
  std::vector<json::object> items;
  if (code_of(response) == 6001) return items;
  expect_message(conn, "MESSAGE_HISTORY_BEGIN");
  send_request(conn, "MESSAGE_HISTORY_BEGIN_ACK", json::object{{"username", username}});
  for (int guard = 0; guard < 10000; ++guard) {
    const auto step = expect_either(conn, "MESSAGE_HISTORY_DATA", "MESSAGE_HISTORY_COMPLETE");
    if (type_of(step) == "MESSAGE_HISTORY_COMPLETE") {
      send_request(conn, "MESSAGE_HISTORY_COMPLETE_ACK", json::object{{"username", username}});
      return items;
    }
    const auto& payload = payload_of(step);
    for (const auto& m : payload.at("messages").as_array()) items.push_back(m.as_object());
    send_request(conn, "MESSAGE_HISTORY_DATA_ACK",
                 json::object{{"username", username}, {"chunkIndex", payload.at("chunkIndex")}});
  }
  throw std::runtime_error("history: no end");
}

std::vector<json::object> texts_until(client::connection& conn, std::vector<std::string> until,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  std::vector<json::object> got;
  while (!until.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    auto m = conn.wait_for("TEXT_MESSAGE", std::max(left, 0ms));
    if (!m) {
      std::string missing;
      for (const auto& u : until) missing += " \"" + u + "\"";
      throw std::runtime_error("texts_until: still waiting for" + missing + " after " + std::to_string(got.size()) +
                               " texts; queued: " + drain_queued(conn));
    }
    std::erase(until, payload_string(*m, "content"));
    got.push_back(std::move(*m));
  }
  return got;
}

std::vector<std::string> contents(const std::vector<json::object>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) {
    // A delivered TEXT_MESSAGE, or a history item (the payload's fields, no envelope).
    const auto* payload = m.if_contains("payload");
    const auto& fields = payload && payload->is_object() ? payload->get_object() : m;
    const auto* content = fields.if_contains("content");
    out.push_back(content && content->is_string() ? std::string(content->get_string()) : json::serialize(m));
  }
  return out;
}

}  // namespace chatnode::testing
