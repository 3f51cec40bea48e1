// `chatnode admin`: the operator's commands (docs/operations.md "Admin commands"). The
// running node serves them on its admin socket (admin_socket.hpp); with the node stopped,
// `chatnode admin` runs the user commands itself on the data dir. Either way the same code
// below runs them, through the router and the single writer, and logs each one.
#pragma once

#include "store/accounts.hpp"
#include "registry.hpp"
#include "router.hpp"

#include "store/lmdb.hpp"
#include "store/writer.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatnode::node {

// Exit codes of `chatnode admin` (documented; scripts test them).
enum admin_exit : int {
  admin_ok = 0,
  admin_failed = 1,       // the command failed (see its message): a store error, a refused reload
  admin_usage = 2,        // unknown command or wrong arguments
  admin_not_found = 3,    // no such user (or no session of that user)
  admin_exists = 4,       // user add: the name is taken
  admin_not_running = 5,  // the command needs the running node (session, federation, reload)
};

struct admin_request {
  std::vector<std::string> args;        // e.g. {"user", "add", "bob"}
  std::optional<std::string> password;  // user add / passwd: the new password; none: generate one
  bool json = false;                    // JSON output instead of lines for people
};

struct admin_reply {
  int exit = admin_ok;
  std::string output;  // printed on stdout (exit 0) or stderr (otherwise); ends with '\n' unless empty
};

// What only the running node has (absent when `chatnode admin` works on a stopped node).
struct admin_live {
  std::function<std::pair<bool, std::string>()> reload;  // ok, and what the node said
  std::function<std::string()> federation_status;        // a JSON array, one object per peer
};

class admin_commands {
 public:
  admin_commands(router& route, store::database& db, store::writer& writer, registry& online,
                 std::optional<admin_live> live);

  // Runs one command to the end (blocking: the admin socket has its own thread).
  admin_reply run(const admin_request& req);

 private:
  admin_reply user_add(const std::string& name, const admin_request& req);
  admin_reply user_passwd(const std::string& name, const admin_request& req);
  admin_reply user_delete(const std::string& name);
  admin_reply user_list(bool online_only, bool json);
  admin_reply user_lock(const std::string& name, bool lock);
  admin_reply user_export(const std::string& name);
  admin_reply session_list(bool json);
  admin_reply session_kick(const std::string& name);
  admin_reply federation_status(bool json);
  admin_reply reload();

  // The bare name of a local user (NAME or NAME@our.domain), or nullopt.
  std::optional<std::string> local_name(const std::string& name) const;
  // Runs `job` in the writer and waits for its commit; false (and `error` set) on failure.
  bool write(const std::function<void(store::txn&)>& job, std::string& error);
  // Reads local user `name`'s record, lets `change` edit it (and write more in the same
  // transaction), stores it; `found` false when there is no such user (nothing written).
  bool change_account(const std::string& name, const std::function<void(store::account_record&, store::txn&)>& change,
                      bool& found, std::string& error);

  router& route_;
  store::database& db_;
  store::writer& writer_;
  registry& online_;
  std::optional<admin_live> live_;
};

// A random password for `user add` / `user passwd` without one: 20 letters and digits.
std::string generate_password();

}  // namespace chatnode::node
