// What the node sends, as listen and interactive mode show it: printed for a person (or as
// raw JSON lines with --json), each text or media message once, and after a reconnect the
// messages missed meanwhile fetched from the history with `after` = the last messageId seen
// (catch-up). History listings asked for by the person share one queue with catch-up,
// because a new MESSAGE_HISTORY_REQUEST cancels the sync in progress on the node.
#pragma once

#include "client/cli/command_line.hpp"
#include "client/cli/console.hpp"
#include "client/cli/format.hpp"
#include "client/cli/history_sync.hpp"
#include "client/cli/session.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <vector>

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>

namespace chatnode::cli {

class feed {
 public:
  feed(const settings& config, console& out, viewer& who);

  // The first login of this run: until a messageId is seen, catch-up starts at its time.
  void logged_in(const json::object& login_response);
  // Connected and logged in again: fetch what was missed.
  void reconnected(session& s);
  // The connection ended: syncs in progress are dropped (catch-up resumes after the next
  // reconnect where it stopped; a listing is reported as interrupted).
  void connection_lost();
  // A history listing for the person (interactive `history`), after any sync queued before.
  void list_history(session& s, const history_filter& filter);

  // Offers a node message to the history syncs; true when one of them took it.
  bool consume(session& s, const json::object& message);
  // Prints a node message (human lines or one JSON line), once per messageId.
  void show(const json::object& message);
  // A messageId known to the person already (e.g. of a message they just sent).
  void mark_seen(const std::string& message_id);
  // Prints a line of the client's own (human mode only).
  void note(const std::string& line);
  // Holds what show() gets until release(): right after a login the client does not know
  // its own domain yet (the user typed a bare name), and names would be shown in full.
  void hold();
  void release();
  // True while holding for longer than `limit` (the caller then releases anyway).
  bool held_longer_than(std::chrono::milliseconds limit) const;

  bool syncing() const { return !queue_.empty(); }
  // Messages shown so far (node messages and caught-up ones).
  std::size_t shown() const { return shown_; }
  // Shows no more than `count` messages in all (listen --count).
  void limit(std::size_t count) { limit_ = count; }

 private:
  struct job {
    history_sync sync;
    bool catch_up = false;
    bool started = false;
  };
  void start_next(session& s);
  void finish(session& s, job& done);
  void show_catch_up_item(const json::object& item);
  void queue_catch_up(session& s);
  // True (and remembered) when the chat message with this id was not shown yet.
  bool first_sight(const std::string& message_id);

  const settings& config_;
  console& out_;
  viewer& who_;
  std::set<std::uint64_t> seen_;
  std::uint64_t last_seen_ = 0;
  std::optional<std::int64_t> baseline_time_;
  // Where an interrupted catch-up goes on from (the last item it showed).
  std::optional<std::uint64_t> resume_after_;
  std::size_t catch_up_shown_ = 0;
  std::size_t catch_up_items_ = 0;
  std::size_t shown_ = 0;
  std::optional<std::size_t> limit_;
  std::deque<job> queue_;
  unsigned next_id_ = 1;
  std::optional<std::chrono::steady_clock::time_point> held_since_;
  std::vector<json::object> held_;
};

}  // namespace chatnode::cli
