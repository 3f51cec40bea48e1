// listen, send-file and fetch: poll loops over a reconnecting session.
#include "client/cli/live_command.hpp"

#include "client/cli/targets.hpp"

#include <poll.h>
#include <unistd.h>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The id of the client's own FRIEND_LIST_REQUEST that tells it its full id.
constexpr const char* self_request_id = "cli-self";

transfers::progress_style style_for(const settings& config, console& out) {
  if (config.json) return transfers::progress_style::none;
  if (out.stderr_is_tty()) return transfers::progress_style::bar;
  return config.verbose ? transfers::progress_style::lines : transfers::progress_style::none;
}

}  // namespace

live_command::live_command(session& s, console& out, const settings& config, const invocation& call)
    : session_(s),
      out_(out),
      config_(config),
      call_(call),
      who_{config.user, config.verbose},
      feed_(config, out, who_),
      transfers_(config, out, who_, style_for(config, out)) {}

int live_command::run() {
  feed_.logged_in(session_.log_in(config_.user, config_.password));
  // The own domain (names of it are shown short) comes with the friend list's username.
  if (config_.user.find('@') == std::string::npos) {
    auto whoami = friend_list_request(config_.user);
    whoami["id"] = self_request_id;
    if (session_.send(whoami)) feed_.hold();
  }
  int status = exit_ok;
  if (call_.command == "listen") status = listen();
  if (call_.command == "send-file") status = send_file();
  if (call_.command == "fetch") status = fetch();
  session_.log_out();
  return status;
}

bool live_command::turn(std::chrono::milliseconds limit) {
  transfers_.pump(session_);
  if (feed_.held_longer_than(config_.timeout)) feed_.release();
  const auto wait = std::min({limit, session_.max_wait(), transfers_.max_wait(limit)});
  pollfd p{session_.fd(), POLLIN, 0};
  ::poll(&p, p.fd >= 0 ? 1 : 0, static_cast<int>(std::max(wait, 0ms).count()));
  session_.pump();
  while (auto e = session_.take()) handle(*e);
  return !gave_up_;
}

void live_command::handle(session::event& e) {
  switch (e.what) {
    case session::event::kind::message:
      if (id_of(e.message) == self_request_id) {
        who_.learn(e.message);
        feed_.release();
        return;
      }
      if (transfers_.consume(session_, e.message)) return;
      if (feed_.consume(session_, e.message)) return;
      if (call_.command == "listen") feed_.show(e.message);
      return;
    case session::event::kind::lost:
      feed_.release();
      transfers_.connection_lost();
      feed_.connection_lost();
      return;
    case session::event::kind::reconnected:
      offer_deadline_ = steady::now() + config_.timeout;
      transfers_.reconnected(session_);
      if (call_.command == "listen") feed_.reconnected(session_);  // the others show no messages
      return;
    case session::event::kind::gave_up:
      gave_up_ = true;
      if (!e.reported) gave_up_reason_ = e.detail;
      return;
  }
}

int live_command::listen() {
  if (call_.count) feed_.limit(static_cast<std::size_t>(*call_.count));
  const std::optional<steady::time_point> deadline =
      call_.seconds ? std::optional(steady::now() + std::chrono::duration_cast<steady::duration>(
                                                        std::chrono::duration<double>(*call_.seconds)))
                    : std::nullopt;
  for (;;) {
    if (call_.count && feed_.shown() >= static_cast<std::size_t>(*call_.count)) return exit_ok;
    auto limit = std::chrono::milliseconds(1000);
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - steady::now());
      if (left.count() <= 0) return exit_ok;
      limit = std::min(limit, left);
    }
    if (!turn(limit)) gone("the connection to the node is gone");
  }
}

void live_command::gone(const std::string& what) const {
  // The administrator closing the session (4001) or locking the account has its own status.
  if (const auto status = session_.end_status(); status && *status == exit_admin) {
    throw cli_error(exit_admin, gave_up_reason_.empty() ? what : gave_up_reason_);
  }
  throw cli_error(exit_usage, what);
}

std::vector<group_entry> live_command::my_groups() {
  auto request = group_list_request(config_.user);
  request["id"] = "groups";
  session_.send(request);
  const auto deadline = steady::now() + config_.timeout;
  while (steady::now() < deadline) {
    auto e = session_.next(std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now()));
    if (!e || e->what != session::event::kind::message) break;
    if (is_reply_to(e->message, "groups", "GROUP_LIST_REQUEST")) {
      if (const auto f = failure_of(e->message)) throw cli_error(exit_failure, "group list: " + failure_text(*f));
      return groups_of(e->message);
    }
    // Anything else (the inbox, offers) is of no interest to send-file.
  }
  throw cli_error(exit_usage, "no GROUP_LIST_RESPONSE within the timeout");
}

int live_command::send_file() {
  std::vector<std::string> words = call_.args;
  const std::string path = words.back();
  words.pop_back();
  std::vector<group_entry> groups;
  if (words.size() > 1 || (words.front().front() != '#' && words.front().find('@') == std::string::npos)) {
    groups = my_groups();
  }
  const target to = resolve_receiver(words, groups);
  auto job = std::make_unique<upload_job>(config_.user, to.receiver, show_user(to.label, who_), path,
                                          upload_job::options{call_.media_type, call_.limit_rate, config_.json});
  transfers_.add_upload(session_, std::move(job));
  while (transfers_.busy()) {
    if (!turn(1000ms)) gone("the upload stopped: the connection to the node is gone");
  }
  return transfers_.exit_status();
}

int live_command::fetch() {
  const std::string& media_id = call_.args[0];
  transfers_.fetch(session_, media_id, call_.args.size() > 1 ? call_.args[1] : std::string(), call_.limit_rate);
  // The node offers every media waiting for the user right after login.
  offer_deadline_ = steady::now() + config_.timeout;
  while (transfers_.busy()) {
    if (transfers_.waiting_for_offers() && session_.online() && steady::now() >= offer_deadline_) {
      throw cli_error(exit_failure, "fetch " + media_id + " failed: " + code_text(8001));
    }
    if (!turn(100ms)) gone("the download stopped: the connection to the node is gone");
  }
  return transfers_.exit_status();
}

}  // namespace chatnode::cli
