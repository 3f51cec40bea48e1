// Interactive mode: commands typed on stdin are only sent; a printer thread shows every
// message the node sends as it arrives (replies included), and answers the history
// sync's steps. Nothing waits on the connection's queue but the printer, so no reply is
// ever taken from it.
#pragma once

#include "client/cli/command_line.hpp"
#include "client/connection.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::cli {

class interactive {
 public:
  interactive(client::connection& conn, const settings& config);
  ~interactive();
  interactive(const interactive&) = delete;
  interactive& operator=(const interactive&) = delete;

  // Reads commands until `quit` or end of input, then logs out. Returns the exit status:
  // 0, or 2 when the node closed the connection first.
  int run();

 private:
  struct pending_request {
    std::string id;
    std::string type;
  };

  // Printer thread.
  void print_loop();
  void on_message(const json::object& message);
  void settle_pending(const json::object& message);

  // Main thread. False once the session should end.
  bool execute(const std::string& line);
  void run_command(const invocation& call);
  // Sends `message`; with a reply expected, remembers it so the end of input waits for it.
  void send(json::object message, bool expects_reply);
  void answer_invitation(const std::string& group, bool accept);
  void finish();

  // Output: every line goes through here so the prompt stays after it.
  void emit(const std::vector<std::string>& lines);
  void note(const std::string& line);  // local feedback, on stderr
  void prompt();

  client::connection& conn_;
  const settings& config_;
  const bool tty_;
  std::thread printer_;
  std::atomic<bool> stop_{false};
  std::mutex output_mutex_;

  // Shared between the threads, under mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string user_;         // the user requests act as (set when login is sent)
  bool logged_in_ = false;   // the node confirmed the login
  bool closed_ = false;      // the connection ended
  bool logging_out_ = false; // we sent USER_LOGOUT
  std::vector<pending_request> pending_;
  std::vector<invitation> invitations_;  // from GROUP_INVITE and GROUP_LIST_RESPONSE
  std::uint64_t group_lists_seen_ = 0;
  unsigned next_id_ = 1;
};

}  // namespace chatnode::cli
