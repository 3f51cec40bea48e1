// Interactive mode of chatnode-client: a stdin command loop on the main thread and a
// printer thread that owns the connection's incoming queue.
#include "client/cli/interactive.hpp"

#include <boost/json/serialize.hpp>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;

// How often the printer and the stdin loop look at their stop conditions.
constexpr std::chrono::milliseconds poll_slice{100};
constexpr std::size_t read_chunk = 4096;
// Logging out: the node closes the connection once it has sent what was queued.
constexpr std::chrono::milliseconds logout_wait{2000};

std::string joined(const std::vector<std::string>& words, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) {
    if (i > from) out += ' ';
    out += words[i];
  }
  return out;
}

std::int64_t chunk_index_of(const json::object& payload) {
  const auto* index = payload.if_contains("chunkIndex");
  return index != nullptr && index->is_int64() ? index->get_int64() : 1;
}

}  // namespace

interactive::interactive(client::connection& conn, const settings& config)
    : conn_(conn), config_(config), tty_(::isatty(STDIN_FILENO) == 1) {}

interactive::~interactive() {
  stop_ = true;
  if (printer_.joinable()) printer_.join();
}

// ---- output ---------------------------------------------------------------------------

void interactive::emit(const std::vector<std::string>& lines) {
  std::lock_guard lock(output_mutex_);
  if (tty_) std::cout << "\r\033[K";  // over the prompt
  for (const auto& line : lines) std::cout << line << '\n';
  if (tty_) std::cout << "> ";
  std::cout << std::flush;
}

void interactive::note(const std::string& line) {
  std::lock_guard lock(output_mutex_);
  std::cerr << line << '\n' << std::flush;
}

void interactive::prompt() {
  if (!tty_) return;
  std::lock_guard lock(output_mutex_);
  std::cout << "> " << std::flush;
}

// ---- printer thread -------------------------------------------------------------------

void interactive::print_loop() {
  for (;;) {
    auto message = conn_.next(poll_slice);
    if (message) {
      on_message(*message);
      continue;
    }
    if (!conn_.is_open() && conn_.queued() == 0) {
      bool expected = false;
      {
        std::lock_guard lock(mutex_);
        closed_ = true;
        expected = logging_out_;
      }
      changed_.notify_all();
      if (!expected) {
        note("<< connection closed by the node (WebSocket close code " + std::to_string(conn_.close_code()) + ")");
      }
      return;
    }
    if (stop_) return;
  }
}

void interactive::on_message(const json::object& message) {
  const std::string type = type_of(message);
  const auto& payload = payload_of(message);
  {
    std::lock_guard lock(mutex_);
    if (type == "LOGIN_RESPONSE") {
      logged_in_ = !failure_of(message).has_value();
    } else if (type == "GROUP_INVITE") {
      invitations_.push_back(
          {string_field(payload, "groupId"), string_field(payload, "group"), string_field(payload, "sender")});
    } else if (type == "GROUP_LIST_RESPONSE" ||
               (type == "ERROR" && string_field(payload, "inReplyTo") == "GROUP_LIST_REQUEST")) {
      if (!failure_of(message)) invitations_ = invitations_of(message);
      ++group_lists_seen_;  // wakes answer_invitation() either way
    }
    settle_pending(message);
  }
  changed_.notify_all();

  if (config_.json) {
    emit({json::serialize(message)});
  } else {
    emit(message_lines(message));
  }

  // The history sync needs the client's acks to go on.
  std::string self = string_field(payload, "username");
  if (self.empty()) {
    std::lock_guard lock(mutex_);
    self = user_;
  }
  if (type == "MESSAGE_HISTORY_BEGIN" && !failure_of(message)) {
    conn_.send(history_begin_ack(self));
  } else if (type == "MESSAGE_HISTORY_DATA") {
    conn_.send(history_data_ack(self, chunk_index_of(payload)));
  } else if (type == "MESSAGE_HISTORY_COMPLETE") {
    conn_.send(history_complete_ack(self));
  }
}

// Forgets the request `message` answers (under mutex_). A history request stays pending
// until its sync completes.
void interactive::settle_pending(const json::object& message) {
  const std::string type = type_of(message);
  auto is_history = [](const std::string& t) { return t.rfind("MESSAGE_HISTORY_", 0) == 0; };
  auto erase_first = [this](auto&& match) {
    auto it = std::find_if(pending_.begin(), pending_.end(), match);
    if (it != pending_.end()) pending_.erase(it);
  };
  auto is_history_request = [](const pending_request& p) { return p.type == "MESSAGE_HISTORY_REQUEST"; };
  if (is_history(type)) {
    if (type == "MESSAGE_HISTORY_COMPLETE" || failure_of(message)) erase_first(is_history_request);
    return;
  }
  if (type == "ERROR" && is_history(string_field(payload_of(message), "inReplyTo"))) {
    erase_first(is_history_request);
    return;
  }
  erase_first([&](const pending_request& p) { return !is_history_request(p) && is_reply_to(message, p.id, p.type); });
}

// ---- main thread ----------------------------------------------------------------------

void interactive::send(json::object message, bool expects_reply) {
  {
    std::lock_guard lock(mutex_);
    const std::string id = "i" + std::to_string(next_id_++);
    message["id"] = id;
    if (expects_reply) pending_.push_back({id, type_of(message)});
  }
  conn_.send(message);
}

int interactive::run() {
  printer_ = std::thread([this] { print_loop(); });
  if (!config_.user.empty()) {
    {
      std::lock_guard lock(mutex_);
      user_ = config_.user;
    }
    send(login_request(config_.user, config_.password), true);
  }
  prompt();

  std::string buffer;
  bool more = true;
  while (more) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) break;
    }
    pollfd in{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&in, 1, static_cast<int>(poll_slice.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;
    char chunk[read_chunk];
    const ssize_t n = ready < 0 ? 0 : ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      // End of input: a last line without a newline still counts.
      if (!buffer.empty()) execute(buffer);
      break;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (auto eol = buffer.find('\n'); more && eol != std::string::npos; eol = buffer.find('\n')) {
      const std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 1);
      more = execute(line);
      if (more) prompt();
    }
  }

  bool closed_first = false;
  {
    std::lock_guard lock(mutex_);
    closed_first = closed_ && !logging_out_;
  }
  finish();
  return closed_first ? exit_usage : exit_ok;
}

// Waits for the replies still due (bounded by --timeout), logs out, stops the printer.
void interactive::finish() {
  bool logged_in = false;
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, config_.timeout, [this] { return pending_.empty() || closed_; });
    logged_in = logged_in_ && !closed_;
    logging_out_ = true;  // a close from now on is the end we asked for
  }
  if (logged_in) {
    std::string self;
    {
      std::lock_guard lock(mutex_);
      self = user_;
    }
    conn_.send(logout(self));
    if (!conn_.wait_closed(logout_wait)) conn_.close();
  } else {
    conn_.close();
  }
  // Let the printer show what arrived before the close, then stop it.
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, logout_wait, [this] { return closed_; });
  }
  stop_ = true;
  if (printer_.joinable()) printer_.join();
}

bool interactive::execute(const std::string& line) {
  const auto words = split_words(line);
  if (words.empty() || (!words.front().empty() && words.front().front() == '#')) return true;  // blank or comment
  const std::string& verb = words.front();
  if (verb == "quit" || verb == "exit") return false;
  if (verb == "help" || verb == "?") {
    if (words.size() > 1) {
      if (const command_spec* spec = find_command(words[1])) {
        std::string text = command_help(*spec);
        if (!text.empty() && text.back() == '\n') text.pop_back();
        emit({text});
        return true;
      }
    }
    std::string text = interactive_help();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    emit({text});
    return true;
  }
  try {
    run_command(parse_interactive(words));
  } catch (const cli_error& e) {
    note(std::string("error: ") + e.what() + (find_command(verb) == nullptr ? " (type help)" : ""));
  }
  return true;
}

void interactive::run_command(const invocation& call) {
  const auto& args = call.args;
  const std::string& command = call.command;
  if (command == "register" || command == "login") {
    if (args.size() != 2) throw cli_error(exit_usage, "usage: " + command + " NAME PASSWORD");
    if (command == "login") {
      std::lock_guard lock(mutex_);
      if (!logged_in_) user_ = args[0];
    }
    send(command == "register" ? register_request(args[0], args[1]) : login_request(args[0], args[1]), true);
    return;
  }
  if (command == "listen") {
    note("listen is not needed here: messages are printed as they arrive");
    return;
  }
  std::string self;
  {
    std::lock_guard lock(mutex_);
    self = user_;
  }
  if (self.empty()) throw cli_error(exit_usage, "log in first: login NAME PASSWORD");

  if (command == "friend-request") {
    send(friend_request(self, args[0]), true);
  } else if (command == "accept" || command == "reject") {
    send(friend_response(self, args[0], command == "accept"), false);
  } else if (command == "unfriend") {
    send(friend_remove(self, args[0]), true);
  } else if (command == "friends") {
    send(friend_list_request(self), true);
  } else if (command == "send") {
    send(text_message(self, args[0], joined(args, 1)), true);
  } else if (command == "group-create") {
    send(group_create(self, args[0], std::vector<std::string>(args.begin() + 1, args.end())), true);
  } else if (command == "group-accept" || command == "group-reject") {
    answer_invitation(args[0], command == "group-accept");
  } else if (command == "group-leave") {
    send(group_leave(self, group_ref{args[0]}), true);
  } else if (command == "group-remove") {
    send(group_remove(self, group_ref{args[0]}), true);
  } else if (command == "group-leader") {
    send(group_leader_change(self, group_ref{args[0]}, args[1]), true);
  } else if (command == "groups") {
    send(group_list_request(self), true);
  } else if (command == "status") {
    if (!is_valid_status(args[0])) throw cli_error(exit_usage, "status must be online, away, busy or offline");
    send(status_update(self, args[0]), false);
  } else if (command == "history") {
    send(history_request(self, call.history), true);
  }
}

// GROUP_INVITE_RESPONSE must name the inviter: take it from the invitations seen so far,
// or ask the node for the list (the printer shows it and records the invitations).
void interactive::answer_invitation(const std::string& group, bool accept) {
  const group_ref ref{group};
  auto lookup = [&] { return matching_invitations(invitations_, ref); };
  std::vector<invitation> found;
  std::string self;
  std::uint64_t lists_seen = 0;
  {
    std::lock_guard lock(mutex_);
    found = lookup();
    self = user_;
    lists_seen = group_lists_seen_;
  }
  if (found.empty()) {
    send(group_list_request(self), true);
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, config_.timeout, [&] { return group_lists_seen_ > lists_seen || closed_; }) ||
        closed_) {
      throw cli_error(exit_usage, "no GROUP_LIST_RESPONSE to look up the invitation in");
    }
    found = lookup();
  }
  if (found.empty()) throw cli_error(exit_failure, "no invitation to " + group + " (" + code_text(4007) + ")");
  if (found.size() > 1) {
    std::string ids;
    for (const auto& i : found) ids += " " + i.group_id;
    throw cli_error(exit_failure, "several invitations are named " + group + "; use the #id:" + ids);
  }
  {
    std::lock_guard lock(mutex_);
    std::erase_if(invitations_, [&](const invitation& i) { return i.group_id == found.front().group_id; });
  }
  send(group_invite_response(self, found.front(), accept), false);
}

}  // namespace chatnode::cli
