// Group flows.
#include "core/groups.hpp"

#include "crypto/random.hpp"
#include "protocol/ids.hpp"

#include <algorithm>

namespace chatnode::core {
namespace p = chatnode::protocol;

void group_create(context& c, const actor& a, const p::group_create& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  std::vector<std::string> members;
  for (const auto& raw : req.members) {
    auto m = c.full_id(raw);
    if (m != me && std::find(members.begin(), members.end(), m) == members.end()) members.push_back(std::move(m));
  }
  auto ack = [&](p::code code, std::optional<std::vector<std::string>> members_out,
                 std::optional<std::vector<std::string>> not_friends, std::optional<std::string> group_id) {
    c.reply(a, c.frame(p::group_create_ack{me, std::move(members_out), std::move(not_friends), req.name, p::to_int(code),
                                           std::move(group_id)},
                       id));
  };
  std::vector<std::string> not_friends;
  for (const auto& m : members)
    if (!store::are_friends(c.t, me, m)) not_friends.push_back(m);
  if (!not_friends.empty()) return ack(p::code::group_not_friends, std::nullopt, std::move(not_friends), std::nullopt);
  const std::string group_id = p::group_id{crypto::random_id(16), c.cfg.domain}.full();
  store::group_record g;
  g.name = req.name;
  g.leader = me;
  g.members = {me};
  for (const auto& m : members) g.invited.push_back({m, me});
  g.created = c.now;
  c.save_group(group_id, g, nullptr);
  ack(p::code::ok, members, std::nullopt, group_id);
  for (const auto& m : members) c.deliver(m, c.frame(p::group_invite{me, m, req.name, group_id}));
}

void group_invite_response(context& c, const actor& a, const p::group_invite_response& req,
                           const std::optional<std::string>& id) {
  const std::string& me = a.user;
  if (req.code != p::to_int(p::code::ok) && req.code != p::to_int(p::code::invite_rejected))
    return c.reply_error(a, p::code::invalid_field, "payload.code: 0 (accept) or 5001 (reject)", "GROUP_INVITE_RESPONSE", id);
  auto found = store::find_group(c.t, me, req.group, req.group_id, store::group_role::invited);
  if (found.code != 0)
    return c.reply_error(a, static_cast<p::code>(found.code),
                         found.code == 4003 ? "several invitations have this name; use groupId" : "no such group",
                         "GROUP_INVITE_RESPONSE", id);
  // Checked on this node's copy for a group homed elsewhere too: its record arrives ahead
  // of the invitation, so a user who holds one finds it here.
  const store::invitation* inv = found.record.invitation_of(me);
  if (!inv) return c.reply_error(a, p::code::not_invited, "no invitation to " + found.id + " for you", "GROUP_INVITE_RESPONSE", id);
  const std::string inviter = inv->inviter;
  if (!c.is_local(found.id)) {
    // This node's copy takes the answer at once, so the user's next requests (a text to the
    // group) see it; the home's record follows and has the last word.
    store::group_record g = found.record;
    std::erase_if(g.invited, [&](const store::invitation& i) { return i.user == me; });
    if (req.code == 0 && !g.is_member(me)) g.members.push_back(me);
    c.update_replica(found.id, g, &found.record);
    const auto seq = c.forward_to_home(me, found.id, p::group_invite_response{inviter, me, g.name, req.code, found.id}, id);
    store::group_pending_add(c.t, found.id, seq, req.code == 0 ? 'a' : 'd', me);
    return;
  }
  const store::group_record before = found.record;
  auto& g = found.record;
  std::erase_if(g.invited, [&](const store::invitation& i) { return i.user == me; });
  if (req.code == 0) g.members.push_back(me);
  c.save_group(found.id, g, &before);
  c.deliver(inviter, c.frame(p::group_invite_response{inviter, me, g.name, req.code, found.id}));
}

void group_leave(context& c, const actor& a, const p::group_leave& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  auto ack = [&](std::string group, p::code code, std::optional<std::string> group_id) {
    c.reply(a, c.frame(p::group_leave_ack{me, std::move(group), p::to_int(code), std::move(group_id)}, id));
  };
  auto found = store::find_group(c.t, me, req.group, req.group_id, store::group_role::member);
  if (found.code != 0) return ack(req.group, static_cast<p::code>(found.code), req.group_id);
  const auto& g = found.record;
  if (!g.is_member(me)) return ack(g.name, p::code::not_group_member, found.id);
  // A group homed elsewhere: its home answers (GROUP_LEAVE_ACK comes from there).
  if (c.is_local(found.id)) ack(g.name, p::code::ok, found.id);
  leave_group(c, me, found.id, g, id);
}

void leave_group(context& c, const std::string& me, const std::string& group_id, const store::group_record& before,
                 const std::optional<std::string>& id) {
  if (!c.is_local(group_id)) {
    // As for invitation answers: this node's copy follows at once.
    store::group_record after = before;
    std::erase(after.members, me);
    if (after.leader == me && !after.members.empty()) after.leader = after.members.front();
    c.update_replica(group_id, after, &before);
    const auto seq = c.forward_to_home(me, group_id, p::group_leave{me, before.name, group_id}, id);
    store::group_pending_add(c.t, group_id, seq, 'l', me);
    return;
  }
  store::group_record g = before;
  std::erase(g.members, me);
  if (g.members.empty()) {
    // The last member left: the group ends; pending invitations with it.
    c.delete_group(group_id, before);
    auto removed = c.frame(p::group_remove{me, g.name, group_id});
    for (const auto& i : g.invited) c.deliver(i.user, removed);
    return;
  }
  const bool leader_left = g.leader == me;
  if (leader_left) g.leader = g.members.front();  // the earliest to join takes over
  c.save_group(group_id, g, &before);
  auto left = c.frame(p::group_leave{me, g.name, group_id});
  for (const auto& m : g.members) c.deliver(m, left);
  if (leader_left) {
    auto changed = c.frame(p::group_leader_change{me, g.name, g.leader, group_id});
    for (const auto& m : g.members) c.deliver(m, changed);
  }
}

void group_remove(context& c, const actor& a, const p::group_remove& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  auto ack = [&](std::string group, p::code code, std::optional<std::string> group_id) {
    c.reply(a, c.frame(p::group_remove_ack{me, std::move(group), p::to_int(code), std::move(group_id)}, id));
  };
  auto found = store::find_group(c.t, me, req.group, req.group_id, store::group_role::member);
  if (found.code != 0) return ack(req.group, static_cast<p::code>(found.code), req.group_id);
  const auto& g = found.record;
  if (!g.is_member(me)) return ack(g.name, p::code::not_group_member, found.id);
  if (!c.is_local(found.id)) return (void)c.forward_to_home(me, found.id, p::group_remove{me, g.name, found.id}, id);
  if (g.leader != me) return ack(g.name, p::code::not_group_leader, found.id);
  c.delete_group(found.id, g);
  ack(g.name, p::code::ok, found.id);
  auto removed = c.frame(p::group_remove{me, g.name, found.id});
  for (const auto& m : g.members)
    if (m != me) c.deliver(m, removed);
  for (const auto& i : g.invited) c.deliver(i.user, removed);
}

void group_leader_change(context& c, const actor& a, const p::group_leader_change& req,
                         const std::optional<std::string>& id) {
  const std::string& me = a.user;
  const std::string new_leader = c.full_id(req.new_leader);
  auto ack = [&](std::string group, p::code code, std::optional<std::string> group_id) {
    c.reply(a, c.frame(p::group_leader_change_ack{me, std::move(group), new_leader, p::to_int(code), std::move(group_id)}, id));
  };
  auto found = store::find_group(c.t, me, req.group, req.group_id, store::group_role::member);
  if (found.code != 0) return ack(req.group, static_cast<p::code>(found.code), req.group_id);
  auto& g = found.record;
  if (!g.is_member(me)) return ack(g.name, p::code::not_group_member, found.id);
  if (!c.is_local(found.id))
    return (void)c.forward_to_home(me, found.id, p::group_leader_change{me, g.name, new_leader, found.id}, id);
  if (g.leader != me) return ack(g.name, p::code::not_group_leader, found.id);
  if (!g.is_member(new_leader)) return ack(g.name, p::code::new_leader_not_member, found.id);
  const store::group_record before = g;
  g.leader = new_leader;
  c.save_group(found.id, g, &before);
  ack(g.name, p::code::ok, found.id);
  auto changed = c.frame(p::group_leader_change{me, g.name, new_leader, found.id});
  for (const auto& m : g.members)
    if (m != me) c.deliver(m, changed);
}

void group_list(context& c, const actor& a, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  p::group_list_response list;
  list.username = me;
  for (auto& [gid, g] : store::groups_of(c.t, me, store::group_role::member)) {
    p::group_entry e{gid, g.name, g.leader, g.members, {}};
    for (const auto& i : g.invited) e.invited.push_back(i.user);
    list.groups.push_back(std::move(e));
  }
  for (auto& [gid, g] : store::groups_of(c.t, me, store::group_role::invited)) {
    const store::invitation* inv = g.invitation_of(me);
    std::string inviter = inv ? inv->inviter : g.leader;
    if (store::blocks(c.t, me, inviter)) continue;  // invitations of blocked users stay hidden
    list.invitations.push_back({gid, g.name, std::move(inviter)});
  }
  c.reply(a, c.frame(std::move(list), id));
}

void leave_all_groups(context& c, const std::string& user) {
  // Groups are left as with GROUP_LEAVE (leadership passes on; a group homed elsewhere is
  // left through its home), invitations declined as with GROUP_INVITE_RESPONSE 5001.
  for (const auto& [gid, g] : store::groups_of(c.t, user, store::group_role::member)) leave_group(c, user, gid, g, std::nullopt);
  for (const auto& [gid, g] : store::groups_of(c.t, user, store::group_role::invited)) {
    const store::invitation* inv = g.invitation_of(user);
    const std::string inviter = inv ? inv->inviter : g.leader;
    store::group_record after = g;
    std::erase_if(after.invited, [&](const store::invitation& i) { return i.user == user; });
    p::group_invite_response declined{inviter, user, g.name, p::to_int(p::code::invite_rejected), gid};
    if (c.is_local(gid)) {
      c.save_group(gid, after, &g);
      c.deliver(inviter, c.frame(std::move(declined)));
    } else {
      c.update_replica(gid, after, &g);
      const auto seq = c.forward_to_home(user, gid, std::move(declined), std::nullopt);
      store::group_pending_add(c.t, gid, seq, 'd', user);
    }
  }
  store::erase_group_index(c.t, user);
}

}  // namespace chatnode::core
