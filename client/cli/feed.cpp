// Showing the node's messages once each, and catching up after a reconnect.
#include "client/cli/feed.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <utility>

namespace chatnode::cli {

namespace {

// Catch-up asks for pages of this many messages, and stops (saying so) after max_catch_up.
constexpr std::int64_t catch_up_page = 500;
constexpr std::size_t max_catch_up = 10000;
// Message ids remembered for showing each message once (the oldest are forgotten first).
constexpr std::size_t max_seen_ids = 10000;
// Messages held while the own domain is not known yet; more are shown at once.
constexpr std::size_t max_held = 1000;

std::optional<std::uint64_t> parse_id(const std::string& text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool is_chat(const std::string& type) { return type == "TEXT_MESSAGE" || type == "MEDIA_MESSAGE"; }

}  // namespace

feed::feed(const settings& config, console& out, viewer& who) : config_(config), out_(out), who_(who) {}

void feed::logged_in(const json::object& login_response) {
  // Exclusive bound, so a message stored in the second of the login is included (and
  // shown once: the inbox may have shown it already).
  if (const auto t = int_field(login_response, "timestamp"); t && !baseline_time_) baseline_time_ = *t - 1;
}

void feed::reconnected(session& s) {
  if (s.logged_in()) queue_catch_up(s);
}

void feed::queue_catch_up(session& s) {
  for (const auto& j : queue_) {
    if (j.catch_up) return;  // one is queued already
  }
  history_filter filter;
  filter.limit = catch_up_page;
  const std::uint64_t after = resume_after_.value_or(last_seen_);
  if (after > 0) {
    filter.after = std::to_string(after);
  } else if (baseline_time_) {
    filter.after_time = *baseline_time_;
  }
  queue_.push_back({history_sync(s.user(), filter, "catchup-" + std::to_string(next_id_++)), true, false});
  if (queue_.size() == 1) start_next(s);
}

void feed::list_history(session& s, const history_filter& filter) {
  queue_.push_back({history_sync(s.acting_user(), filter, "history-" + std::to_string(next_id_++)), false, false});
  if (queue_.size() == 1) start_next(s);
}

void feed::start_next(session& s) {
  if (queue_.empty() || queue_.front().started) return;
  if (!s.send(queue_.front().sync.request())) return;  // offline: starts after the reconnect
  queue_.front().started = true;
}

void feed::connection_lost() {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (!it->catch_up && it->started) {
      out_.err("history listing interrupted by the lost connection; ask again");
      it = queue_.erase(it);
    } else {
      it->started = false;
      ++it;
    }
  }
  // A catch-up starts afresh (from where it got) after the reconnect.
  std::erase_if(queue_, [](const job& j) { return j.catch_up; });
}

bool feed::consume(session& s, const json::object& message) {
  if (queue_.empty() || !queue_.front().started) return false;
  job& current = queue_.front();
  std::vector<json::object> replies;
  std::vector<json::object> items;
  if (!current.sync.on_message(message, replies, items)) return false;
  for (const auto& reply : replies) s.send(reply);
  if (current.catch_up) {
    for (const auto& item : items) show_catch_up_item(item);
  } else if (config_.json) {
    out_.out(json::serialize(message));
  } else {
    for (const auto& item : items) {
      who_.learn_id(string_field(item, "receiver"));
      out_.out(chat_line(chat_item_of_history(item), who_, true));
    }
  }
  if (current.sync.finished()) finish(s, current);
  return true;
}

void feed::finish(session& s, job& done) {
  const bool catch_up = done.catch_up;
  const auto refusal = done.sync.refusal();
  const bool failed = done.sync.current() == history_sync::state::failed;
  const bool full_page = done.sync.item_count() == static_cast<std::size_t>(catch_up_page);
  if (!catch_up) {
    if (failed && refusal) out_.err("history failed: " + failure_text(*refusal));
    if (!failed && done.sync.item_count() == 0 && !config_.json) note("no messages match");
  }
  queue_.pop_front();
  if (catch_up) {
    if (failed && refusal) out_.err("catching up failed: " + failure_text(*refusal));
    if (!failed && full_page && catch_up_items_ < max_catch_up) {
      queue_catch_up(s);  // the next page, after the last item shown
      return;
    }
    if (!failed && full_page) out_.err("catch-up stopped after " + std::to_string(catch_up_items_) +
                                       " messages; use history --after " + std::to_string(last_seen_));
    if (catch_up_shown_ > 0) {
      out_.err("caught up: " + std::to_string(catch_up_shown_) + " message" + (catch_up_shown_ == 1 ? "" : "s") +
               " arrived while disconnected");
    }
    resume_after_.reset();
    catch_up_shown_ = 0;
    catch_up_items_ = 0;
  }
  start_next(s);
}

void feed::show_catch_up_item(const json::object& item) {
  ++catch_up_items_;
  who_.learn_id(string_field(item, "receiver"));
  const std::string id = string_field(item, "messageId");
  if (const auto n = parse_id(id)) resume_after_ = std::max(resume_after_.value_or(0), *n);
  json::object message;
  message["type"] = item.contains("mediaId") ? "MEDIA_MESSAGE" : "TEXT_MESSAGE";
  message["timestamp"] = int_field(item, "timestamp").value_or(0);
  message["catchUp"] = true;
  message["payload"] = item;
  if (!first_sight(id) || (limit_ && shown_ >= *limit_)) return;
  ++catch_up_shown_;
  ++shown_;
  if (config_.json) {
    out_.out(json::serialize(message));
  } else {
    // A missed media is shown without the fetch hint: the offer (if still waiting) says it.
    out_.out(chat_line(chat_item_of_message(message), who_, false));
  }
}

void feed::hold() {
  if (!held_since_) held_since_ = std::chrono::steady_clock::now();
}

void feed::release() {
  held_since_.reset();
  auto held = std::exchange(held_, {});
  for (const auto& message : held) show(message);
}

bool feed::held_longer_than(std::chrono::milliseconds limit) const {
  return held_since_ && std::chrono::steady_clock::now() - *held_since_ > limit;
}

void feed::show(const json::object& message) {
  who_.learn(message);
  if (held_since_) {
    held_.push_back(message);
    if (held_.size() >= max_held) release();
    return;
  }
  if (limit_ && shown_ >= *limit_) return;
  const std::string type = type_of(message);
  if (is_chat(type)) {
    const std::string id = string_field(payload_of(message), "messageId");
    if (!id.empty() && !first_sight(id)) return;
  }
  if (config_.json) {
    out_.out(json::serialize(message));
    ++shown_;
    return;
  }
  const auto lines = describe(message, who_);
  for (const auto& line : lines) out_.out(line);
  if (!lines.empty()) ++shown_;
}

void feed::mark_seen(const std::string& message_id) { first_sight(message_id); }

void feed::note(const std::string& line) {
  if (!config_.json) out_.out(line);
}

bool feed::first_sight(const std::string& message_id) {
  const auto n = parse_id(message_id);
  if (!n) return true;
  last_seen_ = std::max(last_seen_, *n);
  if (!seen_.insert(*n).second) return false;
  if (seen_.size() > max_seen_ids) seen_.erase(seen_.begin());
  return true;
}

}  // namespace chatnode::cli
