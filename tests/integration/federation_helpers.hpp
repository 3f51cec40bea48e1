// A federation of real chatnode processes for the integration tests: one federation CA
// made at test time with `chatnode certs ca`, nodes (alpha.test, beta.test, gamma.test by
// default) on 127.0.0.1 whose federation ports are chosen before any node starts, so every
// config names every other node and a node restarted on the same data dir keeps its port.
// Plus the waits the tests need (links up, metrics) and the cross-node flows (friends).
#pragma once

#include "tests/integration/node_process.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace chatnode::testing {

// Every federation wait is bounded by this: a link comes up within the first backoff steps.
inline constexpr std::chrono::milliseconds federation_timeout{20000};

// run_chatnode and eventually come from node_process.hpp.

// GET /metrics of a running node (Prometheus text).
std::string metrics(const node_process& node);
// The value of the sample `series` (a metric name with its labels, as printed); 0 when absent.
std::uint64_t metric_value(const std::string& text, const std::string& series);
// Whether `node`'s /metrics shows its link to `peer` up.
bool link_up(const node_process& node, const std::string& peer);
// A free loopback port below the ephemeral range (bound and released).
std::uint16_t free_port();
std::string loopback(std::uint16_t port);  // "127.0.0.1:PORT"

class federation {
 public:
  // Makes the CA, picks a federation port per domain and prepares (init) every node with
  // `federation.peers` naming all the others. `edit` may change each node's config last.
  explicit federation(std::vector<std::string> domains = {"alpha.test", "beta.test", "gamma.test"},
                      std::function<void(const std::string& domain, boost::json::object& config)> edit = {});
  ~federation();
  federation(const federation&) = delete;
  federation& operator=(const federation&) = delete;

  node_process& node(const std::string& domain);
  const std::vector<std::string>& domains() const { return domains_; }
  // Starts every node, then waits until every pair's link is up on both sides.
  void start_all();
  // Waits until `domain`'s links to every other running node are up on both sides; throws
  // (with the metrics) when they are not within federation_timeout.
  void wait_links(const std::string& domain);
  void wait_link(const std::string& a, const std::string& b);
  // A node certificate for `domain` from the federation CA: DIR/node.crt, DIR/node.key.
  std::filesystem::path issue(const std::string& domain);
  std::filesystem::path ca_file() const { return root_ / "ca" / "ca.crt"; }
  std::uint16_t federation_port(const std::string& domain) const { return ports_.at(domain); }

 private:
  std::filesystem::path root_;
  std::vector<std::string> domains_;
  std::map<std::string, std::uint16_t> ports_;
  std::map<std::string, std::unique_ptr<node_process>> nodes_;
};

// A hand-driven peer node for tests of what a node accepts from its peers: it links to
// `target`'s federation port with a valid certificate for `as_domain` from the federation
// CA, exchanges FED_HELLO, and sends events of its own making.
class fake_peer {
 public:
  fake_peer(federation& fed, const std::string& target, const std::string& as_domain);
  // Sends FED_EVENT {stream, seq, event} and returns the code of its FED_ACK; throws when
  // none arrives in time.
  std::int64_t event(std::uint64_t seq, boost::json::object ev, const std::string& stream = "fake-stream");
  // A "deliver" event carrying `frame` (a client message) to `to` (users of the target).
  static boost::json::object deliver(std::vector<std::string> to, const boost::json::object& frame);
  client::connection& link() { return *link_; }

 private:
  std::unique_ptr<client::connection> link_;
};

// name@domain
std::string user_at(std::string_view name, std::string_view domain);

// `a` (logged in as a_full) asks `b` (b_full) on another node; b accepts. Checks the ACK
// (code 0, the request id echoed) after the remote verdict, the forwarded request and
// response, and takes the USER_STATUS_UPDATE {online} each gets of the other.
void befriend(client::connection& a, const std::string& a_full, client::connection& b, const std::string& b_full);

// The next USER_STATUS_UPDATE about `user` (updates about others are dropped); throws when
// none arrives within `timeout`.
boost::json::object expect_status(client::connection& conn, const std::string& user,
                                  std::chrono::milliseconds timeout = federation_timeout);

// Takes TEXT_MESSAGEs until one with each of `until` (contents) has arrived; returns every
// TEXT_MESSAGE taken, in order. Throws when they do not all arrive within `timeout`.
std::vector<boost::json::object> texts_until(client::connection& conn, std::vector<std::string> until,
                                             std::chrono::milliseconds timeout = federation_timeout);
// The content of each message (a TEXT_MESSAGE or a history item).
std::vector<std::string> contents(const std::vector<boost::json::object>& messages);

// The whole MESSAGE_HISTORY sync of `username` (filters in `request`); the items in order.
// Empty on 6001.
std::vector<boost::json::object> history(client::connection& conn, std::string_view username,
                                         boost::json::object request = {});

}  // namespace chatnode::testing
