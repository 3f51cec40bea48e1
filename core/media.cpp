// Media: uploads, their publication, deliveries' end, and media between nodes.
#include "core/media.hpp"

#include "core/inbound.hpp"
#include "core/messaging.hpp"

#include "crypto/random.hpp"
#include "protocol/federation.hpp"
#include "protocol/ids.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <map>
#include <variant>

namespace chatnode::core {
namespace p = chatnode::protocol;
namespace json = boost::json;

bool valid_media_id(std::string_view id) { return p::is_media_id_syntax(id); }

namespace {

frame_ptr offer_frame(const std::string& media_id, const store::media_record& m, const std::string& recipient,
                      std::int64_t now) {
  p::media_message offer{m.sender, m.receiver.front() == '#' ? m.receiver : recipient, media_id, m.media_type, m.size,
                         m.sha256, m.total_chunks, std::to_string(m.message_id), std::nullopt, std::nullopt};
  if (!m.group_name.empty()) {
    offer.group_id = m.receiver;
    offer.group = m.group_name;
  }
  return std::make_shared<const std::string>(p::encode(p::envelope{std::move(offer), now, std::nullopt}));
}

}  // namespace

// ---- upload: the client sends, the node receives ------------------------------------

void media_message(context& c, const actor& a, const p::media_message& req, const std::optional<std::string>& id) {
  const std::string& me = a.user;
  if (!valid_media_id(req.media_id))
    return c.reply_error(a, p::code::invalid_field, "payload.mediaId: 1-128 characters of [A-Za-z0-9._~-]", "MEDIA_MESSAGE", id);
  if (req.media_size == 0)
    return c.reply_error(a, p::code::invalid_field, "payload.mediaSize: must be at least 1", "MEDIA_MESSAGE", id);
  // `receiver` is the node's full id for what the upload is addressed to once it is known,
  // else the request's text (§6: full ids out).
  auto ack = [&](const std::string& receiver, p::code code, std::optional<std::vector<std::uint32_t>> have) {
    c.reply(a, c.frame(p::media_message_ack{receiver, me, req.media_id, p::to_int(code), std::move(have)}, id));
  };
  if (req.media_size > c.cfg.media_max_bytes) return ack(req.receiver, p::code::media_too_large, std::nullopt);
  if (auto existing = store::load_media(c.t, req.media_id)) {
    if (existing->sender != me) return ack(req.receiver, p::code::media_id_taken, std::nullopt);
    if (existing->complete) return ack(existing->receiver, p::code::media_already_complete, std::nullopt);
    // A resumed upload: say which chunks are already here.
    return ack(existing->receiver, p::code::ok, store::stored_chunks(c.t, req.media_id, existing->total_chunks));
  }
  auto to = resolve_target(c, me, req.receiver);
  if (to.error != p::code::ok) return ack(req.receiver, to.error, std::nullopt);
  unsigned unfinished = 0;
  std::uint64_t stored = 0;
  for (const auto& media_id : store::uploads_of(c.t, me)) {
    if (auto m = store::load_media(c.t, media_id)) {
      stored += m->size;
      if (!m->complete) ++unfinished;
    }
  }
  if (unfinished >= c.cfg.media_max_concurrent_uploads) return ack(to.receiver, p::code::media_too_many_uploads, std::nullopt);
  if (stored + req.media_size > c.cfg.media_quota_bytes) return ack(to.receiver, p::code::media_quota_exceeded, std::nullopt);
  store::media_record m;
  m.sender = me;
  m.receiver = to.receiver;
  m.group_name = to.group_name;
  m.media_type = req.media_type;
  m.size = req.media_size;
  m.created = c.now;
  store::save_media(c.t, req.media_id, m);
  store::add_upload(c.t, me, req.media_id);
  ack(to.receiver, p::code::ok, std::vector<std::uint32_t>{});
}

chunk_outcome store_chunk(context& c, const std::string& me, const std::string& media_id, std::uint32_t index,
                          std::uint32_t total, std::string_view bytes) {
  chunk_outcome out;
  auto m = store::load_media(c.t, media_id);
  if (!m || m->sender != me) {
    out.code = p::code::media_unknown;
    return out;
  }
  out.receiver = m->receiver;
  if (m->complete) return out;  // a late duplicate of a finished upload
  if (m->total_chunks == 0) {
    if (static_cast<std::uint64_t>(total) * c.cfg.media_max_chunk_bytes < m->size || total > m->size) {
      out.code = p::code::media_bad_chunk_index;
      return out;
    }
    m->total_chunks = total;
  } else if (m->total_chunks != total) {
    out.code = p::code::media_bad_chunk_index;
    return out;
  }
  if (store::load_chunk(c.t, media_id, index)) return out;  // a duplicate: acked again, stored once
  if (m->bytes + bytes.size() > m->size) {
    out.code = p::code::media_size_mismatch;
    return out;
  }
  store::store_chunk(c.t, media_id, index, bytes);
  m->bytes += bytes.size();
  ++m->chunks;
  out.stored = true;
  c.fx.tally.add(message_kind::media_chunk);
  store::save_media(c.t, media_id, *m);
  out.last = m->chunks == m->total_chunks;
  out.mismatch = out.last && m->bytes != m->size;
  return out;
}

void complete_upload(context& c, const std::string& media_id, const std::string& sha) {
  auto m = store::load_media(c.t, media_id);
  if (!m || m->complete) return;
  m->sha256 = sha;
  // Recipients are fixed now: the friend, or the group's members of this moment. A group
  // homed on another node: its home fans the media out (as for group texts).
  std::vector<std::string> recipients;
  bool forward_home = false;
  if (m->group_name.empty()) {
    recipients.push_back(m->receiver);
  } else if (!c.is_local(m->receiver)) {
    forward_home = true;
  } else if (auto g = store::load_group(c.t, m->receiver)) {
    for (const auto& member : g->members)
      if (member != m->sender) recipients.push_back(member);
  }
  if (auto up = c.online.find(m->sender))
    c.send(up, c.frame(p::media_message_complete{m->receiver, m->sender, media_id, 0}));
  publish_media(c, media_id, *m, recipients, forward_home, c.now);
}

void publish_media(context& c, const std::string& media_id, store::media_record& m,
                   const std::vector<std::string>& recipients, bool forward_home, std::int64_t timestamp) {
  store::txn& t = c.t;
  m.complete = true;
  m.message_id = store::next_counter(t, "next_message_id");
  m.recipients.clear();
  std::vector<std::string> local;
  std::map<std::string, std::vector<std::string>> remote;  // domain -> its users among the recipients
  for (const auto& r : recipients) {
    if (r == m.sender) continue;
    if (c.is_local(r)) {
      // A recipient who blocks the sender gets no offer (docs/protocol.md §15); a deleted
      // account gets nothing either.
      const auto uid = p::parse_user_id(r, c.cfg.domain);
      if (!uid || !store::local_user_exists(t, uid->name) || store::blocks(t, r, m.sender)) continue;
      if (std::find(local.begin(), local.end(), r) == local.end()) local.push_back(r);
    } else {
      remote[r.substr(r.rfind('@') + 1)].push_back(r);
    }
  }
  if (forward_home) remote[m.receiver.substr(m.receiver.rfind('@') + 1)];  // no users: the home decides
  // Only this node's users have a history here; the other nodes keep theirs.
  store::stored_message msg{timestamp, m.sender, m.receiver, {}, {}, {}, media_id, m.media_type, m.size};
  if (!m.group_name.empty()) {
    msg.group_id = m.receiver;
    msg.group_name = m.group_name;
  }
  std::vector<std::string_view> owners;
  if (c.is_local(m.sender)) owners.push_back(m.sender);
  for (const auto& r : local) owners.push_back(r);
  store::store_message(t, m.message_id, msg, owners);
  for (const auto& r : local) {
    store::add_delivery(t, r, media_id);
    m.recipients.push_back(r);
  }
  // Another node counts as one recipient ("@domain"): it fetches the bytes once for all its
  // users and says when it has them (event "media_done").
  for (const auto& [domain, users] : remote) {
    const std::string node = "@" + domain;
    store::add_delivery(t, node, media_id);
    m.recipients.push_back(node);
    p::fed::media_announce a{media_id, m.sender, m.receiver, std::nullopt, m.media_type, m.size,
                             m.total_chunks, m.sha256, timestamp, {users.begin(), users.end()}};
    if (!m.group_name.empty()) a.group = m.group_name;
    c.append_event(domain, p::fed::media_event(a));
  }
  m.pending = static_cast<std::uint32_t>(m.recipients.size());
  if (m.pending == 0) {
    store::purge_media(t, media_id, m);
  } else {
    store::save_media(t, media_id, m);
  }
  for (const auto& r : local)
    if (auto to = c.online.find_live(r)) c.send(to, offer_frame(media_id, m, r, c.now));
}


// ---- delivery: the node sends, the recipient receives -------------------------------

std::vector<frame_ptr> media_offers(const store::txn& t, const std::string& user, std::int64_t now) {
  std::vector<frame_ptr> offers;
  for (const auto& media_id : store::deliveries_of(t, user)) {
    if (auto m = store::load_media(t, media_id); m && m->complete) offers.push_back(offer_frame(media_id, *m, user, now));
  }
  return offers;
}

void finish_delivery(context& c, const actor& a, const std::string& media_id, const std::string& uploader,
                     bool acknowledge, const std::optional<std::string>& id) {
  if (store::remove_delivery(c.t, a.user, media_id)) store::release_media(c.t, media_id);
  if (acknowledge) c.reply(a, c.frame(p::media_message_complete_ack{uploader, a.user, media_id, 0}, id));
}

// ---- between nodes ------------------------------------------------------------------

namespace {

// This node's id for media `origin_id` of another node: the same when free, else a fresh one
// (media ids are chosen by uploaders, so two nodes may use the same).
std::string local_media_id(const store::txn& t, const std::string& origin_id) {
  std::string id = origin_id;
  while (store::load_media(t, id) || store::fetch_exists(t, id))
    id = origin_id.substr(0, 100) + "~" + crypto::random_id(8);
  return id;
}

// A "media" event from another node, its ids resolved: the sender as a user id of the
// origin's naming, `to` as full ids of this node's users.
struct media_announce {
  p::fed::media_announce event;
  p::user_id sender;
};


// The announce with its ids read (the sender against the origin, `to` against this node),
// or the refusal (9003) of ids that are not.
std::variant<media_announce, remote_result> check_media_announce(p::fed::media_announce event, const std::string& origin,
                                                                 const std::string& domain) {
  auto sender = p::parse_user_id(event.sender, origin);
  if (!sender) return remote_result{9003, "media.sender: not a user id"};
  for (auto& u : event.to) {
    auto uid = p::parse_user_id(u, domain);
    if (!uid || uid->domain != domain) return remote_result{9003, "media.to: users of " + domain + " only"};
    u = uid->full();
  }
  return media_announce{std::move(event), std::move(*sender)};
}

// Why a group media announce is not taken: refused outright (`decline` ok), or declined
// with `decline` (the origin is told with "media_done"); `refused.reason` says why.
struct media_refusal {
  remote_result refused;
  protocol::code decline = protocol::code::ok;
};

// For a media announce to a group: fills in m.receiver, m.group_name and f's recipients or
// home flag; nullopt when the origin may announce it.
std::optional<media_refusal> group_media_target(const context& c, const std::string& origin,
                                                media_announce& a, store::media_record& m, store::fetch_record& f) {
  const store::txn& t = c.t;
  auto refuse_with = [](int code, std::string why) { return media_refusal{{code, std::move(why)}}; };
  auto decline = [](p::code code, std::string why) { return media_refusal{{0, std::move(why)}, code}; };
  const std::string sender = a.sender.full();
  const std::string& group_id = a.event.receiver;
  m.receiver = group_id;
  if (domain_of(group_id) == origin) {
    // The home's fan-out of a member's media.
    if (a.event.to.empty()) return refuse_with(9003, "media.to: the users it is for here");
    // Even the home only speaks for members, to members: this node checks its own copy.
    if (auto problem = group_fanout_problem(c, group_id, sender, a.event.to); !problem.empty())
      return refuse_with(p::to_int(p::code::text_not_group_member), "media: " + problem);
    std::erase_if(a.event.to, [&](const std::string& u) { return !store::local_user_exists(t, p::parse_user_id(u, c.cfg.domain)->name); });
    if (a.event.to.empty()) return decline(p::code::text_unknown_receiver, "none of its users exist here");
    if (a.event.group) m.group_name = *a.event.group;
    if (auto g = store::load_group(t, group_id); g && m.group_name.empty()) m.group_name = g->name;
    f.to = std::move(a.event.to);
  } else if (c.is_local(group_id)) {
    // A member's media to the group this node homes: it fans it out once the bytes are in.
    if (a.sender.domain != origin) return refuse_with(9005, "media: " + origin + " does not speak for " + sender);
    auto g = store::load_group(t, group_id);
    if (!g) return decline(p::code::text_unknown_receiver, "no group " + group_id);
    if (!g->is_member(sender)) return decline(p::code::text_not_group_member, sender + " is not a member of " + group_id);
    m.group_name = g->name;
    f.home = true;
  } else {
    return refuse_with(9005, "media: " + origin + " does not home " + group_id);
  }
  if (m.group_name.empty()) m.group_name = group_id;
  return std::nullopt;
}

remote_result apply_media_done(context& c, const std::string& origin, const std::string& origin_id, std::int64_t code) {
  store::txn& t = c.t;
  // Only the node itself can say it is done with what it was announced.
  if (!store::remove_delivery(t, "@" + origin, origin_id)) {
    c.fx.notes.push_back(origin + " is done with media " + origin_id + ", which it was not waiting for");
    return {};
  }
  if (code != 0) c.fx.notes.push_back(origin + " gave up on media " + origin_id + " (code " + std::to_string(code) + ")");
  store::release_media(t, origin_id);
  return {};
}

remote_result apply_media_announce(context& c, const std::string& origin, media_announce& a) {
  store::txn& t = c.t;
  // A business refusal is no authority problem: the origin learns it as "media_done" with
  // the code, so it stops waiting for this node.
  auto decline = [&](p::code code, const std::string& why) {
    c.fx.notes.push_back("media " + a.event.media_id + " of " + origin + " not fetched: " + why);
    c.append_event(origin, p::fed::media_done_event(a.event.media_id, p::to_int(code)));
    return remote_result{};
  };
  const std::string sender = a.sender.full();
  store::fetch_record f{origin, a.event.media_id, a.event.sha256, {}, false, a.event.timestamp ? c.peer_time(*a.event.timestamp) : c.now, 0};
  store::media_record m;
  m.sender = sender;
  m.media_type = a.event.media_type;
  m.size = a.event.size;
  m.total_chunks = a.event.total_chunks;
  m.created = c.now;

  // The authority rule: the origin speaks for the sender (1:1, or a group request to its
  // home here), or homes the group (its fan-out of a member's media).
  if (!a.event.receiver.empty() && a.event.receiver.front() == '#') {
    if (auto r = group_media_target(c, origin, a, m, f))
      return r->decline == p::code::ok ? r->refused : decline(r->decline, r->refused.reason);
  } else {
    if (a.sender.domain != origin) return {9005, "media: " + origin + " does not speak for " + sender};
    auto uid = p::parse_user_id(a.event.receiver, c.cfg.domain);
    if (!uid || uid->domain != c.cfg.domain) return {9003, "media.receiver: not a user of " + c.cfg.domain};
    m.receiver = uid->full();
    if (a.event.to.size() != 1 || a.event.to.front() != m.receiver) return {9003, "media.to: must be the receiver"};
    if (!store::local_user_exists(t, uid->name)) return decline(p::code::text_unknown_receiver, "no user " + m.receiver);
    if (!store::are_friends(t, m.receiver, sender)) return decline(p::code::text_not_friends, sender + " is not a friend of " + m.receiver);
    f.to = std::move(a.event.to);
  }
  if (m.size > c.cfg.media_max_bytes) return decline(p::code::media_too_large, "larger than media.max_bytes");

  const std::string local_id = local_media_id(t, a.event.media_id);
  store::save_media(t, local_id, m);
  store::save_fetch(t, local_id, f);
  // The relay's poke for the origin also starts this fetch (media_fetch::poke).
  c.fx.pokes.insert(origin);
  return {};
}

}  // namespace

remote_result apply_media_event(context& c, const std::string& origin, const p::fed::media_done& e) {
  return apply_media_done(c, origin, e.media_id, e.code);
}

remote_result apply_media_event(context& c, const std::string& origin, p::fed::media_announce& e) {
  auto parsed = check_media_announce(std::move(e), origin, c.cfg.domain);
  if (auto* refused = std::get_if<remote_result>(&parsed)) return *refused;
  return apply_media_announce(c, origin, std::get<media_announce>(parsed));
}

fetch_outcome settle_fetch(context& c, const std::string& media_id, const std::string& sha, std::uint32_t max_attempts) {
  store::txn& t = c.t;
  auto m = store::load_media(t, media_id);
  auto f = store::load_fetch(t, media_id);
  if (!m || m->complete || !f) return fetch_outcome::gone;
  if (!sha.empty() && sha == f->sha256) {
    std::vector<std::string> recipients;
    if (f->home) {
      // This node homes the group: its members of this moment, on every node.
      if (auto g = store::load_group(t, m->receiver))
        for (const auto& member : g->members)
          if (member != m->sender) recipients.push_back(member);
    } else {
      recipients = f->to;
    }
    m->sha256 = sha;
    // "media_done" first: the origin lets go of its copy before it reads a group home's
    // announce of the same media back (so the id is free there again).
    c.append_event(f->origin, p::fed::media_done_event(f->origin_id, 0));
    store::drop_fetch(t, media_id);
    publish_media(c, media_id, *m, recipients, false, f->timestamp);
    return fetch_outcome::published;
  }
  // The bytes are not what was announced: drop them and fetch again, a few times.
  store::drop_chunks(t, media_id, m->total_chunks);
  m->bytes = 0;
  m->chunks = 0;
  if (++f->attempts >= max_attempts) {
    store::purge_media(t, media_id, *m);
    store::drop_fetch(t, media_id);
    c.append_event(f->origin, p::fed::media_done_event(f->origin_id, p::to_int(p::code::media_size_mismatch)));
    return fetch_outcome::failed;
  }
  store::save_media(t, media_id, *m);
  store::save_fetch(t, media_id, *f);
  return fetch_outcome::refetch;
}

}  // namespace chatnode::core
