// The router's side of federation (docs/federation.md "What crosses a link"): events bound
// for other nodes go into their outboxes in the same transaction as the change that makes
// them (core::context::flush_remote); events from other nodes are applied here inside the
// writer job of federation/inbox.hpp, which checks their order: core/inbound.hpp checks and
// applies them.
#include "router.hpp"

#include "log.hpp"

#include "core/friends.hpp"
#include "core/inbound.hpp"

#include <boost/json/object.hpp>


namespace chatnode::node {
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

remote_result router::apply_event(store::txn& t, const std::string& origin, const json::object& event, effects& fx) {
  auto c = context_of(t, fx);
  auto result = core::apply_event(c, origin, event);
  if (result.code != 0) {
    fx.clear();  // refused: checked before anything was written
  } else {
    c.flush_remote();
  }
  return result;
}

void router::send_effects(effects& fx) { apply_effects(fx); }

}  // namespace chatnode::node
