// Text messages and the receiver rule.
#include "core/messaging.hpp"

#include "protocol/ids.hpp"

namespace chatnode::core {
namespace p = chatnode::protocol;

receiver_target resolve_target(const context& c, const std::string& me, const std::string& receiver) {
  receiver_target to;
  if (receiver.empty() || receiver.front() != '#') {
    if (auto uid = p::parse_user_id(receiver, c.cfg.domain); uid && uid->domain != c.cfg.domain) {
      // A user of another node: known here only as a friend (or not at all).
      const std::string user = uid->full();
      const bool friends = store::are_friends(c.t, me, user);
      if (!friends && !c.online.reachable(uid->domain)) {
        to.error = p::code::text_unknown_receiver;
        return to;
      }
      if (!friends) to.error = p::code::text_not_friends;
      to.receiver = user;
      to.recipients.push_back(user);
      return to;
    }
    if (auto uid = p::parse_user_id(receiver, c.cfg.domain); uid && store::local_user_exists(c.t, uid->name)) {
      const std::string user = uid->full();
      if (!store::are_friends(c.t, me, user)) to.error = p::code::text_not_friends;
      to.receiver = user;
      to.recipients.push_back(user);
      return to;
    }
  }
  auto group = store::find_group(c.t, me, receiver, std::nullopt, store::group_role::member);
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
    if (member != me && !store::blocks(c.t, member, me)) to.recipients.push_back(member);
  return to;
}

void text(context& c, const actor& a, const p::text_message& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  auto ack = [&](p::code code, std::optional<std::string> message_id) {
    c.reply(a, c.frame(p::text_message_ack{std::move(message_id), req.receiver, p::to_int(code)}, id));
  };
  if (req.content.empty()) return c.reply_error(a, p::code::invalid_field, "payload.content: empty", "TEXT_MESSAGE", id);
  if (req.content.size() > c.cfg.max_text_bytes) return ack(p::code::too_large, std::nullopt);
  auto to = resolve_target(c, me, req.receiver);
  if (to.error != p::code::ok) return ack(to.error, std::nullopt);
  if (to.group_name.empty() && c.inbox_full(to.receiver)) return ack(p::code::receiver_inbox_full, std::nullopt);
  store::stored_message m{c.now, me, to.receiver, req.content, {}, {}, {}, {}, 0};
  if (!to.group_name.empty()) {
    m.group_id = to.receiver;
    m.group_name = to.group_name;
  }
  // Only this node's users have a history here; the others' nodes keep theirs.
  const bool forward = !m.group_id.empty() && !c.is_local(m.group_id);
  std::vector<std::string_view> owners;
  if (c.is_local(me)) owners.push_back(me);
  if (!forward)
    for (const auto& r : to.recipients)
      if (c.is_local(r)) owners.push_back(r);
  const std::uint64_t message_id = store::next_counter(c.t, "next_message_id");
  store::store_message(c.t, message_id, m, owners);
  c.fx.tally.add(m.group_id.empty() ? message_kind::text : message_kind::group_text);
  const std::string mid = std::to_string(message_id);
  ack(p::code::ok, mid);
  if (forward) {
    // A group homed on another node: it stores the message for every member and fans it
    // out; this node already answered the sender.
    c.forward_to_home(me, m.group_id, p::text_message{me, m.group_id, m.content, std::nullopt, m.group_id, std::nullopt},
                      std::nullopt);
    return;
  }
  p::text_message out{me, m.receiver, m.content, mid, std::nullopt, std::nullopt};
  if (!m.group_id.empty()) {
    out.group_id = m.group_id;
    out.group = m.group_name;
  }
  auto frame = c.frame(std::move(out));  // serialized once for every recipient
  // A member whose inbox is full finds the message in their history instead.
  for (const auto& r : to.recipients)
    if (!c.inbox_full(r)) c.deliver(r, frame);
}

}  // namespace chatnode::core
