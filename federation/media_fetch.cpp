// Media bytes between nodes (see media_fetch.hpp): the fetching side stores each chunk in
// its own media_chunks before acknowledging it; the holding side reads chunks from LMDB as
// it sends them, so neither keeps a media in memory.
#include "federation/media_fetch.hpp"

#include "crypto/encoding.hpp"
#include "protocol/federation.hpp"
#include "store/tables.hpp"

#include <algorithm>
#include <memory>

namespace chatnode::federation {
namespace p = chatnode::protocol;

media_fetch::media_fetch(store::database& db, store::writer& writer, node_port& route, service& fed, logger log)
    : db_(db), writer_(writer), route_(route), fed_(fed), log_(std::move(log)) {}

void media_fetch::on_state(const std::string& peer, link_state state) {
  const bool up = state == link_state::up;
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    if (!up && !p.up) return;
    p.up = up;
    // A new link starts both directions afresh: the fetcher asks again from what it has.
    p.serves.clear();
    p.in_flight = 0;
    for (auto it = p.fetches.begin(); it != p.fetches.end();)
      it = it->second.finishing ? std::next(it) : p.fetches.erase(it);  // a hash check runs on
  }
  if (up) poke(peer);
}

// ---- the holding side: this node sends ----------------------------------------------

void media_fetch::send_error(const std::string& peer, const std::string& media_id, int code, const std::string& reason) {
  write_log(log_, severity::warn, "media ", media_id, " for ", peer, ": ", reason);
  fed_.send(peer, p::fed::encode(p::fed::media_error{media_id, code, reason}));
}

void media_fetch::on_fetch(const std::string& peer, const std::string& media_id, std::uint32_t from) {
  std::uint32_t total = 0;
  try {
    auto t = db_.begin_read();
    auto m = store::load_media(t, media_id);
    // Only a node this one announced the media to may fetch it (its delivery is "@peer").
    if (m && m->complete && store::delivery_progress(t, "@" + peer, media_id)) total = m->total_chunks;
  } catch (const std::exception& e) {
    write_log(log_, severity::error, "media ", media_id, " for ", peer, ": ", e.what());
    return;
  }
  if (total == 0) return send_error(peer, media_id, 8001, "no media " + media_id + " for " + peer);
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    if (!p.up) return;
    auto& s = p.serves[media_id];
    p.in_flight -= std::min<std::uint32_t>(p.in_flight, static_cast<std::uint32_t>(s.in_flight.size()));
    s = serving{total, std::min(from, total + 1), {}};
  }
  pump(peer);
}

void media_fetch::pump(const std::string& peer) {
  struct item {
    std::string media_id;
    std::uint32_t index;
    std::uint32_t total;
  };
  std::vector<item> todo;
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    if (!p.up) return;
    // Round robin over the media being served, one chunk each, within both windows.
    for (bool progress = true; progress && p.in_flight < peer_window;) {
      progress = false;
      for (auto& [media_id, s] : p.serves) {
        if (p.in_flight >= peer_window) break;
        if (s.next > s.total || s.in_flight.size() >= media_window) continue;
        todo.push_back({media_id, s.next, s.total});
        s.in_flight.insert(s.next++);
        ++p.in_flight;
        progress = true;
      }
    }
  }
  if (todo.empty()) return;
  std::optional<store::txn> t;
  try {
    t.emplace(db_.begin_read());
  } catch (const std::exception& e) {
    write_log(log_, severity::error, "reading media for ", peer, ": ", e.what());
    return;
  }
  std::uint64_t sent = 0;
  for (const auto& it : todo) {
    auto chunk = store::load_chunk(*t, it.media_id, it.index);
    if (!chunk) {
      {
        std::lock_guard lock(mutex_);
        auto& p = peers_[peer];
        if (auto s = p.serves.find(it.media_id); s != p.serves.end()) {
          p.in_flight -= std::min<std::uint32_t>(p.in_flight, static_cast<std::uint32_t>(s->second.in_flight.size()));
          p.serves.erase(s);
        }
      }
      send_error(peer, it.media_id, 8001, "chunk " + std::to_string(it.index) + " of " + it.media_id + " is gone");
      continue;
    }
    const std::string data =
        crypto::base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(chunk->data()), chunk->size()));
    if (!fed_.send(peer, p::fed::media_data_frame(it.media_id, it.index, it.total, data))) break;  // the link went down: on_state clears the state
    ++sent;
  }
  std::lock_guard lock(mutex_);
  peers_[peer].chunks_sent += sent;
}

void media_fetch::on_data_ack(const std::string& peer, const std::string& media_id, std::uint32_t index) {
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    auto s = p.serves.find(media_id);
    if (s == p.serves.end()) return;  // from a previous link, or a late duplicate
    if (s->second.in_flight.erase(index) && p.in_flight) --p.in_flight;
    if (s->second.next > s->second.total && s->second.in_flight.empty()) p.serves.erase(s);  // all sent and stored
  }
  pump(peer);
}

// ---- the fetching side: this node receives ------------------------------------------

void media_fetch::poke(const std::string& peer) {
  std::set<std::string> active;  // local ids being fetched from the peer
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    if (!p.up || p.fetches.size() >= fetches_per_peer) return;
    for (const auto& [origin_id, f] : p.fetches) active.insert(f.local_id);
  }
  struct start {
    std::string origin_id;
    std::string local_id;
    std::uint32_t from = 1;
    std::uint32_t total = 0;
  };
  std::vector<start> starts;
  try {
    auto t = db_.begin_read();
    for (const auto& [local_id, f] : store::fetches(t)) {
      if (active.size() + starts.size() >= fetches_per_peer) break;
      if (active.count(local_id) || f.origin != peer) continue;
      auto m = store::load_media(t, local_id);
      if (!m || m->complete || m->total_chunks == 0) continue;
      starts.push_back({f.origin_id, local_id, store::first_missing_chunk(t, local_id, m->total_chunks), m->total_chunks});
    }
  } catch (const std::exception& e) {
    write_log(log_, severity::error, "reading the media fetches from ", peer, ": ", e.what());
    return;
  }
  for (const auto& s : starts) {
    {
      std::lock_guard lock(mutex_);
      auto& p = peers_[peer];
      if (!p.up || p.fetches.size() >= fetches_per_peer || p.fetches.count(s.origin_id)) continue;
      p.fetches[s.origin_id] = fetching{s.local_id, false};
    }
    if (s.from > s.total) {
      finish(peer, s.origin_id, s.local_id);  // every chunk was in before a restart
      continue;
    }
    write_log(log_, severity::info, s.from == 1 ? "fetching media " : "resuming media ", s.local_id, " from ", peer,
        " at chunk ", s.from, " of ", s.total);
    fed_.send(peer, p::fed::encode(p::fed::media_fetch{s.origin_id, s.from}));
  }
}

void media_fetch::on_data(const std::string& peer, const std::string& origin_id, std::uint32_t index, std::string_view data) {
  std::string local_id;
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    auto f = p.fetches.find(origin_id);
    if (f == p.fetches.end() || f->second.finishing) return;  // not asked for on this link
    local_id = f->second.local_id;
  }
  auto bytes = crypto::base64_decode(data);
  if (!bytes || bytes->empty()) {
    write_log(log_, severity::warn, "chunk ", index, " of media ", origin_id, " from ", peer, ": bad base64");
    return finish(peer, origin_id, local_id);  // the check fails and the transfer starts over
  }
  enum class result { stored, duplicate, gone, bad };
  auto out = std::make_shared<std::pair<result, bool>>(result::gone, false);  // (result, last chunk)
  auto chunk = std::make_shared<std::vector<std::uint8_t>>(std::move(*bytes));
  writer_.submit(
      [local_id, index, chunk, out](store::txn& t) {
        *out = {result::gone, false};
        auto m = store::load_media(t, local_id);
        if (!m || m->complete || !store::fetch_exists(t, local_id)) return;
        if (index > m->total_chunks) return void(out->first = result::bad);
        if (store::load_chunk(t, local_id, index)) return void(out->first = result::duplicate);
        if (m->bytes + chunk->size() > m->size) return void(out->first = result::bad);
        store::store_chunk(t, local_id, index, std::string_view(reinterpret_cast<const char*>(chunk->data()), chunk->size()));
        m->bytes += chunk->size();
        ++m->chunks;
        store::save_media(t, local_id, *m);
        *out = {result::stored, m->chunks == m->total_chunks};
      },
      [this, peer, origin_id, local_id, index, out](std::error_code ec) {
        if (ec) return write_log(log_, severity::error, "storing chunk ", index, " of media ", local_id, ": ", ec.message());
        switch (out->first) {
          case result::gone: {
            std::lock_guard lock(mutex_);
            peers_[peer].fetches.erase(origin_id);
            return;
          }
          case result::bad:
            write_log(log_, severity::warn, "chunk ", index, " of media ", origin_id, " from ", peer,
                " does not fit the announced size");
            return finish(peer, origin_id, local_id);
          case result::stored:
          case result::duplicate:
            break;
        }
        {
          std::lock_guard lock(mutex_);
          if (out->first == result::stored) ++peers_[peer].chunks_received;
        }
        fed_.send(peer, p::fed::encode(p::fed::media_data_ack{origin_id, index}));
        if (out->second) finish(peer, origin_id, local_id);
      });
}

void media_fetch::finish(const std::string& peer, const std::string& origin_id, const std::string& local_id) {
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    auto f = p.fetches.find(origin_id);
    if (f == p.fetches.end() || f->second.local_id != local_id || f->second.finishing) return;
    f->second.finishing = true;
  }
  route_.finish_fetch(local_id, [this, peer, origin_id](protocol::fed::fetch_outcome outcome) {
    {
      std::lock_guard lock(mutex_);
      auto& p = peers_[peer];
      p.fetches.erase(origin_id);
      if (outcome == protocol::fed::fetch_outcome::published) ++p.fetched;
      if (outcome == protocol::fed::fetch_outcome::failed) ++p.failed;
    }
    poke(peer);  // the next waiting fetch, or this one again after a mismatch
  });
}

void media_fetch::on_error(const std::string& peer, const std::string& origin_id, std::int64_t code, std::string_view reason) {
  std::string local_id;
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    auto f = p.fetches.find(origin_id);
    if (f == p.fetches.end() || f->second.finishing) return;
    local_id = f->second.local_id;
    p.fetches.erase(f);
    ++p.failed;
  }
  // The holder no longer has it for us (purged after its retention, say): nothing will come.
  write_log(log_, severity::error, peer, " refused media ", origin_id, " (", code, "): ", reason,
      "; dropping the fetch of ", local_id);
  writer_.submit(
      [local_id, peer](store::txn& t) {
        auto f = store::load_fetch(t, local_id);
        if (!f || f->origin != peer) return;
        if (auto m = store::load_media(t, local_id); m && !m->complete) store::purge_media(t, local_id, *m);
        store::drop_fetch(t, local_id);
      },
      [this, peer, local_id](std::error_code ec) {
        if (ec) write_log(log_, severity::error, "dropping the fetch of ", local_id, ": ", ec.message());
        poke(peer);
      });
}

void media_fetch::write_metrics(std::ostream& out) const {
  std::lock_guard lock(mutex_);
  auto series = [&](const char* name, const char* type, const char* help, auto field) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    for (const auto& [peer, p] : peers_) out << name << "{peer=\"" << peer << "\"} " << field(p) << '\n';
  };
  series("chatnode_federation_media_chunks_sent_total", "counter", "Media chunks sent to a peer that fetches them (resends included).",
         [](const peer_state& p) { return p.chunks_sent; });
  series("chatnode_federation_media_chunks_received_total", "counter", "Media chunks fetched from a peer and stored.",
         [](const peer_state& p) { return p.chunks_received; });
  series("chatnode_federation_media_fetched_total", "counter", "Media fetched from a peer in full, checked and delivered.",
         [](const peer_state& p) { return p.fetched; });
  series("chatnode_federation_media_failed_total", "counter", "Media fetches from a peer given up (hash mismatches, refusals).",
         [](const peer_state& p) { return p.failed; });
  series("chatnode_federation_media_fetches_active", "gauge", "Media being fetched from a peer right now.",
         [](const peer_state& p) { return p.fetches.size(); });
}

}  // namespace chatnode::federation
