// Events from other nodes (docs/federation.md "Delivery between nodes", the receiving side):
// each (origin, stream, seq) is applied once and in order, in one writer transaction with
// the record of how far the stream was read, and acknowledged after the commit.
//
// - seq <= the last applied: a duplicate (a resend after a lost ack), acknowledged, not applied.
// - seq > last + 1 with the origin saying this node acknowledged up to seq - 1 (`after`):
//   this data dir was restored from a backup and lost them; they are skipped (counted).
// - seq > last + 1 otherwise: a frame of a link being replaced; not acknowledged, so the
//   origin sends again from the gap.
// Acknowledgements are cumulative: applied events are acknowledged once per burst (the
// highest seq), a refused one at once with its code and reason.
#pragma once

#include "federation/log.hpp"
#include "federation/port.hpp"
#include "federation/service.hpp"

#include "store/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <system_error>

namespace chatnode::federation {

// One event after its writer job: what the inbox acknowledges and counts.
struct received {
  protocol::fed::event_result result;  // 9008 "not stored" when the transaction failed
  std::error_code failure;             // why it failed
  core::effects fx;                    // sent by the node already
  bool duplicate = false;              // applied before: acknowledged, not applied again
  std::uint64_t skipped = 0;           // events before it that this node lost (a restore)
};

// Event `seq` of `origin`'s `stream` in a writer job of its own: the order check above, then
// node.apply_event; after the commit node.send_effects, then `done`. The inbox runs every
// event through it; tests and the fuzzer call it alone (no link, no acks).
void receive_event(store::writer& writer, node_port& node, const std::string& origin, const std::string& stream,
                   std::uint64_t seq, std::uint64_t after, boost::json::object event,
                   std::function<void(received&)> done);

class inbox {
 public:
  inbox(store::writer& writer, node_port& route, service& fed, boost::asio::io_context& ioc, logger log);

  // FED_EVENT `seq` of `origin`'s `stream`; `after`: how far the origin says this node
  // acknowledged that stream.
  void receive(const std::string& origin, const std::string& stream, std::uint64_t seq, std::uint64_t after,
               boost::json::object event);
  // Prometheus text: events received, duplicates, refused, skipped (all peers).
  void write_metrics(std::ostream& out) const;

 private:
  // After the commit: log, counters, the acknowledgement.
  void settle(const std::string& origin, const std::string& stream, std::uint64_t seq, const received& r);
  void ack_applied(const std::string& peer, const std::string& stream, std::uint64_t seq);
  void ack_refused(const std::string& peer, const std::string& stream, std::uint64_t seq,
                   const protocol::fed::event_result& r);
  void flush_ack(const std::string& peer);  // with ack_mutex_ held

  store::writer& writer_;
  node_port& route_;
  service& fed_;
  boost::asio::io_context& ioc_;
  logger log_;

  struct pending_ack {
    std::string stream;
    std::uint64_t seq = 0;  // 0: nothing pending
    bool scheduled = false;
  };
  std::mutex ack_mutex_;
  std::map<std::string, pending_ack> acks_;  // by peer

  std::atomic<std::uint64_t> received_{0};    // stored (duplicates and refusals included)
  std::atomic<std::uint64_t> duplicates_{0};  // already applied before
  std::atomic<std::uint64_t> refused_{0};     // refused by the rules (authority, malformed)
  std::atomic<std::uint64_t> skipped_{0};     // acknowledged before a restore of this node, lost
};

}  // namespace chatnode::federation
