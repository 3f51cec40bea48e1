// One-shot mode: log in (unless registering), run one command, wait for the node's answer,
// print it and log out. Replies are matched by the request's id; everything else the node
// sends meanwhile (inbox, presence) is skipped, except by `listen`, which prints it all.
#pragma once

#include "client/cli/command_line.hpp"
#include "client/connection.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chatnode::cli {

class one_shot {
 public:
  one_shot(client::connection& conn, const settings& config, const invocation& call);
  // Returns the exit status; throws cli_error for failures (status 1 or 2).
  int run();

 private:
  // Sends `message` with a fresh id and returns the node's reply to it.
  json::object request(json::object message);
  // request(), then throws cli_error(exit_failure) when the reply reports a failure.
  json::object request_ok(json::object message, std::string_view what);
  // Sends a request that has no reply on success (FRIEND_REQUEST_RESPONSE, ...); an ERROR
  // for it is noticed by every later wait.
  void send_silent(json::object message, std::string what);
  // Takes messages until one matches; others are skipped.
  json::object await(const std::function<bool(const json::object&)>& match, std::string_view what);
  // Throws cli_error(exit_failure) "what: <code> <meaning>" when `reply` reports a failure.
  void check(const json::object& reply, std::string_view what) const;
  void print_raw(const json::object& message) const;
  void print(const std::string& line) const;

  void log_in(const std::string& user, const std::string& password);
  void log_out();

  void do_register();
  void do_login();
  void answer_friend_request(bool accept);
  void answer_invitation(bool accept);
  void set_status();
  void history();
  int listen();

  client::connection& conn_;
  const settings& config_;
  const invocation& call_;
  std::string self_;
  unsigned next_id_ = 1;
  bool logged_in_ = false;
  struct silent_request {
    std::string id;
    std::string type;
    std::string what;
  };
  std::optional<silent_request> silent_;
};

}  // namespace chatnode::cli
