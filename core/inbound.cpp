// Events from other nodes: the authority rule, then the rules of core/ that apply them.
#include "core/inbound.hpp"

#include "core/friends.hpp"
#include "core/groups.hpp"
#include "core/media.hpp"
#include "core/messaging.hpp"

#include "protocol/federation.hpp"
#include "protocol/ids.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <variant>

namespace chatnode::core {
namespace p = chatnode::protocol;
namespace json = boost::json;

namespace {

// Decodes the client message an event carries (a JSON object, never its text).
p::decode_result decode_carried(const json::object& message, std::size_t max_message_bytes) {
  p::decode_limits limits;
  limits.max_message_bytes = max_message_bytes;
  return p::decode(message, limits);
}

// The user ids of a relayed message in full form (docs/protocol.md §6), read as the origin
// means them: a bare name is a user of the origin. What this node's users get never names
// a user of another node as if it were one of theirs.
void name_in_full(p::payload& body, const std::string& origin) {
  auto fix = [&](std::string& id) {
    if (auto uid = p::parse_user_id(id, origin)) id = uid->full();
  };
  std::visit(
      [&](auto& m) {
        if constexpr (requires { m.sender; }) fix(m.sender);
        if constexpr (requires { m.username; }) fix(m.username);
        if constexpr (requires { m.new_leader; }) fix(m.new_leader);
        if constexpr (requires { m.receiver; })
          if (!m.receiver.empty() && m.receiver.front() != '#') fix(m.receiver);
      },
      body);
}

// One "deliver" event being applied: the client frame the origin relays to `to`, checked
// kind by kind against the authority rule (the origin speaks for its own users and for the
// groups it homes) and this node's own state.
class inbound_delivery {
 public:
  inbound_delivery(context& c, const std::string& origin, const std::vector<std::string>& to,
                   p::envelope& env, const std::optional<std::string>& ref)
      : c_(c), t_(c.t), origin_(origin), to_(to), env_(env), ref_(ref),
        type_(p::to_string(p::type_of(env.body))) {}

  remote_result apply() {
    auto& b = env_.body;
    name_in_full(b, origin_);
    if (auto* m = std::get_if<p::friend_request>(&b)) return friend_request(*m);
    if (auto* m = std::get_if<p::friend_request_ack>(&b)) return friend_request_ack(*m);
    if (auto* m = std::get_if<p::friend_request_response>(&b)) return friend_request_response(*m);
    if (auto* m = std::get_if<p::friend_remove>(&b)) return friend_remove(*m);
    if (auto* m = std::get_if<p::user_status_update>(&b)) return presence(full(m->username), m->status);
    if (auto* m = std::get_if<p::user_logout>(&b)) return presence(full(m->username), "offline");
    if (auto* m = std::get_if<p::text_message>(&b)) return text(*m);
    if (auto* m = std::get_if<p::group_invite>(&b)) return group_invite(*m);
    if (auto* m = std::get_if<p::error_message>(&b)) return error(*m);
    switch (p::type_of(b)) {
      case p::message_type::group_invite_response:
      case p::message_type::group_leave:
      case p::message_type::group_remove:
      case p::message_type::group_leader_change:
      case p::message_type::group_leave_ack:
      case p::message_type::group_remove_ack:
      case p::message_type::group_leader_change_ack:
        return group_event();
      default:
        return refuse(9002, type_ + ": not relayed between nodes");
    }
  }

 private:
  std::string full(const std::string& raw) const {
    auto uid = p::parse_user_id(raw, origin_);
    return uid ? uid->full() : std::string();
  }
  // What this node's users get is encoded here (strict JSON, this node's timestamp), never
  // the peer's bytes as they came: the peer's parser-lenient extras stop at this node.
  // Encoded once, and only for kinds that pass the frame on as it is (text makes its own).
  const frame_ptr& as_received() {
    if (!as_received_) as_received_ = c_.frame(env_.body, env_.id);
    return as_received_;
  }
  bool speaks_for(const std::string& id) const { return !id.empty() && domain_of(id) == origin_; }
  bool only(const std::string& user) const { return to_.size() == 1 && to_.front() == user; }
  remote_result not_spoken_for(const std::string& id) const {
    return refuse(9005, type_ + ": " + origin_ + " does not speak for " + id);
  }
  remote_result deliver_all() {
    for (const auto& u : to_) c_.deliver(u, as_received());
    return {};
  }

  remote_result friend_request(const p::friend_request& m) {
    const std::string requester = full(m.sender), receiver = full(m.receiver);
    if (!speaks_for(requester)) return not_spoken_for(m.sender);
    if (!only(receiver)) return refuse(9003, type_ + ": to must be the receiver");
    auto verdict = [&](p::code c) {
      c_.deliver(requester, c_.frame(p::friend_request_ack{requester, receiver, p::to_int(c)}, ref_));
      return remote_result{};
    };
    if (!store::local_user_exists(t_, p::parse_user_id(receiver, c_.cfg.domain)->name)) return verdict(p::code::friend_user_not_found);
    if (store::are_friends(t_, receiver, requester)) return verdict(p::code::already_friends);
    if (store::has_request(t_, requester, receiver)) return verdict(p::code::friend_request_pending);
    if (store::has_request(t_, receiver, requester)) {
      // Crossing requests: the receiver had asked too; both are accepted.
      store::remove_request(t_, receiver, requester);
      store::add_friendship(t_, receiver, requester, c_.now);
      c_.deliver(receiver, c_.frame(p::friend_request_response{receiver, requester, 0}, std::nullopt));
      tell_statuses(c_, receiver, requester);
      return verdict(p::code::ok);
    }
    store::add_request(t_, requester, receiver, c_.now);
    // A receiver who blocks the requester never sees it; the requester's node hears what it
    // would for a request nobody answers (docs/protocol.md §15).
    if (!store::blocks(t_, receiver, requester)) c_.deliver(receiver, as_received());
    return verdict(p::code::ok);
  }

  remote_result friend_request_ack(const p::friend_request_ack& m) {
    const std::string requester = full(m.sender), receiver = full(m.receiver);
    if (!speaks_for(receiver)) return not_spoken_for(m.receiver);
    if (!only(requester)) return refuse(9003, type_ + ": to must be the requester");
    // A verdict only answers a request this node sent and still waits on. Crossing requests
    // made the pair friends here before the verdict came: it is delivered and changes
    // nothing. Anything else (a forged "already friends", a verdict for a withdrawn request)
    // is refused.
    if (!store::has_request(t_, requester, receiver)) {
      if (!store::are_friends(t_, requester, receiver))
        return refuse(p::to_int(p::code::no_pending_request), type_ + ": " + requester + " has no pending request to " + receiver);
      return deliver_all();
    }
    // The receiver's node decided: 3001 (no such user) ends the request here too; 3003 means
    // that node holds the friendship already (this one learns it); 3006: still pending there.
    if (m.code == p::to_int(p::code::already_friends)) {
      store::remove_request(t_, requester, receiver);
      if (!store::are_friends(t_, requester, receiver)) store::add_friendship(t_, requester, receiver, c_.now);
    } else if (m.code != 0 && m.code != p::to_int(p::code::friend_request_pending)) {
      store::remove_request(t_, requester, receiver);
    }
    return deliver_all();
  }

  remote_result friend_request_response(const p::friend_request_response& m) {
    const std::string requester = full(m.sender), answerer = full(m.receiver);
    if (!speaks_for(answerer)) return not_spoken_for(m.receiver);
    if (!only(requester)) return refuse(9003, type_ + ": to must be the requester");
    if (!store::remove_request(t_, requester, answerer)) return {};  // withdrawn meanwhile
    if (m.code == 0) store::add_friendship(t_, requester, answerer, c_.now);
    deliver_all();
    if (m.code == 0) tell_statuses(c_, requester, answerer);
    return {};
  }

  remote_result friend_remove(const p::friend_remove& m) {
    const std::string remover = full(m.sender), removed = full(m.receiver);
    if (!speaks_for(remover)) return not_spoken_for(m.sender);
    if (!only(removed)) return refuse(9003, type_ + ": to must be the receiver");
    if (store::are_friends(t_, remover, removed)) store::remove_friendship(t_, remover, removed);
    store::remove_request(t_, remover, removed);
    store::remove_request(t_, removed, remover);
    if (!store::blocks(t_, removed, remover)) deliver_all();
    return {};
  }

  // USER_STATUS_UPDATE and USER_LOGOUT: live only; friends who are offline learn it at
  // their next login.
  remote_result presence(const std::string& user, const std::string& status) {
    if (!speaks_for(user)) return not_spoken_for(user);
    c_.online.set_remote_status(user, status);
    for (const auto& u : to_)
      if (store::are_friends(t_, u, user))
        if (auto s = c_.online.find(u)) c_.send(s, as_received());
    return {};
  }

  remote_result text(const p::text_message& m) {
    const std::string sender = full(m.sender);
    store::stored_message stored{c_.peer_time(env_.timestamp), sender, {}, m.content, {}, {}, {}, {}, 0};
    if (m.group_id) {
      if (!speaks_for(*m.group_id)) return refuse(9005, type_ + ": " + origin_ + " does not home " + *m.group_id);
      // Even the home only speaks for members, to members: this node checks its own copy.
      if (auto problem = group_fanout_problem(c_, *m.group_id, sender, to_); !problem.empty())
        return refuse(p::to_int(p::code::text_not_group_member), type_ + ": " + problem);
      stored.receiver = stored.group_id = *m.group_id;
      stored.group_name = m.group.value_or("");
    } else {
      if (!speaks_for(sender)) return not_spoken_for(m.sender);
      stored.receiver = full(m.receiver);
      if (!only(stored.receiver)) return refuse(9003, type_ + ": to must be the receiver");
      if (!store::are_friends(t_, stored.receiver, sender))
        return refuse(7002, type_ + ": " + sender + " is not a friend of " + stored.receiver);
    }
    // Stored once for this node's recipients, under this node's message id; a member who
    // blocks the sender gets nothing (docs/protocol.md §15).
    std::vector<std::string_view> owners;
    for (const auto& u : to_)
      if (!store::blocks(t_, u, sender)) owners.push_back(u);
    if (owners.empty()) return {};
    const std::uint64_t message_id = store::next_counter(t_, "next_message_id");
    store::store_message(t_, message_id, stored, owners);
    p::text_message out = m;
    out.sender = sender;
    out.receiver = stored.receiver;
    out.message_id = std::to_string(message_id);
    auto local = std::make_shared<const std::string>(p::encode(p::envelope{std::move(out), stored.timestamp, std::nullopt}));
    for (const auto& u : owners) c_.deliver(std::string(u), local);
    return {};
  }

  // Group events and the answers to a forwarded group request are about a group the
  // origin homes.
  std::optional<std::string> group_id() const {
    std::optional<std::string> id;
    std::visit(
        [&](const auto& m) {
          if constexpr (requires { m.group_id; })
            if constexpr (std::is_same_v<std::decay_t<decltype(m.group_id)>, std::optional<std::string>>) id = m.group_id;
        },
        env_.body);
    return id;
  }
  std::optional<remote_result> not_homed() const {
    const auto id = group_id();
    if (id && speaks_for(*id)) return std::nullopt;
    return refuse(9005, type_ + ": " + origin_ + " does not home " + id.value_or("(no groupId)"));
  }

  remote_result group_invite(const p::group_invite& m) {
    if (auto refused = not_homed()) return *refused;
    // Invitations from a user the invitee blocks are not delivered (and not listed).
    for (const auto& u : to_)
      if (!store::blocks(t_, u, full(m.sender))) c_.deliver(u, as_received());
    return {};
  }

  remote_result group_event() {
    if (auto refused = not_homed()) return *refused;
    return deliver_all();
  }

  // The answer to a group request this node forwarded to the group's home (it names the
  // request's type, and carries its id when the user gave one).
  remote_result error(const p::error_message& e) {
    const bool answers_forwarded = e.in_reply_to && (*e.in_reply_to == "GROUP_INVITE_RESPONSE" || *e.in_reply_to == "GROUP_LEAVE" ||
                                                     *e.in_reply_to == "GROUP_REMOVE" || *e.in_reply_to == "GROUP_LEADER_CHANGE");
    if (!ref_ && !env_.id && !answers_forwarded) return refuse(9003, "ERROR: only as the answer to a forwarded request");
    return deliver_all();
  }

  context& c_;
  store::txn& t_;
  const std::string& origin_;
  const std::vector<std::string>& to_;
  p::envelope& env_;
  const std::optional<std::string>& ref_;
  const std::string type_;
  frame_ptr as_received_;  // made by as_received() when a kind passes the frame on
};


}  // namespace

std::string group_fanout_problem(const context& c, const std::string& group_id, const std::string& sender,
                                 const std::vector<std::string>& to) {
  auto g = store::load_group(c.t, group_id);
  if (!g) return "no group " + group_id + " here";
  if (!g->is_member(sender)) return sender + " is not a member of " + group_id;
  for (const auto& u : to)
    if (!g->is_member(u)) return u + " is not a member of " + group_id;
  return {};
}

remote_result apply_event(context& c, const std::string& origin, const json::object& ev) {
  auto decoded = p::fed::decode_event(ev);  // the shape (protocol/federation.hpp); the meaning is checked here
  if (auto* bad = std::get_if<p::fed::frame_error>(&decoded)) return refuse(p::to_int(bad->error), std::move(bad->message));
  return std::visit(
      [&](auto& e) -> remote_result {
        using kind = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<kind, p::fed::deliver>) {
          std::vector<std::string> users;
          for (const auto& u : e.to) {
            auto uid = p::parse_user_id(u, c.cfg.domain);
            if (!uid || uid->domain != c.cfg.domain) return refuse(9003, "deliver.to: " + u + " is not a user of " + c.cfg.domain);
            users.push_back(uid->full());
          }
          return apply_delivery(c, origin, users, e.message, e.ref);
        } else if constexpr (std::is_same_v<kind, p::fed::act>) {
          return apply_act(c, origin, e.actor, e.request);
        } else if constexpr (std::is_same_v<kind, p::fed::group>) {
          std::optional<store::group_record> g;
          if (e.record) {
            g = store::decode_group(*e.record);
            if (!g) return refuse(9003, "group.group: not a group record");
          }
          store::stream_pos seen;
          if (e.seen) seen = {e.seen->stream, e.seen->seq};
          return apply_group(c, origin, e.group_id, g, seen);
        } else if constexpr (std::is_same_v<kind, p::fed::reset>) {
          return apply_reset(c, origin);
        } else {
          return apply_media_event(c, origin, e);  // media, media_done: core/media.cpp
        }
      },
      std::get<p::fed::event_kind>(decoded));
}


remote_result apply_delivery(context& c, const std::string& origin, const std::vector<std::string>& to,
                             const json::object& message, const std::optional<std::string>& ref) {
  auto decoded = decode_carried(message, c.cfg.max_message_bytes);
  if (auto* err = std::get_if<p::decode_error>(&decoded)) return refuse(9003, "deliver.message: " + err->message);
  return inbound_delivery(c, origin, to, std::get<p::envelope>(decoded), ref).apply();
}

namespace {

// The acting user an `act` request names, the group it is about, and whether the origin
// answered the user itself (a group text: it stored it and acknowledged it).
struct act_subject {
  std::string acting;
  std::optional<std::string> group_id;
  bool quiet = false;
};
act_subject subject_of(const p::payload& body) {
  act_subject s;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, p::text_message>) {
          s.acting = m.sender;
          s.group_id = m.receiver;
          s.quiet = true;
        } else if constexpr (std::is_same_v<T, p::group_invite_response>) {
          s.acting = m.receiver;
          s.group_id = m.group_id;
        } else if constexpr (std::is_same_v<T, p::group_leave> || std::is_same_v<T, p::group_remove> ||
                             std::is_same_v<T, p::group_leader_change>) {
          s.acting = m.sender;
          s.group_id = m.group_id;
        }
      },
      body);
  return s;
}

}  // namespace

remote_result apply_act(context& c, const std::string& origin, const std::string& actor_id, const json::object& request) {
  auto uid = p::parse_user_id(actor_id, origin);
  if (!uid || uid->domain != origin) return refuse(9005, "act: " + origin + " does not speak for " + actor_id);
  auto decoded = decode_carried(request, c.cfg.max_message_bytes);
  if (auto* err = std::get_if<p::decode_error>(&decoded)) return refuse(9003, "act.request: " + err->message);
  auto& env = std::get<p::envelope>(decoded);
  const std::string type(p::to_string(p::type_of(env.body)));
  const act_subject subject = subject_of(env.body);
  if (!subject.group_id) return refuse(9002, "act: " + type + " is not a group request");
  auto acting_id = p::parse_user_id(subject.acting, origin);
  if (!acting_id || *acting_id != *uid) return refuse(9005, "act: " + type + " names " + subject.acting + ", not " + actor_id);
  const std::string& group_id = *subject.group_id;
  if (!c.is_local(group_id) || group_id.empty() || group_id.front() != '#')
    return refuse(9005, "act: " + group_id + " is not a group homed at " + c.cfg.domain);

  // The same rule as a local request; replies go back to the origin (unless it answered).
  const actor a{uid->full(), origin, subject.quiet};
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, p::text_message>) {
          text(c, a, m, env.id);
        } else if constexpr (std::is_same_v<T, p::group_invite_response>) {
          group_invite_response(c, a, m, env.id);
        } else if constexpr (std::is_same_v<T, p::group_leave>) {
          group_leave(c, a, m, env.id);
        } else if constexpr (std::is_same_v<T, p::group_remove>) {
          group_remove(c, a, m, env.id);
        } else if constexpr (std::is_same_v<T, p::group_leader_change>) {
          group_leader_change(c, a, m, env.id);
        }
      },
      env.body);
  // The origin changed its copy of the record when it forwarded the request (so its user's
  // next requests see the change); whether or not the request succeeded here, it gets this
  // node's record back, ahead of the answer.
  if (!subject.quiet) c.fx.group_syncs[group_id].insert(origin);
  return {};
}

remote_result apply_group(context& c, const std::string& origin, const std::string& group_id,
                          const std::optional<store::group_record>& g, const store::stream_pos& seen) {
  if (domain_of(group_id) != origin || group_id.empty() || group_id.front() != '#')
    return refuse(9005, "group: " + origin + " does not home " + group_id);
  auto before = store::load_group(c.t, group_id);
  if (!g) {
    if (before) store::delete_group(c.t, group_id, *before);
    store::group_pending_drop(c.t, group_id, [](const auto&) { return true; });
    return {};
  }
  // Answers of this node's users that the home had not read when it made this record are
  // applied again, so the users' next requests keep seeing them.
  store::group_record record = *g;
  // A user of this node who no longer exists (a deleted account) is in no copy here, so a
  // name registered again does not inherit the group.
  auto gone = [&](const std::string& u) {
    auto uid = p::parse_user_id(u, c.cfg.domain);
    return c.is_local(u) && (!uid || !store::local_user_exists(c.t, uid->name));
  };
  std::erase_if(record.members, gone);
  std::erase_if(record.invited, [&](const store::invitation& i) { return gone(i.user); });
  if (auto pending = store::group_pending(c.t, group_id); !pending.empty()) {
    auto read = [&](const store::pending_group_change& change) { return store::stream_read_past(seen, change.at); };
    store::group_pending_drop(c.t, group_id, read);
    for (const auto& change : pending) {
      if (read(change)) continue;
      std::erase_if(record.invited, [&](const store::invitation& i) { return i.user == change.user; });
      if (change.kind == 'a' && !record.is_member(change.user)) record.members.push_back(change.user);
      if (change.kind == 'l') {
        std::erase(record.members, change.user);
        if (record.leader == change.user && !record.members.empty()) record.leader = record.members.front();
      }
    }
  }
  c.update_replica(group_id, record, before ? &*before : nullptr);
  return {};
}

remote_result apply_reset(context& c, const std::string& origin) {
  forget_domain(c, origin);
  return {};
}

}  // namespace chatnode::core
