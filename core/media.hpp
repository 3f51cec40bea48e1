// Media (docs/protocol.md §13, docs/federation.md "Media between nodes"): what the store
// holds of an upload, who gets an offer once its bytes are in, and the "media" and
// "media_done" events between nodes. The transfers themselves (chunks in flight, windows,
// hashing off the I/O threads, fetching from another node) are the node's.
#pragma once

#include "core/context.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::core {

// 1-128 characters of [A-Za-z0-9._~-].
bool valid_media_id(std::string_view id);

// MEDIA_MESSAGE from the uploader: checks the id, size, receiver (the TEXT_MESSAGE rule),
// concurrent uploads and quota, and records the upload (or answers a resumed one with the
// chunks already here).
void media_message(context& c, const actor& a, const protocol::media_message& req, const std::optional<std::string>& id);

// MEDIA_MESSAGE_DATA's chunk (already base64-decoded and within media.max_chunk_bytes).
struct chunk_outcome {
  protocol::code code = protocol::code::ok;
  bool last = false;      // this chunk completed the set
  bool mismatch = false;  // ... and the bytes differ from mediaSize
  std::string receiver;   // the upload's receiver (full id), when the upload is known
  bool stored = false;    // the chunk was new (a duplicate is acknowledged, stored once)
};
chunk_outcome store_chunk(context& c, const std::string& me, const std::string& media_id, std::uint32_t index,
                          std::uint32_t total, std::string_view bytes);

// Every byte of upload `media_id` is in and hashes to `sha`: the uploader gets
// MEDIA_MESSAGE_COMPLETE and the media is published to the friend or the group's members.
void complete_upload(context& c, const std::string& media_id, const std::string& sha);
// The media's bytes are all here and checked: gives it a message id and the history entries
// of this node's users, a delivery per local recipient (offered at once when live) and per
// other node with recipients ("@domain", announced through its outbox); with
// `forward_home`, only the group's home node is told. Saves or purges `m`.
void publish_media(context& c, const std::string& media_id, store::media_record& m,
                   const std::vector<std::string>& recipients, bool forward_home, std::int64_t timestamp);
// Offers (MEDIA_MESSAGE) of every media waiting for `user`, stamped `now`.
std::vector<frame_ptr> media_offers(const store::txn& t, const std::string& user, std::int64_t now);
// The recipient has media `media_id` (or declined it): the delivery ends, the media is
// purged once nobody waits for it, and (with `acknowledge`) `a` gets COMPLETE_ACK.
void finish_delivery(context& c, const actor& a, const std::string& media_id, const std::string& uploader,
                     bool acknowledge, const std::optional<std::string>& id);

// ---- between nodes ----
// Events "media" (a node announces media whose bytes this node fetches: checked against
// the authority rule, recorded as a fetch) and "media_done" (a node announced to has the
// bytes or gave up).
remote_result apply_media_event(context& c, const std::string& origin, const protocol::fed::media_done& event);
remote_result apply_media_event(context& c, const std::string& origin, protocol::fed::media_announce& event);

// How a fetch from another node ended once its bytes were in (protocol/federation.hpp).
using protocol::fed::fetch_outcome;
// Publishes fetched media `media_id` when its bytes hash to `sha` as announced (empty: they
// do not add up), else drops them, giving up after `max_attempts` transfers.
fetch_outcome settle_fetch(context& c, const std::string& media_id, const std::string& sha, std::uint32_t max_attempts);

}  // namespace chatnode::core
