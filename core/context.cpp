// The context of a rule: replies, deliveries, the outboxes of other nodes and group records.
#include "core/context.hpp"

#include "protocol/federation.hpp"
#include "protocol/ids.hpp"

namespace chatnode::core {
namespace p = chatnode::protocol;

void effects::clear() {
  sends.clear();
  remote.clear();
  group_syncs.clear();
  pokes.clear();
  tally.clear();
  errors = 0;
  notes.clear();
}

std::string_view domain_of(std::string_view id) {
  const auto at = id.rfind('@');
  return at == std::string_view::npos ? std::string_view() : id.substr(at + 1);
}

std::string full_user_id(const std::string& raw, const std::string& domain) {
  auto uid = p::parse_user_id(raw, domain);
  return uid ? uid->full() : raw;
}

std::string context::full_id(const std::string& raw) const { return full_user_id(raw, cfg.domain); }

frame_ptr context::frame(p::payload body, const std::optional<std::string>& id) const {
  return std::make_shared<const std::string>(p::encode(p::envelope{std::move(body), now, id}));
}

frame_ptr context::error_frame(p::code c, std::string message, std::optional<std::string> in_reply_to,
                               const std::optional<std::string>& id) const {
  return std::make_shared<const std::string>(p::encode(p::make_error(c, std::move(message), std::move(in_reply_to), id, now)));
}

void context::reply(const actor& a, frame_ptr f) {
  if (a.via.empty()) return fx.sends.push_back({nullptr, std::move(f)});
  // A user of another node: the reply goes to their node (unless it answered itself).
  if (!a.quiet) fx.remote.push_back({a.via, std::move(f), {a.user}, std::nullopt});
}

void context::reply_error(const actor& a, p::code c, std::string message, std::optional<std::string> in_reply_to,
                          const std::optional<std::string>& id) {
  ++fx.errors;
  reply(a, error_frame(c, std::move(message), std::move(in_reply_to), id));
}

void context::deliver(const std::string& user, const frame_ptr& f, const std::optional<std::string>& ref) {
  if (!is_local(user)) {
    const std::string_view domain = domain_of(user);
    // One event per node for a frame going to several of its users (group fan-out).
    for (auto& r : fx.remote) {
      if (r.frame == f && r.domain == domain && r.ref == ref) {
        r.to.push_back(user);
        return;
      }
    }
    fx.remote.push_back({std::string(domain), f, {user}, ref});
    return;
  }
  if (auto to = online.find_live(user)) {
    send(to, f);
  } else if (const auto uid = p::parse_user_id(user, cfg.domain); uid && store::local_user_exists(t, uid->name)) {
    store::inbox_append(t, user, *f);
  }  // else a deleted account: nothing is kept for it (a name registered again starts empty)
}

bool context::inbox_full(const std::string& user) const {
  return is_local(user) && !online.find_live(user) && store::inbox_size(t, user) >= cfg.max_inbox_messages;
}

std::int64_t context::peer_time(std::int64_t claimed) const {
  if (claimed > now + cfg.max_clock_skew || claimed < now - cfg.max_event_age) return now;
  return claimed;
}

store::stream_pos context::append_event(const std::string& domain, const std::string& event) {
  fx.pokes.insert(domain);
  return store::outbox_append(t, domain, event);
}

void context::flush_remote() {
  // Group records first, so a node knows a group before it delivers the group's events.
  for (const auto& [group_id, domains] : fx.group_syncs) {
    auto g = store::load_group(t, group_id);
    const std::string record = g ? store::encode_group(*g) : std::string();
    for (const auto& d : domains) {
      // How far this record has read d's events: d re-applies its users' answers that this
      // record cannot reflect yet (store::pending_group_change).
      const auto seen = store::fed_in_current(t, d);
      append_event(d, p::fed::group_event(group_id, g ? std::optional<std::string_view>(record) : std::nullopt,
                                          seen.stream, seen.seq));
    }
  }
  fx.group_syncs.clear();
  for (const auto& r : fx.remote) append_event(r.domain, p::fed::deliver_event(r.to, *r.frame, r.ref));
  fx.remote.clear();
}

store::stream_pos context::forward_to_home(const std::string& actor, const std::string& group_id, p::payload request,
                                           const std::optional<std::string>& id) {
  return append_event(std::string(domain_of(group_id)), p::fed::act_event(actor, p::encode(p::envelope{std::move(request), now, id})));
}

void context::sync_group(const std::string& group_id, const store::group_record& g) {
  auto& domains = fx.group_syncs[group_id];
  for (const auto& m : g.members)
    if (!is_local(m)) domains.emplace(domain_of(m));
  for (const auto& i : g.invited)
    if (!is_local(i.user)) domains.emplace(domain_of(i.user));
  if (domains.empty()) fx.group_syncs.erase(group_id);
}

void context::save_group(const std::string& group_id, const store::group_record& g, const store::group_record* before) {
  store::save_group(t, group_id, g, before);
  sync_group(group_id, g);
  if (before) sync_group(group_id, *before);
}

void context::delete_group(const std::string& group_id, const store::group_record& g) {
  store::delete_group(t, group_id, g);
  sync_group(group_id, g);
}

void context::update_replica(const std::string& group_id, const store::group_record& g, const store::group_record* before) {
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

}  // namespace chatnode::core
