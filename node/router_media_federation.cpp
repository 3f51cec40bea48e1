// Media between nodes (docs/federation.md "Media between nodes"), the router's side: the "media" event
// (a node announces media whose bytes this node fetches: checked against the authority
// rule, recorded in media_fetches) and "media_done" (a node announced to has the bytes, so
// it stops counting as a recipient here), and the end of a fetch: hash check, then the
// media is published to this node's users exactly as a local upload is.
#include "router.hpp"

#include "log.hpp"
#include "media_fetch.hpp"
#include "store/tables.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"
#include "protocol/federation.hpp"
#include "protocol/ids.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <variant>

namespace chatnode::node {
namespace p = chatnode::protocol;
namespace json = boost::json;

namespace {

std::string domain_part(std::string_view id) {
  const auto at = id.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(id.substr(at + 1));
}

// This node's id for media `origin_id` of another node: the same when free, else a fresh one
// (media ids are chosen by uploaders, so two nodes may use the same).
std::string local_media_id(const store::txn& t, const std::string& origin_id) {
  std::string id = origin_id;
  while (store::load_media(t, id) || store::fetch_exists(t, id))
    id = origin_id.substr(0, 100) + "~" + crypto::random_id(8);
  return id;
}

}  // namespace

// A "media" event from another node, its ids resolved: the sender as a user id of the
// origin's naming, `to` as full ids of this node's users.
struct media_announce {
  p::fed::media_announce event;
  p::user_id sender;
};

namespace {


using p::fed::string_field;

// The announce, or the refusal (9003) of a malformed one.
std::variant<media_announce, remote_result> parse_media_announce(const json::object& ev, const std::string& origin,
                                                                 const std::string& domain) {
  auto event = p::fed::parse_media_event(ev);
  if (!event) return remote_result{9003, "media: needs sender, receiver, mediaType, mediaSize, totalChunks, sha256 and to[]"};
  auto sender = p::parse_user_id(event->sender, origin);
  if (!sender) return remote_result{9003, "media.sender: not a user id"};
  for (auto& u : event->to) {
    auto uid = p::parse_user_id(u, domain);
    if (!uid || uid->domain != domain) return remote_result{9003, "media.to: users of " + domain + " only"};
    u = uid->full();
  }
  return media_announce{std::move(*event), std::move(*sender)};
}

}  // namespace

remote_result router::apply_media_event(store::txn& t, effects& fx, const std::string& origin, const json::object& ev) {
  const auto* media_id = string_field(ev, "mediaId");
  if (!media_id || !valid_media_id(*media_id)) return {9003, "media: needs a valid mediaId"};
  if (ev.at("kind") == "media_done") {
    const auto* code = ev.if_contains("code");
    return apply_media_done(t, origin, std::string(*media_id), code && code->is_int64() ? code->as_int64() : 0);
  }
  auto parsed = parse_media_announce(ev, origin, cfg().domain);
  if (auto* refused = std::get_if<remote_result>(&parsed)) return *refused;
  return apply_media_announce(t, fx, origin, std::get<media_announce>(parsed));
}

remote_result router::apply_media_done(store::txn& t, const std::string& origin, const std::string& origin_id,
                                       std::int64_t code) {
  // Only the node itself can say it is done with what it was announced.
  if (!store::remove_delivery(t, "@" + origin, origin_id)) {
    log(log_level::info, "federation", origin, " is done with media ", origin_id, ", which it was not waiting for");
    return {};
  }
  if (code != 0) log(log_level::warn, "federation", origin, " gave up on media ", origin_id, " (code ", code, ")");
  store::release_media(t, origin_id);
  return {};
}

remote_result router::apply_media_announce(store::txn& t, effects& fx, const std::string& origin, media_announce& a) {
  // A business refusal is no authority problem: the origin learns it as "media_done" with
  // the code, so it stops waiting for this node.
  auto decline = [&](p::code c, const std::string& why) {
    log(log_level::warn, "federation", "media ", a.event.media_id, " of ", origin, " not fetched: ", why);
    append_event(t, fx, origin, p::fed::media_done_event(a.event.media_id, p::to_int(c)));
    return remote_result{};
  };
  const std::string sender = a.sender.full();
  store::fetch_record f{origin, a.event.media_id, a.event.sha256, {}, false, a.event.timestamp ? peer_time(*a.event.timestamp) : now_seconds(), 0};
  store::media_record m;
  m.sender = sender;
  m.media_type = a.event.media_type;
  m.size = a.event.size;
  m.total_chunks = a.event.total_chunks;
  m.created = now_seconds();

  // The authority rule: the origin speaks for the sender (1:1, or a group request to its
  // home here), or homes the group (its fan-out of a member's media).
  if (!a.event.receiver.empty() && a.event.receiver.front() == '#') {
    if (auto r = group_media_target(t, origin, a, m, f))
      return r->decline == p::code::ok ? r->refused : decline(r->decline, r->refused.reason);
  } else {
    if (a.sender.domain != origin) return {9005, "media: " + origin + " does not speak for " + sender};
    auto uid = p::parse_user_id(a.event.receiver, cfg().domain);
    if (!uid || uid->domain != cfg().domain) return {9003, "media.receiver: not a user of " + cfg().domain};
    m.receiver = uid->full();
    if (a.event.to.size() != 1 || a.event.to.front() != m.receiver) return {9003, "media.to: must be the receiver"};
    if (!store::local_user_exists(t, uid->name)) return decline(p::code::text_unknown_receiver, "no user " + m.receiver);
    if (!store::are_friends(t, m.receiver, sender)) return decline(p::code::text_not_friends, sender + " is not a friend of " + m.receiver);
    f.to = std::move(a.event.to);
  }
  if (m.size > cfg().media.max_bytes) return decline(p::code::media_too_large, "larger than media.max_bytes");

  const std::string local_id = local_media_id(t, a.event.media_id);
  store::save_media(t, local_id, m);
  store::save_fetch(t, local_id, f);
  // The relay's poke for the origin also starts this fetch (media_fetch::poke).
  fx.pokes.insert(origin);
  return {};
}

std::optional<router::media_refusal> router::group_media_target(const store::txn& t, const std::string& origin,
                                                                 media_announce& a, store::media_record& m,
                                                                 store::fetch_record& f) const {
  auto refuse_with = [](int code, std::string why) { return media_refusal{{code, std::move(why)}}; };
  auto decline = [](p::code c, std::string why) { return media_refusal{{0, std::move(why)}, c}; };
  const std::string sender = a.sender.full();
  const std::string& group_id = a.event.receiver;
  m.receiver = group_id;
  if (domain_part(group_id) == origin) {
    // The home's fan-out of a member's media.
    if (a.event.to.empty()) return refuse_with(9003, "media.to: the users it is for here");
    // Even the home only speaks for members, to members: this node checks its own copy.
    if (auto problem = group_fanout_problem(t, group_id, sender, a.event.to); !problem.empty())
      return refuse_with(p::to_int(p::code::text_not_group_member), "media: " + problem);
    std::erase_if(a.event.to, [&](const std::string& u) { return !store::local_user_exists(t, p::parse_user_id(u, cfg().domain)->name); });
    if (a.event.to.empty()) return decline(p::code::text_unknown_receiver, "none of its users exist here");
    if (a.event.group) m.group_name = *a.event.group;
    if (auto g = store::load_group(t, group_id); g && m.group_name.empty()) m.group_name = g->name;
    f.to = std::move(a.event.to);
  } else if (is_local(group_id)) {
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

void router::finish_fetch(const std::string& media_id, std::function<void(fetch_outcome)> done) {
  // SHA-256 of up to media.max_bytes is too slow for the writer thread or an I/O thread.
  run_blocking_([this, media_id, done = std::move(done)]() mutable {
    std::string sha;  // empty: the chunks do not add up (the bytes are dropped)
    try {
      auto t = db_.begin_read();
      auto m = store::load_media(t, media_id);
      if (!m || m->complete || !store::fetch_exists(t, media_id)) return done(fetch_outcome::gone);
      if (m->chunks == m->total_chunks && m->bytes == m->size) {
        sha = store::hash_chunks(t, media_id, m->total_chunks);
      }
    } catch (const std::exception& e) {
      log(log_level::error, "federation", "hashing fetched media ", media_id, ": ", e.what());
    }
    auto fx = std::make_shared<effects>();
    auto outcome = std::make_shared<fetch_outcome>(fetch_outcome::gone);
    writer_.submit(
        [this, media_id, sha, fx, outcome](store::txn& t) {
          fx->clear();
          *outcome = settle_fetch(t, *fx, media_id, sha);
        },
        [this, fx, outcome, media_id, sha, done = std::move(done)](std::error_code ec) {
          if (ec) {
            log(log_level::error, "federation", "finishing fetched media ", media_id, ": ", ec.message());
            return done(fetch_outcome::refetch);
          }
          if (*outcome == fetch_outcome::refetch)
            log(log_level::warn, "federation", "fetched media ", media_id, " does not match its SHA-256 (got ",
                sha.empty() ? std::string("incomplete bytes") : sha, "): fetching it again");
          if (*outcome == fetch_outcome::failed)
            log(log_level::error, "federation", "fetched media ", media_id, " does not match its SHA-256 after ",
                media_fetch::max_attempts, " transfers: given up, its recipients here do not get it");
          if (*outcome == fetch_outcome::published) log(log_level::info, "federation", "fetched media ", media_id, " in full");
          apply_effects(*fx);
          done(*outcome);
        });
  });
}

fetch_outcome router::settle_fetch(store::txn& t, effects& fx, const std::string& media_id, const std::string& sha) {
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
    append_event(t, fx, f->origin, p::fed::media_done_event(f->origin_id, 0));
    store::drop_fetch(t, media_id);
    publish_media(t, fx, media_id, *m, recipients, false, f->timestamp);
    return fetch_outcome::published;
  }
  // The bytes are not what was announced: drop them and fetch again, a few times.
  store::drop_chunks(t, media_id, m->total_chunks);
  m->bytes = 0;
  m->chunks = 0;
  if (++f->attempts >= media_fetch::max_attempts) {
    store::purge_media(t, media_id, *m);
    store::drop_fetch(t, media_id);
    append_event(t, fx, f->origin, p::fed::media_done_event(f->origin_id, p::to_int(p::code::media_size_mismatch)));
    return fetch_outcome::failed;
  }
  store::save_media(t, media_id, *m);
  store::save_fetch(t, media_id, *f);
  return fetch_outcome::refetch;
}

}  // namespace chatnode::node
