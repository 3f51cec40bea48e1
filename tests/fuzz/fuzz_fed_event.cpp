// libFuzzer target for the events a federation peer sends: the `event` object of FED_EVENT
// (docs/federation.md "Delivery between nodes"), applied through federation::receive_event
// (the inbox's order check, then the router's rules) to a real LMDB store, as the inbox
// hands them over. The frames around them (FED_EVENT, FED_ACK, …) are fuzz_fed_frame's.
//
// Input: up to max_events lines, each one event (JSON); lines that are not a JSON object
// are skipped, as the relay drops them. They are applied in order as events 1, 2, … of one
// stream of beta.example, on a fresh store holding a small world: local users bob and dave
// of alpha.example, bob a friend of carol@beta.example, requests both ways, a group homed
// here and one homed at beta, a media of bob's that beta has yet to fetch.
//
// Property: every event is applied (0) or refused with a documented code (7002, 9002, 9003,
// 9005) and a reason; never "not stored" (9008: applying it threw, so the peer would resend
// it forever and stall the stream behind it), a crash, UB or a leak. Afterwards every record
// in the store reads back, every frame waiting in an inbox decodes, and every event queued
// for a peer is a JSON object with a kind.
#include "scratch_dir.hpp"

#include "store/accounts.hpp"
#include "node/log.hpp"
#include "federation/inbox.hpp"
#include "store/tables.hpp"
#include "node/registry.hpp"
#include "node/router.hpp"

#include "protocol/codec.hpp"
#include "store/keys.hpp"
#include "store/lmdb.hpp"
#include "store/writer.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <future>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

namespace {

namespace json = boost::json;
namespace node = chatnode::node;
namespace federation = chatnode::federation;
namespace store = chatnode::store;
namespace p = chatnode::protocol;

constexpr std::size_t max_events = 8;
constexpr const char* origin = "beta.example";
constexpr const char* stream = "beta-stream";

// The relay's side of the router's federation hook: beta and gamma are configured peers;
// pokes (new outbox events) have nowhere to go here.
class configured_peers final : public node::federation_port {
 public:
  bool reachable(const std::string& domain) const override {
    return domain == "beta.example" || domain == "gamma.example";
  }
  void poke(const std::string&) override {}
};

void seed_world(store::txn& t) {
  for (const char* name : {"bob", "dave"})
    t.put(store::table_id::users, name, store::encode_account({"scrypt$unused", 1700000000}));
  const std::string bob = "bob@alpha.example", dave = "dave@alpha.example";
  const std::string carol = "carol@beta.example", erin = "erin@beta.example";
  store::add_friendship(t, bob, carol, 1700000000);
  store::add_request(t, erin, dave, 1700000000);  // beta's user asked ours
  store::add_request(t, bob, erin, 1700000000);   // ours asked beta's
  store::save_group(t, "#home1@alpha.example", {"Home", bob, {bob, carol}, {{erin, bob}}, 1700000000}, nullptr);
  store::save_group(t, "#away1@beta.example", {"Away", carol, {carol, bob}, {{dave, carol}}, 1700000000}, nullptr);
  store::media_record m{bob, carol, "", "image/png", 5, 1, 5, 1, true, std::string(64, 'a'), 1, 1, {"@beta.example"},
                        1700000000};
  store::save_media(t, "up1", m);
  t.put(store::table_id::media_chunks, store::chunk_key("up1", 1), "hello");
  t.put(store::table_id::media_deliveries, store::key2("@beta.example", "up1"), store::be32(0));
  t.put(store::table_id::user_uploads, store::key2(bob, "up1"), "");
  // This data dir's federation stream id, as the relay makes it at start (a time prefix, a random part).
  t.put(store::table_id::meta, "fed_stream", "018bcfe56800.fuzzstream");
}

void run(store::writer& writer, store::writer::job job) {
  std::promise<std::error_code> done;
  writer.submit(std::move(job), [&done](std::error_code ec) { done.set_value(ec); });
  if (done.get_future().get()) __builtin_trap();
}

node::remote_result apply(store::writer& writer, node::router& r, std::uint64_t seq, json::object event) {
  std::promise<node::remote_result> done;
  federation::receive_event(writer, r, origin, stream, seq, 0, std::move(event),
                            [&done](federation::received& res) { done.set_value(res.result); });
  return done.get_future().get();
}

void check_result(const node::remote_result& r) {
  switch (r.code) {
    case 0:
      return;
    case 3007:  // a friend-request verdict that answers no pending request
    case 7002:
    case 7003:  // group traffic that does not match this node's copy of the group
    case 9002:
    case 9003:
    case 9005:
      if (r.reason.empty()) __builtin_trap();
      return;
    default:  // -1 cannot happen (events come in order); 9008: the apply threw
      __builtin_trap();
  }
}

template <class Check>
void for_each_value(const store::txn& t, store::table_id table, Check check) {
  auto c = t.open_cursor(table);
  for (auto item = c.first(); item; item = c.next()) check(item->second);
}

void check_store(const store::database& db) {
  auto t = db.begin_read();
  for_each_value(t, store::table_id::users, [](std::string_view v) { if (!store::decode_account(v)) __builtin_trap(); });
  for_each_value(t, store::table_id::messages, [](std::string_view v) { if (!store::decode_message(v)) __builtin_trap(); });
  for_each_value(t, store::table_id::groups, [](std::string_view v) { if (!store::decode_group(v)) __builtin_trap(); });
  for_each_value(t, store::table_id::media, [](std::string_view v) { if (!store::decode_media(v)) __builtin_trap(); });
  for_each_value(t, store::table_id::media_fetches, [](std::string_view v) { if (!store::decode_fetch(v)) __builtin_trap(); });
  for_each_value(t, store::table_id::inbox, [](std::string_view v) {
    p::decode_limits limits;
    limits.max_message_bytes = v.size();
    if (std::holds_alternative<p::decode_error>(p::decode(v, limits))) __builtin_trap();
  });
  for (const auto& peer : store::outbox_peers(t)) {
    for (const auto& entry : store::outbox_read(t, peer, 0, std::numeric_limits<std::size_t>::max())) {
      boost::system::error_code ec;
      const json::value event = json::parse(entry.event, ec);
      if (ec || !event.is_object() || !event.as_object().contains("kind") || entry.at.seq == 0) __builtin_trap();
    }
  }
}

void run_events(const std::filesystem::path& dir, std::string_view input) {
  node::config cfg;
  cfg.domain = "alpha.example";
  cfg.data_dir = dir;
  cfg.kdf = {1024, 8, 1};
  cfg.federation.peers = {{"beta.example", "127.0.0.1:1"}, {"gamma.example", "127.0.0.1:1"}};
  store::database db(store::options{dir});
  store::writer writer(db);
  node::registry online;
  configured_peers peers;
  node::router route(cfg, db, writer, online, [](std::function<void()> fn) { fn(); });
  route.set_federation(&peers);
  run(writer, seed_world);

  std::uint64_t seq = 0;
  for (std::size_t start = 0, lines = 0; start <= input.size() && lines < max_events; ++lines) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    boost::system::error_code ec;
    json::value event = json::parse(input.substr(start, end - start), ec);
    start = end + 1;
    if (!ec && event.is_object()) check_result(apply(writer, route, ++seq, std::move(event.as_object())));
  }
  check_store(db);
  route.set_federation(nullptr);
  writer.stop();  // jobs still queued run while the router exists
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const chatnode::fuzz::scratch_dir scratch;
  static const bool quiet = [] {
    node::set_log_level(node::log_level::error);  // refusals log warnings: expected here
    return true;
  }();
  (void)quiet;
  const auto dir = scratch.path() / "node";
  run_events(dir, std::string_view(reinterpret_cast<const char*>(data), size));
  std::filesystem::remove_all(dir);
  return 0;
}
