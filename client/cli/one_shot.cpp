// One-shot commands: each is a short exchange with the node, bounded by --timeout per
// reply; the exit status says whether the node accepted it (0), refused it (1) or could
// not be asked (2).
#include "client/cli/one_shot.hpp"

#include "client/cli/history_sync.hpp"
#include "client/cli/targets.hpp"

#include <boost/json/serialize.hpp>

#include <thread>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;

// How often accept/reject re-read the lists until the node shows the answer applied (the
// answer has no reply of its own, and the node commits it before applying it).
constexpr std::chrono::milliseconds poll_interval{50};

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return std::to_string(ms / 1000) + (ms % 1000 == 0 ? "" : "." + std::to_string(ms % 1000 / 100)) + " s";
}

bool needs_group_list(const std::vector<std::string>& words) {
  return !(words.size() == 1 && (words.front().front() == '#' || words.front().find('@') != std::string::npos));
}

}  // namespace

one_shot::one_shot(session& s, console& out, const settings& config, const invocation& call)
    : session_(s), out_(out), config_(config), call_(call), who_{config.user, config.verbose} {}

void one_shot::check(const json::object& reply, std::string_view what) const {
  if (const auto f = failure_of(reply)) {
    if (config_.json) out_.out(json::serialize(reply));
    throw cli_error(exit_failure, std::string(what) + " failed: " + failure_text(*f));
  }
}

void one_shot::print_reply(const json::object& reply) {
  if (config_.json) {
    print(json::serialize(reply));
    return;
  }
  who_.learn(reply);
  for (const auto& line : describe(reply, who_)) print(line);
}

json::object one_shot::await(const std::function<bool(const json::object&)>& match, std::string_view what) {
  const auto deadline = steady::now() + config_.timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    auto e = session_.next(std::max(left, std::chrono::milliseconds(0)));
    if (!e) throw cli_error(exit_usage, "no " + std::string(what) + " within " + seconds_text(config_.timeout));
    if (e->what != session::event::kind::message) {
      if (session_.end_status() == exit_admin) throw cli_error(exit_admin, e->detail);
      throw cli_error(exit_usage, "the connection ended while waiting for " + std::string(what));
    }
    who_.learn(e->message);
    if (silent_ && is_reply_to(e->message, silent_->id, silent_->type)) check(e->message, silent_->what);
    if (match(e->message)) return std::move(e->message);
  }
}

json::object one_shot::request(json::object message) { return request(std::move(message), fresh_id()); }

std::string one_shot::fresh_id() { return "cli-" + std::to_string(next_id_++); }

json::object one_shot::request(json::object message, const std::string& id) {
  const std::string type = type_of(message);
  message["id"] = id;
  if (!session_.send(message)) throw cli_error(exit_usage, "the connection ended before " + type + " was sent");
  std::string what(reply_type_for(type));
  if (what.empty()) what = "reply to " + type;
  return await([&](const json::object& m) { return is_reply_to(m, id, type); }, what);
}

json::object one_shot::request_ok(json::object message, std::string_view what) {
  auto reply = request(std::move(message));
  check(reply, what);
  return reply;
}

void one_shot::send_silent(json::object message, std::string what) {
  const std::string id = "cli-" + std::to_string(next_id_++);
  message["id"] = id;
  silent_ = silent_request{id, type_of(message), std::move(what)};
  session_.send(message);
}

int one_shot::run() {
  const std::string& command = call_.command;
  const auto& args = call_.args;
  if (command == "register") {
    do_register();
    return exit_ok;
  }
  if (command == "login") {
    do_login();
    return exit_ok;
  }
  session_.log_in(config_.user, config_.password);
  const std::string& self = config_.user;
  if (command == "friend-request") {
    print_reply(request_ok(friend_request(self, args[0]), "friend request"));
  } else if (command == "accept" || command == "reject") {
    answer_friend_request(command == "accept");
  } else if (command == "unfriend") {
    print_reply(request_ok(friend_remove(self, args[0]), "unfriend"));
  } else if (command == "friends") {
    print_reply(request_ok(friend_list_request(self), "friend list"));
  } else if (command == "send") {
    send_text();
  } else if (command == "group-create") {
    create_group();
  } else if (command == "group-accept" || command == "group-reject") {
    answer_invitation(command == "group-accept");
  } else if (command == "group-leave" || command == "group-remove" || command == "group-leader") {
    group_command();
  } else if (command == "groups") {
    print_reply(request_ok(group_list_request(self), "group list"));
  } else if (command == "block") {
    print_reply(request_ok(user_block(self, args[0]), "block " + args[0]));
  } else if (command == "unblock") {
    print_reply(request_ok(user_unblock(self, args[0]), "unblock " + args[0]));
  } else if (command == "blocks") {
    print_reply(request_ok(block_list_request(self), "block list"));
  } else if (command == "passwd") {
    change_password();
  } else if (command == "delete-account") {
    delete_account();
    return exit_ok;
  } else if (command == "status") {
    set_status();
  } else if (command == "history") {
    history();
  } else {
    throw cli_error(exit_usage, "unknown command \"" + command + "\"");
  }
  session_.log_out();
  return exit_ok;
}

void one_shot::do_register() {
  const std::string user = call_.args.empty() ? config_.user : call_.args[0];
  const std::string password = call_.args.size() < 2 ? config_.password : call_.args[1];
  if (password.empty()) throw cli_error(exit_usage, "register needs a password");
  const auto reply = request_ok(register_request(user, password), "register");
  if (config_.json) {
    print(json::serialize(reply));
  } else {
    print("registered " + user);
  }
  session_.log_out();
}

void one_shot::do_login() {
  const std::string user = call_.args.empty() ? config_.user : call_.args[0];
  const std::string password = call_.args.size() < 2 ? config_.password : call_.args[1];
  if (password.empty()) throw cli_error(exit_usage, "login needs a password");
  const auto reply = session_.log_in(user, password);
  if (config_.json) {
    print(json::serialize(reply));
  } else {
    print("logged in as " + user);
  }
  session_.log_out();
}

std::vector<group_entry> one_shot::my_groups() {
  return groups_of(request_ok(group_list_request(config_.user), "group list"));
}

void one_shot::send_text() {
  const auto& args = call_.args;
  std::vector<group_entry> groups;
  if (args.front().front() != '#' && args.front().find('@') == std::string::npos) groups = my_groups();
  const auto split = split_receiver(args, groups, 1);
  const auto ack = request_ok(text_message(config_.user, split.to.receiver, join_words(split.rest)), "send");
  if (config_.json) {
    print(json::serialize(ack));
    return;
  }
  const std::string id = string_field(payload_of(ack), "messageId");
  print("sent to " + show_user(split.to.label, who_) + (config_.verbose ? " (message " + id + ")" : ""));
}

void one_shot::create_group() {
  const auto friends = friends_of(request_ok(friend_list_request(config_.user), "friend list"), "friends");
  const auto split = split_group_create(call_.args, friends);
  print_reply(request_ok(group_create(config_.user, split.name, split.members), "group-create"));
}

void one_shot::group_command() {
  const std::string& command = call_.command;
  std::vector<std::string> words = call_.args;
  std::string new_leader;
  if (command == "group-leader") {
    new_leader = words.back();
    words.pop_back();
  }
  std::vector<group_entry> groups;
  if (needs_group_list(words)) groups = my_groups();
  const target group = resolve_group(words, groups);
  const group_ref ref{group.receiver};
  if (command == "group-leave") print_reply(request_ok(group_leave(config_.user, ref), command));
  if (command == "group-remove") print_reply(request_ok(group_remove(config_.user, ref), command));
  if (command == "group-leader") {
    print_reply(request_ok(group_leader_change(config_.user, ref, new_leader), command));
  }
}

void one_shot::answer_friend_request(bool accept) {
  const std::string& other = call_.args[0];
  const std::string& self = config_.user;
  const std::string verb = accept ? "accept" : "reject";
  // The answer has no reply on success, so look first: answering nothing is 3007.
  const auto before = request_ok(friend_list_request(self), "friend list");
  if (!friend_list_has(before, "incoming", other)) {
    throw cli_error(exit_failure, verb + " " + other + " failed: " + code_text(3007));
  }
  send_silent(friend_response(self, other, accept), verb);
  // Done when the lists show it (an ERROR for the answer ends the wait in await()).
  const auto deadline = steady::now() + config_.timeout;
  for (;;) {
    const auto list = request_ok(friend_list_request(self), "friend list");
    const bool done = accept ? friend_list_has(list, "friends", other) : !friend_list_has(list, "incoming", other);
    if (done) break;
    if (steady::now() >= deadline) {
      throw cli_error(exit_usage, "the node did not apply the answer within " + seconds_text(config_.timeout));
    }
    std::this_thread::sleep_for(poll_interval);
  }
  if (!config_.json) print((accept ? "you and " : "declined the friend request of ") + show_user(other, who_) +
                           (accept ? " are friends now" : ""));
}

void one_shot::answer_invitation(bool accept) {
  const group_ref group{join_words(call_.args)};
  const std::string& self = config_.user;
  const std::string verb = accept ? "group-accept" : "group-reject";
  // GROUP_INVITE_RESPONSE names the inviter as `sender`: find it among the invitations.
  const auto found = matching_invitations(invitations_of(request_ok(group_list_request(self), "group list")), group);
  if (found.empty()) throw cli_error(exit_failure, verb + " " + group.text + " failed: " + code_text(4007));
  if (found.size() > 1) {
    std::string ids;
    for (const auto& i : found) ids += " " + i.group_id;
    throw cli_error(exit_failure, verb + " " + group.text + " failed: " + code_text(4003) + ":" + ids);
  }
  const invitation invite = found.front();
  send_silent(group_invite_response(self, invite, accept), verb);
  const group_ref by_id{invite.group_id.empty() ? invite.name : invite.group_id};
  const auto deadline = steady::now() + config_.timeout;
  for (;;) {
    const auto list = request_ok(group_list_request(self), "group list");
    if (matching_invitations(invitations_of(list), by_id).empty()) break;
    if (steady::now() >= deadline) {
      throw cli_error(exit_usage, "the node did not apply the answer within " + seconds_text(config_.timeout));
    }
    std::this_thread::sleep_for(poll_interval);
  }
  if (!config_.json) {
    print((accept ? "joined " : "declined the invitation to ") + invite.name + " (invited by " +
          show_user(invite.inviter, who_) + ")");
  }
}

void one_shot::change_password() {
  const std::string id = fresh_id();
  session_.expect_password_change(id, config_.new_password);
  const auto reply = request(password_change_request(config_.user, config_.password, config_.new_password), id);
  check(reply, "passwd");
  if (config_.json) {
    print(json::serialize(reply));
  } else {
    print("password changed for " + show_user(config_.user, who_));
  }
}

void one_shot::delete_account() {
  const auto reply = request_ok(account_delete_request(config_.user, config_.confirm_password), "delete-account");
  print_reply(reply);
  // The node closes the connection after its answer: nothing to log out from.
  session_.log_out();
}

void one_shot::set_status() {
  const std::string& status = call_.args[0];
  if (!is_valid_status(status)) throw cli_error(exit_usage, "status must be online, away, busy or offline");
  send_silent(status_update(config_.user, status), "status");
  // The update has no reply; any request's reply shows the node has read it (an ERROR
  // for the update would come first).
  request(friend_list_request(config_.user));
  if (!config_.json) print("your status is " + status);
}

void one_shot::history() {
  history_sync sync(config_.user, call_.history, "cli-history");
  if (!session_.send(sync.request())) throw cli_error(exit_usage, "the connection ended");
  while (!sync.finished()) {
    std::vector<json::object> replies;
    std::vector<json::object> items;
    const auto message = await(
        [&](const json::object& m) { return sync.on_message(m, replies, items); }, "history");
    for (const auto& reply : replies) session_.send(reply);
    if (config_.json) {
      print(json::serialize(message));
    } else {
      for (const auto& item : items) {
        who_.learn_id(string_field(item, "sender"));
        who_.learn_id(string_field(item, "receiver"));
        print(chat_line(chat_item_of_history(item), who_, true));
      }
    }
  }
  if (const auto& refusal = sync.refusal()) throw cli_error(exit_failure, "history: " + failure_text(*refusal));
}

}  // namespace chatnode::cli
