// Requests by type, for the node's dispatch.
#include "core/requests.hpp"

#include "core/friends.hpp"
#include "core/groups.hpp"
#include "core/media.hpp"
#include "core/messaging.hpp"

namespace chatnode::core {
namespace p = chatnode::protocol;

bool has_rule(p::message_type t) {
  using mt = p::message_type;
  switch (t) {
    case mt::friend_request:
    case mt::friend_request_response:
    case mt::friend_remove:
    case mt::friend_list_request:
    case mt::user_block:
    case mt::user_unblock:
    case mt::block_list_request:
    case mt::text_message:
    case mt::group_create:
    case mt::group_invite_response:
    case mt::group_leave:
    case mt::group_remove:
    case mt::group_leader_change:
    case mt::group_list_request:
    case mt::media_message:
      return true;
    default:
      return false;
  }
}

void apply_request(context& c, const actor& a, const p::envelope& request) {
  const auto& id = request.id;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, p::friend_request>) friend_request(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::friend_request_response>) friend_response(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::friend_remove>) friend_remove(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::friend_list_request>) friend_list(c, a, id);
        else if constexpr (std::is_same_v<T, p::user_block>) block(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::user_unblock>) unblock(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::block_list_request>) block_list(c, a, id);
        else if constexpr (std::is_same_v<T, p::text_message>) text(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::group_create>) group_create(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::group_invite_response>) group_invite_response(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::group_leave>) group_leave(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::group_remove>) group_remove(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::group_leader_change>) group_leader_change(c, a, m, id);
        else if constexpr (std::is_same_v<T, p::group_list_request>) group_list(c, a, id);
        else if constexpr (std::is_same_v<T, p::media_message>) media_message(c, a, m, id);
      },
      request.body);
}

p::envelope failure_reply(const settings& cfg, const actor& a, const p::envelope& request, std::int64_t now) {
  const std::string& me = a.user;
  const auto& id = request.id;
  auto full = [&](const std::string& raw) { return full_user_id(raw, cfg.domain); };
  const int failed = p::to_int(p::code::server_error);
  auto reply = [&](p::payload body) { return p::envelope{std::move(body), now, id}; };
  auto error = [&](std::string message) {
    return p::make_error(p::code::server_error, std::move(message), std::string(p::to_string(p::type_of(request.body))), id, now);
  };
  return std::visit(
      [&](const auto& m) -> p::envelope {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, p::friend_request>)
          return reply(p::friend_request_ack{me, full(m.receiver), p::to_int(p::code::friend_server_error)});
        else if constexpr (std::is_same_v<T, p::friend_remove>)
          return reply(p::friend_remove_ack{me, full(m.receiver), p::to_int(p::code::friend_server_error)});
        else if constexpr (std::is_same_v<T, p::user_block>)
          return reply(p::user_block_ack{me, full(m.receiver), failed});
        else if constexpr (std::is_same_v<T, p::user_unblock>)
          return reply(p::user_unblock_ack{me, full(m.receiver), failed});
        else if constexpr (std::is_same_v<T, p::text_message>)
          return reply(p::text_message_ack{std::nullopt, m.receiver, failed});
        else if constexpr (std::is_same_v<T, p::group_create>)
          return reply(p::group_create_ack{me, std::nullopt, std::nullopt, m.name, failed, std::nullopt});
        else if constexpr (std::is_same_v<T, p::group_leave>)
          return reply(p::group_leave_ack{me, m.group, failed, m.group_id});
        else if constexpr (std::is_same_v<T, p::group_remove>)
          return reply(p::group_remove_ack{me, m.group, failed, m.group_id});
        else if constexpr (std::is_same_v<T, p::group_leader_change>)
          return reply(p::group_leader_change_ack{me, m.group, full(m.new_leader), failed, m.group_id});
        else if constexpr (std::is_same_v<T, p::media_message>)
          return reply(p::media_message_ack{m.receiver, me, m.media_id, failed, std::nullopt});
        else if constexpr (std::is_same_v<T, p::friend_request_response> || std::is_same_v<T, p::group_invite_response>)
          return error("could not store the answer");
        else if constexpr (std::is_same_v<T, p::friend_list_request>)
          return error("could not read your friends");
        else if constexpr (std::is_same_v<T, p::group_list_request>)
          return error("could not read your groups");
        else if constexpr (std::is_same_v<T, p::block_list_request>)
          return error("could not read your block list");
        else
          return error("could not store the request");
      },
      request.body);
}

}  // namespace chatnode::core
