// The router's side of federation (docs/federation.md "What crosses a link"): events bound
// for other nodes go into their outboxes in the same transaction as the change that makes
// them (core::context::flush_remote), and events from other nodes are applied here in a
// writer job, once per (origin, stream, seq): core/inbound.hpp checks and applies them.
#include "router.hpp"

#include "log.hpp"
#include "store/tables.hpp"

#include "core/friends.hpp"
#include "core/inbound.hpp"

#include <boost/json/object.hpp>

#include <cstdint>

namespace chatnode::node {
namespace p = chatnode::protocol;
namespace json = boost::json;

void router::presence_to_friends_async(const std::string& me, frame_ptr frame, bool local) {
  if (!frame) return;
  auto fx = std::make_shared<effects>();
  writer_.submit(
      [this, fx, me, frame, local](store::txn& t) {
        fx->clear();
        auto c = context_of(t, *fx);
        core::presence_to_friends(c, me, frame, local);
        c.flush_remote();
      },
      [this, fx, me](std::error_code ec) {
        if (ec) return log(log_level::error, "router", "presence of ", me, " to other nodes: ", ec.message());
        apply_effects(*fx);
      });
}

void router::announce_start(const std::vector<std::string>& peers, std::function<void()> done) {
  auto fx = std::make_shared<effects>();
  writer_.submit(
      [this, fx, peers](store::txn& t) {
        fx->clear();
        auto c = context_of(t, *fx);
        for (const auto& peer : peers) c.append_event(peer, R"({"kind":"reset"})");
      },
      [this, fx, done = std::move(done)](std::error_code ec) {
        if (ec) log(log_level::error, "router", "announcing the start to other nodes: ", ec.message());
        apply_effects(*fx);
        if (done) done();
      });
}

void router::receive_remote(const std::string& origin, const std::string& stream, std::uint64_t seq, std::uint64_t acked,
                            json::object event, std::function<void(remote_result)> done) {
  struct outcome {
    effects fx;
    remote_result result;
    bool duplicate = false;
    std::uint64_t skipped = 0;
  };
  auto out = std::make_shared<outcome>();
  writer_.submit(
      [this, out, origin, stream, seq, acked, event = std::move(event)](store::txn& t) {
        out->fx.clear();
        out->result = {};
        out->duplicate = false;
        out->skipped = 0;
        const std::uint64_t last = store::fed_in_last(t, origin, stream);
        if (seq <= last) {
          out->duplicate = true;
          return;
        }
        if (seq != last + 1) {
          if (acked + 1 < seq) {
            // A frame of a link being replaced: the new link resends from last + 1.
            out->result = {-1, "out of order"};
            return;
          }
          // The origin says this node acknowledged everything before seq: this data dir lost
          // them (it was restored from a backup). Waiting would block the stream for ever.
          out->skipped = seq - 1 - last;
        }
        // First, so that what this event makes for the origin says it was read (group records).
        store::fed_in_set(t, origin, stream, seq);
        auto c = context_of(t, out->fx);
        out->result = core::apply_event(c, origin, event);
        if (out->result.code != 0) {
          out->fx.clear();  // refused: checked before anything was written
        } else {
          c.flush_remote();
        }
      },
      [this, out, origin, seq, done = std::move(done)](std::error_code ec) {
        if (ec) {
          // Not acknowledged: the origin sends it again on the next link.
          log(log_level::error, "federation", "event ", seq, " of ", origin, " not stored: ", ec.message());
          return done({p::to_int(p::code::server_error), "not stored"});
        }
        if (out->result.code == -1) {
          log(log_level::warn, "federation", "event ", seq, " of ", origin, " out of order; waiting for the resend");
          return done(out->result);
        }
        if (out->skipped) {
          metrics_.remote_skipped.fetch_add(out->skipped, std::memory_order_relaxed);
          log(log_level::warn, "federation", out->skipped, " events of ", origin, " before ", seq,
              " were acknowledged by this node before it was restored from a backup: they are lost here");
        }
        metrics_.remote_events.fetch_add(1, std::memory_order_relaxed);
        if (out->duplicate) {
          metrics_.remote_duplicates.fetch_add(1, std::memory_order_relaxed);
        } else if (out->result.code != 0) {
          metrics_.remote_refused.fetch_add(1, std::memory_order_relaxed);
          log(log_level::warn, "federation", "refused event ", seq, " of ", origin, ": ", out->result.reason);
        }
        apply_effects(out->fx);
        done(out->result);
      });
}

}  // namespace chatnode::node
