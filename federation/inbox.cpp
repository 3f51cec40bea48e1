// Events from other nodes, applied once and acknowledged after the commit (see inbox.hpp).
#include "federation/inbox.hpp"

#include "protocol/codes.hpp"
#include "store/tables.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <memory>

namespace chatnode::federation {
namespace json = boost::json;

namespace {

void order_and_apply(store::txn& t, node_port& node, const std::string& origin, const std::string& stream,
                     std::uint64_t seq, std::uint64_t after, const json::object& event, received& out) {
  const std::uint64_t last = store::fed_in_last(t, origin, stream);
  if (seq <= last) {
    out.duplicate = true;
    return;
  }
  if (seq != last + 1) {
    if (after + 1 < seq) {
      // A frame of a link being replaced: the new link resends from last + 1.
      out.result = {-1, "out of order"};
      return;
    }
    // The origin says this node acknowledged everything before seq: this data dir lost
    // them (it was restored from a backup). Waiting would block the stream for ever.
    out.skipped = seq - 1 - last;
  }
  // First, so that what this event makes for the origin says it was read (group records).
  store::fed_in_set(t, origin, stream, seq);
  out.result = node.apply_event(t, origin, event, out.fx);
}

}  // namespace

void receive_event(store::writer& writer, node_port& node, const std::string& origin, const std::string& stream,
                   std::uint64_t seq, std::uint64_t after, json::object event, std::function<void(received&)> done) {
  auto out = std::make_shared<received>();
  writer.submit(
      [&node, out, origin, stream, seq, after, event = std::move(event)](store::txn& t) {
        out->fx.clear();  // a retried batch runs the job again
        out->result = {};
        out->duplicate = false;
        out->skipped = 0;
        order_and_apply(t, node, origin, stream, seq, after, event, *out);
      },
      [&node, out, done = std::move(done)](std::error_code ec) {
        if (ec) {
          *out = received{};
          out->result = {protocol::to_int(protocol::code::server_error), "not stored"};
          out->failure = ec;
        }
        node.send_effects(out->fx);
        done(*out);
      });
}

inbox::inbox(store::writer& writer, node_port& route, service& fed, boost::asio::io_context& ioc, logger log)
    : writer_(writer), route_(route), fed_(fed), ioc_(ioc), log_(std::move(log)) {}

void inbox::receive(const std::string& origin, const std::string& stream, std::uint64_t seq, std::uint64_t after,
                    json::object event) {
  receive_event(writer_, route_, origin, stream, seq, after, std::move(event),
                [this, origin, stream, seq](received& r) { settle(origin, stream, seq, r); });
}

void inbox::settle(const std::string& origin, const std::string& stream, std::uint64_t seq, const received& r) {
  if (r.failure) {
    // Not stored, so not acknowledged: everything behind it would now be out of order. A
    // new link makes the origin send again from this event.
    write_log(log_, severity::error, "event ", seq, " of ", origin, " not stored: ", r.failure.message());
    return fed_.drop_link(origin, "an event could not be stored");
  }
  const int code = r.result.code;
  if (code == -1) {
    // Out of order: the origin resends from the gap.
    return write_log(log_, severity::warn, "event ", seq, " of ", origin, " out of order; waiting for the resend");
  }
  if (r.skipped) {
    skipped_.fetch_add(r.skipped, std::memory_order_relaxed);
    write_log(log_, severity::warn, r.skipped, " events of ", origin, " before ", seq,
              " were acknowledged by this node before it was restored from a backup: they are lost here");
  }
  received_.fetch_add(1, std::memory_order_relaxed);
  if (r.duplicate) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
  } else if (code != 0) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    write_log(log_, severity::warn, "refused event ", seq, " of ", origin, ": ", r.result.reason);
  }
  if (code == 0) {
    ack_applied(origin, stream, seq);
  } else {
    ack_refused(origin, stream, seq, r.result);
  }
}

void inbox::ack_applied(const std::string& peer, const std::string& stream, std::uint64_t seq) {
  std::lock_guard lock(ack_mutex_);
  auto& a = acks_[peer];
  if (a.stream != stream) flush_ack(peer);  // the peer's data dir changed: close the old stream's account
  a.stream = stream;
  a.seq = std::max(a.seq, seq);
  if (a.scheduled) return;
  a.scheduled = true;
  // Runs after the completions queued behind this one (the rest of the writer's batch):
  // one FED_ACK covers them all.
  boost::asio::post(ioc_, [this, peer] {
    std::lock_guard inner(ack_mutex_);
    acks_[peer].scheduled = false;
    flush_ack(peer);
  });
}

void inbox::ack_refused(const std::string& peer, const std::string& stream, std::uint64_t seq,
                        const protocol::fed::event_result& r) {
  std::lock_guard lock(ack_mutex_);
  flush_ack(peer);  // the applied events before it first
  protocol::fed::ack ack{stream, seq, r.code, std::nullopt};
  if (!r.reason.empty()) ack.reason = r.reason;
  fed_.send(peer, protocol::fed::encode(ack));
}

void inbox::flush_ack(const std::string& peer) {
  auto& a = acks_[peer];
  if (a.seq == 0) return;
  fed_.send(peer, protocol::fed::encode(protocol::fed::ack{a.stream, a.seq, 0, std::nullopt}));
  a.seq = 0;
}

void inbox::write_metrics(std::ostream& out) const {
  auto metric = [&](const char* name, const char* help, std::uint64_t value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n" << name << ' ' << value << '\n';
  };
  metric("chatnode_federation_events_received_total",
         "Federation events received and stored (duplicates and refusals included).", received_.load());
  metric("chatnode_federation_events_duplicate_total", "Federation events received again and not applied twice.",
         duplicates_.load());
  metric("chatnode_federation_events_refused_total", "Federation events refused (authority rule, malformed).",
         refused_.load());
  metric("chatnode_federation_events_skipped_total",
         "Federation events this node had acknowledged before it was restored from a backup (lost here).",
         skipped_.load());
}

}  // namespace chatnode::federation
