// Friends, presence, text messages and the friend list (docs/protocol.md §7–§9, §11).
#include "router.hpp"

#include "log.hpp"
#include "store/tables.hpp"

#include "protocol/ids.hpp"

#include <algorithm>
#include <array>
#include <ctime>

namespace chatnode::node {
namespace p = chatnode::protocol;

namespace {

constexpr std::array<std::string_view, 4> statuses{"online", "away", "busy", "offline"};

}  // namespace

// A user id of this node that has an account, as a full id; nullopt otherwise (other
// domains are unknown until federation).
static std::optional<std::string> known_local_user(const store::txn& t, const std::string& raw, const std::string& domain) {
  auto uid = p::parse_user_id(raw, domain);
  if (!uid || uid->domain != domain || !store::local_user_exists(t, uid->name)) return std::nullopt;
  return uid->full();
}

void router::handle_status(const std::shared_ptr<client_session>& s, p::user_status_update& req,
                           const std::optional<std::string>& id) {
  if (std::find(statuses.begin(), statuses.end(), req.status) == statuses.end()) {
    send_error(s, p::code::invalid_field, "payload.status: one of online, away, busy, offline", "USER_STATUS_UPDATE", id);
    return;
  }
  const std::string me = s->state().user->full();
  online_.set_status(me, s.get(), req.status);
  presence_to_friends_async(me, make_frame(p::user_status_update{me, req.status}, std::nullopt));
}

void router::handle_friend_request(const std::shared_ptr<client_session>& s, p::friend_request& req,
                                   const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  auto parsed = p::parse_user_id(req.receiver, cfg().domain);
  const std::string target = parsed ? parsed->full() : req.receiver;
  auto ack = [me, target, id](p::code c) { return make_frame(p::friend_request_ack{me, target, p::to_int(c)}, id); };
  if (target == me) {
    s->send(ack(p::code::friend_self));
    return;
  }
  // A user of another node: the ACK carries that node's verdict, so it comes later (as
  // a delivery to `me`), unless this node can decide alone.
  const bool remote = parsed && parsed->domain != cfg().domain;
  if (remote && !reachable(parsed->domain)) {
    s->send(ack(p::code::friend_user_not_found));
    return;
  }
  run_rule(
      s,
      [this, s, me, target, remote, ack, id](store::txn& t, effects& fx) {
        if (!remote && !known_local_user(t, target, cfg().domain)) return fx.send(s, ack(p::code::friend_user_not_found));
        if (store::blocks(t, me, target)) return fx.send(s, ack(p::code::receiver_blocked));
        if (store::are_friends(t, me, target)) return fx.send(s, ack(p::code::already_friends));
        if (store::has_request(t, me, target)) return fx.send(s, ack(p::code::friend_request_pending));
        if (store::has_request(t, target, me)) {
          // Crossing requests: asking someone who asked you accepts their request.
          store::remove_request(t, target, me);
          store::add_friendship(t, me, target, now_seconds());
          fx.tally.add(message_kind::friend_request);
          fx.send(s, ack(p::code::ok));
          fx.send(s, make_frame(p::friend_request_response{me, target, 0}, std::nullopt));
          deliver(t, fx, target, make_frame(p::friend_request_response{target, me, 0}, std::nullopt));
          tell_statuses(t, fx, me, target);
          return;
        }
        // A stranger must not flood anyone's inbox with requests (and removals).
        if (!friend_requests_hourly_.try_count(me, cfg().limits.friend_requests_per_hour) ||
            !friend_requests_pair_.try_count(me + '\n' + target, cfg().limits.friend_requests_per_pair_day))
          return fx.send(s, ack(p::code::friend_requests_limited));
        store::add_request(t, me, target, now_seconds());
        fx.tally.add(message_kind::friend_request);
        if (!remote) fx.send(s, ack(p::code::ok));
        // A receiver who blocks the sender never sees it; to the sender it stays pending,
        // like a request nobody answers (docs/protocol.md §15).
        if (!store::blocks(t, target, me)) deliver(t, fx, target, make_frame(p::friend_request{me, target}, std::nullopt), id);
      },
      [ack] { return ack(p::code::friend_server_error); });
}

void router::tell_statuses(store::txn& t, effects& fx, const std::string& a, const std::string& b) {
  for (const auto& [x, y] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
    if (!is_local(*x)) continue;
    if (is_local(*y)) {
      if (auto to = online_.find(*x)) fx.send(to, make_frame(p::user_status_update{*y, online_.visible_status(*y)}, std::nullopt));
      continue;
    }
    // A friend on another node learns x's status from x's node (which runs this too, with
    // the roles swapped, so x learns y's from y's node: this one may not know it yet).
    // Presence is live only there as well: nothing is kept for a y who is offline.
    deliver(t, fx, *y, make_frame(p::user_status_update{*x, online_.visible_status(*x)}, std::nullopt));
  }
}

void router::handle_friend_response(const std::shared_ptr<client_session>& s, p::friend_request_response& req,
                                    const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  if (req.code != p::to_int(p::code::ok) && req.code != p::to_int(p::code::friend_rejected)) {
    send_error(s, p::code::invalid_field, "payload.code: 0 (accept) or 3004 (reject)", "FRIEND_REQUEST_RESPONSE", id);
    return;
  }
  auto parsed = p::parse_user_id(req.sender, cfg().domain);
  const std::string requester = parsed ? parsed->full() : req.sender;
  const int answer = req.code;
  run_rule(
      s,
      [this, s, me, requester, answer, id](store::txn& t, effects& fx) {
        // A request from someone this user blocks is hidden from them: there is none to answer.
        if (store::blocks(t, me, requester) || !store::remove_request(t, requester, me))
          return fx.send(s, make_error_frame(p::code::no_pending_request, "no pending friend request from " + requester,
                                        "FRIEND_REQUEST_RESPONSE", id));
        if (answer == 0) store::add_friendship(t, requester, me, now_seconds());
        deliver(t, fx, requester, make_frame(p::friend_request_response{requester, me, answer}, std::nullopt));
        if (answer == 0) tell_statuses(t, fx, requester, me);
      },
      [id] { return make_error_frame(p::code::server_error, "could not store the answer", "FRIEND_REQUEST_RESPONSE", id); });
}

void router::handle_friend_remove(const std::shared_ptr<client_session>& s, p::friend_remove& req,
                                  const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  auto parsed = p::parse_user_id(req.receiver, cfg().domain);
  const std::string target = parsed ? parsed->full() : req.receiver;
  auto ack = [me, target, id](p::code c) { return make_frame(p::friend_remove_ack{me, target, p::to_int(c)}, id); };
  run_rule(
      s,
      [this, s, me, target, ack](store::txn& t, effects& fx) {
        if (!store::are_friends(t, me, target) && !store::has_request(t, me, target) && !store::has_request(t, target, me))
          return fx.send(s, ack(p::code::not_friends));
        fx.send(s, ack(p::code::ok));
        end_friendship(t, fx, me, target);
      },
      [ack] { return ack(p::code::friend_server_error); });
}

bool router::end_friendship(store::txn& t, effects& fx, const std::string& me, const std::string& other) {
  const bool were_friends = store::are_friends(t, me, other);
  if (were_friends) store::remove_friendship(t, me, other);
  const bool asked = store::remove_request(t, me, other);
  const bool was_asked = store::remove_request(t, other, me);
  if (!were_friends && !asked && !was_asked) return false;
  // Nothing from a blocked user reaches the one who blocks them, not even a withdrawal.
  if (!store::blocks(t, other, me)) deliver(t, fx, other, make_frame(p::friend_remove{me, other}, std::nullopt));
  return true;
}

void router::handle_friend_list(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id) {
  // Through the writer like the changes before it, so the list reflects every earlier
  // request of this connection (docs/protocol.md §6).
  run_rule(
      s,
      [this, s, me = s->state().user->full(), id](store::txn& t, effects& fx) {
        p::friend_list_response list;
        list.username = me;
        for (auto& f : store::friends_of(t, me)) {
          auto status = online_.visible_status(f);
          list.friends.push_back({std::move(f), std::move(status)});
        }
        list.incoming = store::requests_in(t, me);
        std::erase_if(list.incoming, [&](const std::string& r) { return store::blocks(t, me, r); });
        list.outgoing = store::requests_out(t, me);
        fx.send(s, make_frame(std::move(list), id));
      },
      [id] { return make_error_frame(p::code::server_error, "could not read your friends", "FRIEND_LIST_REQUEST", id); });
}

router::receiver_target router::resolve_target(const store::txn& t, const std::string& me, const std::string& receiver) const {
  receiver_target to;
  if (receiver.empty() || receiver.front() != '#') {
    if (auto uid = p::parse_user_id(receiver, cfg().domain); uid && uid->domain != cfg().domain) {
      // A user of another node: known here only as a friend (or not at all).
      const std::string user = uid->full();
      const bool friends = store::are_friends(t, me, user);
      if (!friends && !reachable(uid->domain)) {
        to.error = p::code::text_unknown_receiver;
        return to;
      }
      if (!friends) to.error = p::code::text_not_friends;
      to.receiver = user;
      to.recipients.push_back(user);
      return to;
    }
    if (auto user = known_local_user(t, receiver, cfg().domain)) {
      if (!store::are_friends(t, me, *user)) to.error = p::code::text_not_friends;
      to.receiver = *user;
      to.recipients.push_back(*user);
      return to;
    }
  }
  auto group = store::find_group(t, me, receiver, std::nullopt, store::group_role::member);
  if (group.code != 0) {
    to.error = group.code == 4003 ? p::code::ambiguous_group : p::code::text_unknown_receiver;
    return to;
  }
  if (!group.record.is_member(me)) {
    to.error = p::code::text_not_group_member;
    return to;
  }
  to.receiver = group.id;
  to.group_name = group.record.name;
  // A member who blocks the sender gets none of their group messages (docs/protocol.md §15).
  for (const auto& member : group.record.members)
    if (member != me && !store::blocks(t, member, me)) to.recipients.push_back(member);
  return to;
}

void router::handle_text(const std::shared_ptr<client_session>& s, p::text_message& req, const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  auto ack = [receiver = req.receiver, id](p::code c, std::optional<std::string> message_id) {
    return make_frame(p::text_message_ack{std::move(message_id), receiver, p::to_int(c)}, id);
  };
  if (req.content.empty()) {
    send_error(s, p::code::invalid_field, "payload.content: empty", "TEXT_MESSAGE", id);
    return;
  }
  if (req.content.size() > cfg().limits.max_text_bytes) {
    s->send(ack(p::code::too_large, std::nullopt));
    return;
  }
  run_rule(
      s,
      [this, s, me, receiver = std::move(req.receiver), content = std::move(req.content), ack](store::txn& t, effects& fx) {
        auto to = resolve_target(t, me, receiver);
        if (to.error != p::code::ok) return fx.send(s, ack(to.error, std::nullopt));
        if (to.group_name.empty() && inbox_full(t, to.receiver)) return fx.send(s, ack(p::code::receiver_inbox_full, std::nullopt));
        store::stored_message m{now_seconds(), me, to.receiver, content, {}, {}, {}, {}, 0};
        if (!to.group_name.empty()) {
          m.group_id = to.receiver;
          m.group_name = to.group_name;
        }
        const auto& recipients = to.recipients;
        // Only this node's users have a history here; the others' nodes keep theirs.
        const bool forward = !m.group_id.empty() && !is_local(m.group_id);
        std::vector<std::string_view> owners;
        if (is_local(me)) owners.push_back(me);
        if (!forward)
          for (const auto& r : recipients)
            if (is_local(r)) owners.push_back(r);
        const std::uint64_t message_id = store::next_counter(t, "next_message_id");
        store::store_message(t, message_id, m, owners);
        fx.tally.add(m.group_id.empty() ? message_kind::text : message_kind::group_text);
        const std::string mid = std::to_string(message_id);
        fx.send(s, ack(p::code::ok, mid));
        if (forward) {
          // A group homed on another node: it stores the message for every member and
          // fans it out; this node already answered the sender.
          return (void)forward_to_home(t, fx, me, m.group_id, p::text_message{me, m.group_id, m.content, std::nullopt, m.group_id, std::nullopt},
                                 std::nullopt);
        }
        p::text_message out{me, m.receiver, m.content, mid, std::nullopt, std::nullopt};
        if (!m.group_id.empty()) {
          out.group_id = m.group_id;
          out.group = m.group_name;
        }
        auto frame = make_frame(std::move(out), std::nullopt);  // serialized once for every recipient
        // A member whose inbox is full finds the message in their history instead.
        for (const auto& r : recipients)
          if (!inbox_full(t, r)) deliver(t, fx, r, frame);
      },
      [ack] { return ack(p::code::server_error, std::nullopt); });
}

}  // namespace chatnode::node
