// Interactive mode of chatnode-client (docs/cli.md, "Interactive mode").
#include "client/cli/interactive.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t read_chunk = 4096;
// Lines typed during a login wait for it; beyond this many they are dropped.
constexpr std::size_t max_waiting_lines = 1000;
// The loop looks at its timers at least this often.
constexpr std::chrono::milliseconds max_turn{1000};

int footer_fd_for(bool tty_input) {
  if (!tty_input) return -1;
  if (::isatty(STDOUT_FILENO) == 1) return STDOUT_FILENO;
  return ::isatty(STDERR_FILENO) == 1 ? STDERR_FILENO : -1;
}

transfers::progress_style progress_for(const settings& config, bool tty_input) {
  if (tty_input) return transfers::progress_style::prompt;
  return config.verbose ? transfers::progress_style::lines : transfers::progress_style::none;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

interactive::interactive(session& s, console& out, const settings& config)
    : session_(s),
      out_(out),
      config_(config),
      who_{config.user, config.verbose},
      feed_(config, out, who_),
      transfers_(config, out, who_, progress_for(config, ::isatty(STDIN_FILENO) == 1)),
      tty_input_(::isatty(STDIN_FILENO) == 1),
      footer_fd_(footer_fd_for(tty_input_)) {}

// ---- the loop ---------------------------------------------------------------------------

int interactive::run() {
  std::optional<raw_terminal> raw;
  if (tty_input_) raw.emplace(STDIN_FILENO);
  if (!config_.user.empty()) credentials("login", config_.user, config_.password);
  draw_prompt();
  while (!gave_up_ && !locked_) {
    if (input_ended_ && settled()) break;
    turn();
  }
  out_.clear_footer();
  session_.log_out();
  if (locked_) return exit_admin;
  return gave_up_ ? session_.end_status().value_or(exit_usage) : exit_ok;
}

void interactive::turn() {
  transfers_.pump(session_);
  if (settling_since_ && steady::now() - *settling_since_ > config_.timeout) settled_in();
  std::array<pollfd, 2> fds{pollfd{input_ended_ ? -1 : STDIN_FILENO, POLLIN, 0}, pollfd{session_.fd(), POLLIN, 0}};
  const auto wait = std::min({max_turn, session_.max_wait(), transfers_.max_wait(max_turn)});
  const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
  if (ready > 0 && fds[0].revents != 0) read_input();
  session_.pump();
  while (auto e = session_.take()) handle(*e);
  draw_prompt();
}

void interactive::read_input() {
  std::array<char, read_chunk> chunk{};
  const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    // End of input: a last line without a newline still counts.
    if (!pipe_buffer_.empty()) on_line(std::exchange(pipe_buffer_, {}));
    input_ended_ = true;
    input_end_ = steady::now();
    return;
  }
  for (ssize_t i = 0; i < n && !input_ended_; ++i) {
    if (tty_input_) {
      on_key(chunk[static_cast<std::size_t>(i)]);
    } else if (chunk[static_cast<std::size_t>(i)] == '\n') {
      on_line(std::exchange(pipe_buffer_, {}));
    } else {
      pipe_buffer_ += chunk[static_cast<std::size_t>(i)];
    }
  }
}

void interactive::on_key(char byte) {
  using action = line_editor::action;
  const bool was_empty = editor_.text().empty();
  switch (editor_.feed(byte)) {
    case action::submit: {
      const bool secret = editor_.secret();
      const std::string shown = prompt_text();
      const std::string line = editor_.take_line();
      if (!secret) out_.out(shown + line);  // the typed line stays in the scrollback
      on_line(line);
      break;
    }
    case action::end_of_input:
      input_ended_ = true;
      input_end_ = steady::now();
      break;
    case action::cancel:
      if (secret_) {
        secret_.reset();
        editor_.set_secret(false);
      } else if (was_empty) {
        notice("(type quit or press Ctrl-D to leave)");
      }
      break;
    case action::clear_screen: out_.clear_screen(); break;
    case action::complete: complete(); break;
    case action::redraw:
    case action::none: break;
  }
  drawn_prompt_.clear();  // the line changed: draw it again
}

void interactive::on_line(const std::string& line) {
  if (settling_since_ && !secret_) {
    if (waiting_lines_.size() < max_waiting_lines) waiting_lines_.push_back(line);
    return;
  }
  if (secret_) {
    if (line.empty()) {
      notice(secret_->command + " cancelled: no password");
      secret_.reset();
      editor_.set_secret(false);
      return;
    }
    secret_->answers.push_back(line);
    if (secret_->answers.size() < secrets_needed(*secret_)) return;
    const secret_prompt asked = std::move(*secret_);
    secret_.reset();
    editor_.set_secret(false);
    secrets_given(asked);
    return;
  }
  execute(line);
}

// passwd asks the current password and the new one (twice on a terminal, where a typo
// cannot be seen); delete-account asks the password once more.
std::size_t interactive::secrets_needed(const secret_prompt& asked) const {
  if (asked.command != "passwd") return 1;
  if (asked.new_password) return 1;
  return tty_input_ ? 3 : 2;
}

std::string interactive::secret_question(const secret_prompt& asked) {
  if (asked.command == "delete-account") {
    return "to delete the account " + asked.user + " and everything the node holds of it, type its password: ";
  }
  if (asked.command == "passwd") {
    switch (asked.answers.size()) {
      case 0: return "current password for " + asked.user + ": ";
      case 1: return "new password: ";
      default: return "new password again: ";
    }
  }
  return "password for " + asked.user + ": ";
}

void interactive::secrets_given(const secret_prompt& asked) {
  if (asked.command == "passwd") {
    if (asked.new_password) {
      change_password(asked.answers[0], *asked.new_password);
    } else if (asked.answers.size() > 2 && asked.answers[1] != asked.answers[2]) {
      notice("the new passwords differ; nothing was changed");
    } else {
      change_password(asked.answers[0], asked.answers[1]);
    }
  } else if (asked.command == "delete-account") {
    if (!session_.logged_in()) {
      notice("delete-account: not logged in");
      return;
    }
    request(account_delete_request(session_.user(), asked.answers[0]));
  } else {
    credentials(asked.command, asked.user, asked.answers[0]);
  }
}

void interactive::change_password(const std::string& current, const std::string& new_password) {
  if (!session_.logged_in()) {
    notice("passwd: not logged in");
    return;
  }
  const std::string id = request(password_change_request(session_.user(), current, new_password));
  // The reply comes in a later turn: logins after a reconnect use the new password then.
  session_.expect_password_change(id, new_password);
}

// Nothing more to wait for at the end of input: no reply due (up to --timeout), no
// history sync or transfer running.
bool interactive::settled() const {
  if (settling_since_ || !waiting_lines_.empty()) return false;
  if (transfers_.busy() && session_.online()) return false;
  const bool replies_due = feed_.syncing() || std::any_of(pending_.begin(), pending_.end(),
                                                          [](const auto& p) { return !p.second.quiet; });
  if (!replies_due) return true;
  return !input_end_ || steady::now() - *input_end_ > config_.timeout || !session_.online();
}

std::string interactive::prompt_text() const {
  if (secret_) return secret_question(*secret_);
  std::string text = transfers_.prompt_status();
  if (!session_.online()) text += "(offline) ";
  return text + (session_.user().empty() ? std::string() : show_user(session_.user(), who_)) + "> ";
}

void interactive::draw_prompt() {
  if (footer_fd_ < 0 || input_ended_) return;
  const auto view = editor_.render(prompt_text(), console::width(footer_fd_));
  const std::string key = view.text + "\x1f" + std::to_string(view.cursor_column);
  if (key == drawn_prompt_) return;
  drawn_prompt_ = key;
  out_.set_footer(footer_fd_, view.text, view.cursor_column);
}

void interactive::complete() {
  const std::string before = editor_.text().substr(0, editor_.cursor());
  const auto start = before.find_last_of(' ');
  const std::string word = start == std::string::npos ? before : before.substr(start + 1);
  std::vector<std::string> candidates;
  if (start == std::string::npos) {
    for (const auto& c : all_commands()) candidates.emplace_back(c.name);
    candidates.insert(candidates.end(), {"help", "quit"});
  } else {
    for (const auto& f : friends_) candidates.push_back(show_user(f.user, who_));
    for (const auto& g : groups_) candidates.push_back(g.name);
  }
  std::vector<std::string> matches;
  for (const auto& c : candidates) {
    if (starts_with(c, word) && std::find(matches.begin(), matches.end(), c) == matches.end()) matches.push_back(c);
  }
  if (matches.empty()) return;
  std::string common = matches.front();
  for (const auto& m : matches) {
    std::size_t n = 0;
    while (n < common.size() && n < m.size() && common[n] == m[n]) ++n;
    common.resize(n);
  }
  if (matches.size() == 1) {
    editor_.insert(matches.front().substr(word.size()) + " ");
  } else if (common.size() > word.size()) {
    editor_.insert(common.substr(word.size()));
  } else {
    notice(join_words(matches));
  }
}

// ---- the node ---------------------------------------------------------------------------

void interactive::handle(session::event& e) {
  switch (e.what) {
    case session::event::kind::message: on_message(e.message); return;
    case session::event::kind::lost:
      transfers_.connection_lost();
      feed_.connection_lost();
      // Replies to what was sent on the lost connection will not come.
      std::erase_if(pending_, [](const auto&) { return true; });
      friends_refreshing_ = groups_refreshing_ = false;
      if (settling_since_) settled_in();
      return;
    case session::event::kind::reconnected:
      transfers_.reconnected(session_);
      feed_.reconnected(session_);
      refresh_friends();
      refresh_groups();
      return;
    case session::event::kind::gave_up:
      gave_up_ = true;
      if (!e.reported && session_.end_status() == exit_admin) notice(e.detail);
      return;
  }
}

void interactive::on_message(const json::object& message) {
  who_.learn(message);  // the own domain, from the first reply that names the user
  if (transfers_.consume(session_, message)) return;
  if (feed_.consume(session_, message)) return;
  const std::string id = id_of(message);
  if (const auto it = pending_.find(id); !id.empty() && it != pending_.end()) {
    pending_request p = std::move(it->second);
    pending_.erase(it);
    if (p.on_reply) {
      p.on_reply(message);
    } else if (!p.quiet) {
      feed_.show(message);
    }
    note_list_events(type_of(message), message);
    return;
  }
  note_list_events(type_of(message), message);
  feed_.show(message);
}

// Keeps the friend and group lists (for names, completion and group-create) current.
void interactive::note_list_events(const std::string& type, const json::object& message) {
  if (type == "GROUP_INVITE") {
    const auto& p = payload_of(message);
    invitations_.push_back({string_field(p, "groupId"), string_field(p, "group"), string_field(p, "sender")});
  }
  if (failure_of(message) || type.ends_with("_LIST_RESPONSE")) return;
  if (starts_with(type, "GROUP_")) refresh_groups();
  if (starts_with(type, "FRIEND_")) refresh_friends();
}

void interactive::refresh_friends() {
  if (friends_refreshing_ || !session_.logged_in()) return;
  friends_refreshing_ = true;
  request(friend_list_request(session_.user()), [this](const json::object& reply) {
    friends_refreshing_ = false;
    if (!failure_of(reply)) friends_ = friends_of(reply, "friends");
    if (initial_lists_ > 0 && --initial_lists_ == 0) settled_in();
  }, true);
}

void interactive::refresh_groups() {
  if (groups_refreshing_ || !session_.logged_in()) return;
  groups_refreshing_ = true;
  request(group_list_request(session_.user()), [this](const json::object& reply) {
    groups_refreshing_ = false;
    if (!failure_of(reply)) {
      groups_ = groups_of(reply);
      invitations_ = invitations_of(reply);
    }
    if (initial_lists_ > 0 && --initial_lists_ == 0) settled_in();
  }, true);
}

void interactive::logged_in(const json::object& login_response) {
  feed_.release();
  feed_.show(login_response);
  if (const auto f = failure_of(login_response)) {
    // The account of --user is locked: nothing to do here (status 3, as in one-shot mode).
    if (f->code == 2005 && !config_.user.empty() && !started_) locked_ = true;
    started_ = true;
    settled_in();
    return;
  }
  started_ = true;
  // What arrives until the friend list says the own domain is held, then shown.
  if (session_.user().find('@') == std::string::npos) feed_.hold();
  feed_.logged_in(login_response);
  friends_refreshing_ = groups_refreshing_ = false;
  initial_lists_ = 2;
  refresh_friends();
  refresh_groups();
}

void interactive::settled_in() {
  settling_since_.reset();
  initial_lists_ = 0;
  feed_.release();
  auto lines = std::exchange(waiting_lines_, {});
  for (const auto& line : lines) on_line(line);  // a line may answer a password prompt
}

std::string interactive::request(json::object message, reply_handler on_reply, bool quiet) {
  const std::string id = "i" + std::to_string(next_id_++);
  message["id"] = id;
  const std::string type = type_of(message);
  if (!session_.send(message)) {
    if (!quiet) notice("not connected; " + type + " not sent (try again once reconnected)");
    // A refresh that could not go out is no longer running.
    if (on_reply && quiet) {
      json::object not_sent;
      not_sent["type"] = "ERROR";
      not_sent["payload"] = json::object{{"code", 9008}};
      on_reply(not_sent);
    }
    return id;
  }
  pending_[id] = {type, std::move(on_reply), quiet};
  return id;
}

void interactive::notice(const std::string& line) { out_.err(line); }

// ---- commands ---------------------------------------------------------------------------

void interactive::execute(const std::string& line) {
  const auto words = split_words(line);
  if (words.empty() || words.front().front() == '#') return;  // blank or a comment
  const std::string& verb = words.front();
  if (verb == "quit" || verb == "exit") {
    // Like the end of input: what was asked is still answered, then the session ends.
    input_ended_ = true;
    input_end_ = steady::now();
    return;
  }
  if (verb == "help" || verb == "?") {
    show_help(words);
    return;
  }
  try {
    run_command(parse_interactive(words));
  } catch (const cli_error& e) {
    notice(std::string("error: ") + e.what() + (find_command(verb) == nullptr ? " (type help)" : ""));
  }
}

void interactive::show_help(const std::vector<std::string>& words) {
  const command_spec* spec = words.size() > 1 ? find_command(words[1]) : nullptr;
  std::string text = spec != nullptr ? command_help(*spec) : interactive_help();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = text.find('\n', start);
    out_.out(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

void interactive::credentials(const std::string& command, const std::string& user, const std::string& password) {
  if (password.empty()) {
    if (!tty_input_) {
      notice("error: usage: " + command + " NAME PASSWORD");
      return;
    }
    secret_ = secret_prompt{command, user, {}, std::nullopt};
    editor_.set_secret(true);
    return;
  }
  if (command == "register") {
    request(register_request(user, password), [this, user](const json::object& reply) {
      if (const auto f = failure_of(reply)) {
        out_.out("registration of " + user + " failed: " + failure_text(*f));
      } else {
        out_.out("registered " + user);
      }
    });
    return;
  }
  if (session_.logged_in()) {
    notice("already logged in as " + session_.user());
    return;
  }
  who_.self = user;
  const std::string id = "i" + std::to_string(next_id_++);
  session_.send_login(user, password, id);
  settling_since_ = steady::now();
  pending_[id] = {"LOGIN_REQUEST", [this](const json::object& reply) { logged_in(reply); }, false};
}

void interactive::run_command(const invocation& call) {
  const auto& args = call.args;
  const std::string& command = call.command;
  if (command == "register" || command == "login") {
    if (args.empty()) throw cli_error(exit_usage, "usage: " + command + " NAME [PASSWORD]");
    credentials(command, args[0], args.size() > 1 ? args[1] : std::string());
    return;
  }
  if (command == "listen") throw cli_error(exit_usage, "listen is not needed here: messages are printed as they arrive");
  if (!session_.online()) throw cli_error(exit_usage, "not connected; waiting to reconnect");
  const std::string self = session_.acting_user();
  if (self.empty()) throw cli_error(exit_usage, "log in first: login NAME");
  if (command == "friend-request") {
    request(friend_request(self, args[0]));
  } else if (command == "accept" || command == "reject") {
    answer_friend(args[0], command == "accept");
  } else if (command == "unfriend") {
    request(friend_remove(self, args[0]));
  } else if (command == "friends") {
    request(friend_list_request(self));
  } else if (command == "send") {
    send_text(args);
  } else if (command == "send-file") {
    std::vector<std::string> words(args.begin(), args.end() - 1);
    const target to = resolve_receiver(words, groups_);
    transfers_.add_upload(session_, std::make_unique<upload_job>(self, to.receiver, show_user(to.label, who_),
                                                                 args.back(),
                                                                 upload_job::options{call.media_type, call.limit_rate, config_.json}));
  } else if (command == "fetch") {
    transfers_.fetch(session_, args[0], args.size() > 1 ? args[1] : std::string(), call.limit_rate);
  } else if (command == "group-create") {
    const auto split = split_group_create(args, friends_);
    request(group_create(self, split.name, split.members));
  } else if (command == "group-accept" || command == "group-reject") {
    answer_invitation(args, command == "group-accept");
  } else if (command == "groups") {
    request(group_list_request(self));
  } else if (command == "block") {
    request(user_block(self, args[0]));
  } else if (command == "unblock") {
    request(user_unblock(self, args[0]));
  } else if (command == "blocks") {
    request(block_list_request(self));
  } else if (command == "passwd" || command == "delete-account") {
    if (!session_.logged_in()) throw cli_error(exit_usage, "log in first: login NAME");
    secret_ = secret_prompt{command, session_.user(), {}, command == "passwd" ? call.new_password : std::nullopt};
    editor_.set_secret(true);
  } else if (command == "status") {
    if (!is_valid_status(args[0])) throw cli_error(exit_usage, "status must be online, away, busy or offline");
    session_.send(status_update(self, args[0]));
    feed_.note("your status is " + args[0]);
  } else if (command == "history") {
    feed_.list_history(session_, call.history);
  } else {
    group_command(call);
  }
}

void interactive::send_text(const std::vector<std::string>& args) {
  const auto split = split_receiver(args, groups_, 1);
  const std::string content = join_words(split.rest);
  const target to = split.to;
  request(text_message(session_.acting_user(), to.receiver, content), [this, to, content](const json::object& ack) {
    if (const auto f = failure_of(ack)) {
      out_.out("message to " + show_user(to.label, who_) + " not sent: " + failure_text(*f));
      return;
    }
    chat_item item;
    item.timestamp = int_field(ack, "timestamp").value_or(0);
    item.sender = session_.acting_user();
    item.receiver = to.receiver;
    item.content = content;
    item.message_id = string_field(payload_of(ack), "messageId");
    if (to.is_group) {
      item.group_id = to.receiver;
      item.group = to.label;
    }
    feed_.mark_seen(item.message_id);
    if (config_.json) {
      feed_.show(ack);
    } else {
      out_.out(chat_line(item, who_, false));
    }
  });
}

// The answer has no reply; the friend list afterwards shows whether it was applied (the
// node applies one connection's requests in order). A refusal comes as an ERROR.
void interactive::answer_friend(const std::string& other, bool accept) {
  session_.send(friend_response(session_.acting_user(), other, accept));
  request(friend_list_request(session_.acting_user()), [this, other, accept](const json::object& list) {
    if (failure_of(list)) return;
    friends_ = friends_of(list, "friends");
    if (accept && friend_list_has(list, "friends", other)) feed_.note("you and " + other + " are friends now");
    if (!accept && !friend_list_has(list, "incoming", other)) feed_.note("declined the friend request of " + other);
  }, true);
}

void interactive::answer_invitation(const std::vector<std::string>& words, bool accept) {
  const group_ref ref{join_words(words)};
  const auto found = matching_invitations(invitations_, ref);
  if (found.empty()) throw cli_error(exit_failure, "no invitation to " + ref.text + ": " + code_text(4007));
  if (found.size() > 1) {
    std::string ids;
    for (const auto& i : found) ids += " " + i.group_id;
    throw cli_error(exit_failure, "several invitations are named " + ref.text + "; use the #id:" + ids);
  }
  const invitation invite = found.front();
  std::erase_if(invitations_, [&](const invitation& i) { return i.group_id == invite.group_id; });
  session_.send(group_invite_response(session_.acting_user(), invite, accept));
  request(group_list_request(session_.acting_user()), [this, invite, accept](const json::object& list) {
    if (failure_of(list)) return;
    groups_ = groups_of(list);
    invitations_ = invitations_of(list);
    const bool member = std::any_of(groups_.begin(), groups_.end(),
                                    [&](const group_entry& g) { return g.group_id == invite.group_id; });
    if (accept && member) feed_.note("joined " + invite.name);
    if (!accept && !member) feed_.note("declined the invitation to " + invite.name);
  }, true);
}

void interactive::group_command(const invocation& call) {
  std::vector<std::string> words = call.args;
  const std::string self = session_.acting_user();
  if (call.command == "group-leader") {
    const std::string leader = words.back();
    words.pop_back();
    request(group_leader_change(self, group_ref{resolve_group(words, groups_).receiver}, leader));
  } else if (call.command == "group-leave") {
    request(group_leave(self, group_ref{resolve_group(words, groups_).receiver}));
  } else if (call.command == "group-remove") {
    request(group_remove(self, group_ref{resolve_group(words, groups_).receiver}));
  }
}

}  // namespace chatnode::cli
