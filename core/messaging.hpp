// Text messages (docs/protocol.md §9) and the receiver rule TEXT_MESSAGE and MEDIA_MESSAGE
// share (DESIGN §3).
#pragma once

#include "core/context.hpp"

#include <optional>
#include <string>
#include <vector>

namespace chatnode::core {

// Who a TEXT/MEDIA `receiver` names: an existing user (who must be a friend), else a group
// id or one of `me`'s group names (`me` must be a member).
struct receiver_target {
  protocol::code error = protocol::code::ok;  // 7001, 7002, 7003 or 4003
  std::string receiver;                       // full user id or group id
  std::string group_name;                     // set for a group
  std::vector<std::string> recipients;        // everyone it goes to, `me` excluded
};
receiver_target resolve_target(const context& c, const std::string& me, const std::string& receiver);

// TEXT_MESSAGE: stored once (the history of this node's users), acknowledged with the
// message id, and delivered to the receiver or the group's members. For a group homed on
// another node, the request goes on to that node, which fans it out.
void text(context& c, const actor& a, const protocol::text_message& req, const std::optional<std::string>& id);

}  // namespace chatnode::core
