// Delivery between nodes (docs/federation.md "Delivery between nodes"): sends each peer's
// outbox over its link in order, at most `window` events unacknowledged, from the first
// unacknowledged event again whenever a link comes up; trims the outbox as the peer
// acknowledges (after its commit); hands received events to the router, which applies
// each (origin, stream, seq) once, and acknowledges them after the commit.
//
// FED_EVENT {"type":"FED_EVENT","stream":S,"seq":N,"event":{…}}
// FED_ACK   {"type":"FED_ACK","stream":S,"seq":N,"code":0|refusal,"reason"?:"…"}
#pragma once

#include "config.hpp"
#include "media_fetch.hpp"
#include "router.hpp"

#include "federation/service.hpp"
#include "store/lmdb.hpp"
#include "store/writer.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace chatnode::node {

class relay final : public federation_port {
 public:
  static constexpr std::size_t window = 512;  // events in flight per peer

  relay(const config& cfg, store::database& db, store::writer& writer, router& route, federation::service& fed);
  // Unhooks from the router and waits for writer completions that may still reach this
  // relay through it (the node can stop before its first commit completed, e.g. when the
  // federation port is taken).
  ~relay() override;
  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  // Reads (or makes) this data dir's stream id, hooks into the service and the router,
  // queues a "reset" event for every configured peer and pokes every peer with waiting
  // events. Call before the service starts.
  void start();

  bool reachable(const std::string& domain) const override;
  void poke(const std::string& domain) override;

  // Prometheus text: outbox depth, events sent, acknowledged and refused, per peer.
  void write_metrics(std::ostream& out) const;

 private:
  struct peer_pump {
    bool up = false;
    std::uint64_t sent = 0;     // highest seq sent on the current link
    std::uint64_t acked = 0;    // highest seq the peer acknowledged
    std::uint64_t trim_to = 0;  // highest seq to remove from the outbox
    bool trimming = false;      // a trim job is queued
    std::uint64_t events_sent = 0;
    std::uint64_t events_acked = 0;
    std::uint64_t events_refused = 0;
  };

  void on_frame(const std::string& peer, std::string_view frame);
  void on_state(const std::string& peer, federation::link_state state);
  void on_ack(const std::string& peer, std::uint64_t seq, int code, std::string_view reason);
  void pump(const std::string& peer, peer_pump& p);  // with mutex_ held
  void trim(const std::string& peer);

  const config& cfg_;
  store::database& db_;
  store::writer& writer_;
  router& route_;
  federation::service& fed_;
  std::string stream_;
  mutable std::mutex mutex_;
  std::map<std::string, peer_pump> peers_;
  media_fetch media_;  // media bytes between nodes: FED_MEDIA_* frames (media_fetch.hpp)
};

}  // namespace chatnode::node
