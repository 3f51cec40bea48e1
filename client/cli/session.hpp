// chatnode-client's connection to the node as one user, kept up: it connects, logs in,
// and when the connection is lost connects and logs in again with exponential backoff and
// jitter, saying so ("connection lost; reconnecting in 2 s"). Its owner gets the node's
// messages and the moments the connection was lost and came back as events, either from
// a poll() loop (fd(), max_wait(), pump()) or blocking (next()).
#pragma once

#include "client/cli/command_line.hpp"
#include "client/cli/console.hpp"
#include "client/connection.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace chatnode::cli {

class session {
 public:
  struct event {
    enum class kind {
      message,      // `message` came from the node
      lost,         // the connection ended; a reconnect is scheduled (unless gave_up follows)
      reconnected,  // connected and logged in again; `message` is the LOGIN_RESPONSE
      gave_up,      // no more reconnects: `detail` says why
    };
    kind what = kind::message;
    boost::json::object message;
    std::string detail;
    bool reported = false;  // the session printed `detail` on stderr already
  };
  struct retry_policy {
    bool reconnect = true;
    std::size_t max_attempts = 0;  // failed attempts in a row before giving up; 0: never
  };

  session(const settings& config, console& out, retry_policy policy);
  ~session();  // waits for a reconnect attempt still running (bounded by --timeout)
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // Connects, bounded by --timeout; throws cli_error(exit_usage) naming the failed step.
  void connect();
  // Logs in and waits for the answer (other messages stay queued); throws
  // cli_error(exit_failure) when refused, cli_error(exit_usage) on no answer. The
  // credentials are kept (as passwordHash) for logging in again after a reconnect.
  boost::json::object log_in(const std::string& user, const std::string& password);
  // Sends LOGIN_REQUEST with `id` without waiting; a successful LOGIN_RESPONSE to it makes
  // these the credentials used after a reconnect.
  void send_login(const std::string& user, const std::string& password, const std::string& id);
  // Sends USER_LOGOUT when logged in, waits (briefly) for the node to close, else closes.
  void log_out();
  // A PASSWORD_CHANGE_REQUEST with `id` is on its way: when the node accepts it, logins
  // after a reconnect use `new_password`.
  void expect_password_change(const std::string& id, const std::string& new_password);

  // Set once the session ended for good for a reason that decides the exit status: the
  // administrator closed it (4001) or the account is locked (2005): exit_admin; the account
  // was deleted: exit_ok. nullopt otherwise.
  std::optional<int> end_status() const { return end_status_; }

  // Queues a message for the node; false (and nothing sent) while disconnected.
  bool send(const boost::json::object& message);
  bool online() const { return conn_ != nullptr; }
  bool logged_in() const { return conn_ != nullptr && !user_.empty(); }
  // The logged-in user ("" before a login succeeded).
  const std::string& user() const { return user_; }
  // Who requests act as: the logged-in user, or the one a login in flight names (the
  // node finishes a login before it reads the next request, so requests may follow it).
  const std::string& acting_user() const { return user_.empty() ? pending_user_ : user_; }
  client::connection* connection() { return conn_.get(); }

  // For a poll() loop: the descriptor that turns readable when something arrived (-1
  // while disconnected), and the longest the loop may sleep before calling pump().
  int fd() const;
  std::chrono::milliseconds max_wait() const;
  // Collects what happened (non-blocking) into the event queue.
  void pump();
  std::optional<event> take();
  // Blocking: the next event within `timeout`.
  std::optional<event> next(std::chrono::milliseconds timeout);

 private:
  struct attempt_result {
    std::unique_ptr<client::connection> conn;
    boost::json::object login_response;
    std::string error;  // empty on success
    bool fatal = false;  // the node refused the credentials: retrying is pointless
    bool locked = false; // ... because the administrator locked the account (2005)
  };

  void drain_connection();
  void connection_ended();
  void schedule_attempt(const std::string& why);
  void finish_attempt();
  attempt_result attempt() const;

  const settings& config_;
  console& out_;
  retry_policy policy_;
  std::unique_ptr<client::connection> conn_;
  std::string user_;           // logged-in user (as the login named it)
  std::string password_hash_;  // for logging in again
  std::string pending_login_id_;
  std::string pending_user_;
  std::string pending_hash_;
  std::deque<event> events_;
  std::string pending_password_id_;
  std::string pending_password_hash_;
  bool account_deleted_ = false;  // the node accepted ACCOUNT_DELETE_REQUEST
  std::optional<int> end_status_;

  std::optional<std::future<attempt_result>> attempt_;
  std::optional<std::chrono::steady_clock::time_point> next_attempt_;
  std::size_t failed_attempts_ = 0;
  std::mt19937_64 jitter_;
  bool gave_up_ = false;
};

}  // namespace chatnode::cli
