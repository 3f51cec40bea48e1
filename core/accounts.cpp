// Account deletion.
#include "core/accounts.hpp"

#include "core/friends.hpp"
#include "core/groups.hpp"

#include "protocol/federation.hpp"
#include "protocol/ids.hpp"
#include "store/accounts.hpp"
#include "store/tokens.hpp"

#include <algorithm>
#include <set>

namespace chatnode::core {
namespace p = chatnode::protocol;

bool erase_account(context& c, const std::string& user) {
  auto uid = p::parse_user_id(user, c.cfg.domain);
  if (!uid || uid->domain != c.cfg.domain || !store::local_user_exists(c.t, uid->name)) return false;

  // Gone offline for everyone who could see the user.
  if (c.online.visible_status(user) != "offline")
    presence_to_friends(c, user, c.frame(p::user_status_update{user, "offline"}));

  // Friendships and pending requests both ways end as with FRIEND_REMOVE (other nodes hear
  // it through their outbox, in order before anything a new account of this name does).
  std::set<std::string> others;
  for (auto& f : store::friends_of(c.t, user)) others.insert(std::move(f));
  for (auto& r : store::requests_out(c.t, user)) others.insert(std::move(r));
  for (auto& r : store::requests_in(c.t, user)) others.insert(std::move(r));
  for (const auto& other : others) end_friendship(c, user, other);

  leave_all_groups(c, user);
  drop_account_media(c, user);

  store::erase_inbox(c.t, user);
  store::erase_history(c.t, user, [&](std::string_view id) { return c.is_local(id); });
  store::erase_blocks(c.t, user);
  store::tokens::revoke_all(c.t, user);
  store::delete_account(c.t, uid->name);
  return true;
}

void drop_account_media(context& c, const std::string& user) {
  // The user's uploads go, finished or not: recipients that have not fetched them yet lose
  // them (their history keeps the notice).
  for (const auto& media_id : store::uploads_of(c.t, user)) {
    if (auto m = store::load_media(c.t, media_id)) store::purge_media(c.t, media_id, *m);
    store::remove_upload(c.t, user, media_id);
  }
  // Media waiting for the user: their delivery ends as if they had declined it.
  for (const auto& media_id : store::deliveries_of(c.t, user)) {
    store::remove_delivery(c.t, user, media_id);
    store::release_media(c.t, media_id);
  }
  // Media being fetched from another node for the user: they drop out of its recipients; a
  // fetch left for nobody ends, and its origin stops waiting for this node.
  for (auto& [media_id, f] : store::fetches(c.t)) {
    if (std::find(f.to.begin(), f.to.end(), user) == f.to.end()) continue;
    std::erase(f.to, user);
    if (!f.to.empty() || f.home) {
      store::save_fetch(c.t, media_id, f);
      continue;
    }
    if (auto m = store::load_media(c.t, media_id)) store::purge_media(c.t, media_id, *m);
    store::drop_fetch(c.t, media_id);
    c.append_event(f.origin, p::fed::media_done_event(f.origin_id, p::to_int(p::code::text_unknown_receiver)));
  }
}

}  // namespace chatnode::core
