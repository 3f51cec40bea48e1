// The typed tables over the storage interface (txn.hpp), on any backend: key layout, counters,
// friendships, pending requests, inboxes, stored messages and group records. Functions take
// the transaction they work in; the router decides what to do with them.
#pragma once

#include "txn.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatnode::store {

// ---- keys ---------------------------------------------------------------------------
std::string key2(std::string_view a, std::string_view b);    // a \0 b
std::string key_seq(std::string_view a, std::uint64_t n);    // a \0 u64 BE
// Calls fn(suffix, value) for every key that starts with `prefix` \0, in key order, until
// fn returns false.
void for_each_under(const txn& t, table_id table, std::string_view prefix,
                    const std::function<bool(std::string_view suffix, std::string_view value)>& fn);

// The next value of a u64 counter kept in `meta` (first value 1).
std::uint64_t next_counter(txn& t, std::string_view name);

// ---- users and friends --------------------------------------------------------------
bool local_user_exists(const txn& t, std::string_view name);
bool are_friends(const txn& t, std::string_view a, std::string_view b);
std::vector<std::string> friends_of(const txn& t, std::string_view user);
void add_friendship(txn& t, std::string_view a, std::string_view b, std::int64_t since);
void remove_friendship(txn& t, std::string_view a, std::string_view b);
bool has_request(const txn& t, std::string_view requester, std::string_view receiver);
void add_request(txn& t, std::string_view requester, std::string_view receiver, std::int64_t at);
bool remove_request(txn& t, std::string_view requester, std::string_view receiver);
std::vector<std::string> requests_in(const txn& t, std::string_view receiver);
std::vector<std::string> requests_out(const txn& t, std::string_view requester);

// ---- blocks (docs/protocol.md §15) ---------------------------------------------------
// `blocker` is a local user; `blocked` any user id.
bool blocks(const txn& t, std::string_view blocker, std::string_view blocked);
// False (and nothing changes) when the block is already there.
bool add_block(txn& t, std::string_view blocker, std::string_view blocked, std::int64_t since);
bool remove_block(txn& t, std::string_view blocker, std::string_view blocked);
// Whom `blocker` blocks, sorted by user id.
std::vector<std::string> blocked_by(const txn& t, std::string_view blocker);

// ---- inbox --------------------------------------------------------------------------
struct inbox_entry {
  std::uint64_t seq = 0;
  std::string frame;
};
void inbox_append(txn& t, std::string_view user, std::string_view frame);
// The user's waiting frames after sequence `after`, oldest first: at most `max_count` and
// `max_bytes` (but at least one); `more` tells whether more follow. Nothing is removed.
std::vector<inbox_entry> inbox_read(const txn& t, std::string_view user, std::uint64_t after, std::size_t max_count,
                                    std::size_t max_bytes, bool& more);
// Removes the user's frames up to sequence `upto` (once they were written to the user).
void inbox_remove(txn& t, std::string_view user, std::uint64_t upto);
// How many frames wait for the user.
std::uint64_t inbox_size(const txn& t, std::string_view user);

// ---- erasing a user (ACCOUNT_DELETE) ------------------------------------------------
// Deletes everything under `user` in these tables: the inbox (and its count), the history
// entries, the blocks the user made, the resumption tokens are tokens.hpp's. A 1:1 message
// whose other party holds no history entry for it here (a user of another node, or nobody
// any more) is deleted too; group messages stay for the group's other members.
void erase_inbox(txn& t, std::string_view user);
void erase_history(txn& t, std::string_view user, const std::function<bool(std::string_view)>& is_local);
void erase_blocks(txn& t, std::string_view user);
// Removes the user's rows of the user_groups index (what the group records say is unchanged).
void erase_group_index(txn& t, std::string_view user);

// ---- messages and history -----------------------------------------------------------
struct stored_message {
  std::int64_t timestamp = 0;
  std::string sender{};
  std::string receiver{};  // a user id, or the group id for group messages
  std::string content{};
  std::string group_id{};    // empty for 1:1
  std::string group_name{};  // empty for 1:1
  // Media messages (content empty):
  std::string media_id{};
  std::string media_type{};
  std::uint64_t media_size = 0;
};
std::string encode_message(const stored_message& m);
std::optional<stored_message> decode_message(std::string_view stored);
// Stores the message once and indexes it in each listed user's history.
void store_message(txn& t, std::uint64_t id, const stored_message& m,
                   const std::vector<std::string_view>& history_owners);
std::optional<stored_message> load_message(const txn& t, std::uint64_t id);
// The message ids in `owner`'s history from `from` up (ascending), or from `at_most` down
// (descending): fn(id) for each until it returns false.
void history_up(const txn& t, std::string_view owner, std::uint64_t from, const std::function<bool(std::uint64_t)>& fn);
void history_down(const txn& t, std::string_view owner, std::uint64_t at_most,
                  const std::function<bool(std::uint64_t)>& fn);

// ---- groups -------------------------------------------------------------------------
struct invitation {
  std::string user;
  std::string inviter;
};
struct group_record {
  std::string name;
  std::string leader;
  std::vector<std::string> members;  // in joining order; the leader is a member
  std::vector<invitation> invited;   // not answered yet
  std::int64_t created = 0;
  bool is_member(std::string_view user) const;
  const invitation* invitation_of(std::string_view user) const;
};
std::string encode_group(const group_record& g);
std::optional<group_record> decode_group(std::string_view stored);
// The same record already parsed (inside a federation "group" event).
std::optional<group_record> decode_group(const boost::json::object& record);
std::optional<group_record> load_group(const txn& t, std::string_view group_id);
// Writes the record and the user_groups index (members "m", invitees "i"), removing index
// entries of users no longer in the group.
void save_group(txn& t, std::string_view group_id, const group_record& g,
                const group_record* before);
void delete_group(txn& t, std::string_view group_id, const group_record& g);

enum class group_role { member, invited };
// The user's groups of a role: (group id, record) in group id order.
std::vector<std::pair<std::string, group_record>> groups_of(const txn& t, std::string_view user, group_role role);

}  // namespace chatnode::store

namespace chatnode::store {

// Finds the group a request names (DESIGN §3): by `group_id` when given, else `group` when
// it is a group id, else `group` as a name among the user's groups of `role`.
// code: 0 found, 4002 unknown, 4003 ambiguous name.
struct group_lookup {
  int code = 0;
  std::string id;
  group_record record;
};
group_lookup find_group(const txn& t, std::string_view user, std::string_view group,
                        const std::optional<std::string>& group_id, group_role role);

}  // namespace chatnode::store

namespace chatnode::store {

// ---- media --------------------------------------------------------------------------
struct media_record {
  std::string sender;         // full id of the uploader
  std::string receiver;       // full user id or group id
  std::string group_name;     // for group media
  std::string media_type;
  std::uint64_t size = 0;
  std::uint32_t total_chunks = 0;  // 0 until the first chunk says
  std::uint64_t bytes = 0;         // received so far
  std::uint32_t chunks = 0;        // distinct chunks received
  bool complete = false;           // every byte in and checked; deliveries exist
  std::string sha256;              // hex, once complete
  std::uint64_t message_id = 0;    // once complete
  std::uint32_t pending = 0;       // recipients that have not completed
  std::vector<std::string> recipients;  // fixed at completion
  std::int64_t created = 0;
};
std::string encode_media(const media_record& m);
std::optional<media_record> decode_media(std::string_view stored);
std::optional<media_record> load_media(const txn& t, std::string_view media_id);
void save_media(txn& t, std::string_view media_id, const media_record& m);
std::string chunk_key(std::string_view media_id, std::uint32_t index);
// SHA-256 (hex) of chunks 1..total_chunks of a media, in order; throws when one is missing.
std::string hash_chunks(const txn& t, std::string_view media_id, std::uint32_t total_chunks);
// Deletes the record, its chunks, its recipients' deliveries and the uploader's accounting.
void purge_media(txn& t, std::string_view media_id, const media_record& m);
// One recipient no longer waits for the media (it has it, declined it, or is gone): the
// count of those who wait goes down, and the media is purged once nobody waits.
void release_media(txn& t, std::string_view media_id);
// Calls fn(media id, record) for every readable media record, in id order, until fn
// returns false.
void for_each_media(const txn& t, const std::function<bool(std::string_view, const media_record&)>& fn);

// Chunks (1-based indexes) of a media's bytes.
std::optional<std::string_view> load_chunk(const txn& t, std::string_view media_id, std::uint32_t index);
// False (and nothing is written) when that chunk is already stored.
bool store_chunk(txn& t, std::string_view media_id, std::uint32_t index, std::string_view bytes);
void drop_chunks(txn& t, std::string_view media_id, std::uint32_t total_chunks);
// The indexes of the stored chunks, ascending (only 1..total when total is not 0).
std::vector<std::uint32_t> stored_chunks(const txn& t, std::string_view media_id, std::uint32_t total);
// The first index in 1..total that is not stored; total + 1 when all are.
std::uint32_t first_missing_chunk(const txn& t, std::string_view media_id, std::uint32_t total);

// Uploads a user made (quota and concurrency accounting), in media id order.
void add_upload(txn& t, std::string_view sender, std::string_view media_id);
std::vector<std::string> uploads_of(const txn& t, std::string_view sender);
void remove_upload(txn& t, std::string_view sender, std::string_view media_id);

// Deliveries: media waiting for a recipient, a local user or "@domain" (another node, which
// fetches the bytes). Progress is the count of chunks the recipient acknowledged, a prefix.
void add_delivery(txn& t, std::string_view recipient, std::string_view media_id);
// nullopt when there is no such delivery.
std::optional<std::uint32_t> delivery_progress(const txn& t, std::string_view recipient, std::string_view media_id);
// Moves the progress forward to `acked` (never back); nothing when there is no delivery.
void advance_delivery(txn& t, std::string_view recipient, std::string_view media_id, std::uint32_t acked);
bool remove_delivery(txn& t, std::string_view recipient, std::string_view media_id);
// The media ids waiting for `recipient`, in id order.
std::vector<std::string> deliveries_of(const txn& t, std::string_view recipient);

// The value of a `media_fetches` row (store/schema.hpp), keyed by this node's media id: the
// media record itself (table `media`, complete = false) holds sender, receiver, sizes and
// counts; this says where the bytes come from and what to do once they are in.
struct fetch_record {
  std::string origin;                // the node the bytes come from (it announced the media)
  std::string origin_id;             // the media id there
  std::string sha256;                // announced SHA-256 (hex) the bytes must match
  std::vector<std::string> to;       // this node's users it is for (empty: the group's members)
  bool home = false;                 // this node homes the group: it fans the media out
  std::int64_t timestamp = 0;        // of the message (the origin's completion time)
  std::uint32_t attempts = 0;        // transfers thrown away after a hash mismatch
};
std::string encode_fetch(const fetch_record& f);
std::optional<fetch_record> decode_fetch(std::string_view stored);
std::optional<fetch_record> load_fetch(const txn& t, std::string_view media_id);
bool fetch_exists(const txn& t, std::string_view media_id);
void save_fetch(txn& t, std::string_view media_id, const fetch_record& f);
bool drop_fetch(txn& t, std::string_view media_id);
// Every readable fetch: (this node's media id, record), in id order.
std::vector<std::pair<std::string, fetch_record>> fetches(const txn& t);

}  // namespace chatnode::store

namespace chatnode::store {

// ---- federation (docs/federation.md "Delivery between nodes") -----------------------
// Events for a peer are numbered within a stream of this node: a new stream at every start
// (new_fed_stream), so a data dir restored from a backup never reuses a number the peer has
// already seen; events queued before the start keep their old stream. A receiver dedups by
// (origin, stream, seq).
struct stream_pos {
  std::string stream;
  std::uint64_t seq = 0;
};
// Makes this run's stream id (its first 12 characters are the start time, hex ms).
std::string new_fed_stream(txn& t, std::int64_t now_ms);
// This run's stream id ("" before new_fed_stream).
std::string fed_stream(const txn& t);
// Whether a peer that has read this node's events up to `seen` has read `event` too.
bool stream_read_past(const stream_pos& seen, const stream_pos& event);
// Appends an event for `peer` in the current stream; returns its place in the stream.
stream_pos outbox_append(txn& t, std::string_view peer, std::string_view event);
struct outbox_entry {
  std::uint64_t seq = 0;  // the peer's outbox order (all streams)
  stream_pos at;          // what the peer is told
  std::string event;
};
// Up to `max` events for `peer` with seq > `after`, in order.
std::vector<outbox_entry> outbox_read(const txn& t, std::string_view peer, std::uint64_t after, std::size_t max);
// Removes the events for `peer` with seq <= `upto`.
void outbox_trim(txn& t, std::string_view peer, std::uint64_t upto);
// How many events wait for `peer`.
std::uint64_t outbox_depth(const txn& t, std::string_view peer);
// Every peer with waiting events.
std::vector<std::string> outbox_peers(const txn& t);
// The last event sequence applied from (origin, stream); 0 if none.
std::uint64_t fed_in_last(const txn& t, std::string_view origin, std::string_view stream);
// Also records `stream` as the origin's current one (see fed_in_current).
void fed_in_set(txn& t, std::string_view origin, std::string_view stream, std::uint64_t seq);
// The origin's current stream and the last event applied from it ({"", 0} if none): how
// far this node had read the origin when it made something it sends back.
stream_pos fed_in_current(const txn& t, std::string_view origin);

// A user's answer to a group homed elsewhere, forwarded to the home as outbox event `at`
// and already applied to this node's copy of the record. Until a record from the home says
// it has read that event, records from the home get the change applied again (they may
// have been made before the home saw it). kind: 'a' accepted, 'd' declined, 'l' left.
struct pending_group_change {
  std::uint64_t key = 0;  // order of the changes
  stream_pos at;
  char kind = 'a';
  std::string user;
};
void group_pending_add(txn& t, std::string_view group_id, const stream_pos& at, char kind, std::string_view user);
std::vector<pending_group_change> group_pending(const txn& t, std::string_view group_id);
// Removes the group's pending changes for which `done` is true.
void group_pending_drop(txn& t, std::string_view group_id, const std::function<bool(const pending_group_change&)>& done);

}  // namespace chatnode::store
