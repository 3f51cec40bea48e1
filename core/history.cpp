// Message history: the request's scan and its pages.
#include "core/history.hpp"

#include "protocol/ids.hpp"

#include <charconv>
#include <system_error>

namespace chatnode::core {
namespace p = chatnode::protocol;

bool history_scan::matches(const store::stored_message& m) const {
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
bool seek_first_match(const store::txn& t, history_scan& h) {
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
std::uint64_t seek_latest(const store::txn& t, history_scan& h, std::uint64_t limit) {
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

// The request's limit and bounds into `h` (`empty_range`: they leave nothing); what is wrong
// with them (for ERROR 9003) otherwise.
std::optional<std::string> read_bounds(const p::message_history_request& req, history_scan& h, bool& empty_range) {
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
                        history_scan& h) {
  if (auto gid = p::parse_group_id(with)) {
    h.kind = history_scan::with_kind::group;
    h.with = gid->full();
    return with_found::yes;
  }
  auto peer = p::parse_user_id(with, domain);
  const bool bare = with.find('@') == std::string::npos;
  if (peer && (!bare || store::local_user_exists(t, peer->name))) {
    h.kind = history_scan::with_kind::peer;
    h.with = peer->full();
    return with_found::yes;
  }
  std::vector<std::string> named;
  for (auto& [group_id, group] : store::groups_of(t, me, store::group_role::member))
    if (group.name == with) named.push_back(group_id);
  if (named.size() > 1) return with_found::ambiguous;
  if (named.size() == 1) {
    h.kind = history_scan::with_kind::group;
    h.with = std::move(named.front());
    return with_found::yes;
  }
  if (!peer) return with_found::no;
  h.kind = history_scan::with_kind::peer;  // an unknown user: nothing matches
  h.with = peer->full();
  return with_found::yes;
}

}  // namespace

history_start start_history(const store::txn& t, const std::string& me, const p::message_history_request& req,
                            const std::string& domain, history_scan& scan) {
  scan = history_scan{};
  scan.owner = me;
  bool empty_range = false;
  if (auto problem = read_bounds(req, scan, empty_range)) return {p::code::invalid_field, std::move(*problem)};
  if (req.with) {
    switch (resolve_with(t, me, *req.with, domain, scan)) {
      case with_found::yes:
        break;
      case with_found::ambiguous:
        return {p::code::ambiguous_group, "payload.with: several of your groups are named \"" + *req.with + "\"; use the groupId"};
      case with_found::no:
        return {p::code::history_none, {}};
    }
  }
  // Fix the end at the request, so messages stored during the sync do not extend it.
  auto last = empty_range ? std::nullopt : last_history_id(t, me, scan.last_id);
  if (!last || *last < scan.next_id) return {p::code::history_none, {}};
  scan.last_id = *last;
  std::uint64_t count = 0;
  if (req.limit && !req.after) {
    count = seek_latest(t, scan, *req.limit);
    scan.remaining = count;
  } else {
    count = seek_first_match(t, scan) ? 1 : 0;
  }
  if (count == 0) return {p::code::history_none, {}};
  return {};
}

std::vector<p::history_item> next_history_page(const store::txn& t, history_scan& h, std::vector<std::uint64_t>& unreadable) {
  std::vector<p::history_item> items;
  if (h.exhausted) return items;
  std::size_t bytes = 0;
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
      unreadable.push_back(id);
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

}  // namespace chatnode::core
