// Media between nodes (docs/federation.md "Media between nodes"), the router's side: the end
// of a fetch. The SHA-256 is checked off the I/O threads, then core::settle_fetch publishes
// the media to this node's users exactly as a local upload is (or drops the bytes). The
// "media" and "media_done" events are applied by core/media.cpp.
#include "router.hpp"

#include "core/media.hpp"

#include "log.hpp"
#include "federation/media_fetch.hpp"
#include "store/tables.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"
#include "protocol/federation.hpp"
#include "protocol/ids.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <variant>

namespace chatnode::node {
namespace p = chatnode::protocol;
namespace json = boost::json;

void router::finish_fetch(const std::string& media_id, std::function<void(fetch_outcome)> done) {
  // SHA-256 of up to media.max_bytes is too slow for the writer thread or an I/O thread.
  run_blocking_([this, media_id, done = std::move(done)]() mutable {
    std::string sha;  // empty: the chunks do not add up (the bytes are dropped)
    try {
      auto t = db_.begin_read();
      auto m = store::load_media(t, media_id);
      if (!m || m->complete || !store::fetch_exists(t, media_id)) return done(fetch_outcome::gone);
      if (m->chunks == m->total_chunks && m->bytes == m->size) {
        sha = store::hash_chunks(t, media_id, m->total_chunks);
      }
    } catch (const std::exception& e) {
      log(log_level::error, "federation", "hashing fetched media ", media_id, ": ", e.what());
    }
    auto fx = std::make_shared<effects>();
    auto outcome = std::make_shared<fetch_outcome>(fetch_outcome::gone);
    writer_.submit(
        [this, media_id, sha, fx, outcome](store::txn& t) {
          fx->clear();
          auto c = context_of(t, *fx);
          *outcome = core::settle_fetch(c, media_id, sha, federation::media_fetch::max_attempts);
        },
        [this, fx, outcome, media_id, sha, done = std::move(done)](std::error_code ec) {
          if (ec) {
            log(log_level::error, "federation", "finishing fetched media ", media_id, ": ", ec.message());
            return done(fetch_outcome::refetch);
          }
          if (*outcome == fetch_outcome::refetch)
            log(log_level::warn, "federation", "fetched media ", media_id, " does not match its SHA-256 (got ",
                sha.empty() ? std::string("incomplete bytes") : sha, "): fetching it again");
          if (*outcome == fetch_outcome::failed)
            log(log_level::error, "federation", "fetched media ", media_id, " does not match its SHA-256 after ",
                federation::media_fetch::max_attempts, " transfers: given up, its recipients here do not get it");
          if (*outcome == fetch_outcome::published) log(log_level::info, "federation", "fetched media ", media_id, " in full");
          apply_effects(*fx);
          done(*outcome);
        });
  });
}

}  // namespace chatnode::node
