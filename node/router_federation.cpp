// The router's side of federation (docs/federation.md "What crosses a link"): events
// bound for other nodes go into their outboxes in the same transaction as the change
// that makes them, and events from other nodes are checked against the authority rule
// and applied here, once per (origin, stream, seq).
//
// Event kinds (the `event` object of a FED_EVENT):
//   deliver  {to: [users of the receiver], message: {client message}, ref?}
//   act      {actor: "<user of the origin>", request: {client message}}  (group requests
//            to the group's home node)
// (protocol/federation.hpp builds them; see carried() for the older string form.)
//   group    {groupId, group: {name, leader, members, invited, created} | null}
//   reset    {}  (the origin started: its users are offline)
#include "router.hpp"

#include "log.hpp"
#include "store/tables.hpp"

#include "protocol/federation.hpp"
#include "protocol/ids.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>

namespace chatnode::node {
namespace p = chatnode::protocol;
namespace json = boost::json;

thread_local router::inline_rule* router::inline_ = nullptr;

namespace {

std::string domain_of(std::string_view id) {
  const auto at = id.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(id.substr(at + 1));
}

remote_result refuse(int code, std::string reason) { return {code, std::move(reason)}; }

// The client message an event carries under `key`: a JSON object, or (events queued by a
// node before 0.2, whose outbox still holds them) its text under `legacy_key`.
const json::value* carried(const json::object& ev, std::string_view key, std::string_view legacy_key) {
  if (const auto* v = ev.if_contains(key); v && v->is_object()) return v;
  if (const auto* v = ev.if_contains(legacy_key); v && v->is_string()) return v;
  return nullptr;
}

// Decodes a carried client message (see carried()).
p::decode_result decode_carried(const json::value& message, const p::decode_limits& limits) {
  if (message.is_object()) return p::decode(message.as_object(), limits);
  const auto& text = message.as_string();
  return p::decode(std::string_view(text.data(), text.size()), limits);
}

}  // namespace

// A user of another node acting through an `act` event: a stand-in session whose replies
// join the receiving job's effects (and so go back into the origin's outbox).
class router::remote_actor final : public client_session {
 public:
  remote_actor(p::user_id user, std::string domain, bool quiet)
      : domain_(std::move(domain)), label_("federation:" + domain_), quiet_(quiet) {
    state().user = std::move(user);
  }
  void send(frame_ptr frame) override {
    if (inline_) inline_->fx->send(shared_from_this(), std::move(frame));
  }
  void close(std::uint16_t) override {}
  void post(std::function<void()> fn) override { fn(); }
  void resume_reading() override {}
  void when_idle(std::function<void()> fn) override { fn(); }
  const std::string& remote() const override { return label_; }
  const std::string* via_domain() const noexcept override { return &domain_; }
  bool quiet() const noexcept override { return quiet_; }

 private:
  std::string domain_;
  std::string label_;
  bool quiet_;
};

bool router::is_local(std::string_view id) const { return domain_of(id) == cfg().domain; }

std::int64_t router::peer_time(std::int64_t claimed) const {
  const std::int64_t now = now_seconds();
  if (claimed > now + cfg().federation.max_clock_skew.count() || claimed < now - cfg().federation.max_event_age.count())
    return now;
  return claimed;
}

std::string router::group_fanout_problem(const store::txn& t, const std::string& group_id, const std::string& sender,
                                         const std::vector<std::string>& to) const {
  auto g = store::load_group(t, group_id);
  if (!g) return "no group " + group_id + " here";
  if (!g->is_member(sender)) return sender + " is not a member of " + group_id;
  for (const auto& u : to)
    if (!g->is_member(u)) return u + " is not a member of " + group_id;
  return {};
}

store::stream_pos router::append_event(store::txn& t, effects& fx, const std::string& domain, const std::string& event) {
  fx.pokes.insert(domain);
  return store::outbox_append(t, domain, event);
}

void router::flush_remote(store::txn& t, effects& fx) {
  // Group records first, so a node knows a group before it delivers the group's events.
  for (const auto& [group_id, domains] : fx.group_syncs) {
    auto g = store::load_group(t, group_id);
    const std::string record = g ? store::encode_group(*g) : std::string();
    for (const auto& d : domains) {
      // How far this record has read d's events: d re-applies its users' answers that this
      // record cannot reflect yet (store::pending_group_change).
      const auto seen = store::fed_in_current(t, d);
      append_event(t, fx, d,
                   p::fed::group_event(group_id, g ? std::optional<std::string_view>(record) : std::nullopt, seen.stream,
                                       seen.seq));
    }
  }
  fx.group_syncs.clear();
  for (const auto& r : fx.remote) append_event(t, fx, r.domain, p::fed::deliver_event(r.to, *r.frame, r.ref));
  fx.remote.clear();
}

void router::save_group(store::txn& t, effects& fx, const std::string& group_id, const store::group_record& g,
                        const store::group_record* before) {
  store::save_group(t, group_id, g, before);
  auto& domains = fx.group_syncs[group_id];
  for (const auto* r : {&g, before}) {
    if (!r) continue;
    for (const auto& m : r->members)
      if (!is_local(m)) domains.insert(domain_of(m));
    for (const auto& i : r->invited)
      if (!is_local(i.user)) domains.insert(domain_of(i.user));
  }
  if (domains.empty()) fx.group_syncs.erase(group_id);
}

void router::delete_group(store::txn& t, effects& fx, const std::string& group_id, const store::group_record& g) {
  store::delete_group(t, group_id, g);
  auto& domains = fx.group_syncs[group_id];
  for (const auto& m : g.members)
    if (!is_local(m)) domains.insert(domain_of(m));
  for (const auto& i : g.invited)
    if (!is_local(i.user)) domains.insert(domain_of(i.user));
  if (domains.empty()) fx.group_syncs.erase(group_id);
}

store::stream_pos router::forward_to_home(store::txn& t, effects& fx, const std::string& actor, const std::string& group_id,
                                      p::payload request, const std::optional<std::string>& id) {
  return append_event(t, fx, domain_of(group_id),
                      p::fed::act_event(actor, p::encode(p::envelope{std::move(request), now_seconds(), id})));
}

void router::presence_to_friends(store::txn& t, effects& fx, const std::string& me, const frame_ptr& frame,
                                 bool local) {
  if (!frame) return;
  const bool remote = fed_ != nullptr;
  for (const auto& f : store::friends_of(t, me)) {
    if (is_local(f)) {
      if (local)
        if (auto to = online_.find(f)) fx.send(to, frame);
    } else if (remote) {
      deliver(t, fx, f, frame);  // through the friend's node
    }
  }
}

void router::presence_to_friends_async(const std::string& me, frame_ptr frame, bool local) {
  if (!frame) return;
  auto fx = std::make_shared<effects>();
  writer_.submit(
      [this, fx, me, frame, local](store::txn& t) {
        fx->clear();
        presence_to_friends(t, *fx, me, frame, local);
        flush_remote(t, *fx);
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
        for (const auto& peer : peers) append_event(t, *fx, peer, R"({"kind":"reset"})");
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
        out->result = apply_remote(t, out->fx, origin, event);
        if (out->result.code != 0) {
          out->fx.clear();  // refused: checked before anything was written
        } else {
          flush_remote(t, out->fx);
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

remote_result router::apply_remote(store::txn& t, effects& fx, const std::string& origin, const json::object& ev) {
  const auto* kind = ev.if_contains("kind");
  if (!kind || !kind->is_string()) return refuse(9003, "event.kind: missing");
  auto str = [&](std::string_view key) -> const json::string* {
    const auto* f = ev.if_contains(key);
    return f && f->is_string() ? &f->as_string() : nullptr;
  };
  if (*kind == "deliver") {
    const auto* to = ev.if_contains("to");
    const auto* message = carried(ev, "message", "frame");
    if (!to || !to->is_array() || to->as_array().empty() || !message) return refuse(9003, "deliver: needs to[] and message");
    std::vector<std::string> users;
    for (const auto& u : to->as_array()) {
      if (!u.is_string()) return refuse(9003, "deliver.to: user ids");
      auto uid = p::parse_user_id(u.as_string(), cfg().domain);
      if (!uid || uid->domain != cfg().domain) return refuse(9003, "deliver.to: " + std::string(u.as_string()) + " is not a user of " + cfg().domain);
      users.push_back(uid->full());
    }
    std::optional<std::string> ref;
    if (const auto* r = str("ref")) ref = std::string(*r);
    return apply_delivery(t, fx, origin, users, *message, ref);
  }
  if (*kind == "act") {
    const auto* actor = str("actor");
    const auto* request = carried(ev, "request", "request");
    if (!actor || !request) return refuse(9003, "act: needs actor and request");
    return apply_act(t, fx, origin, std::string(*actor), *request);
  }
  if (*kind == "group") {
    const auto* group_id = str("groupId");
    const auto* group = ev.if_contains("group");
    if (!group_id || !group) return refuse(9003, "group: needs groupId and group");
    std::optional<store::group_record> g;
    if (!group->is_null()) {
      if (group->is_object()) g = store::decode_group(group->as_object());
      if (!g) return refuse(9003, "group.group: not a group record");
    }
    store::stream_pos seen;
    if (const auto* s = ev.if_contains("seen"); s && s->is_object()) {
      const auto* stream = s->as_object().if_contains("stream");
      const auto* seq = s->as_object().if_contains("seq");
      if (stream && stream->is_string() && seq && seq->is_number()) {
        seen.stream = std::string(stream->as_string());
        boost::system::error_code ignored;
        seen.seq = seq->to_number<std::uint64_t>(ignored);
      }
    }
    return apply_group(t, fx, origin, std::string(*group_id), g, seen);
  }
  if (*kind == "reset") return apply_reset(t, fx, origin);
  if (*kind == "media" || *kind == "media_done") return apply_media_event(t, fx, origin, ev);  // router_media_federation.cpp
  return refuse(9002, "event.kind: unknown \"" + std::string(kind->as_string()) + "\"");
}

// One "deliver" event being applied: the client frame the origin relays to `to`, checked
// kind by kind against the authority rule (the origin speaks for its own users and for the
// groups it homes) and this node's own state.
class router::inbound_delivery {
 public:
  inbound_delivery(router& r, store::txn& t, effects& fx, const std::string& origin, const std::vector<std::string>& to,
                   p::envelope& env, const std::optional<std::string>& ref)
      : r_(r), t_(t), fx_(fx), origin_(origin), to_(to), env_(env), ref_(ref),
        type_(p::to_string(p::type_of(env.body))) {}

  remote_result apply() {
    auto& b = env_.body;
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
    if (!as_received_) as_received_ = std::make_shared<const std::string>(p::encode(p::envelope{env_.body, now_seconds(), env_.id}));
    return as_received_;
  }
  bool speaks_for(const std::string& id) const { return !id.empty() && domain_of(id) == origin_; }
  bool only(const std::string& user) const { return to_.size() == 1 && to_.front() == user; }
  remote_result not_spoken_for(const std::string& id) const {
    return refuse(9005, type_ + ": " + origin_ + " does not speak for " + id);
  }
  remote_result deliver_all() {
    for (const auto& u : to_) r_.deliver(t_, fx_, u, as_received());
    return {};
  }

  remote_result friend_request(const p::friend_request& m) {
    const std::string requester = full(m.sender), receiver = full(m.receiver);
    if (!speaks_for(requester)) return not_spoken_for(m.sender);
    if (!only(receiver)) return refuse(9003, type_ + ": to must be the receiver");
    auto verdict = [&](p::code c) {
      r_.deliver(t_, fx_, requester, make_frame(p::friend_request_ack{requester, receiver, p::to_int(c)}, ref_));
      return remote_result{};
    };
    if (!store::local_user_exists(t_, p::parse_user_id(receiver, r_.cfg().domain)->name)) return verdict(p::code::friend_user_not_found);
    if (store::are_friends(t_, receiver, requester)) return verdict(p::code::already_friends);
    if (store::has_request(t_, requester, receiver)) return verdict(p::code::friend_request_pending);
    if (store::has_request(t_, receiver, requester)) {
      // Crossing requests: the receiver had asked too; both are accepted.
      store::remove_request(t_, receiver, requester);
      store::add_friendship(t_, receiver, requester, now_seconds());
      r_.deliver(t_, fx_, receiver, make_frame(p::friend_request_response{receiver, requester, 0}, std::nullopt));
      r_.tell_statuses(t_, fx_, receiver, requester);
      return verdict(p::code::ok);
    }
    store::add_request(t_, requester, receiver, now_seconds());
    // A receiver who blocks the requester never sees it; the requester's node hears what it
    // would for a request nobody answers (docs/protocol.md §15).
    if (!store::blocks(t_, receiver, requester)) r_.deliver(t_, fx_, receiver, as_received());
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
      if (!store::are_friends(t_, requester, receiver)) store::add_friendship(t_, requester, receiver, now_seconds());
    } else if (m.code != 0 && m.code != p::to_int(p::code::friend_request_pending)) {
      store::remove_request(t_, requester, receiver);
    }
    return deliver_all();
  }

  remote_result friend_request_response(const p::friend_request_response& m) {
    const std::string requester = full(m.sender), answerer = full(m.receiver);
    if (!speaks_for(answerer)) return not_spoken_for(m.receiver);
    if (!only(requester)) return refuse(9003, type_ + ": to must be the requester");
    if (!store::remove_request(t_, requester, answerer)) {
      log(log_level::info, "federation", "answer of ", answerer, " to ", requester, ": no such request (withdrawn)");
      return {};
    }
    if (m.code == 0) store::add_friendship(t_, requester, answerer, now_seconds());
    deliver_all();
    if (m.code == 0) r_.tell_statuses(t_, fx_, requester, answerer);
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
    r_.online_.set_remote_status(user, status);
    for (const auto& u : to_)
      if (store::are_friends(t_, u, user))
        if (auto s = r_.online_.find(u)) fx_.send(s, as_received());
    return {};
  }

  remote_result text(const p::text_message& m) {
    const std::string sender = full(m.sender);
    store::stored_message stored{r_.peer_time(env_.timestamp), sender, {}, m.content, {}, {}, {}, {}, 0};
    if (m.group_id) {
      if (!speaks_for(*m.group_id)) return refuse(9005, type_ + ": " + origin_ + " does not home " + *m.group_id);
      // Even the home only speaks for members, to members: this node checks its own copy.
      if (auto problem = r_.group_fanout_problem(t_, *m.group_id, sender, to_); !problem.empty())
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
    for (const auto& u : owners) r_.deliver(t_, fx_, std::string(u), local);
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
      if (!store::blocks(t_, u, full(m.sender))) r_.deliver(t_, fx_, u, as_received());
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

  router& r_;
  store::txn& t_;
  effects& fx_;
  const std::string& origin_;
  const std::vector<std::string>& to_;
  p::envelope& env_;
  const std::optional<std::string>& ref_;
  const std::string type_;
  frame_ptr as_received_;  // made by as_received() when a kind passes the frame on
};

remote_result router::apply_delivery(store::txn& t, effects& fx, const std::string& origin,
                                     const std::vector<std::string>& to, const json::value& message,
                                     const std::optional<std::string>& ref) {
  auto decoded = decode_carried(message, decode_limits());
  if (auto* err = std::get_if<p::decode_error>(&decoded)) return refuse(9003, "deliver.message: " + err->message);
  return inbound_delivery(*this, t, fx, origin, to, std::get<p::envelope>(decoded), ref).apply();
}

remote_result router::apply_act(store::txn& t, effects& fx, const std::string& origin, const std::string& actor,
                                const json::value& request) {
  auto uid = p::parse_user_id(actor, origin);
  if (!uid || uid->domain != origin) return refuse(9005, "act: " + origin + " does not speak for " + actor);
  auto decoded = decode_carried(request, decode_limits());
  if (auto* err = std::get_if<p::decode_error>(&decoded)) return refuse(9003, "act.request: " + err->message);
  auto& env = std::get<p::envelope>(decoded);
  const std::string type(p::to_string(p::type_of(env.body)));
  // The acting user and the group, which must be homed here.
  std::string acting;
  std::optional<std::string> group_id;
  bool quiet = false;
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, p::text_message>) {
          acting = m.sender;
          group_id = m.receiver;
          quiet = true;  // the origin stored it and answered the sender
        } else if constexpr (std::is_same_v<T, p::group_invite_response>) {
          acting = m.receiver;
          group_id = m.group_id;
        } else if constexpr (std::is_same_v<T, p::group_leave> || std::is_same_v<T, p::group_remove> ||
                             std::is_same_v<T, p::group_leader_change>) {
          acting = m.sender;
          group_id = m.group_id;
        }
      },
      env.body);
  if (!group_id) return refuse(9002, "act: " + type + " is not a group request");
  auto acting_id = p::parse_user_id(acting, origin);
  if (!acting_id || *acting_id != *uid) return refuse(9005, "act: " + type + " names " + acting + ", not " + actor);
  if (!is_local(*group_id) || group_id->empty() || group_id->front() != '#')
    return refuse(9005, "act: " + *group_id + " is not a group homed at " + cfg().domain);

  auto actor_session = std::make_shared<remote_actor>(*uid, origin, quiet);
  inline_rule scope{&t, &fx};
  inline_ = &scope;
  struct reset_inline {
    ~reset_inline() { inline_ = nullptr; }
  } reset;
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, p::text_message>) {
          handle_text(actor_session, m, env.id);
        } else if constexpr (std::is_same_v<T, p::group_invite_response>) {
          handle_group_invite_response(actor_session, m, env.id);
        } else if constexpr (std::is_same_v<T, p::group_leave>) {
          handle_group_leave(actor_session, m, env.id);
        } else if constexpr (std::is_same_v<T, p::group_remove>) {
          handle_group_remove(actor_session, m, env.id);
        } else if constexpr (std::is_same_v<T, p::group_leader_change>) {
          handle_group_leader_change(actor_session, m, env.id);
        }
      },
      env.body);
  // The origin changed its copy of the record when it forwarded the request (so its user's
  // next requests see the change); whether or not the request succeeded here, it gets this
  // node's record back, ahead of the answer.
  if (!quiet) fx.group_syncs[*group_id].insert(origin);
  return {};
}

remote_result router::apply_group(store::txn& t, effects&, const std::string& origin, const std::string& group_id,
                                  const std::optional<store::group_record>& g, const store::stream_pos& seen) {
  if (domain_of(group_id) != origin || group_id.empty() || group_id.front() != '#')
    return refuse(9005, "group: " + origin + " does not home " + group_id);
  auto before = store::load_group(t, group_id);
  if (!g) {
    if (before) store::delete_group(t, group_id, *before);
    store::group_pending_drop(t, group_id, [](const auto&) { return true; });
    return {};
  }
  // Answers of this node's users that the home had not read when it made this record are
  // applied again, so the users' next requests keep seeing them.
  store::group_record record = *g;
  // A user of this node who no longer exists (a deleted account) is in no copy here, so a
  // name registered again does not inherit the group.
  auto gone = [&](const std::string& u) {
    auto uid = p::parse_user_id(u, cfg().domain);
    return is_local(u) && (!uid || !store::local_user_exists(t, uid->name));
  };
  std::erase_if(record.members, gone);
  std::erase_if(record.invited, [&](const store::invitation& i) { return gone(i.user); });
  if (auto pending = store::group_pending(t, group_id); !pending.empty()) {
    auto read = [&](const store::pending_group_change& c) { return store::stream_read_past(seen, c.at); };
    store::group_pending_drop(t, group_id, read);
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
  update_replica(t, group_id, record, before ? &*before : nullptr);
  return {};
}

void router::update_replica(store::txn& t, const std::string& group_id, const store::group_record& g,
                            const store::group_record* before) {
  bool concerns_us = false;
  for (const auto& m : g.members) concerns_us = concerns_us || is_local(m);
  for (const auto& i : g.invited) concerns_us = concerns_us || is_local(i.user);
  // This node keeps a copy while any of its users is a member or invited.
  if (concerns_us) {
    store::save_group(t, group_id, g, before);
  } else if (before) {
    store::delete_group(t, group_id, *before);
  }
}

remote_result router::apply_reset(store::txn& t, effects& fx, const std::string& origin) {
  for (const auto& user : online_.forget_remote_domain(origin)) {
    auto offline = make_frame(p::user_status_update{user, "offline"}, std::nullopt);
    for (const auto& f : store::friends_of(t, user))
      if (is_local(f))
        if (auto s = online_.find(f)) fx.send(s, offline);
  }
  // The origin forgot what it knew of our users' presence: tell it again who is visible.
  const std::string suffix = "@" + origin;
  for (const auto& [user, status] : online_.visible_users()) {
    if (status == "offline") continue;
    frame_ptr frame;
    for (const auto& f : store::friends_of(t, user)) {
      if (!f.ends_with(suffix)) continue;
      if (!frame) frame = make_frame(p::user_status_update{user, status}, std::nullopt);
      deliver(t, fx, f, frame);
    }
  }
  return {};
}

}  // namespace chatnode::node
