// Blocking users (docs/protocol.md §15): USER_BLOCK, USER_UNBLOCK and the block list. What a
// block keeps away is checked where events reach the blocker (router_social.cpp,
// router_federation.cpp, router_media.cpp), so it holds whatever the blocked user's node does.
#include "router.hpp"

#include "store/tables.hpp"

#include "protocol/ids.hpp"

namespace chatnode::node {
namespace p = chatnode::protocol;

void router::handle_block(const std::shared_ptr<client_session>& s, p::user_block& req, const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  auto parsed = p::parse_user_id(req.receiver, cfg().domain);
  const std::string target = parsed ? parsed->full() : req.receiver;
  auto ack = [me, target, id](p::code c) { return make_frame(p::user_block_ack{me, target, p::to_int(c)}, id); };
  if (target == me) {
    s->send(ack(p::code::block_self));
    return;
  }
  run_rule(
      s,
      [this, s, me, target, ack](store::txn& t, effects& fx) {
        if (store::blocks(t, me, target)) return fx.send(s, ack(p::code::ok));  // already blocked: nothing changes
        if (store::blocked_by(t, me).size() >= cfg().limits.max_blocks) return fx.send(s, ack(p::code::block_list_full));
        store::add_block(t, me, target, now_seconds());
        fx.send(s, ack(p::code::ok));
        // A block ends what is between the two as FRIEND_REMOVE does: the other side sees
        // the friendship (or the request) end, not the block.
        end_friendship(t, fx, me, target);
      },
      [ack] { return ack(p::code::server_error); });
}

void router::handle_unblock(const std::shared_ptr<client_session>& s, p::user_unblock& req, const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  auto parsed = p::parse_user_id(req.receiver, cfg().domain);
  const std::string target = parsed ? parsed->full() : req.receiver;
  auto ack = [me, target, id](p::code c) { return make_frame(p::user_unblock_ack{me, target, p::to_int(c)}, id); };
  run_rule(
      s,
      [s, me, target, ack](store::txn& t, effects& fx) {
        fx.send(s, ack(store::remove_block(t, me, target) ? p::code::ok : p::code::not_blocked));
      },
      [ack] { return ack(p::code::server_error); });
}

void router::handle_block_list(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id) {
  // Through the writer, ordered after this connection's earlier requests (§6).
  run_rule(
      s,
      [s, me = s->state().user->full(), id](store::txn& t, effects& fx) {
        fx.send(s, make_frame(p::block_list_response{me, store::blocked_by(t, me), 0}, id));
      },
      [id] { return make_error_frame(p::code::server_error, "could not read your block list", "BLOCK_LIST_REQUEST", id); });
}

}  // namespace chatnode::node
