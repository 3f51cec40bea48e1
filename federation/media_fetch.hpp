// Media bytes between nodes (docs/federation.md "Media between nodes"): a node that was told of a media
// (a "media" event through the outbox) pulls its chunks from the announcing node over the
// live link, with the chunk/ack flow clients use, and resumes from the first chunk it
// lacks whenever the link comes back. The same class serves the other side: it sends the
// chunks of this node's media to the peers entitled to them, a window ahead of their acks.
//
// FED_MEDIA_FETCH    {mediaId, from}                       fetcher -> holder
// FED_MEDIA_DATA     {mediaId, chunkIndex, totalChunks, data (base64)}   holder -> fetcher
// FED_MEDIA_DATA_ACK {mediaId, chunkIndex}                 fetcher -> holder, after its commit
// FED_MEDIA_ERROR    {mediaId, code, reason}               holder -> fetcher: not yours / gone
// `mediaId` is always the holder's id of the media.
#pragma once

#include "federation/log.hpp"
#include "federation/port.hpp"
#include "federation/service.hpp"
#include "protocol/federation.hpp"
#include "store/lmdb.hpp"
#include "store/writer.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatnode::federation {

class media_fetch {
 public:
  static constexpr std::uint32_t media_window = 16;    // chunks in flight per media
  static constexpr std::uint32_t peer_window = 32;     // chunks in flight per link (its queue holds 8 MiB)
  static constexpr std::size_t fetches_per_peer = 4;   // media fetched from one peer at once
  static constexpr std::uint32_t max_attempts = 3;     // transfers per media before giving up

  media_fetch(store::database& db, store::writer& writer, node_port& route, service& fed, logger log);

  // The FED_MEDIA_* frames from `peer`, decoded (the relay hands these over).
  void receive(const std::string& peer, const protocol::fed::media_fetch& f) { on_fetch(peer, f.media_id, f.from); }
  void receive(const std::string& peer, const protocol::fed::media_data& f) {
    on_data(peer, f.media_id, f.chunk_index, f.data);
  }
  void receive(const std::string& peer, const protocol::fed::media_data_ack& f) {
    on_data_ack(peer, f.media_id, f.chunk_index);
  }
  void receive(const std::string& peer, const protocol::fed::media_error& f) {
    on_error(peer, f.media_id, f.code, f.reason);
  }
  void on_state(const std::string& peer, link_state state);
  // Starts the fetches from `peer` that wait (new ones, or after a link came up).
  void poke(const std::string& peer);
  void write_metrics(std::ostream& out) const;

 private:
  struct serving {  // this node sends
    std::uint32_t total = 0;
    std::uint32_t next = 1;
    std::set<std::uint32_t> in_flight;
  };
  struct fetching {  // this node receives
    std::string local_id;
    bool finishing = false;  // every chunk is in: the hash check runs
  };
  struct peer_state {
    bool up = false;
    std::map<std::string, serving> serves;    // by this node's media id
    std::map<std::string, fetching> fetches;  // by the peer's media id
    std::uint32_t in_flight = 0;              // chunks sent to the peer, not acknowledged
    std::uint64_t chunks_sent = 0;
    std::uint64_t chunks_received = 0;
    std::uint64_t fetched = 0;
    std::uint64_t failed = 0;
  };

  void on_fetch(const std::string& peer, const std::string& media_id, std::uint32_t from);
  void on_data(const std::string& peer, const std::string& origin_id, std::uint32_t index, std::string_view data);
  void on_data_ack(const std::string& peer, const std::string& media_id, std::uint32_t index);
  void on_error(const std::string& peer, const std::string& origin_id, std::int64_t code, std::string_view reason);
  // Sends what the windows allow of every media being served to `peer`.
  void pump(const std::string& peer);
  // Every chunk of a fetch is stored: the router checks the hash and publishes the media.
  void finish(const std::string& peer, const std::string& origin_id, const std::string& local_id);
  void send_error(const std::string& peer, const std::string& media_id, int code, const std::string& reason);

  store::database& db_;
  store::writer& writer_;
  node_port& route_;
  service& fed_;
  logger log_;
  mutable std::mutex mutex_;
  std::map<std::string, peer_state> peers_;
};

}  // namespace chatnode::federation
