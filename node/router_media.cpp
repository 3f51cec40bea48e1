// Media transfer (docs/protocol.md §13): the same six messages both ways. Upload: the
// client sends, the node receives and stores each chunk in LMDB as it arrives (never the
// whole media in memory). Delivery: the node sends to each recipient, a window of chunks
// ahead of their acks, and remembers how far each got so a reconnect resumes there.
#include "router.hpp"

#include "log.hpp"
#include "media_fetch.hpp"
#include "store/tables.hpp"

#include "protocol/federation.hpp"

#include "crypto/encoding.hpp"
#include "protocol/ids.hpp"
#include "store/keys.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <unordered_map>

namespace chatnode::node {
namespace p = chatnode::protocol;

struct media_download {
  std::string uploader;
  std::uint32_t total = 0;
  std::uint32_t next = 1;       // next chunk to send
  std::uint32_t acked = 0;      // chunks 1..acked are acknowledged
  std::set<std::uint32_t> acked_ahead;  // acknowledged beyond the prefix
  std::uint32_t in_flight = 0;
};
struct media_downloads {
  std::unordered_map<std::string, media_download> active;
};

namespace {

frame_ptr offer_frame(const std::string& media_id, const store::media_record& m, const std::string& recipient) {
  p::media_message offer{m.sender, m.receiver.front() == '#' ? m.receiver : recipient, media_id, m.media_type, m.size,
                         m.sha256, m.total_chunks, std::to_string(m.message_id), std::nullopt, std::nullopt};
  if (!m.group_name.empty()) {
    offer.group_id = m.receiver;
    offer.group = m.group_name;
  }
  return router::make_frame(std::move(offer), std::nullopt);
}

}  // namespace

// ---- upload: the client sends, the node receives ------------------------------------

void router::handle_media_message(const std::shared_ptr<client_session>& s, p::media_message& req,
                                  const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  if (!valid_media_id(req.media_id)) {
    send_error(s, p::code::invalid_field, "payload.mediaId: 1-128 characters of [A-Za-z0-9._~-]", "MEDIA_MESSAGE", id);
    return;
  }
  if (req.media_size == 0) {
    send_error(s, p::code::invalid_field, "payload.mediaSize: must be at least 1", "MEDIA_MESSAGE", id);
    return;
  }
  // `receiver` is the node's full id for what the upload is addressed to once it is known,
  // else the request's text (§6: full ids out).
  auto ack = [me, media_id = req.media_id, id](const std::string& receiver, p::code c,
                                               std::optional<std::vector<std::uint32_t>> have) {
    return make_frame(p::media_message_ack{receiver, me, media_id, p::to_int(c), std::move(have)}, id);
  };
  if (req.media_size > cfg().media.max_bytes) {
    s->send(ack(req.receiver, p::code::media_too_large, std::nullopt));
    return;
  }
  run_rule(
      s,
      [this, s, me, req, ack](store::txn& t, effects& fx) {
        if (auto existing = store::load_media(t, req.media_id)) {
          if (existing->sender != me) return fx.send(s, ack(req.receiver, p::code::media_id_taken, std::nullopt));
          if (existing->complete) return fx.send(s, ack(existing->receiver, p::code::media_already_complete, std::nullopt));
          // A resumed upload: say which chunks are already here.
          return fx.send(s, ack(existing->receiver, p::code::ok, store::stored_chunks(t, req.media_id, existing->total_chunks)));
        }
        auto to = resolve_target(t, me, req.receiver);
        if (to.error != p::code::ok) return fx.send(s, ack(req.receiver, to.error, std::nullopt));
        unsigned unfinished = 0;
        std::uint64_t stored = 0;
        for (const auto& media_id : store::uploads_of(t, me)) {
          if (auto m = store::load_media(t, media_id)) {
            stored += m->size;
            if (!m->complete) ++unfinished;
          }
        }
        if (unfinished >= cfg().media.max_concurrent_uploads)
          return fx.send(s, ack(to.receiver, p::code::media_too_many_uploads, std::nullopt));
        if (stored + req.media_size > cfg().media.quota_bytes)
          return fx.send(s, ack(to.receiver, p::code::media_quota_exceeded, std::nullopt));
        store::media_record m;
        m.sender = me;
        m.receiver = to.receiver;
        m.group_name = to.group_name;
        m.media_type = req.media_type;
        m.size = req.media_size;
        m.created = now_seconds();
        store::save_media(t, req.media_id, m);
        store::add_upload(t, me, req.media_id);
        fx.send(s, ack(to.receiver, p::code::ok, std::vector<std::uint32_t>{}));
      },
      [ack, receiver = req.receiver] { return ack(receiver, p::code::server_error, std::nullopt); });
}

void router::handle_media_data(const std::shared_ptr<client_session>& s, p::media_message_data& req,
                               const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  auto ack = [me, media_id = req.media_id, index = req.chunk_index, id](const std::string& receiver, p::code c) {
    return make_frame(p::media_message_data_ack{receiver, me, media_id, index, p::to_int(c)}, id);
  };
  if (req.total_chunks < 1 || req.chunk_index < 1 || req.chunk_index > req.total_chunks) {
    s->send(ack(req.receiver, p::code::media_bad_chunk_index));
    return;
  }
  auto bytes = crypto::base64_decode(req.data);
  if (!bytes) {
    s->send(ack(req.receiver, p::code::media_bad_data));
    return;
  }
  if (bytes->empty() || bytes->size() > cfg().media.max_chunk_bytes) {
    s->send(ack(req.receiver, bytes->empty() ? p::code::media_bad_data : p::code::media_chunk_too_large));
    return;
  }
  struct outcome {
    p::code code = p::code::ok;
    bool last = false;      // this chunk completed the set
    bool mismatch = false;  // ... and the bytes differ from mediaSize
    std::string receiver;   // the upload's receiver (full id), when the upload is known
    bool stored = false;    // the chunk was new (chatnode_messages_total)
  };
  auto out = std::make_shared<outcome>();
  auto data = std::make_shared<std::vector<std::uint8_t>>(std::move(*bytes));
  const request_timer timer = request_scope::take();  // done when the ack is queued
  writer_.submit(
      [this, me, media_id = req.media_id, index = req.chunk_index, total = req.total_chunks, data, out](store::txn& t) {
        *out = outcome{};
        auto m = store::load_media(t, media_id);
        if (!m || m->sender != me) return void(out->code = p::code::media_unknown);
        out->receiver = m->receiver;
        if (m->complete) return;  // a late duplicate of a finished upload
        if (m->total_chunks == 0) {
          if (static_cast<std::uint64_t>(total) * cfg().media.max_chunk_bytes < m->size || total > m->size)
            return void(out->code = p::code::media_bad_chunk_index);
          m->total_chunks = total;
        } else if (m->total_chunks != total) {
          return void(out->code = p::code::media_bad_chunk_index);
        }
        if (store::load_chunk(t, media_id, index)) return;  // a duplicate: acked again, stored once
        if (m->bytes + data->size() > m->size) return void(out->code = p::code::media_size_mismatch);
        store::store_chunk(t, media_id, index, std::string_view(reinterpret_cast<const char*>(data->data()), data->size()));
        m->bytes += data->size();
        ++m->chunks;
        out->stored = true;
        store::save_media(t, media_id, *m);
        out->last = m->chunks == m->total_chunks;
        out->mismatch = out->last && m->bytes != m->size;
      },
      [this, s, me, media_id = req.media_id, receiver = req.receiver, out, ack, timer](std::error_code ec) {
        const std::string& to = out->receiver.empty() ? receiver : out->receiver;
        if (ec) {
          log(log_level::error, "router", "media chunk of ", media_id, ": ", ec.message());
          return s->send(ack(to, p::code::server_error));
        }
        s->send(ack(to, out->code));
        timer.done();
        if (out->stored) metrics_.messages.add(message_kind::media_chunk);
        if (out->mismatch) {
          // Every chunk is in but the sizes disagree: the upload is void; say so and drop it.
          writer_.submit(
              [media_id](store::txn& t) {
                if (auto m = store::load_media(t, media_id); m && !m->complete) store::purge_media(t, media_id, *m);
              },
              [s, me, media_id, to](std::error_code) {
                s->send(make_frame(p::media_message_complete{to, me, media_id, p::to_int(p::code::media_size_mismatch)},
                                   std::nullopt));
              });
        } else if (out->last) {
          finish_upload(media_id);
        }
      });
}

void router::finish_upload(const std::string& media_id) {
  // SHA-256 of up to media.max_bytes is too slow for the writer thread or an I/O thread.
  run_blocking_([this, media_id] {
    std::string sha;
    try {
      auto t = db_.begin_read();
      auto m = store::load_media(t, media_id);
      if (!m || m->complete) return;
      sha = store::hash_chunks(t, media_id, m->total_chunks);
    } catch (const std::exception& e) {
      log(log_level::error, "router", "hashing media ", media_id, ": ", e.what());
      return;
    }
    auto fx = std::make_shared<effects>();
    writer_.submit(
        [this, media_id, sha, fx](store::txn& t) {
          fx->clear();
          auto m = store::load_media(t, media_id);
          if (!m || m->complete) return;
          m->sha256 = sha;
          // Recipients are fixed now: the friend, or the group's members of this moment. A
          // group homed on another node: its home fans the media out (as for group texts).
          std::vector<std::string> recipients;
          bool forward_home = false;
          if (m->group_name.empty()) {
            recipients.push_back(m->receiver);
          } else if (!is_local(m->receiver)) {
            forward_home = true;
          } else if (auto g = store::load_group(t, m->receiver)) {
            for (const auto& member : g->members)
              if (member != m->sender) recipients.push_back(member);
          }
          if (auto up = online_.find(m->sender))
            fx->send(up, make_frame(p::media_message_complete{m->receiver, m->sender, media_id, 0}, std::nullopt));
          publish_media(t, *fx, media_id, *m, recipients, forward_home, now_seconds());
        },
        [this, fx, media_id](std::error_code ec) {
          if (ec) return log(log_level::error, "router", "finishing media ", media_id, ": ", ec.message());
          apply_effects(*fx);
        });
  });
}

void router::publish_media(store::txn& t, effects& fx, const std::string& media_id, store::media_record& m,
                           const std::vector<std::string>& recipients, bool forward_home, std::int64_t timestamp) {
  m.complete = true;
  m.message_id = store::next_counter(t, "next_message_id");
  m.recipients.clear();
  std::vector<std::string> local;
  std::map<std::string, std::vector<std::string>> remote;  // domain -> its users among the recipients
  for (const auto& r : recipients) {
    if (r == m.sender) continue;
    if (is_local(r)) {
      // A recipient who blocks the sender gets no offer (docs/protocol.md §15); a deleted
      // account gets nothing either.
      const auto uid = p::parse_user_id(r, cfg().domain);
      if (!uid || !store::local_user_exists(t, uid->name) || store::blocks(t, r, m.sender)) continue;
      if (std::find(local.begin(), local.end(), r) == local.end()) local.push_back(r);
    } else {
      remote[r.substr(r.rfind('@') + 1)].push_back(r);
    }
  }
  if (forward_home) remote[m.receiver.substr(m.receiver.rfind('@') + 1)];  // no users: the home decides
  // Only this node's users have a history here; the other nodes keep theirs.
  store::stored_message msg{timestamp, m.sender, m.receiver, {}, {}, {}, media_id, m.media_type, m.size};
  if (!m.group_name.empty()) {
    msg.group_id = m.receiver;
    msg.group_name = m.group_name;
  }
  std::vector<std::string_view> owners;
  if (is_local(m.sender)) owners.push_back(m.sender);
  for (const auto& r : local) owners.push_back(r);
  store::store_message(t, m.message_id, msg, owners);
  for (const auto& r : local) {
    store::add_delivery(t, r, media_id);
    m.recipients.push_back(r);
  }
  // Another node counts as one recipient ("@domain"): it fetches the bytes once for all its
  // users and says when it has them (event "media_done").
  for (const auto& [domain, users] : remote) {
    const std::string node = "@" + domain;
    store::add_delivery(t, node, media_id);
    m.recipients.push_back(node);
    p::fed::media_announce a{media_id, m.sender, m.receiver, std::nullopt, m.media_type, m.size,
                             m.total_chunks, m.sha256, timestamp, {users.begin(), users.end()}};
    if (!m.group_name.empty()) a.group = m.group_name;
    append_event(t, fx, domain, p::fed::media_event(a));
  }
  m.pending = static_cast<std::uint32_t>(m.recipients.size());
  if (m.pending == 0) {
    store::purge_media(t, media_id, m);
  } else {
    store::save_media(t, media_id, m);
  }
  for (const auto& r : local)
    if (auto to = online_.find_live(r)) fx.send(to, offer_frame(media_id, m, r));
}

void router::handle_media_complete_ack(const std::shared_ptr<client_session>&, p::media_message_complete_ack&,
                                       const std::optional<std::string>&) {
  // The uploader's last word: nothing is left to do (the node already holds the media).
}

// ---- delivery: the node sends, the recipient receives -------------------------------

std::vector<frame_ptr> router::media_offers(const store::txn& t, const std::string& user) const {
  std::vector<frame_ptr> offers;
  for (const auto& media_id : store::deliveries_of(t, user)) {
    if (auto m = store::load_media(t, media_id); m && m->complete) offers.push_back(offer_frame(media_id, *m, user));
  }
  return offers;
}

void router::handle_media_ack(const std::shared_ptr<client_session>& s, p::media_message_ack& req,
                              const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  std::uint32_t acked = 0;
  std::optional<store::media_record> m;
  try {
    auto t = db_.begin_read();
    if (auto progress = store::delivery_progress(t, me, req.media_id)) {
      acked = *progress;
      m = store::load_media(t, req.media_id);
    }
  } catch (const std::exception& e) {
    log(log_level::error, "router", "media ack: ", e.what());
  }
  if (!m || !m->complete) {
    send_error(s, p::code::media_unknown, "no media " + req.media_id + " waiting for you", "MEDIA_MESSAGE_ACK", id);
    return;
  }
  if (req.code != 0) {
    // The recipient declines: their delivery is over.
    media_download declined;
    declined.uploader = m->sender;
    finish_delivery(s, req.media_id, declined, false, std::nullopt);
    return;
  }
  auto& downloads = s->state().media;
  if (!downloads) downloads = std::make_shared<media_downloads>();
  media_download d;
  d.uploader = m->sender;
  d.total = m->total_chunks;
  d.acked = acked;
  // The recipient may say which chunks it already has (a resumed download).
  if (req.received_chunks)
    for (auto index : *req.received_chunks)
      if (index > d.acked && index <= d.total) d.acked_ahead.insert(index);
  while (d.acked_ahead.count(d.acked + 1)) d.acked_ahead.erase(++d.acked);
  d.next = d.acked + 1;
  downloads->active[req.media_id] = std::move(d);
  pump_download(s, req.media_id);
}

void router::pump_download(const std::shared_ptr<client_session>& s, const std::string& media_id) {
  auto& downloads = s->state().media;
  if (!downloads) return;
  auto it = downloads->active.find(media_id);
  if (it == downloads->active.end()) return;
  media_download& d = it->second;
  const std::string me = s->state().user->full();
  try {
    std::optional<store::txn> t;
    while (d.in_flight < cfg().media.delivery_window && d.next <= d.total) {
      const std::uint32_t index = d.next++;
      if (d.acked_ahead.count(index)) continue;
      if (!t) t.emplace(db_.begin_read());
      auto chunk = store::load_chunk(*t, media_id, index);
      if (!chunk) throw std::runtime_error("chunk " + std::to_string(index) + " missing");
      p::media_message_data data{d.uploader, me, media_id,
                                 crypto::base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(chunk->data()), chunk->size())),
                                 index, d.total};
      ++d.in_flight;
      s->send(make_frame(std::move(data), std::nullopt));
    }
  } catch (const std::exception& e) {
    log(log_level::error, "router", "sending media ", media_id, " to ", me, ": ", e.what());
    downloads->active.erase(it);
  }
}

void router::handle_media_data_ack(const std::shared_ptr<client_session>& s, p::media_message_data_ack& req,
                                   const std::optional<std::string>& id) {
  auto& downloads = s->state().media;
  auto it = downloads ? downloads->active.find(req.media_id) : decltype(downloads->active.end()){};
  if (!downloads || it == downloads->active.end()) {
    send_error(s, p::code::media_unknown, "no delivery of " + req.media_id + " in progress", "MEDIA_MESSAGE_DATA_ACK", id);
    return;
  }
  media_download& d = it->second;
  if (req.chunk_index < 1 || req.chunk_index > d.total || req.chunk_index >= d.next) {
    send_error(s, p::code::media_bad_chunk_index, "chunk " + std::to_string(req.chunk_index) + " was not sent",
               "MEDIA_MESSAGE_DATA_ACK", id);
    return;
  }
  if (req.chunk_index > d.acked && !d.acked_ahead.count(req.chunk_index)) {
    if (d.in_flight) --d.in_flight;
    d.acked_ahead.insert(req.chunk_index);
    const std::uint32_t before = d.acked;
    while (d.acked_ahead.count(d.acked + 1)) d.acked_ahead.erase(++d.acked);
    if (d.acked != before) {
      // Remember the progress so a reconnect resumes from the first unacknowledged chunk.
      writer_.submit(
          [me = s->state().user->full(), media_id = req.media_id, acked = d.acked](store::txn& t) {
            store::advance_delivery(t, me, media_id, acked);
          },
          {});
    }
  }
  pump_download(s, req.media_id);
}

void router::handle_media_complete(const std::shared_ptr<client_session>& s, p::media_message_complete& req,
                                   const std::optional<std::string>& id) {
  auto& downloads = s->state().media;
  auto it = downloads ? downloads->active.find(req.media_id) : decltype(downloads->active.end()){};
  if (!downloads || it == downloads->active.end()) {
    send_error(s, p::code::media_unknown, "no delivery of " + req.media_id + " in progress", "MEDIA_MESSAGE_COMPLETE", id);
    return;
  }
  media_download d = it->second;
  if (d.acked < d.total) {
    s->send(make_frame(p::media_message_complete_ack{d.uploader, s->state().user->full(), req.media_id,
                                                     p::to_int(p::code::media_size_mismatch)},
                       id));
    return;
  }
  downloads->active.erase(it);
  finish_delivery(s, req.media_id, d, true, id);
}

void router::finish_delivery(const std::shared_ptr<client_session>& s, const std::string& media_id,
                             const media_download& d, bool acknowledge, const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  run_rule(
      s,
      [s, me, media_id, uploader = d.uploader, acknowledge, id](store::txn& t, effects& fx) {
        if (store::remove_delivery(t, me, media_id)) {
          store::release_media(t, media_id);
        }
        if (acknowledge) fx.send(s, make_frame(p::media_message_complete_ack{uploader, me, media_id, 0}, id));
      },
      [s, me, media_id, uploader = d.uploader, id] {
        return make_frame(p::media_message_complete_ack{uploader, me, media_id, p::to_int(p::code::server_error)}, id);
      });
}

void router::purge_expired_media() {
  const std::int64_t cutoff = now_seconds() - cfg().media.retention.count();
  writer_.submit(
      [cutoff](store::txn& t) {
        std::vector<std::pair<std::string, store::media_record>> expired;
        store::for_each_media(t, [&](std::string_view media_id, const store::media_record& m) {
          if (m.created < cutoff) expired.emplace_back(media_id, m);
          return true;
        });
        for (const auto& [media_id, m] : expired) {
          store::purge_media(t, media_id, m);
          store::drop_fetch(t, media_id);  // a fetch from another node, unfinished
        }
      },
      [](std::error_code ec) {
        if (ec) log(log_level::error, "router", "purging expired media: ", ec.message());
      });
}

}  // namespace chatnode::node
