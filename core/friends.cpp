// Friends, presence and blocks. What a block keeps away is checked where events reach the
// blocker (here, core/messaging.cpp, core/inbound.cpp and the media rules), so it holds
// whatever the blocked user's node does.
#include "core/friends.hpp"

#include "protocol/ids.hpp"

#include <algorithm>
#include <array>

namespace chatnode::core {
namespace p = chatnode::protocol;

namespace {

constexpr std::array<std::string_view, 4> statuses{"online", "away", "busy", "offline"};

// A user id of this node that has an account, as a full id; nullopt otherwise.
std::optional<std::string> known_local_user(const context& c, const std::string& raw) {
  auto uid = p::parse_user_id(raw, c.cfg.domain);
  if (!uid || uid->domain != c.cfg.domain || !store::local_user_exists(c.t, uid->name)) return std::nullopt;
  return uid->full();
}

}  // namespace

bool valid_status(std::string_view status) { return std::find(statuses.begin(), statuses.end(), status) != statuses.end(); }

void friend_request(context& c, const actor& a, const p::friend_request& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  auto parsed = p::parse_user_id(req.receiver, c.cfg.domain);
  const std::string target = parsed ? parsed->full() : req.receiver;
  auto ack = [&](p::code code) { c.reply(a, c.frame(p::friend_request_ack{me, target, p::to_int(code)}, id)); };
  if (target == me) return ack(p::code::friend_self);
  // A user of another node: the ACK carries that node's verdict, so it comes later (as a
  // delivery to `me`), unless this node can decide alone.
  const bool remote = parsed && parsed->domain != c.cfg.domain;
  if (remote && !c.online.reachable(parsed->domain)) return ack(p::code::friend_user_not_found);
  if (!remote && !known_local_user(c, target)) return ack(p::code::friend_user_not_found);
  if (store::blocks(c.t, me, target)) return ack(p::code::receiver_blocked);
  if (store::are_friends(c.t, me, target)) return ack(p::code::already_friends);
  if (store::has_request(c.t, me, target)) return ack(p::code::friend_request_pending);
  if (store::has_request(c.t, target, me)) {
    // Crossing requests: asking someone who asked you accepts their request.
    store::remove_request(c.t, target, me);
    store::add_friendship(c.t, me, target, c.now);
    c.fx.tally.add(message_kind::friend_request);
    ack(p::code::ok);
    c.reply(a, c.frame(p::friend_request_response{me, target, 0}));
    c.deliver(target, c.frame(p::friend_request_response{target, me, 0}));
    return tell_statuses(c, me, target);
  }
  // A stranger must not flood anyone's inbox with requests (and removals).
  if (!c.online.take_friend_request(me, target)) return ack(p::code::friend_requests_limited);
  store::add_request(c.t, me, target, c.now);
  c.fx.tally.add(message_kind::friend_request);
  if (!remote) ack(p::code::ok);
  // A receiver who blocks the sender never sees it; to the sender it stays pending, like a
  // request nobody answers (docs/protocol.md §15).
  if (!store::blocks(c.t, target, me)) c.deliver(target, c.frame(p::friend_request{me, target}), id);
}

void tell_statuses(context& c, const std::string& a, const std::string& b) {
  for (const auto& [x, y] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
    if (!c.is_local(*x)) continue;
    if (c.is_local(*y)) {
      if (auto to = c.online.find(*x)) c.send(to, c.frame(p::user_status_update{*y, c.online.visible_status(*y)}));
      continue;
    }
    // A friend on another node learns x's status from x's node (which runs this too, with
    // the roles swapped, so x learns y's from y's node: this one may not know it yet).
    // Presence is live only there as well: nothing is kept for a y who is offline.
    c.deliver(*y, c.frame(p::user_status_update{*x, c.online.visible_status(*x)}));
  }
}

void friend_response(context& c, const actor& a, const p::friend_request_response& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  if (req.code != p::to_int(p::code::ok) && req.code != p::to_int(p::code::friend_rejected))
    return c.reply_error(a, p::code::invalid_field, "payload.code: 0 (accept) or 3004 (reject)", "FRIEND_REQUEST_RESPONSE", id);
  const std::string requester = c.full_id(req.sender);
  // A request from someone this user blocks is hidden from them: there is none to answer.
  if (store::blocks(c.t, me, requester) || !store::remove_request(c.t, requester, me))
    return c.reply_error(a, p::code::no_pending_request, "no pending friend request from " + requester,
                         "FRIEND_REQUEST_RESPONSE", id);
  if (req.code == 0) store::add_friendship(c.t, requester, me, c.now);
  c.deliver(requester, c.frame(p::friend_request_response{requester, me, req.code}));
  if (req.code == 0) tell_statuses(c, requester, me);
}

void friend_remove(context& c, const actor& a, const p::friend_remove& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  const std::string target = c.full_id(req.receiver);
  auto ack = [&](p::code code) { c.reply(a, c.frame(p::friend_remove_ack{me, target, p::to_int(code)}, id)); };
  if (!store::are_friends(c.t, me, target) && !store::has_request(c.t, me, target) && !store::has_request(c.t, target, me))
    return ack(p::code::not_friends);
  ack(p::code::ok);
  end_friendship(c, me, target);
}

bool end_friendship(context& c, const std::string& me, const std::string& other) {
  const bool were_friends = store::are_friends(c.t, me, other);
  if (were_friends) store::remove_friendship(c.t, me, other);
  const bool asked = store::remove_request(c.t, me, other);
  const bool was_asked = store::remove_request(c.t, other, me);
  if (!were_friends && !asked && !was_asked) return false;
  // Nothing from a blocked user reaches the one who blocks them, not even a withdrawal.
  if (!store::blocks(c.t, other, me)) c.deliver(other, c.frame(p::friend_remove{me, other}));
  return true;
}

void friend_list(context& c, const actor& a, const std::optional<std::string>& id) {
  p::friend_list_response list;
  list.username = a.user;
  for (auto& f : store::friends_of(c.t, a.user)) {
    auto status = c.online.visible_status(f);
    list.friends.push_back({std::move(f), std::move(status)});
  }
  list.incoming = store::requests_in(c.t, a.user);
  std::erase_if(list.incoming, [&](const std::string& r) { return store::blocks(c.t, a.user, r); });
  list.outgoing = store::requests_out(c.t, a.user);
  c.reply(a, c.frame(std::move(list), id));
}

void block(context& c, const actor& a, const p::user_block& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  const std::string target = c.full_id(req.receiver);
  auto ack = [&](p::code code) { c.reply(a, c.frame(p::user_block_ack{me, target, p::to_int(code)}, id)); };
  if (target == me) return ack(p::code::block_self);
  if (store::blocks(c.t, me, target)) return ack(p::code::ok);  // already blocked: nothing changes
  if (store::blocked_by(c.t, me).size() >= c.cfg.max_blocks) return ack(p::code::block_list_full);
  store::add_block(c.t, me, target, c.now);
  ack(p::code::ok);
  // A block ends what is between the two as FRIEND_REMOVE does: the other side sees the
  // friendship (or the request) end, not the block.
  end_friendship(c, me, target);
}

void unblock(context& c, const actor& a, const p::user_unblock& req, const std::optional<std::string>& id) {
  const std::string target = c.full_id(req.receiver);
  const bool removed = store::remove_block(c.t, a.user, target);
  c.reply(a, c.frame(p::user_unblock_ack{a.user, target, p::to_int(removed ? p::code::ok : p::code::not_blocked)}, id));
}

void block_list(context& c, const actor& a, const std::optional<std::string>& id) {
  c.reply(a, c.frame(p::block_list_response{a.user, store::blocked_by(c.t, a.user), 0}, id));
}

void presence_to_friends(context& c, const std::string& me, const frame_ptr& frame, bool local) {
  if (!frame) return;
  const bool remote = c.online.federated();
  for (const auto& f : store::friends_of(c.t, me)) {
    if (c.is_local(f)) {
      if (local)
        if (auto to = c.online.find(f)) c.send(to, frame);
    } else if (remote) {
      c.deliver(f, frame);  // through the friend's node
    }
  }
}

void forget_domain(context& c, const std::string& domain) {
  for (const auto& user : c.online.forget_remote_domain(domain)) {
    auto offline = c.frame(p::user_status_update{user, "offline"});
    for (const auto& f : store::friends_of(c.t, user))
      if (c.is_local(f))
        if (auto s = c.online.find(f)) c.send(s, offline);
  }
  // The origin forgot what it knew of our users' presence: tell it again who is visible.
  const std::string suffix = "@" + domain;
  for (const auto& [user, status] : c.online.visible_users()) {
    if (status == "offline") continue;
    frame_ptr frame;
    for (const auto& f : store::friends_of(c.t, user)) {
      if (!f.ends_with(suffix)) continue;
      if (!frame) frame = c.frame(p::user_status_update{user, status});
      c.deliver(f, frame);
    }
  }
}

}  // namespace chatnode::core
