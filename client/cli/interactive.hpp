// Interactive mode: one poll() loop over the terminal and the node. Typed lines become
// requests; whatever the node sends is printed as it arrives, above the prompt, which is
// drawn again with what is being typed. On a terminal the line editor gives arrow keys,
// history, Ctrl-A/E/U/W and completion; from a pipe, lines are read as they come. The
// session reconnects by itself and the feed catches up on what was missed.
#pragma once

#include "client/cli/command_line.hpp"
#include "client/cli/console.hpp"
#include "client/cli/feed.hpp"
#include "client/cli/format.hpp"
#include "client/cli/line_editor.hpp"
#include "client/cli/session.hpp"
#include "client/cli/targets.hpp"
#include "client/cli/transfers.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatnode::cli {

class interactive {
 public:
  interactive(session& s, console& out, const settings& config);
  // Reads commands until `quit` or end of input, then logs out. Returns 0, or 2 when the
  // connection was lost for good.
  int run();

 private:
  using reply_handler = std::function<void(const json::object&)>;
  struct pending_request {
    std::string type;
    reply_handler on_reply;  // empty: the reply is shown as it is
    bool quiet = false;      // a request of the client's own: its reply is not shown
  };
  // Passwords asked without echo (on a terminal) or taken from the next lines (a pipe).
  struct secret_prompt {
    std::string command;  // login, register, passwd or delete-account
    std::string user;
    std::vector<std::string> answers;         // typed so far
    std::optional<std::string> new_password;  // passwd --new-password
  };
  std::size_t secrets_needed(const secret_prompt& asked) const;
  static std::string secret_question(const secret_prompt& asked);
  void secrets_given(const secret_prompt& asked);

  // ---- the loop ----
  void turn();
  void read_input();
  void on_key(char byte);
  void on_line(const std::string& line);
  bool settled() const;
  void draw_prompt();
  std::string prompt_text() const;
  void complete();

  // ---- the node ----
  void handle(session::event& e);
  void on_message(const json::object& message);
  void note_list_events(const std::string& type, const json::object& message);
  void refresh_friends();
  void refresh_groups();
  void logged_in(const json::object& login_response);
  // Runs the lines typed while the login and the first lists were on their way.
  void settled_in();

  // ---- commands ----
  void execute(const std::string& line);
  void run_command(const invocation& call);
  void credentials(const std::string& command, const std::string& user, const std::string& password);
  void send_text(const std::vector<std::string>& args);
  void answer_friend(const std::string& other, bool accept);
  void answer_invitation(const std::vector<std::string>& words, bool accept);
  void group_command(const invocation& call);
  void show_help(const std::vector<std::string>& words);
  void change_password(const std::string& current, const std::string& new_password);
  // Sends a request with a fresh id (returned); its reply goes to `on_reply` (or is shown).
  std::string request(json::object message, reply_handler on_reply = {}, bool quiet = false);
  void notice(const std::string& line);  // the client's own remark, on stderr

  session& session_;
  console& out_;
  const settings& config_;
  viewer who_;
  feed feed_;
  transfers transfers_;
  line_editor editor_;
  const bool tty_input_;
  const int footer_fd_;
  std::string drawn_prompt_;
  std::string pipe_buffer_;

  std::vector<group_entry> groups_;
  std::vector<friend_entry> friends_;
  std::vector<invitation> invitations_;
  bool friends_refreshing_ = false;
  bool groups_refreshing_ = false;
  std::map<std::string, pending_request> pending_;
  std::optional<secret_prompt> secret_;
  // From a login until its answer and the first friend and group lists are in, typed lines
  // wait (group names and the own domain are not known before); at most --timeout.
  std::optional<std::chrono::steady_clock::time_point> settling_since_;
  int initial_lists_ = 0;
  std::vector<std::string> waiting_lines_;
  unsigned next_id_ = 1;
  bool input_ended_ = false;
  std::optional<std::chrono::steady_clock::time_point> input_end_;
  bool gave_up_ = false;
  bool started_ = false;  // the first login's answer came
  bool locked_ = false;   // the --user login was answered 2005
};

}  // namespace chatnode::cli
