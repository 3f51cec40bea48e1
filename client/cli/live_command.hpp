// The one-shot commands that follow the node for a while and reconnect by themselves:
// listen (prints what arrives, catching up after a reconnect), send-file (an upload with
// progress, resumed after a reconnect) and fetch (a download of an offered media).
#pragma once

#include "client/cli/command_line.hpp"
#include "client/cli/console.hpp"
#include "client/cli/feed.hpp"
#include "client/cli/format.hpp"
#include "client/cli/session.hpp"
#include "client/cli/transfers.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace chatnode::cli {

class live_command {
 public:
  live_command(session& s, console& out, const settings& config, const invocation& call);
  // Logs in, runs the command, logs out; returns the exit status or throws cli_error.
  int run();

 private:
  int listen();
  int send_file();
  int fetch();
  // Waits up to `limit` for the node, then handles what happened. False once the
  // session gave up reconnecting.
  bool turn(std::chrono::milliseconds limit);
  void handle(session::event& e);
  std::vector<group_entry> my_groups();
  // Throws the cli_error for a session that gave up: `what`, or why the administrator ended it.
  [[noreturn]] void gone(const std::string& what) const;

  session& session_;
  console& out_;
  const settings& config_;
  const invocation& call_;
  viewer who_;
  feed feed_;
  transfers transfers_;
  bool gave_up_ = false;
  std::string gave_up_reason_;
  // fetch: by when the offer must have come (after the latest login).
  std::chrono::steady_clock::time_point offer_deadline_;
};

}  // namespace chatnode::cli
