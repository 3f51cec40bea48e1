// One-shot commands: each is a short exchange with the node, bounded by --timeout per
// reply; the exit status says whether the node accepted it (0), refused it (1) or could
// not be asked (2).
#include "client/cli/one_shot.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <thread>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;

// How often accept/reject re-read the lists until the node shows the answer applied (the
// answer has no reply of its own, and the node commits it before applying it).
constexpr std::chrono::milliseconds poll_interval{50};
// Logging out: the node closes the connection once it has sent what was queued.
constexpr std::chrono::milliseconds logout_wait{2000};

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return std::to_string(ms / 1000) + (ms % 1000 == 0 ? "" : "." + std::to_string(ms % 1000 / 100)) + " s";
}

std::string joined(const std::vector<std::string>& words, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) {
    if (i > from) out += ' ';
    out += words[i];
  }
  return out;
}

bool is_history_type(const std::string& type) { return type.rfind("MESSAGE_HISTORY_", 0) == 0; }

}  // namespace

one_shot::one_shot(client::connection& conn, const settings& config, const invocation& call)
    : conn_(conn), config_(config), call_(call), self_(config.user) {}

void one_shot::print(const std::string& line) const { std::cout << line << '\n' << std::flush; }

void one_shot::print_raw(const json::object& message) const { print(json::serialize(message)); }

void one_shot::check(const json::object& reply, std::string_view what) const {
  if (const auto f = failure_of(reply)) {
    if (config_.json) print_raw(reply);
    throw cli_error(exit_failure, std::string(what) + " failed: " + failure_text(*f));
  }
}

json::object one_shot::await(const std::function<bool(const json::object&)>& match, std::string_view what) {
  const auto deadline = steady::now() + config_.timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    auto message = conn_.next(std::max(left, std::chrono::milliseconds(0)));
    if (!message) {
      if (!conn_.is_open()) {
        throw cli_error(exit_usage, "the node closed the connection while waiting for " + std::string(what));
      }
      throw cli_error(exit_usage, "no " + std::string(what) + " within " + seconds_text(config_.timeout));
    }
    if (silent_ && is_reply_to(*message, silent_->id, silent_->type)) check(*message, silent_->what);
    if (match(*message)) return std::move(*message);
  }
}

json::object one_shot::request(json::object message) {
  const std::string id = "cli-" + std::to_string(next_id_++);
  const std::string type = type_of(message);
  message["id"] = id;
  conn_.send(message);
  std::string what(reply_type_for(type));
  if (what.empty()) what = "reply to " + type;
  return await([&](const json::object& m) { return is_reply_to(m, id, type); }, what);
}

json::object one_shot::request_ok(json::object message, std::string_view what) {
  auto reply = request(std::move(message));
  check(reply, what);
  if (config_.json) print_raw(reply);
  return reply;
}

void one_shot::send_silent(json::object message, std::string what) {
  const std::string id = "cli-" + std::to_string(next_id_++);
  message["id"] = id;
  silent_ = silent_request{id, type_of(message), std::move(what)};
  conn_.send(message);
}

void one_shot::log_in(const std::string& user, const std::string& password) {
  auto reply = request(login_request(user, password));
  check(reply, "login");
  if (call_.command == "login" && config_.json) print_raw(reply);
  logged_in_ = true;
}

void one_shot::log_out() {
  if (!logged_in_) {
    conn_.close();
    return;
  }
  conn_.send(logout(self_));
  logged_in_ = false;
  if (!conn_.wait_closed(logout_wait)) conn_.close();
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
  log_in(self_, config_.password);
  int status = exit_ok;
  if (command == "friend-request") {
    const auto ack = request_ok(friend_request(self_, args[0]), "friend request");
    if (!config_.json) print("friend request sent to " + string_field(payload_of(ack), "receiver"));
  } else if (command == "accept" || command == "reject") {
    answer_friend_request(command == "accept");
  } else if (command == "unfriend") {
    const auto ack = request_ok(friend_remove(self_, args[0]), "unfriend");
    if (!config_.json) print("removed " + string_field(payload_of(ack), "receiver"));
  } else if (command == "friends") {
    const auto list = request_ok(friend_list_request(self_), "friend list");
    if (!config_.json) {
      for (const auto& line : describe_message(list).details) print(line);
    }
  } else if (command == "send") {
    const auto ack = request_ok(text_message(self_, args[0], joined(args, 1)), "send");
    if (!config_.json) print(string_field(payload_of(ack), "messageId"));
  } else if (command == "group-create") {
    const std::vector<std::string> members(args.begin() + 1, args.end());
    const auto ack = request_ok(group_create(self_, args[0], members), "group-create");
    if (!config_.json) print(string_field(payload_of(ack), "groupId"));
  } else if (command == "group-accept" || command == "group-reject") {
    answer_invitation(command == "group-accept");
  } else if (command == "group-leave") {
    const auto ack = request_ok(group_leave(self_, group_ref{args[0]}), "group-leave");
    if (!config_.json) print(describe_message(ack).summary);
  } else if (command == "group-remove") {
    const auto ack = request_ok(group_remove(self_, group_ref{args[0]}), "group-remove");
    if (!config_.json) print(describe_message(ack).summary);
  } else if (command == "group-leader") {
    const auto ack = request_ok(group_leader_change(self_, group_ref{args[0]}, args[1]), "group-leader");
    if (!config_.json) print(describe_message(ack).summary);
  } else if (command == "groups") {
    const auto list = request_ok(group_list_request(self_), "group list");
    if (!config_.json) {
      for (const auto& line : describe_message(list).details) print(line);
    }
  } else if (command == "status") {
    set_status();
  } else if (command == "history") {
    history();
  } else if (command == "listen") {
    status = listen();
  } else {
    throw cli_error(exit_usage, "unknown command \"" + command + "\"");
  }
  log_out();
  return status;
}

void one_shot::do_register() {
  const std::string user = call_.args.empty() ? config_.user : call_.args[0];
  const std::string password = call_.args.size() < 2 ? config_.password : call_.args[1];
  request_ok(register_request(user, password), "register");
  if (!config_.json) print("registered " + user);
  log_out();
}

void one_shot::do_login() {
  self_ = call_.args.empty() ? config_.user : call_.args[0];
  log_in(self_, call_.args.size() < 2 ? config_.password : call_.args[1]);
  if (!config_.json) print("logged in as " + self_);
  log_out();
}

void one_shot::answer_friend_request(bool accept) {
  const std::string& other = call_.args[0];
  const std::string verb = accept ? "accept" : "reject";
  // The answer has no reply on success, so look first: answering nothing is 3007.
  const auto before = request_ok(friend_list_request(self_), "friend list");
  if (!friend_list_has(before, "incoming", other)) {
    throw cli_error(exit_failure, verb + " " + other + " failed: " + code_text(3007));
  }
  send_silent(friend_response(self_, other, accept), verb);
  // Done when the lists show it (an ERROR for the answer ends the wait in await()).
  const auto deadline = steady::now() + config_.timeout;
  for (;;) {
    const auto list = request(friend_list_request(self_));
    check(list, "friend list");
    const bool done = accept ? friend_list_has(list, "friends", other) : !friend_list_has(list, "incoming", other);
    if (done) break;
    if (steady::now() >= deadline) {
      throw cli_error(exit_usage, "the node did not apply the answer within " + seconds_text(config_.timeout));
    }
    std::this_thread::sleep_for(poll_interval);
  }
  if (!config_.json) print((accept ? "accepted the friend request of " : "rejected the friend request of ") + other);
}

void one_shot::answer_invitation(bool accept) {
  const group_ref group{call_.args[0]};
  const std::string verb = accept ? "group-accept" : "group-reject";
  // GROUP_INVITE_RESPONSE names the inviter as `sender`: find it among the invitations.
  const auto before = request_ok(group_list_request(self_), "group list");
  const auto found = matching_invitations(invitations_of(before), group);
  if (found.empty()) throw cli_error(exit_failure, verb + " " + group.text + " failed: " + code_text(4007));
  if (found.size() > 1) {
    std::string ids;
    for (const auto& i : found) ids += " " + i.group_id;
    throw cli_error(exit_failure, verb + " " + group.text + " failed: " + code_text(4003) + ":" + ids);
  }
  const invitation invite = found.front();
  send_silent(group_invite_response(self_, invite, accept), verb);
  const group_ref by_id{invite.group_id.empty() ? invite.name : invite.group_id};
  const auto deadline = steady::now() + config_.timeout;
  for (;;) {
    const auto list = request(group_list_request(self_));
    check(list, "group list");
    if (matching_invitations(invitations_of(list), by_id).empty()) break;
    if (steady::now() >= deadline) {
      throw cli_error(exit_usage, "the node did not apply the answer within " + seconds_text(config_.timeout));
    }
    std::this_thread::sleep_for(poll_interval);
  }
  if (!config_.json) {
    print((accept ? "joined group " : "declined group ") + invite.name + " (" + invite.group_id + ") of " +
          invite.inviter);
  }
}

void one_shot::set_status() {
  const std::string& status = call_.args[0];
  if (!is_valid_status(status)) throw cli_error(exit_usage, "status must be online, away, busy or offline");
  send_silent(status_update(self_, status), "status");
  // The update has no reply; any request's reply shows the node has read it (an ERROR
  // for the update would come first).
  request(friend_list_request(self_));
  if (!config_.json) print("status " + status);
}

void one_shot::history() {
  // 6001 (nothing matches) ends here, before any BEGIN.
  request_ok(history_request(self_, call_.history), "history");
  auto next_step = [&](std::string_view what) {
    return await(
        [](const json::object& m) {
          const std::string type = type_of(m);
          if (is_history_type(type)) return true;
          return type == "ERROR" && is_history_type(string_field(payload_of(m), "inReplyTo"));
        },
        what);
  };
  auto begin = next_step("MESSAGE_HISTORY_BEGIN");
  check(begin, "history");
  if (config_.json) print_raw(begin);
  conn_.send(history_begin_ack(self_));
  for (;;) {
    auto step = next_step("MESSAGE_HISTORY_DATA");
    check(step, "history");
    if (config_.json) print_raw(step);
    const std::string type = type_of(step);
    if (type == "MESSAGE_HISTORY_COMPLETE") {
      conn_.send(history_complete_ack(self_));
      return;
    }
    if (type != "MESSAGE_HISTORY_DATA") continue;
    const auto& payload = payload_of(step);
    if (!config_.json) {
      if (const auto* items = payload.if_contains("messages"); items != nullptr && items->is_array()) {
        for (const auto& item : items->get_array()) {
          if (item.is_object()) print(history_line(item.get_object()));
        }
      }
    }
    std::int64_t chunk = 1;
    if (const auto* index = payload.if_contains("chunkIndex"); index != nullptr && index->is_int64()) {
      chunk = index->get_int64();
    }
    conn_.send(history_data_ack(self_, chunk));
  }
}

int one_shot::listen() {
  const bool bounded_time = call_.seconds.has_value();
  const auto deadline = steady::now() + std::chrono::duration_cast<steady::duration>(
                                            std::chrono::duration<double>(call_.seconds.value_or(0)));
  std::int64_t seen = 0;
  while (!call_.count || seen < *call_.count) {
    // Without --seconds wait in slices, so a closed connection is noticed.
    auto slice = std::chrono::milliseconds(1000);
    if (bounded_time) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
      if (left.count() <= 0) break;
      slice = std::min(slice, left);
    }
    auto message = conn_.next(slice);
    if (!message) {
      if (!conn_.is_open() && conn_.queued() == 0) {
        throw cli_error(exit_usage, "the node closed the connection (WebSocket close code " +
                                        std::to_string(conn_.close_code()) + ")");
      }
      continue;
    }
    ++seen;
    if (config_.json) {
      print_raw(*message);
    } else {
      for (const auto& line : message_lines(*message)) print(line);
    }
  }
  return exit_ok;
}

}  // namespace chatnode::cli
