// Group flows: create, invitation responses, leave, remove, leader change, and the group
// list (docs/protocol.md §10, §11). The node homing a group keeps its record.
#include "router.hpp"

#include "log.hpp"
#include "store/tables.hpp"

#include "crypto/random.hpp"
#include "protocol/ids.hpp"

#include <algorithm>
#include <ctime>

namespace chatnode::node {
namespace p = chatnode::protocol;

namespace {

std::string full_id(const std::string& raw, const std::string& domain) {
  auto uid = p::parse_user_id(raw, domain);
  return uid ? uid->full() : raw;
}

}  // namespace

void router::handle_group_create(const std::shared_ptr<client_session>& s, p::group_create& req,
                                 const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  std::vector<std::string> members;
  for (const auto& raw : req.members) {
    auto m = full_id(raw, cfg().domain);
    if (m != me && std::find(members.begin(), members.end(), m) == members.end()) members.push_back(std::move(m));
  }
  auto ack = [me, name = req.name, id](p::code c, std::optional<std::vector<std::string>> members_out,
                                       std::optional<std::vector<std::string>> not_friends,
                                       std::optional<std::string> group_id) {
    return make_frame(p::group_create_ack{me, std::move(members_out), std::move(not_friends), name, p::to_int(c),
                                          std::move(group_id)},
                      id);
  };
  run_rule(
      s,
      [this, s, me, members = std::move(members), name = req.name, ack](store::txn& t, effects& fx) {
        std::vector<std::string> not_friends;
        for (const auto& m : members)
          if (!store::are_friends(t, me, m)) not_friends.push_back(m);
        if (!not_friends.empty())
          return fx.send(s, ack(p::code::group_not_friends, std::nullopt, std::move(not_friends), std::nullopt));
        const std::string group_id = p::group_id{crypto::random_id(16), cfg().domain}.full();
        store::group_record g;
        g.name = name;
        g.leader = me;
        g.members = {me};
        for (const auto& m : members) g.invited.push_back({m, me});
        g.created = now_seconds();
        save_group(t, fx, group_id, g, nullptr);
        fx.send(s, ack(p::code::ok, members, std::nullopt, group_id));
        for (const auto& m : members) deliver(t, fx, m, make_frame(p::group_invite{me, m, name, group_id}, std::nullopt));
      },
      [ack] { return ack(p::code::server_error, std::nullopt, std::nullopt, std::nullopt); });
}

void router::handle_group_invite_response(const std::shared_ptr<client_session>& s, p::group_invite_response& req,
                                          const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  if (req.code != p::to_int(p::code::ok) && req.code != p::to_int(p::code::invite_rejected)) {
    send_error(s, p::code::invalid_field, "payload.code: 0 (accept) or 5001 (reject)", "GROUP_INVITE_RESPONSE", id);
    return;
  }
  run_rule(
      s,
      [this, s, me, group = req.group, group_id = req.group_id, answer = req.code, id](store::txn& t, effects& fx) {
        auto found = store::find_group(t, me, group, group_id, store::group_role::invited);
        if (found.code != 0)
          return fx.send(s, make_error_frame(static_cast<p::code>(found.code),
                                        found.code == 4003 ? "several invitations have this name; use groupId" : "no such group",
                                        "GROUP_INVITE_RESPONSE", id));
        if (!is_local(found.id)) {
          const store::invitation* pending = found.record.invitation_of(me);
          const std::string inviter = pending ? pending->inviter : found.record.leader;
          // This node's copy takes the answer at once, so the user's next requests (a text
          // to the group) see it; the home's record follows and has the last word.
          store::group_record g = found.record;
          std::erase_if(g.invited, [&](const store::invitation& i) { return i.user == me; });
          if (answer == 0 && !g.is_member(me)) g.members.push_back(me);
          update_replica(t, found.id, g, &found.record);
          const auto seq =
              forward_to_home(t, fx, me, found.id, p::group_invite_response{inviter, me, g.name, answer, found.id}, id);
          store::group_pending_add(t, found.id, seq, answer == 0 ? 'a' : 'd', me);
          return;
        }
        const store::invitation* inv = found.record.invitation_of(me);
        if (!inv)
          return fx.send(s, make_error_frame(p::code::not_invited, "no invitation to " + found.id + " for you",
                                        "GROUP_INVITE_RESPONSE", id));
        const std::string inviter = inv->inviter;
        const store::group_record before = found.record;
        auto& g = found.record;
        std::erase_if(g.invited, [&](const store::invitation& i) { return i.user == me; });
        if (answer == 0) g.members.push_back(me);
        save_group(t, fx, found.id, g, &before);
        deliver(t, fx, inviter, make_frame(p::group_invite_response{inviter, me, g.name, answer, found.id}, std::nullopt));
      },
      [id] { return make_error_frame(p::code::server_error, "could not store the answer", "GROUP_INVITE_RESPONSE", id); });
}

void router::handle_group_leave(const std::shared_ptr<client_session>& s, p::group_leave& req,
                                const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  auto ack = [me, id](std::string group, p::code c, std::optional<std::string> group_id) {
    return make_frame(p::group_leave_ack{me, std::move(group), p::to_int(c), std::move(group_id)}, id);
  };
  run_rule(
      s,
      [this, s, me, group = req.group, group_id = req.group_id, ack, id](store::txn& t, effects& fx) {
        auto found = store::find_group(t, me, group, group_id, store::group_role::member);
        if (found.code != 0) return fx.send(s, ack(group, static_cast<p::code>(found.code), group_id));
        const auto& g = found.record;
        if (!g.is_member(me)) return fx.send(s, ack(g.name, p::code::not_group_member, found.id));
        // A group homed elsewhere: its home answers (GROUP_LEAVE_ACK comes from there).
        if (is_local(found.id)) fx.send(s, ack(g.name, p::code::ok, found.id));
        leave_group(t, fx, me, found.id, g, id);
      },
      [ack, group = req.group, group_id = req.group_id] { return ack(group, p::code::server_error, group_id); });
}

void router::leave_group(store::txn& t, effects& fx, const std::string& me, const std::string& group_id,
                         const store::group_record& before, const std::optional<std::string>& id) {
  if (!is_local(group_id)) {
    // As for invitation answers: this node's copy follows at once.
    store::group_record after = before;
    std::erase(after.members, me);
    if (after.leader == me && !after.members.empty()) after.leader = after.members.front();
    update_replica(t, group_id, after, &before);
    const auto seq = forward_to_home(t, fx, me, group_id, p::group_leave{me, before.name, group_id}, id);
    store::group_pending_add(t, group_id, seq, 'l', me);
    return;
  }
  store::group_record g = before;
  std::erase(g.members, me);
  if (g.members.empty()) {
    // The last member left: the group ends; pending invitations with it.
    delete_group(t, fx, group_id, before);
    auto removed = make_frame(p::group_remove{me, g.name, group_id}, std::nullopt);
    for (const auto& i : g.invited) deliver(t, fx, i.user, removed);
    return;
  }
  const bool leader_left = g.leader == me;
  if (leader_left) g.leader = g.members.front();  // the earliest to join takes over
  save_group(t, fx, group_id, g, &before);
  auto left = make_frame(p::group_leave{me, g.name, group_id}, std::nullopt);
  for (const auto& m : g.members) deliver(t, fx, m, left);
  if (leader_left) {
    auto changed = make_frame(p::group_leader_change{me, g.name, g.leader, group_id}, std::nullopt);
    for (const auto& m : g.members) deliver(t, fx, m, changed);
  }
}

void router::handle_group_remove(const std::shared_ptr<client_session>& s, p::group_remove& req,
                                 const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  auto ack = [me, id](std::string group, p::code c, std::optional<std::string> group_id) {
    return make_frame(p::group_remove_ack{me, std::move(group), p::to_int(c), std::move(group_id)}, id);
  };
  run_rule(
      s,
      [this, s, me, group = req.group, group_id = req.group_id, ack, id](store::txn& t, effects& fx) {
        auto found = store::find_group(t, me, group, group_id, store::group_role::member);
        if (found.code != 0) return fx.send(s, ack(group, static_cast<p::code>(found.code), group_id));
        const auto& g = found.record;
        if (!g.is_member(me)) return fx.send(s, ack(g.name, p::code::not_group_member, found.id));
        if (!is_local(found.id)) return (void)forward_to_home(t, fx, me, found.id, p::group_remove{me, g.name, found.id}, id);
        if (g.leader != me) return fx.send(s, ack(g.name, p::code::not_group_leader, found.id));
        delete_group(t, fx, found.id, g);
        fx.send(s, ack(g.name, p::code::ok, found.id));
        auto removed = make_frame(p::group_remove{me, g.name, found.id}, std::nullopt);
        for (const auto& m : g.members)
          if (m != me) deliver(t, fx, m, removed);
        for (const auto& i : g.invited) deliver(t, fx, i.user, removed);
      },
      [ack, group = req.group, group_id = req.group_id] { return ack(group, p::code::server_error, group_id); });
}

void router::handle_group_leader_change(const std::shared_ptr<client_session>& s, p::group_leader_change& req,
                                        const std::optional<std::string>& id) {
  const std::string me = s->state().user->full();
  const std::string new_leader = full_id(req.new_leader, cfg().domain);
  auto ack = [me, new_leader, id](std::string group, p::code c, std::optional<std::string> group_id) {
    return make_frame(p::group_leader_change_ack{me, std::move(group), new_leader, p::to_int(c), std::move(group_id)}, id);
  };
  run_rule(
      s,
      [this, s, me, new_leader, group = req.group, group_id = req.group_id, ack, id](store::txn& t, effects& fx) {
        auto found = store::find_group(t, me, group, group_id, store::group_role::member);
        if (found.code != 0) return fx.send(s, ack(group, static_cast<p::code>(found.code), group_id));
        auto& g = found.record;
        if (!g.is_member(me)) return fx.send(s, ack(g.name, p::code::not_group_member, found.id));
        if (!is_local(found.id))
          return (void)forward_to_home(t, fx, me, found.id, p::group_leader_change{me, g.name, new_leader, found.id}, id);
        if (g.leader != me) return fx.send(s, ack(g.name, p::code::not_group_leader, found.id));
        if (!g.is_member(new_leader)) return fx.send(s, ack(g.name, p::code::new_leader_not_member, found.id));
        const store::group_record before = g;
        g.leader = new_leader;
        save_group(t, fx, found.id, g, &before);
        fx.send(s, ack(g.name, p::code::ok, found.id));
        auto changed = make_frame(p::group_leader_change{me, g.name, new_leader, found.id}, std::nullopt);
        for (const auto& m : g.members)
          if (m != me) deliver(t, fx, m, changed);
      },
      [ack, group = req.group, group_id = req.group_id] { return ack(group, p::code::server_error, group_id); });
}

void router::handle_group_list(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id) {
  // Through the writer, ordered after this connection's earlier requests (§6).
  run_rule(
      s,
      [s, me = s->state().user->full(), id](store::txn& t, effects& fx) {
        p::group_list_response list;
        list.username = me;
        for (auto& [gid, g] : store::groups_of(t, me, store::group_role::member)) {
          p::group_entry e{gid, g.name, g.leader, g.members, {}};
          for (const auto& i : g.invited) e.invited.push_back(i.user);
          list.groups.push_back(std::move(e));
        }
        for (auto& [gid, g] : store::groups_of(t, me, store::group_role::invited)) {
          const store::invitation* inv = g.invitation_of(me);
          std::string inviter = inv ? inv->inviter : g.leader;
          if (store::blocks(t, me, inviter)) continue;  // invitations of blocked users stay hidden
          list.invitations.push_back({gid, g.name, std::move(inviter)});
        }
        fx.send(s, make_frame(std::move(list), id));
      },
      [id] { return make_error_frame(p::code::server_error, "could not read your groups", "GROUP_LIST_REQUEST", id); });
}

}  // namespace chatnode::node
