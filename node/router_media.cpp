// Media transfer (docs/protocol.md §13): the same six messages both ways. Upload: the
// client sends, the node receives and stores each chunk in LMDB as it arrives (never the
// whole media in memory). Delivery: the node sends to each recipient, a window of chunks
// ahead of their acks, and remembers how far each got so a reconnect resumes there.
#include "router.hpp"

#include "core/media.hpp"

#include "log.hpp"
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

// ---- upload: the client sends, the node receives ------------------------------------

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
  auto out = std::make_shared<core::chunk_outcome>();
  auto fx = std::make_shared<effects>();
  auto data = std::make_shared<std::vector<std::uint8_t>>(std::move(*bytes));
  const request_timer timer = request_scope::take();  // done when the ack is queued
  writer_.submit(
      [this, me, media_id = req.media_id, index = req.chunk_index, total = req.total_chunks, data, out, fx](store::txn& t) {
        fx->clear();
        auto c = context_of(t, *fx);
        *out = core::store_chunk(c, me, media_id, index, total,
                                 std::string_view(reinterpret_cast<const char*>(data->data()), data->size()));
      },
      [this, s, me, media_id = req.media_id, receiver = req.receiver, out, fx, ack, timer](std::error_code ec) {
        const std::string& to = out->receiver.empty() ? receiver : out->receiver;
        if (ec) {
          log(log_level::error, "router", "media chunk of ", media_id, ": ", ec.message());
          return s->send(ack(to, p::code::server_error));
        }
        s->send(ack(to, out->code));
        timer.done();
        metrics_.messages.add(fx->tally);  // the chunk, when it was new
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
          auto c = context_of(t, *fx);
          core::complete_upload(c, media_id, sha);
        },
        [this, fx, media_id](std::error_code ec) {
          if (ec) return log(log_level::error, "router", "finishing media ", media_id, ": ", ec.message());
          apply_effects(*fx);
        });
  });
}

void router::handle_media_complete_ack(const std::shared_ptr<client_session>&, p::media_message_complete_ack&,
                                       const std::optional<std::string>&) {
  // The uploader's last word: nothing is left to do (the node already holds the media).
}

// ---- delivery: the node sends, the recipient receives -------------------------------

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
      [me, media_id, uploader = d.uploader, acknowledge, id](core::context& c) {
        core::finish_delivery(c, core::actor{me, {}, false}, media_id, uploader, acknowledge, id);
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
