// Connect, log in, and reconnect with backoff (docs/cli.md, "Reconnecting").
#include "client/cli/session.hpp"

#include "client/cli/commands.hpp"
#include "client/password_hash.hpp"

#include <poll.h>

#include <algorithm>
#include <cmath>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;

// Backoff: the n-th failed attempt in a row waits base·2^n, at most max, then a random
// 50–100 % of that (jitter, so clients cut off together do not return together).
constexpr std::chrono::milliseconds backoff_base{1000};
constexpr std::chrono::milliseconds backoff_max{30000};
// How long pump() may be left alone while a reconnect is due or running.
constexpr std::chrono::milliseconds attempt_poll{100};
// Logging out: the node closes the connection once it has sent what was queued.
constexpr std::chrono::milliseconds logout_wait{2000};

// LOGIN_RESPONSE codes after which trying again is pointless: the credentials are wrong,
// or the administrator locked the account.
constexpr std::int64_t code_locked = 2005;
bool is_fatal_login_code(std::int64_t code) { return code == 2001 || code == 2003 || code == code_locked; }
// The WebSocket close status of a session the node's administrator ended (kick or lock):
// reconnecting at once would only be refused or kicked again (docs/protocol.md §2).
constexpr int close_by_administrator = 4001;

// The reply to a LOGIN_REQUEST: LOGIN_RESPONSE, or ERROR (e.g. 9007 during a lockout).
std::optional<boost::json::object> await_login_reply(client::connection& conn, std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    auto message = conn.next(std::max(left, std::chrono::milliseconds(0)));
    if (!message) return std::nullopt;
    const std::string type = type_of(*message);
    if (type == "LOGIN_RESPONSE" || (type == "ERROR" && string_field(payload_of(*message), "inReplyTo") == "LOGIN_REQUEST")) {
      return message;
    }
  }
}

std::string seconds_text(std::chrono::milliseconds delay) {
  const auto seconds = std::max<std::int64_t>(1, (delay.count() + 500) / 1000);
  return std::to_string(seconds) + " s";
}

}  // namespace

session::session(const settings& config, console& out, retry_policy policy)
    : config_(config), out_(out), policy_(policy), jitter_(std::random_device{}()) {}

session::~session() {
  if (attempt_) attempt_->wait();
}

void session::connect() { conn_ = cli::connect(config_); }

boost::json::object session::log_in(const std::string& user, const std::string& password) {
  if (!conn_) throw cli_error(exit_usage, "not connected");
  const std::string id = "login";
  auto request = login_request(user, password);
  request["id"] = id;
  conn_->send(request);
  auto reply = await_login_reply(*conn_, config_.timeout);
  if (!reply) {
    throw cli_error(exit_usage, conn_->is_open() ? "no answer to the login in time"
                                                 : "the node closed the connection during login");
  }
  if (const auto f = failure_of(*reply)) {
    throw cli_error(f->code == code_locked ? exit_admin : exit_failure, "login failed: " + failure_text(*f));
  }
  user_ = user;
  password_hash_ = client::password_hash(user, password);
  return *reply;
}

void session::send_login(const std::string& user, const std::string& password, const std::string& id) {
  pending_login_id_ = id;
  pending_user_ = user;
  pending_hash_ = client::password_hash(user, password);
  auto request = login_request_hashed(user, pending_hash_);
  request["id"] = id;
  send(request);
}

void session::log_out() {
  if (!conn_) return;
  if (!user_.empty()) {
    conn_->send(logout(user_));
    if (!conn_->wait_closed(logout_wait)) conn_->close();
  } else {
    conn_->close();
  }
  conn_.reset();
  user_.clear();
}

void session::expect_password_change(const std::string& id, const std::string& new_password) {
  pending_password_id_ = id;
  pending_password_hash_ = client::password_hash(acting_user(), new_password);
}

bool session::send(const boost::json::object& message) {
  if (!conn_ || !conn_->is_open()) return false;
  conn_->send(message);
  return true;
}

int session::fd() const { return conn_ ? conn_->ready_fd() : -1; }

std::chrono::milliseconds session::max_wait() const {
  if (attempt_) return attempt_poll;
  if (next_attempt_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*next_attempt_ - steady::now());
    return std::clamp(left, std::chrono::milliseconds(0), attempt_poll);
  }
  return std::chrono::milliseconds(1000);
}

void session::pump() {
  if (conn_) drain_connection();
  if (attempt_ && attempt_->wait_for(std::chrono::seconds(0)) == std::future_status::ready) finish_attempt();
  if (!conn_ && !attempt_ && next_attempt_ && steady::now() >= *next_attempt_) {
    next_attempt_.reset();
    attempt_ = std::async(std::launch::async, [this] { return attempt(); });
  }
}

std::optional<session::event> session::take() {
  if (events_.empty()) return std::nullopt;
  event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::optional<session::event> session::next(std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    pump();
    if (auto e = take()) return e;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (left.count() <= 0) return std::nullopt;
    if (!conn_ && !attempt_ && !next_attempt_) return std::nullopt;  // nothing will happen
    pollfd p{fd(), POLLIN, 0};
    ::poll(&p, p.fd >= 0 ? 1 : 0, static_cast<int>(std::min(left, max_wait()).count()));
  }
}

void session::drain_connection() {
  conn_->clear_ready();
  while (auto message = conn_->next(std::chrono::milliseconds(0))) {
    if (!pending_login_id_.empty() && type_of(*message) == "LOGIN_RESPONSE" && id_of(*message) == pending_login_id_) {
      if (!failure_of(*message)) {
        user_ = pending_user_;
        password_hash_ = pending_hash_;
      }
      pending_login_id_.clear();
      pending_user_.clear();
    }
    const std::string type = type_of(*message);
    if (type == "PASSWORD_CHANGE_RESPONSE" && !pending_password_id_.empty() && id_of(*message) == pending_password_id_) {
      if (!failure_of(*message)) password_hash_ = pending_password_hash_;
      pending_password_id_.clear();
      pending_password_hash_.clear();
    }
    if (type == "ACCOUNT_DELETE_RESPONSE" && !failure_of(*message)) {
      // The node closes the connection next; there is nobody to log in as any more.
      account_deleted_ = true;
      user_.clear();
      password_hash_.clear();
    }
    events_.push_back({event::kind::message, std::move(*message), {}});
  }
  if (!conn_->is_open() && conn_->queued() == 0) connection_ended();
}

void session::connection_ended() {
  const int code = conn_->close_code();
  conn_.reset();
  // A login whose answer never came did not happen.
  pending_login_id_.clear();
  pending_user_.clear();
  pending_password_id_.clear();
  if (account_deleted_ || code == close_by_administrator) {
    // Not to be reconnected: say why and stop.
    const std::string why =
        account_deleted_ ? "the account was deleted" : "the node's administrator closed this session";
    end_status_ = account_deleted_ ? exit_ok : exit_admin;
    gave_up_ = true;
    events_.push_back({event::kind::lost, {}, why});
    events_.push_back({event::kind::gave_up, {}, why});
    return;
  }
  std::string why = "connection lost";
  if (code != 0) why += " (WebSocket close code " + std::to_string(code) + ")";
  events_.push_back({event::kind::lost, {}, why});
  if (!policy_.reconnect) {
    gave_up_ = true;
    events_.push_back({event::kind::gave_up, {}, why});
    return;
  }
  failed_attempts_ = 0;
  schedule_attempt(why);
}

void session::schedule_attempt(const std::string& why) {
  const double factor = std::ldexp(1.0, static_cast<int>(std::min<std::size_t>(failed_attempts_, 16)));
  const auto base = std::min(backoff_max, std::chrono::milliseconds(static_cast<std::int64_t>(
                                              static_cast<double>(backoff_base.count()) * factor)));
  std::uniform_real_distribution<double> spread(0.5, 1.0);
  const auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(base.count()) * spread(jitter_)));
  next_attempt_ = steady::now() + delay;
  out_.err(why + "; reconnecting in " + seconds_text(delay));
}

void session::finish_attempt() {
  attempt_result result = attempt_->get();
  attempt_.reset();
  if (result.error.empty()) {
    conn_ = std::move(result.conn);
    failed_attempts_ = 0;
    out_.err("reconnected" + (user_.empty() ? std::string() : " as " + user_));
    events_.push_back({event::kind::reconnected, std::move(result.login_response), {}});
    return;
  }
  ++failed_attempts_;
  if (result.fatal || (policy_.max_attempts != 0 && failed_attempts_ >= policy_.max_attempts)) {
    gave_up_ = true;
    if (result.locked) end_status_ = exit_admin;
    const std::string why = "giving up reconnecting: " + result.error;
    out_.err(why);
    events_.push_back({event::kind::gave_up, {}, why, true});
    return;
  }
  schedule_attempt("reconnect failed (" + result.error + ")");
}

// Runs on its own thread: touches only the settings and the credentials, which do not
// change while it runs (the owner only sends through conn_, which is null meanwhile).
session::attempt_result session::attempt() const {
  attempt_result result;
  try {
    result.conn = client::connection::connect(config_.connect);
  } catch (const std::exception& e) {
    result.error = e.what();
    return result;
  }
  if (user_.empty()) return result;  // not logged in before: nothing to log in again
  auto request = login_request_hashed(user_, password_hash_);
  request["id"] = "relogin";
  result.conn->send(request);
  auto reply = await_login_reply(*result.conn, config_.timeout);
  if (!reply) {
    result.error = result.conn->is_open() ? "no answer to the login in time" : "the node closed the connection";
    result.conn.reset();
    return result;
  }
  if (const auto f = failure_of(*reply)) {
    result.error = "login failed: " + failure_text(*f);
    result.fatal = is_fatal_login_code(f->code);
    result.locked = f->code == code_locked;
    result.conn.reset();
    return result;
  }
  result.login_response = std::move(*reply);
  return result;
}

}  // namespace chatnode::cli
