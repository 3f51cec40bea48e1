// One-shot mode: log in (unless registering), run one command, wait for the node's answer,
// print it and log out. Replies are matched by the request's id; everything else the node
// sends meanwhile (inbox, presence) is skipped. listen, send-file and fetch, which follow
// a stream of messages and reconnect, are in live_command.
#pragma once

#include "client/cli/command_line.hpp"
#include "client/cli/console.hpp"
#include "client/cli/format.hpp"
#include "client/cli/session.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chatnode::cli {

class one_shot {
 public:
  one_shot(session& s, console& out, const settings& config, const invocation& call);
  // Returns the exit status; throws cli_error for failures (status 1 or 2).
  int run();

 private:
  // Sends `message` with a fresh id and returns the node's reply to it.
  json::object request(json::object message);
  json::object request(json::object message, const std::string& id);
  std::string fresh_id();
  // request(), then throws cli_error(exit_failure) when the reply reports a failure.
  json::object request_ok(json::object message, std::string_view what);
  // Sends a request that has no reply on success (FRIEND_REQUEST_RESPONSE, ...); an ERROR
  // for it is noticed by every later wait.
  void send_silent(json::object message, std::string what);
  // Takes messages until one matches; others are skipped.
  json::object await(const std::function<bool(const json::object&)>& match, std::string_view what);
  // Throws cli_error(exit_failure) "what failed: <meaning> (<code>)" when `reply` reports a failure.
  void check(const json::object& reply, std::string_view what) const;
  // The reply as a person reads it, or as JSON with --json.
  void print_reply(const json::object& reply);
  void print(const std::string& line) { out_.out(line); }

  void do_register();
  void do_login();
  void send_text();
  void create_group();
  void answer_friend_request(bool accept);
  void answer_invitation(bool accept);
  void group_command();
  void set_status();
  void change_password();
  void delete_account();
  void history();
  std::vector<group_entry> my_groups();

  session& session_;
  console& out_;
  const settings& config_;
  const invocation& call_;
  viewer who_;
  unsigned next_id_ = 1;
  struct silent_request {
    std::string id;
    std::string type;
    std::string what;
  };
  std::optional<silent_request> silent_;
};

}  // namespace chatnode::cli
