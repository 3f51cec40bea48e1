// Outbox pumping and inbound events (see relay.hpp).
#include "federation/relay.hpp"

#include "protocol/federation.hpp"
#include "store/tables.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <type_traits>
#include <variant>

namespace chatnode::federation {
namespace p = chatnode::protocol;

relay::relay(store::database& db, store::writer& writer, node_port& route, service& fed, boost::asio::io_context& ioc,
             logger log)
    : db_(db),
      writer_(writer),
      route_(route),
      fed_(fed),
      ioc_(ioc),
      log_(log),
      inbox_(writer, route, fed, ioc, log),
      media_(db, writer, route, fed, log) {}

relay::~relay() {
  route_.set_federation(nullptr);
  // Completions run in submission order on the writer thread (at once once it stopped):
  // when this one ran, none submitted earlier can still use `this`.
  std::promise<void> drained;
  auto done = drained.get_future();
  writer_.submit([](store::txn&) {}, [&drained](std::error_code) { drained.set_value(); });
  done.wait();
}

void relay::start() {
  std::promise<std::string> made;
  auto stream = made.get_future();
  auto result = std::make_shared<std::string>();
  // A new stream for this run: a data dir restored from a backup never reuses a number.
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  writer_.submit([result, now_ms](store::txn& t) { *result = store::new_fed_stream(t, now_ms.count()); },
                 [&made, result](std::error_code ec) {
                   if (ec) {
                     made.set_exception(std::make_exception_ptr(std::runtime_error("federation stream id: " + ec.message())));
                   } else {
                     made.set_value(*result);
                   }
                 });
  stream_ = stream.get();
  fed_.on_frame([this](const std::string& peer, std::string_view frame) { on_frame(peer, frame); });
  fed_.on_state([this](const std::string& peer, link_state s) { on_state(peer, s); });
  route_.set_federation(this);

  std::vector<std::string> peers;
  for (const auto& [domain, address] : fed_.opts().peers) peers.push_back(domain);
  // Peers that were told our users' presence before a restart learn they are offline.
  route_.announce_start(peers, {});
  std::vector<std::string> waiting;
  {
    auto t = db_.begin_read();
    waiting = store::outbox_peers(t);
  }
  for (const auto& peer : waiting) poke(peer);
}

bool relay::reachable(const std::string& domain) const {
  const auto& o = fed_.opts();
  return o.peers.contains(domain) && !o.check_allowed(domain);  // not ours, not denied
}

void relay::poke(const std::string& domain) {
  media_.poke(domain);  // media announced by `domain` waits to be fetched
  bool up = false;
  {
    std::lock_guard lock(mutex_);
    up = peers_[domain].up;
  }
  if (up) return pump(domain);
  if (fed_.opts().peers.contains(domain)) fed_.connect(domain);
}

void relay::pump(const std::string& peer) {
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    if (p.pumping) {
      p.pump_again = true;  // the running pump goes round once more when it is done
      return;
    }
    p.pumping = true;
  }
  pump_round(peer);
}

void relay::pump_round(const std::string& peer) {
  std::unique_lock lock(mutex_);
  auto& p = peers_[peer];  // peers_ never erases: `p` outlives the unlocked stretches
  send_window(peer, p, lock);
  if (p.pump_again) {
    // Asked for meanwhile: the next round runs on an I/O thread, not on this caller's (which
    // may be the writer's).
    p.pump_again = false;
    lock.unlock();
    boost::asio::post(ioc_, [this, peer] { pump_round(peer); });
    return;
  }
  p.pumping = false;
}

void relay::send_window(const std::string& peer, peer_pump& p, std::unique_lock<std::mutex>& lock) {
  const std::uint64_t generation = p.link_generation;
  const std::uint64_t base = std::max(p.sent, p.acked);
  const std::uint64_t in_flight = p.sent > p.acked ? p.sent - p.acked : 0;
  if (!p.up || in_flight >= window) return;

  lock.unlock();
  std::vector<store::outbox_entry> entries;
  try {
    auto t = db_.begin_read();
    entries = store::outbox_read(t, peer, base, window - in_flight);
  } catch (const std::exception& e) {
    write_log(log_, severity::error, "reading the outbox for ", peer, ": ", e.what());
  }
  lock.lock();
  // A link that went down or was replaced meanwhile: its successor starts again from the
  // first unacknowledged event (its on_state asked for another round).
  if (entries.empty() || !p.up || p.link_generation != generation) return;
  // Everything before the first event still here was acknowledged (and trimmed).
  if (base == 0) p.floor = std::max(p.floor, entries.front().seq - 1);
  // `after`: how far the peer acknowledged each event's stream, so a peer restored from a
  // backup can tell a gap it must accept from a frame out of order. The stream bases and
  // first_sent are recorded before any frame leaves: an ack may come back before the record below.
  std::vector<std::uint64_t> after(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::uint64_t stream_base = entries[i].seq - entries[i].at.seq;
    p.bases[entries[i].at.stream] = stream_base;
    after[i] = p.floor > stream_base ? p.floor - stream_base : 0;
  }
  if (p.first_sent == 0) p.first_sent = entries.front().seq;

  lock.unlock();
  std::size_t queued = 0;  // frames the link took
  for (; queued < entries.size(); ++queued) {
    const auto& e = entries[queued];
    if (!fed_.send(peer, p::fed::event_frame(e.at.stream, e.at.seq, after[queued], e.event))) break;
  }
  lock.lock();
  p.events_sent += queued;
  if (p.link_generation != generation) return;  // the new link's round sends them again
  if (queued > 0) p.sent = entries[queued - 1].seq;
  if (queued < entries.size()) p.up = false;  // no link to send on
}

void relay::on_state(const std::string& peer, link_state state) {
  media_.on_state(peer, state);  // resumes unfinished media fetches from the peer
  {
    std::lock_guard lock(mutex_);
    auto& p = peers_[peer];
    ++p.link_generation;
    p.up = state == link_state::up;
    if (!p.up) return;
    // A new link: everything not acknowledged goes again, in order.
    p.sent = 0;
  }
  pump(peer);
}

void relay::on_frame(const std::string& peer, std::string_view text) {
  auto decoded = p::fed::decode_frame(text, {.max_frame_bytes = fed_.opts().max_frame_bytes});
  if (const auto* bad = std::get_if<p::fed::frame_error>(&decoded))
    return write_log(log_, severity::warn, "ignored a frame from ", peer, " (", p::to_int(bad->error), "): ", bad->message);
  std::visit(
      [&](auto& f) {
        using frame = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<frame, p::fed::event>) {
          // The event as parsed here (no second parse in the rules).
          inbox_.receive(peer, f.stream, f.seq, f.after, std::move(f.event));
        } else if constexpr (std::is_same_v<frame, p::fed::ack>) {
          on_ack(peer, f.stream, f.seq, f.code, f.reason ? std::string_view(*f.reason) : std::string_view());
        } else if constexpr (std::is_same_v<frame, p::fed::hello>) {
          write_log(log_, severity::warn, "ignored a second FED_HELLO from ", peer);
        } else {
          media_.receive(peer, f);  // media bytes between nodes (media_fetch.hpp)
        }
      },
      std::get<p::fed::frame>(decoded));
}

void relay::on_ack(const std::string& peer, const std::string& stream, std::uint64_t stream_seq, int code,
                   std::string_view reason) {
  std::unique_lock lock(mutex_);
  auto& p = peers_[peer];
  // Acks name the event as the peer knows it: (stream, seq in the stream).
  const auto b = p.bases.find(stream);
  if (b == p.bases.end()) return;  // a stream of a previous data dir of this node
  const std::uint64_t seq = b->second + stream_seq;
  if (code != 0)
    write_log(log_, severity::warn, peer, " refused event ", stream_seq, " of stream ", stream, " (", code, "): ", reason);
  if (seq <= p.acked) return;
  // Acks are cumulative: count the events this one covers (since the first sent by this process).
  if (p.first_sent != 0) p.events_acked += seq - std::max(p.acked, p.first_sent - 1);
  p.acked = seq;
  p.floor = std::max(p.floor, seq);
  if (code != 0) ++p.events_refused;
  p.trim_to = std::max(p.trim_to, seq);
  if (!p.trimming) {
    p.trimming = true;
    trim(peer);
  }
  const bool up = p.up;
  lock.unlock();
  if (up) pump(peer);
}

void relay::trim(const std::string& peer) {
  auto upto = std::make_shared<std::uint64_t>(0);
  writer_.submit(
      [this, peer, upto](store::txn& t) {
        {
          std::lock_guard lock(mutex_);
          *upto = peers_[peer].trim_to;
        }
        store::outbox_trim(t, peer, *upto);
      },
      [this, peer, upto](std::error_code ec) {
        if (ec) write_log(log_, severity::error, "trimming the outbox for ", peer, ": ", ec.message());
        std::lock_guard lock(mutex_);
        auto& p = peers_[peer];
        if (p.trim_to > *upto) return trim(peer);  // more acks came meanwhile
        p.trimming = false;
      });
}

std::map<std::string, std::uint64_t> relay::outbox_depths() const {
  std::map<std::string, std::uint64_t> depth;
  try {
    auto t = db_.begin_read();
    for (const auto& [domain, address] : fed_.opts().peers) depth[domain] = store::outbox_depth(t, domain);
    for (const auto& peer : store::outbox_peers(t)) depth[peer] = store::outbox_depth(t, peer);
  } catch (const std::exception& e) {
    write_log(log_, severity::error, "reading outbox depth: ", e.what());
  }
  return depth;
}

void relay::write_metrics(std::ostream& out) const {
  const auto depth = outbox_depths();
  out << "# HELP chatnode_federation_outbox_depth Events waiting in the outbox for a peer (not yet acknowledged).\n"
         "# TYPE chatnode_federation_outbox_depth gauge\n";
  for (const auto& [peer, n] : depth) out << "chatnode_federation_outbox_depth{peer=\"" << peer << "\"} " << n << '\n';
  std::lock_guard lock(mutex_);
  out << "# HELP chatnode_federation_events_sent_total Events sent to a peer (resends included).\n"
         "# TYPE chatnode_federation_events_sent_total counter\n";
  for (const auto& [peer, p] : peers_) out << "chatnode_federation_events_sent_total{peer=\"" << peer << "\"} " << p.events_sent << '\n';
  out << "# HELP chatnode_federation_events_acked_total Events a peer acknowledged after storing them.\n"
         "# TYPE chatnode_federation_events_acked_total counter\n";
  for (const auto& [peer, p] : peers_) out << "chatnode_federation_events_acked_total{peer=\"" << peer << "\"} " << p.events_acked << '\n';
  out << "# HELP chatnode_federation_events_refused_by_peer_total Events a peer refused (logged with the reason).\n"
         "# TYPE chatnode_federation_events_refused_by_peer_total counter\n";
  for (const auto& [peer, p] : peers_)
    out << "chatnode_federation_events_refused_by_peer_total{peer=\"" << peer << "\"} " << p.events_refused << '\n';
  inbox_.write_metrics(out);
  media_.write_metrics(out);
}

}  // namespace chatnode::federation
