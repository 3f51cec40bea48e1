// The client requests whose rules are in core/, by type: the node's router decodes a frame,
// checks who sends it, and runs apply_request in a writer job.
#pragma once

#include "core/context.hpp"

namespace chatnode::core {

// Whether a request of type `t` has its rule here (friends, blocks, text, groups, the
// start of an upload).
bool has_rule(protocol::message_type t);
// Runs the rule for `request` (a type has_rule accepts) on behalf of `a`.
void apply_request(context& c, const actor& a, const protocol::envelope& request);
// What `a` gets when the rule's transaction could not be stored: the request's ACK with a
// server error code, or an ERROR (9008) for requests without one.
protocol::envelope failure_reply(const settings& cfg, const actor& a, const protocol::envelope& request, std::int64_t now);

}  // namespace chatnode::core
