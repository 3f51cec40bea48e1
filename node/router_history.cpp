// Message-history sync (docs/protocol.md §12): RESPONSE and BEGIN, then one DATA per ack,
// then COMPLETE. Between steps a session keeps only where its scan stands and the filters,
// never messages, so a history of millions costs no memory; each step is one read txn.
#include "router.hpp"

#include "log.hpp"
#include "store/tables.hpp"

#include "protocol/ids.hpp"
#include "store/keys.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace chatnode::node {
namespace p = chatnode::protocol;

namespace {

// At most this many messages in one DATA (the seed's page size).
constexpr std::size_t history_chunk_messages = 100;
// A DATA also ends once its contents reach this many bytes (100 texts of the largest size
// would make a frame of several MiB); it always holds at least one message.
constexpr std::size_t history_chunk_content_bytes = 512 * 1024;
// `limit` must be in 1..history_max_limit.
constexpr std::uint32_t history_max_limit = 100000;
constexpr std::uint64_t no_limit = std::numeric_limits<std::uint64_t>::max();

}  // namespace

// A sync in progress on one session (session_state::history). Ids are message ids in the
// owner's history index; [next_id, last_id] is what is left to scan.
struct history_sync {
  enum class phase { begin_ack, data_ack, complete_ack };
  enum class with_kind { anyone, peer, group };

  std::string owner;  // full user id
  with_kind kind = with_kind::anyone;
  std::string with;   // the peer's full user id, or the group id
  std::optional<std::int64_t> after_time;   // exclusive, seconds
  std::optional<std::int64_t> before_time;  // exclusive, seconds
  std::uint64_t next_id = 0;   // the first id not examined yet
  std::uint64_t last_id = 0;   // inclusive: nothing after it is sent (fixed at the request)
  std::uint64_t remaining = no_limit;
  std::uint32_t chunk = 0;     // chunkIndex of the last DATA sent
  phase expecting = phase::begin_ack;
  bool exhausted = false;      // nothing is left after the last DATA

  bool matches(const store::stored_message& m) const {
    if (after_time && m.timestamp <= *after_time) return false;
    if (before_time && m.timestamp >= *before_time) return false;
    switch (kind) {
      case with_kind::anyone:
        return true;
      case with_kind::peer:
        return m.group_id.empty() && ((m.sender == owner && m.receiver == with) ||
                                      (m.sender == with && m.receiver == owner));
      case with_kind::group:
        return m.group_id == with;
    }
    return false;
  }
};

namespace {

// The highest id in `owner`'s history that is <= `at_most`.
std::optional<std::uint64_t> last_history_id(const store::txn& t, std::string_view owner, std::uint64_t at_most) {
  std::optional<std::uint64_t> found;
  store::history_down(t, owner, at_most, [&](std::uint64_t id) {
    found = id;
    return false;
  });
  return found;
}

std::optional<std::uint64_t> parse_message_id(std::string_view s) {
  std::uint64_t v = 0;
  const auto* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return v;
}

p::history_item to_item(std::uint64_t id, store::stored_message&& m) {
  p::history_item item{
      .timestamp = m.timestamp,
      .sender = std::move(m.sender),
      .receiver = std::move(m.receiver),
      .content = std::move(m.content),
      .message_id = std::to_string(id),
  };
  if (!m.group_id.empty()) {
    item.group_id = std::move(m.group_id);
    item.group = std::move(m.group_name);
  }
  if (!m.media_id.empty()) {
    item.media_id = std::move(m.media_id);
    item.media_type = std::move(m.media_type);
    item.media_size = m.media_size;
  }
  return item;
}

// Moves the scan to the first match at or after next_id; false when there is none.
bool seek_first_match(const store::txn& t, history_sync& h) {
  bool found = false;
  store::history_up(t, h.owner, h.next_id, [&](std::uint64_t id) {
    if (id > h.last_id) return false;
    auto m = store::load_message(t, id);
    if (!m || !h.matches(*m)) return true;
    h.next_id = id;
    found = true;
    return false;
  });
  return found;
}

// For "the latest `limit`": walks back from last_id counting matches and moves next_id to
// the earliest of them. Returns how many there are (at most `limit`).
std::uint64_t seek_latest(const store::txn& t, history_sync& h, std::uint64_t limit) {
  const std::uint64_t first_id = h.next_id;
  std::uint64_t found = 0;
  store::history_down(t, h.owner, h.last_id, [&](std::uint64_t id) {
    if (found >= limit || id < first_id) return false;
    auto m = store::load_message(t, id);
    if (m && h.matches(*m)) {
      ++found;
      h.next_id = id;
    }
    return true;
  });
  return found;
}

// The next DATA's messages (empty: nothing is left); advances the scan. Throws store_error.
std::vector<p::history_item> next_chunk(const store::database& db, history_sync& h) {
  std::vector<p::history_item> items;
  if (h.exhausted) return items;
  std::size_t bytes = 0;
  auto t = db.begin_read();
  bool full = false;
  store::history_up(t, h.owner, h.next_id, [&](std::uint64_t id) {
    if (id > h.last_id) return false;
    if (id == h.last_id) {
      h.exhausted = true;  // (and next_id + 1 could wrap)
    } else {
      h.next_id = id + 1;
    }
    auto m = store::load_message(t, id);
    if (!m) {
      log(log_level::warn, "router", "history of ", h.owner, ": message ", id, " is missing or unreadable");
    } else if (h.matches(*m)) {
      bytes += m->content.size();
      items.push_back(to_item(id, std::move(*m)));
      if (--h.remaining == 0) h.exhausted = true;
    }
    full = h.exhausted || items.size() == history_chunk_messages || bytes >= history_chunk_content_bytes;
    return !full;
  });
  if (!full) h.exhausted = true;  // the end of the index or of the range
  return items;
}

// The request's limit and bounds into `h` (`empty_range`: they leave nothing); what is wrong
// with them (for ERROR 9003) otherwise.
std::optional<std::string> read_bounds(const p::message_history_request& req, history_sync& h, bool& empty_range) {
  if (req.limit) {
    if (*req.limit < 1 || *req.limit > history_max_limit)
      return "payload.limit: must be 1 to " + std::to_string(history_max_limit);
    h.remaining = *req.limit;
  }
  if (req.after) {
    if (const auto* text = std::get_if<std::string>(&*req.after)) {
      auto after_id = parse_message_id(*text);
      if (!after_id) return "payload.after: not a message id";
      if (*after_id == std::numeric_limits<std::uint64_t>::max()) empty_range = true;
      else h.next_id = *after_id + 1;
    } else {
      h.after_time = std::get<std::int64_t>(*req.after);
    }
  }
  if (req.before) {
    if (const auto* text = std::get_if<std::string>(&*req.before)) {
      auto before_id = parse_message_id(*text);
      if (!before_id) return "payload.before: not a message id";
      if (*before_id == 0) empty_range = true;
      else h.last_id = *before_id - 1;
    } else {
      h.before_time = std::get<std::int64_t>(*req.before);
    }
  }
  return std::nullopt;
}

enum class with_found { yes, ambiguous, no };
// Whom `with` names, into `h`: a group id; else a user id (a bare name is a user when such a
// local user exists); else the name of one of `me`'s groups.
with_found resolve_with(const store::txn& t, const std::string& me, const std::string& with, const std::string& domain,
                        history_sync& h) {
  if (auto gid = p::parse_group_id(with)) {
    h.kind = history_sync::with_kind::group;
    h.with = gid->full();
    return with_found::yes;
  }
  auto peer = p::parse_user_id(with, domain);
  const bool bare = with.find('@') == std::string::npos;
  if (peer && (!bare || store::local_user_exists(t, peer->name))) {
    h.kind = history_sync::with_kind::peer;
    h.with = peer->full();
    return with_found::yes;
  }
  std::vector<std::string> named;
  for (auto& [group_id, group] : store::groups_of(t, me, store::group_role::member))
    if (group.name == with) named.push_back(group_id);
  if (named.size() > 1) return with_found::ambiguous;
  if (named.size() == 1) {
    h.kind = history_sync::with_kind::group;
    h.with = std::move(named.front());
    return with_found::yes;
  }
  if (!peer) return with_found::no;
  h.kind = history_sync::with_kind::peer;  // an unknown user: nothing matches
  h.with = peer->full();
  return with_found::yes;
}

}  // namespace

void router::handle_history_request(const std::shared_ptr<client_session>& s, p::message_history_request& req,
                                    const std::optional<std::string>& id) {
  static constexpr std::string_view request_type = "MESSAGE_HISTORY_REQUEST";
  session_state& st = s->state();
  st.history.reset();  // a new request cancels a sync in progress
  const std::string me = st.user->full();

  auto h = std::make_shared<history_sync>();
  h->owner = me;
  h->last_id = std::numeric_limits<std::uint64_t>::max();
  bool empty_range = false;

  if (auto problem = read_bounds(req, *h, empty_range)) {
    send_error(s, p::code::invalid_field, std::move(*problem), std::string(request_type), id);
    return;
  }

  auto no_history = [&] {
    s->send(make_frame(p::message_history_response{.username = me, .code = p::to_int(p::code::history_none)}, id));
  };

  std::uint64_t count = 0;
  try {
    auto t = db_.begin_read();
    if (req.with) {
      switch (resolve_with(t, me, *req.with, cfg().domain, *h)) {
        case with_found::yes:
          break;
        case with_found::ambiguous:
          send_error(s, p::code::ambiguous_group,
                     "payload.with: several of your groups are named \"" + *req.with + "\"; use the groupId",
                     std::string(request_type), id);
          return;
        case with_found::no:
          no_history();
          return;
      }
    }
    // Fix the end at the request, so messages stored during the sync do not extend it.
    auto last = empty_range ? std::nullopt : last_history_id(t, me, h->last_id);
    if (!last || *last < h->next_id) {
      no_history();
      return;
    }
    h->last_id = *last;
    if (req.limit && !req.after) {
      count = seek_latest(t, *h, *req.limit);
      h->remaining = count;
    } else {
      count = seek_first_match(t, *h) ? 1 : 0;
    }
  } catch (const std::exception& e) {
    log(log_level::error, "router", "history request of ", me, ": ", e.what());
    send_error(s, p::code::server_error, "could not read the history", std::string(request_type), id);
    return;
  }
  if (count == 0) {
    no_history();
    return;
  }
  s->send(make_frame(p::message_history_response{.username = me, .code = 0}, id));
  s->send(make_frame(p::message_history_begin{.username = me, .code = 0}, id));
  h->expecting = history_sync::phase::begin_ack;
  st.history = std::move(h);
}

void router::handle_history_ack(const std::shared_ptr<client_session>& s, const p::payload& body,
                                const std::optional<std::string>& id) {
  using phase = history_sync::phase;
  session_state& st = s->state();
  const p::message_type type = p::type_of(body);
  const std::string type_name(p::to_string(type));
  history_sync* h = st.history.get();
  if (!h) {
    send_error(s, p::code::invalid_field, "no message history sync is running", type_name, id);
    return;
  }

  phase expected = phase::complete_ack;
  if (type == p::message_type::message_history_begin_ack) expected = phase::begin_ack;
  else if (type == p::message_type::message_history_data_ack) expected = phase::data_ack;
  if (h->expecting != expected) {
    static constexpr std::string_view awaited[] = {"MESSAGE_HISTORY_BEGIN_ACK", "MESSAGE_HISTORY_DATA_ACK",
                                                   "MESSAGE_HISTORY_COMPLETE_ACK"};
    send_error(s, p::code::invalid_field,
               "the history sync expects " + std::string(awaited[static_cast<int>(h->expecting)]) + " now",
               type_name, id);
    return;
  }
  if (expected == phase::data_ack) {
    const auto& ack = std::get<p::message_history_data_ack>(body);
    if (ack.chunk_index != h->chunk) {
      send_error(s, p::code::invalid_field,
                 "payload.chunkIndex: " + std::to_string(ack.chunk_index) + " is not the last DATA's (" +
                     std::to_string(h->chunk) + ")",
                 type_name, id);
      return;
    }
  }
  if (expected == phase::complete_ack) {
    st.history.reset();
    return;
  }

  std::vector<p::history_item> items;
  try {
    items = next_chunk(db_, *h);
  } catch (const std::exception& e) {
    log(log_level::error, "router", "history of ", h->owner, ": ", e.what());
    st.history.reset();
    send_error(s, p::code::server_error, "could not read the history", type_name, id);
    return;
  }
  if (items.empty()) {
    h->expecting = phase::complete_ack;
    s->send(make_frame(p::message_history_complete{.username = h->owner, .code = 0}, id));
    return;
  }
  h->expecting = phase::data_ack;
  ++h->chunk;
  s->send(make_frame(
      p::message_history_data{.username = h->owner, .messages = std::move(items), .chunk_index = h->chunk}, id));
}

}  // namespace chatnode::node
