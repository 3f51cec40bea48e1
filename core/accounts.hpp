// Account deletion (docs/protocol.md §5): what ACCOUNT_DELETE_REQUEST and `chatnode admin
// user delete` do to the store and tell others. Registration, login and password changes
// need the KDF and the connection, so they stay with the node's router.
#pragma once

#include "core/context.hpp"

#include <string>

namespace chatnode::core {

// Erases local user `user` (a full id): friends see FRIEND_REMOVE, groups GROUP_LEAVE (or
// the invitation declined), friends who could see them "offline"; then every record of
// the user goes. False when there is no such user.
bool erase_account(context& c, const std::string& user);
// Part of it: the user's media gone: uploads, deliveries waiting for them, and fetches from
// other nodes for them (a fetch left for nobody ends; its origin is told).
void drop_account_media(context& c, const std::string& user);

}  // namespace chatnode::core
