// Where federation meets the node's rules, both ways, as interfaces (no Asio here): the
// router implements node_port (it applies what other nodes send), the relay implements port
// (the rules reach other nodes through it).
#pragma once

#include "core/context.hpp"
#include "protocol/federation.hpp"
#include "store/txn.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace chatnode::federation {

// What the rules need of federation.
class port {
 public:
  virtual ~port() = default;
  // Whether users of `domain` can be reached (the domain is a configured peer).
  virtual bool reachable(const std::string& domain) const = 0;
  // New events for `domain` were committed to its outbox: send them (dialling if needed).
  virtual void poke(const std::string& domain) = 0;
};

// What federation hands to the node.
class node_port {
 public:
  virtual ~node_port() = default;
  // Hooks federation in (null: unhooks it; the rules then know no other domain).
  virtual void set_federation(port* fed) noexcept = 0;
  // Applies an event of `origin` (already checked for order and duplicates by the inbox)
  // inside the inbox's writer transaction `t`: the rules of core/inbound.hpp. Refused (code
  // != 0): nothing was written and `fx` is empty. Runs on the writer thread.
  virtual protocol::fed::event_result apply_event(store::txn& t, const std::string& origin,
                                                  const boost::json::object& event, core::effects& fx) = 0;
  // After that transaction committed: sends what the rule made (frames to connections,
  // pokes of outboxes).
  virtual void send_effects(core::effects& fx) = 0;
  // Queues a "reset" event for every peer at start-up (this node's users are offline).
  virtual void announce_start(const std::vector<std::string>& peers, std::function<void()> done) = 0;
  // Every chunk of fetched media `media_id` is stored: checks it and publishes it (or drops
  // the bytes); `done` runs after the commit.
  virtual void finish_fetch(const std::string& media_id, std::function<void(protocol::fed::fetch_outcome)> done) = 0;
};

}  // namespace chatnode::federation
