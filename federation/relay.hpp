// Delivery between nodes (docs/federation.md "Delivery between nodes"): sends each peer's
// outbox over its link in order, at most `window` events unacknowledged, from the first
// unacknowledged event again whenever a link comes up; trims the outbox as the peer
// acknowledges (after its commit); hands received events to the inbox (inbox.hpp), which
// applies each (origin, stream, seq) once and acknowledges it after the commit; hands
// FED_MEDIA_* frames to media_fetch (media_fetch.hpp).
//
// FED_EVENT {"type":"FED_EVENT","stream":S,"seq":N,"after":A,"event":{…}}: A = how far the
//           peer has acknowledged stream S (a peer restored from a backup skips to it)
// FED_ACK   {"type":"FED_ACK","stream":S,"seq":N,"code":0|refusal,"reason"?:"…"}: every
//           event up to N is stored (cumulative); a refusal acknowledges its event alone.
// Each run of the node numbers its events in a new stream (store::new_fed_stream).
#pragma once

#include "federation/inbox.hpp"
#include "federation/log.hpp"
#include "federation/media_fetch.hpp"
#include "federation/port.hpp"
#include "federation/service.hpp"

#include "store/lmdb.hpp"
#include "store/writer.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace chatnode::federation {

class relay final : public port {
 public:
  static constexpr std::size_t window = 512;  // events in flight per peer

  // The peers, the domain and the allow/deny lists are the service's (fed.opts(), which a
  // config reload replaces).
  relay(store::database& db, store::writer& writer, node_port& route, service& fed, boost::asio::io_context& ioc, logger log);
  // Unhooks from the router and waits for writer completions that may still reach this
  // relay through it (the node can stop before its first commit completed, e.g. when the
  // federation port is taken).
  ~relay() override;
  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  // Makes this run's stream id, hooks into the service and the node,
  // queues a "reset" event for every configured peer and pokes every peer with waiting
  // events. Call before the service starts.
  void start();

  bool reachable(const std::string& domain) const override;
  void poke(const std::string& domain) override;

  // Events waiting per peer (configured peers and any with an outbox).
  std::map<std::string, std::uint64_t> outbox_depths() const;
  // Prometheus text: outbox depth, events sent, acknowledged and refused, per peer; the
  // inbox's and media_fetch's counters.
  void write_metrics(std::ostream& out) const;

 private:
  struct peer_pump {
    bool up = false;
    std::uint64_t sent = 0;     // highest outbox seq sent on the current link
    std::uint64_t acked = 0;    // highest outbox seq the peer acknowledged
    std::uint64_t floor = 0;    // every outbox seq up to this one is acknowledged
    std::map<std::string, std::uint64_t> bases;  // stream -> outbox seq before its first event
    std::uint64_t trim_to = 0;  // highest seq to remove from the outbox
    bool trimming = false;      // a trim job is queued
    std::uint64_t first_sent = 0;  // the first seq this process sent (for events_acked)
    std::uint64_t events_sent = 0;
    std::uint64_t events_acked = 0;
    std::uint64_t events_refused = 0;
    // At most one pump per peer runs (it reads the outbox and sends without mutex_ held, so
    // frames go out in order); a pump asked for meanwhile runs once it is done.
    bool pumping = false;
    bool pump_again = false;
    std::uint64_t link_generation = 0;  // changes with every link state: a pump's reads and
                                        // sends count only for the link it started on
  };

  // Any frame after the hello: decoded (protocol/federation.hpp) and handed on; one that
  // does not decode is logged and ignored.
  void on_frame(const std::string& peer, std::string_view text);
  void on_state(const std::string& peer, link_state state);
  void on_ack(const std::string& peer, const std::string& stream, std::uint64_t stream_seq, int code, std::string_view reason);
  // Sends what the window allows from the outbox; called without mutex_ held.
  void pump(const std::string& peer);
  void pump_round(const std::string& peer);  // by the pump that set `pumping`
  // One outbox read and its sends, both with `lock` (on mutex_) released.
  void send_window(const std::string& peer, peer_pump& p, std::unique_lock<std::mutex>& lock);
  void trim(const std::string& peer);

  store::database& db_;
  store::writer& writer_;
  node_port& route_;
  service& fed_;
  boost::asio::io_context& ioc_;
  logger log_;
  std::string stream_;
  mutable std::mutex mutex_;
  std::map<std::string, peer_pump> peers_;
  inbox inbox_;        // events from other nodes: FED_EVENT in, FED_ACK out (inbox.hpp)
  media_fetch media_;  // media bytes between nodes: FED_MEDIA_* frames (media_fetch.hpp)
};

}  // namespace chatnode::federation
