// Group flows (docs/protocol.md §10, §11): create, invitation answers, leave, remove, leader
// change and the group list. The node homing a group keeps its record; a request about a
// group homed elsewhere goes to its home (which answers the user), and this node's copy of
// the record follows at once where the user's next requests need it.
#pragma once

#include "core/context.hpp"

#include <optional>
#include <string>

namespace chatnode::core {

void group_create(context& c, const actor& a, const protocol::group_create& req, const std::optional<std::string>& id);
void group_invite_response(context& c, const actor& a, const protocol::group_invite_response& req,
                           const std::optional<std::string>& id);
void group_leave(context& c, const actor& a, const protocol::group_leave& req, const std::optional<std::string>& id);
void group_remove(context& c, const actor& a, const protocol::group_remove& req, const std::optional<std::string>& id);
void group_leader_change(context& c, const actor& a, const protocol::group_leader_change& req,
                         const std::optional<std::string>& id);
void group_list(context& c, const actor& a, const std::optional<std::string>& id);

// `me` leaves group `group_id` (record `before`, of which `me` is a member) as GROUP_LEAVE
// does; a group homed on another node is left through its home.
void leave_group(context& c, const std::string& me, const std::string& group_id, const store::group_record& before,
                 const std::optional<std::string>& id);
// Every group of `user` left as with GROUP_LEAVE, every invitation declined as with
// GROUP_INVITE_RESPONSE 5001 (an account deletion).
void leave_all_groups(context& c, const std::string& user);

}  // namespace chatnode::core
