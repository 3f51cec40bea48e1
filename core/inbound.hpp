// Events from other nodes (docs/federation.md "What crosses a link"), checked against the
// authority rule (a node speaks for its own users and for the groups it homes) and against
// this node's own state, then applied:
//   deliver  {to: [users of this node], message: {client message}, ref?}
//   act      {actor: "<user of the origin>", request: {client message}}: a group request
//            to this node, the group's home; it runs the same rule as a local request,
//            with the actor as a value (core/groups.hpp, core/messaging.hpp)
//   group    {groupId, group: {record} | null, seen?}: the home's record of a group
//   reset    {}: the origin started (its users are offline)
//   media, media_done: media between nodes (core/media.hpp)
#pragma once

#include "core/context.hpp"

#include <boost/json/fwd.hpp>

#include <string>

namespace chatnode::core {

// Applies one event of `origin`. A refusal (code != 0) is decided before anything is
// written; the caller then drops the effects.
remote_result apply_event(context& c, const std::string& origin, const boost::json::object& event);

// The kinds one by one (apply_event reads the fields and calls them).
remote_result apply_delivery(context& c, const std::string& origin, const std::vector<std::string>& to,
                             const boost::json::object& message, const std::optional<std::string>& ref);
remote_result apply_act(context& c, const std::string& origin, const std::string& actor, const boost::json::object& request);
remote_result apply_group(context& c, const std::string& origin, const std::string& group_id,
                          const std::optional<store::group_record>& g, const store::stream_pos& seen);
remote_result apply_reset(context& c, const std::string& origin);

// Why this node's copy of `group_id` does not allow `sender` to reach `to` (both must be
// members); empty when it does.
std::string group_fanout_problem(const context& c, const std::string& group_id, const std::string& sender,
                                 const std::vector<std::string>& to);

}  // namespace chatnode::core
