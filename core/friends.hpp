// Friends, presence and blocks (docs/protocol.md §7, §8, §11, §15): the rules for
// FRIEND_REQUEST, FRIEND_REQUEST_RESPONSE, FRIEND_REMOVE, FRIEND_LIST_REQUEST, USER_BLOCK,
// USER_UNBLOCK and BLOCK_LIST_REQUEST, and the presence fan-out that status changes use.
// `id` is the request's id, echoed in the reply.
#pragma once

#include "core/context.hpp"

#include <optional>
#include <string>

namespace chatnode::core {

void friend_request(context& c, const actor& a, const protocol::friend_request& req, const std::optional<std::string>& id);
void friend_response(context& c, const actor& a, const protocol::friend_request_response& req,
                     const std::optional<std::string>& id);
void friend_remove(context& c, const actor& a, const protocol::friend_remove& req, const std::optional<std::string>& id);
void friend_list(context& c, const actor& a, const std::optional<std::string>& id);

void block(context& c, const actor& a, const protocol::user_block& req, const std::optional<std::string>& id);
void unblock(context& c, const actor& a, const protocol::user_unblock& req, const std::optional<std::string>& id);
void block_list(context& c, const actor& a, const std::optional<std::string>& id);

// Ends the friendship and the pending requests between `me` and `other` as FRIEND_REMOVE
// does (`other` gets FRIEND_REMOVE, unless they block `me`); false when there was nothing.
bool end_friendship(context& c, const std::string& me, const std::string& other);
// Tells each of two new friends, if online, the other's status (a friend on another node
// through their node).
void tell_statuses(context& c, const std::string& a, const std::string& b);

// USER_STATUS_UPDATE's status: one of online, away, busy, offline.
bool valid_status(std::string_view status);
// `me`'s presence frame to their friends: those of this node who are online (unless
// `local` is false) and, through their nodes, those of other nodes.
void presence_to_friends(context& c, const std::string& me, const frame_ptr& frame, bool local = true);
// Another node restarted (a "reset" event): its users are offline here, and it is told
// again which of this node's users its users may see.
void forget_domain(context& c, const std::string& domain);

}  // namespace chatnode::core
