// The media rules (core/media.hpp) on the in-memory store: uploads (docs/protocol.md §13),
// their publication to friends and groups (§15: a member who blocks the uploader gets
// nothing), the end of a delivery, and media between nodes (docs/federation.md "Media
// between nodes": the "media" and "media_done" events, the end of a fetch). This node is
// alpha.example; beta.example is its peer.
#include "core_fixture.hpp"

#include "core/inbound.hpp"
#include "core/media.hpp"

#include "protocol/federation.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatnode::core::testing {
namespace {

namespace p = chatnode::protocol;
namespace json = boost::json;

const std::string kAlice = "alice@alpha.example";
const std::string kBob = "bob@alpha.example";
const std::string kCarol = "carol@alpha.example";
const std::string kDave = "dave@alpha.example";
const std::string kGhost = "ghost@alpha.example";  // a local name without an account
const std::string kErin = "erin@beta.example";     // users of beta.example
const std::string kFrank = "frank@beta.example";
const std::string kDan = "dan@beta.example";       // nobody's friend
const std::string kMallory = "mallory@gamma.example";
const std::string kGroup = "#g1@alpha.example";        // homed here
const std::string kRemoteGroup = "#g@beta.example";    // homed on beta.example
const std::string kBeta = "beta.example";
const std::string kSha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kOtherSha = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

std::int64_t num(const json::value& v) { return v.to_number<std::int64_t>(); }
std::int64_t code_of(const json::object& frame) { return num(frame.at("payload").at("code")); }
std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}
std::vector<std::int64_t> numbers(const json::value& v) {
  std::vector<std::int64_t> out;
  for (const auto& n : v.as_array()) out.push_back(num(n));
  return out;
}


class MediaTest : public core_test {
 protected:
  MediaTest() {
    for (const char* u : {"alice", "bob", "carol", "dave"}) add_user(u);
    befriend(kAlice, kBob);
  }

  template <class Fn>
  void in_write(Fn fn) {
    auto t = db.begin_write();
    fn(t);
    t.commit();
  }
  void block(const std::string& blocker, const std::string& blocked) {
    in_write([&](store::txn& t) { store::add_block(t, blocker, blocked, now); });
  }
  void save_group(const std::string& gid, const std::vector<std::string>& members, const std::string& name = "Club") {
    store::group_record g;
    g.name = name;
    g.leader = members.front();
    g.members = members;
    g.created = now;
    in_write([&](store::txn& t) { store::save_group(t, gid, g, nullptr); });
  }

  // ---- running the rules ----
  effects upload(const actor& a, const std::string& receiver, const std::string& media_id, std::uint64_t size,
                 const std::optional<std::string>& id = "u1") {
    p::media_message req;
    req.sender = a.user;
    req.receiver = receiver;
    req.media_id = media_id;
    req.media_type = "image/png";
    req.media_size = size;
    return run([&](context& c) { media_message(c, a, req, id); });
  }
  std::pair<chunk_outcome, effects> chunk(const std::string& me, const std::string& media_id, std::uint32_t index,
                                          std::uint32_t total, std::string_view bytes) {
    chunk_outcome out;
    auto fx = run([&](context& c) { out = store_chunk(c, me, media_id, index, total, bytes); });
    return {std::move(out), std::move(fx)};
  }
  effects complete(const std::string& media_id, const std::string& sha = kSha) {
    return run([&](context& c) { complete_upload(c, media_id, sha); });
  }
  // An upload of `bytes` in one chunk, completed: the effects of complete_upload.
  effects upload_all(const actor& a, const std::string& receiver, const std::string& media_id,
                     const std::string& bytes = "hello") {
    auto up = upload(a, receiver, media_id, bytes.size());
    EXPECT_EQ(code_of(replies(up).at(0)), 0);
    auto [out, fx] = chunk(a.user, media_id, 1, 1, bytes);
    EXPECT_TRUE(out.last);
    return complete(media_id);
  }
  remote_result apply(const std::string& origin, const json::object& ev) {
    remote_result r;
    last = run([&](context& c) { r = apply_event(c, origin, ev); });  // core/inbound: decode, then the media rules
    return r;
  }
  fetch_outcome settle(const std::string& media_id, const std::string& sha, std::uint32_t max_attempts = 3) {
    fetch_outcome o = fetch_outcome::gone;
    last = run([&](context& c) { o = settle_fetch(c, media_id, sha, max_attempts); });
    return o;
  }
  // What the node's fetcher does with each chunk it receives.
  void fetched_chunks(const std::string& media_id, const std::vector<std::string>& chunks) {
    in_write([&](store::txn& t) {
      auto m = store::load_media(t, media_id);
      ASSERT_TRUE(m);
      for (std::uint32_t i = 0; i < chunks.size(); ++i) {
        store::store_chunk(t, media_id, i + 1, chunks[i]);
        m->bytes += chunks[i].size();
        ++m->chunks;
      }
      store::save_media(t, media_id, *m);
    });
  }

  // ---- reading the store ----
  std::optional<store::media_record> media(const std::string& media_id) {
    return read([&](const store::txn& t) { return store::load_media(t, media_id); });
  }
  std::optional<store::fetch_record> fetch(const std::string& media_id) {
    return read([&](const store::txn& t) { return store::load_fetch(t, media_id); });
  }
  std::optional<std::string> chunk_bytes(const std::string& media_id, std::uint32_t index) {
    return read([&](const store::txn& t) -> std::optional<std::string> {
      auto c = store::load_chunk(t, media_id, index);
      return c ? std::optional<std::string>(std::string(*c)) : std::nullopt;
    });
  }
  std::vector<std::string> uploads(const std::string& user) {
    return read([&](const store::txn& t) { return store::uploads_of(t, user); });
  }
  std::vector<std::string> deliveries(const std::string& recipient) {
    return read([&](const store::txn& t) { return store::deliveries_of(t, recipient); });
  }
  bool has_delivery(const std::string& recipient, const std::string& media_id) {
    return read([&](const store::txn& t) { return store::delivery_progress(t, recipient, media_id).has_value(); });
  }

  // The single reply of `fx`, which must be of `type`.
  static json::object only_reply(const effects& fx, std::string_view type) {
    auto r = replies(fx);
    EXPECT_EQ(r.size(), 1u);
    if (r.empty()) return {};
    EXPECT_EQ(type_of(r[0]), type);
    EXPECT_EQ(fx.sends.size(), 1u);
    return r[0];
  }
  // A refused MEDIA_MESSAGE: ACK `code` with `receiver`, nothing recorded.
  void expect_ack_refused(const effects& fx, int code, const std::string& receiver) {
    auto a = only_reply(fx, "MEDIA_MESSAGE_ACK");
    EXPECT_EQ(code_of(a), code);
    EXPECT_EQ(payload(a).at("sender"), receiver.c_str());
    EXPECT_FALSE(payload(a).contains("receivedChunks"));
    EXPECT_EQ(fx.errors, 0u);
  }

  effects last;
  const actor alice{kAlice, {}, false};
  const actor bob{kBob, {}, false};
  const actor carol{kCarol, {}, false};
};

// ---- valid_media_id ------------------------------------------------------------------

TEST_F(MediaTest, ValidMediaIdIs1To128CharactersOfTheAllowedSet) {
  EXPECT_TRUE(valid_media_id("a"));
  EXPECT_TRUE(valid_media_id("Qx7kP2mA9cLd4TzW.sunset-ridge_v2~x"));
  EXPECT_TRUE(valid_media_id("AZaz09._~-"));
  EXPECT_TRUE(valid_media_id(std::string(128, 'x')));
  EXPECT_FALSE(valid_media_id(""));
  EXPECT_FALSE(valid_media_id(std::string(129, 'x')));
  for (const char* bad : {"a b", "a/b", "a@b", "a#b", "a+b", "a%b", "a\\b", "\xc3\xa9", "a\nb", "a:b"})
    EXPECT_FALSE(valid_media_id(bad)) << bad;
}

// ---- MEDIA_MESSAGE (upload) -------------------------------------------------------------

TEST_F(MediaTest, AnInvalidMediaIdIsError9003) {
  for (const auto& bad : {std::string(), std::string(129, 'x'), std::string("a/b")}) {
    const auto before = dump();
    auto fx = upload(alice, "bob", bad, 10);
    auto e = only_reply(fx, "ERROR");
    EXPECT_EQ(code_of(e), 9003);
    EXPECT_EQ(payload(e).at("inReplyTo"), "MEDIA_MESSAGE");
    EXPECT_EQ(e.at("id"), "u1");
    EXPECT_EQ(fx.errors, 1u);
    EXPECT_EQ(changed_tables(before, dump()), "");
  }
}

TEST_F(MediaTest, AZeroSizeIsError9003) {
  const auto before = dump();
  auto fx = upload(alice, "bob", "m1", 0);
  auto e = only_reply(fx, "ERROR");
  EXPECT_EQ(code_of(e), 9003);
  EXPECT_EQ(payload(e).at("inReplyTo"), "MEDIA_MESSAGE");
  EXPECT_EQ(fx.errors, 1u);
  EXPECT_EQ(changed_tables(before, dump()), "");
}

TEST_F(MediaTest, ASizeAboveMaxBytesIsAcked8007AndASizeOfExactlyMaxBytesIsTaken) {
  cfg.media_max_bytes = 100;
  const auto before = dump();
  auto fx = upload(alice, "bob", "m1", 101);
  expect_ack_refused(fx, 8007, "bob");  // the request's receiver, echoed
  EXPECT_EQ(changed_tables(before, dump()), "");

  auto ok = upload(alice, "bob", "m1", 100);
  EXPECT_EQ(code_of(only_reply(ok, "MEDIA_MESSAGE_ACK")), 0);
  ASSERT_TRUE(media("m1"));
  EXPECT_EQ(media("m1")->size, 100u);
}

TEST_F(MediaTest, AnIdOfAnotherSenderIsAcked8006) {
  upload(bob, "alice", "m1", 10);
  const auto before = dump();
  auto fx = upload(alice, "bob", "m1", 10);
  expect_ack_refused(fx, 8006, "bob");
  EXPECT_EQ(changed_tables(before, dump()), "");
  EXPECT_EQ(media("m1")->sender, kBob);
  EXPECT_TRUE(uploads(kAlice).empty());
}

TEST_F(MediaTest, AResumedUploadIsAckedOkWithTheChunksAlreadyStored) {
  upload(alice, "bob", "m1", 10);
  ASSERT_EQ(chunk(kAlice, "m1", 1, 4, "abc").first.code, p::code::ok);
  ASSERT_EQ(chunk(kAlice, "m1", 3, 4, "ghi").first.code, p::code::ok);
  const auto before = dump();

  auto fx = upload(alice, "bob", "m1", 10, "u2");
  auto a = only_reply(fx, "MEDIA_MESSAGE_ACK");
  EXPECT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("sender"), kBob.c_str());  // the upload's receiver, full id
  EXPECT_EQ(payload(a).at("receiver"), kAlice.c_str());
  EXPECT_EQ(payload(a).at("mediaId"), "m1");
  EXPECT_EQ(numbers(payload(a).at("receivedChunks")), (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(a.at("id"), "u2");
  EXPECT_EQ(changed_tables(before, dump()), "");  // nothing recorded again
  EXPECT_EQ(uploads(kAlice), std::vector<std::string>{"m1"});
}

TEST_F(MediaTest, AResumedUploadWithNoChunkYetListsNone) {
  upload(alice, "bob", "m1", 10);
  auto a = only_reply(upload(alice, "bob", "m1", 10), "MEDIA_MESSAGE_ACK");
  EXPECT_EQ(code_of(a), 0);
  EXPECT_TRUE(payload(a).at("receivedChunks").as_array().empty());
}

TEST_F(MediaTest, AnUploadReceivedInFullIsAcked8010) {
  upload_all(alice, "bob", "m1");
  const auto before = dump();
  auto fx = upload(alice, "bob", "m1", 5);
  expect_ack_refused(fx, 8010, kBob);
  EXPECT_EQ(changed_tables(before, dump()), "");
}

TEST_F(MediaTest, TheReceiverRuleOfTextMessagesApplies) {
  save_group(kGroup, {kBob, kCarol});  // alice is no member
  struct refusal {
    std::string receiver;
    int code;
  };
  for (const auto& [receiver, code] : std::vector<refusal>{{"carol", 7002},  // not a friend
                                                            {"zed", 7001},    // nobody
                                                            {"zed@gamma.example", 7001},  // no peer
                                                            {kDan, 7002},     // a reachable stranger
                                                            {kGroup, 7003}}) {
    SCOPED_TRACE(receiver);
    const auto before = dump();
    auto fx = upload(alice, receiver, "m1", 10);
    expect_ack_refused(fx, code, receiver);
    EXPECT_EQ(changed_tables(before, dump()), "");
  }
}

TEST_F(MediaTest, AnUploadBlockedByTheReceiverIsAcked7002) {
  in_write([&](store::txn& t) { store::remove_friendship(t, kAlice, kBob); });
  block(kBob, kAlice);
  expect_ack_refused(upload(alice, "bob", "m1", 10), 7002, "bob");
  EXPECT_FALSE(media("m1"));
}

TEST_F(MediaTest, TooManyUnfinishedUploadsIsAcked8008) {
  cfg.media_max_concurrent_uploads = 2;
  ASSERT_EQ(code_of(only_reply(upload(alice, "bob", "m1", 10), "MEDIA_MESSAGE_ACK")), 0);
  ASSERT_EQ(code_of(only_reply(upload(alice, "bob", "m2", 10), "MEDIA_MESSAGE_ACK")), 0);
  const auto before = dump();
  auto fx = upload(alice, "bob", "m3", 10);
  expect_ack_refused(fx, 8008, kBob);
  EXPECT_EQ(changed_tables(before, dump()), "");
  // Another user's uploads do not count.
  EXPECT_EQ(code_of(only_reply(upload(bob, "alice", "b1", 10), "MEDIA_MESSAGE_ACK")), 0);
  // A finished upload no longer counts as unfinished.
  in_write([&](store::txn& t) {
    auto m = store::load_media(t, "m1");
    m->complete = true;
    store::save_media(t, "m1", *m);
  });
  EXPECT_EQ(code_of(only_reply(upload(alice, "bob", "m3", 10), "MEDIA_MESSAGE_ACK")), 0);
}

TEST_F(MediaTest, UploadsAboveTheQuotaAreAcked8009) {
  cfg.media_quota_bytes = 100;
  ASSERT_EQ(code_of(only_reply(upload(alice, "bob", "m1", 60), "MEDIA_MESSAGE_ACK")), 0);
  // Complete media still held counts too.
  in_write([&](store::txn& t) {
    auto m = store::load_media(t, "m1");
    m->complete = true;
    store::save_media(t, "m1", *m);
  });
  const auto before = dump();
  auto fx = upload(alice, "bob", "m2", 41);
  expect_ack_refused(fx, 8009, kBob);
  EXPECT_EQ(changed_tables(before, dump()), "");
  EXPECT_EQ(code_of(only_reply(upload(alice, "bob", "m2", 40), "MEDIA_MESSAGE_ACK")), 0);
}

TEST_F(MediaTest, AnAcceptedUploadIsRecordedAndAckedWithNoChunks) {
  auto fx = upload(alice, "bob", "m1", 10);
  auto a = only_reply(fx, "MEDIA_MESSAGE_ACK");
  EXPECT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("sender"), kBob.c_str());
  EXPECT_EQ(payload(a).at("receiver"), kAlice.c_str());
  EXPECT_EQ(payload(a).at("mediaId"), "m1");
  EXPECT_TRUE(payload(a).at("receivedChunks").as_array().empty());
  EXPECT_EQ(a.at("id"), "u1");
  EXPECT_EQ(fx.errors, 0u);
  EXPECT_TRUE(fx.pokes.empty());

  auto m = media("m1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sender, kAlice);
  EXPECT_EQ(m->receiver, kBob);
  EXPECT_EQ(m->group_name, "");
  EXPECT_EQ(m->media_type, "image/png");
  EXPECT_EQ(m->size, 10u);
  EXPECT_EQ(m->created, now);
  EXPECT_EQ(m->total_chunks, 0u);
  EXPECT_FALSE(m->complete);
  EXPECT_EQ(uploads(kAlice), std::vector<std::string>{"m1"});
  EXPECT_TRUE(deliveries(kBob).empty());  // nothing before it is complete
  EXPECT_TRUE(history(kAlice).empty());
}

TEST_F(MediaTest, AnUploadToAGroupNameRecordsTheGroupIdAndName) {
  save_group(kGroup, {kAlice, kBob});
  auto a = only_reply(upload(alice, "Club", "m1", 10), "MEDIA_MESSAGE_ACK");
  EXPECT_EQ(code_of(a), 0);
  EXPECT_EQ(payload(a).at("sender"), kGroup.c_str());
  auto m = media("m1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->receiver, kGroup);
  EXPECT_EQ(m->group_name, "Club");
}

// ---- MEDIA_MESSAGE_DATA (store_chunk) ------------------------------------------------

TEST_F(MediaTest, AChunkOfNoUploadOrOfAnotherSendersIs8001) {
  auto [none, fx] = chunk(kAlice, "m1", 1, 1, "abc");
  EXPECT_EQ(none.code, p::code::media_unknown);
  EXPECT_EQ(none.receiver, "");
  EXPECT_FALSE(none.stored);
  EXPECT_EQ(fx.tally.get(message_kind::media_chunk), 0u);

  upload(alice, "bob", "m1", 10);
  const auto before = dump();
  auto [other, fx2] = chunk(kBob, "m1", 1, 1, "abc");
  EXPECT_EQ(other.code, p::code::media_unknown);
  EXPECT_EQ(other.receiver, "");
  EXPECT_FALSE(other.stored);
  EXPECT_EQ(fx2.tally.get(message_kind::media_chunk), 0u);
  EXPECT_EQ(changed_tables(before, dump()), "");
}

TEST_F(MediaTest, ATotalThatCannotHoldTheSizeOrExceedsItOrChangesIs8002) {
  cfg.media_max_chunk_bytes = 4;
  upload(alice, "bob", "m1", 10);
  const auto before = dump();
  // 2 chunks of at most 4 bytes cannot hold 10 bytes; 11 chunks of 10 bytes cannot all be non-empty.
  for (std::uint32_t total : {2u, 11u}) {
    auto [out, fx] = chunk(kAlice, "m1", 1, total, "abcd");
    EXPECT_EQ(out.code, p::code::media_bad_chunk_index) << total;
    EXPECT_EQ(out.receiver, kBob);
    EXPECT_FALSE(out.stored);
    EXPECT_EQ(fx.tally.get(message_kind::media_chunk), 0u);
  }
  EXPECT_EQ(changed_tables(before, dump()), "");
  // 3 is enough (and 10 at most): the first chunk fixes it.
  ASSERT_EQ(chunk(kAlice, "m1", 1, 3, "abcd").first.code, p::code::ok);
  EXPECT_EQ(media("m1")->total_chunks, 3u);
  auto [changed, fx] = chunk(kAlice, "m1", 2, 4, "efgh");
  EXPECT_EQ(changed.code, p::code::media_bad_chunk_index);
  EXPECT_FALSE(changed.stored);
  EXPECT_FALSE(chunk_bytes("m1", 2));
  EXPECT_EQ(media("m1")->total_chunks, 3u);
}

TEST_F(MediaTest, ATotalOfExactlyTheSizeIsTaken) {
  cfg.media_max_chunk_bytes = 4;
  upload(alice, "bob", "m1", 3);
  EXPECT_EQ(chunk(kAlice, "m1", 1, 3, "a").first.code, p::code::ok);
  EXPECT_EQ(media("m1")->total_chunks, 3u);
}

TEST_F(MediaTest, ANewChunkIsStoredAndCountedOnce) {
  upload(alice, "bob", "m1", 10);
  auto [first, fx] = chunk(kAlice, "m1", 1, 2, "abcde");
  EXPECT_EQ(first.code, p::code::ok);
  EXPECT_TRUE(first.stored);
  EXPECT_FALSE(first.last);
  EXPECT_FALSE(first.mismatch);
  EXPECT_EQ(first.receiver, kBob);
  EXPECT_EQ(fx.tally.get(message_kind::media_chunk), 1u);
  EXPECT_EQ(chunk_bytes("m1", 1), "abcde");
  auto m = media("m1");
  EXPECT_EQ(m->bytes, 5u);
  EXPECT_EQ(m->chunks, 1u);
  EXPECT_EQ(m->total_chunks, 2u);

  // The same chunk again (other bytes even): acknowledged, stored once, not counted.
  const auto before = dump();
  auto [again, fx2] = chunk(kAlice, "m1", 1, 2, "vwxyz");
  EXPECT_EQ(again.code, p::code::ok);
  EXPECT_FALSE(again.stored);
  EXPECT_FALSE(again.last);
  EXPECT_EQ(again.receiver, kBob);
  EXPECT_EQ(fx2.tally.get(message_kind::media_chunk), 0u);
  EXPECT_EQ(changed_tables(before, dump()), "");
  EXPECT_EQ(chunk_bytes("m1", 1), "abcde");
}

TEST_F(MediaTest, MoreBytesThanTheSizeIs8005AndTheChunkIsNotStored) {
  upload(alice, "bob", "m1", 5);
  ASSERT_EQ(chunk(kAlice, "m1", 1, 2, "abcd").first.code, p::code::ok);
  const auto before = dump();
  auto [out, fx] = chunk(kAlice, "m1", 2, 2, "ef");
  EXPECT_EQ(out.code, p::code::media_size_mismatch);
  EXPECT_FALSE(out.stored);
  EXPECT_FALSE(out.last);
  EXPECT_EQ(fx.tally.get(message_kind::media_chunk), 0u);
  EXPECT_EQ(changed_tables(before, dump()), "");
  EXPECT_FALSE(chunk_bytes("m1", 2));
  EXPECT_EQ(media("m1")->bytes, 4u);
}

TEST_F(MediaTest, TheLastChunkInAnyOrderCompletesTheSet) {
  upload(alice, "bob", "m1", 5);
  auto [second, fx1] = chunk(kAlice, "m1", 2, 2, "de");
  EXPECT_FALSE(second.last);
  auto [first, fx2] = chunk(kAlice, "m1", 1, 2, "abc");
  EXPECT_EQ(first.code, p::code::ok);
  EXPECT_TRUE(first.stored);
  EXPECT_TRUE(first.last);
  EXPECT_FALSE(first.mismatch);
  EXPECT_EQ(first.receiver, kBob);
  EXPECT_EQ(fx1.tally.get(message_kind::media_chunk) + fx2.tally.get(message_kind::media_chunk), 2u);
  auto m = media("m1");
  EXPECT_EQ(m->chunks, 2u);
  EXPECT_EQ(m->bytes, 5u);
  EXPECT_FALSE(m->complete);  // complete_upload says so, once hashed
}

TEST_F(MediaTest, ALastChunkShortOfTheSizeIsAMismatch) {
  upload(alice, "bob", "m1", 5);
  ASSERT_FALSE(chunk(kAlice, "m1", 1, 2, "ab").first.last);
  auto [out, fx] = chunk(kAlice, "m1", 2, 2, "cd");
  EXPECT_EQ(out.code, p::code::ok);
  EXPECT_TRUE(out.stored);
  EXPECT_TRUE(out.last);
  EXPECT_TRUE(out.mismatch);
}

TEST_F(MediaTest, AChunkOfAFinishedUploadIsAcknowledgedAndIgnored) {
  upload_all(alice, "bob", "m1", "hello");
  const auto before = dump();
  auto [out, fx] = chunk(kAlice, "m1", 1, 1, "hello");
  EXPECT_EQ(out.code, p::code::ok);
  EXPECT_EQ(out.receiver, kBob);
  EXPECT_FALSE(out.stored);
  EXPECT_FALSE(out.last);
  EXPECT_EQ(fx.tally.get(message_kind::media_chunk), 0u);
  EXPECT_EQ(changed_tables(before, dump()), "");
}

// ---- complete_upload / publish_media -------------------------------------------------

TEST_F(MediaTest, CompletionTellsTheUploaderAndOffersTheMediaToALiveFriend) {
  online.log_in(kAlice);
  online.log_in(kBob);
  auto fx = upload_all(alice, "bob", "m1", "hello");
  EXPECT_TRUE(replies(fx).empty());
  ASSERT_EQ(fx.sends.size(), 2u);

  auto done = sent_to(fx, kAlice);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(type_of(done[0]), "MEDIA_MESSAGE_COMPLETE");
  EXPECT_EQ(payload(done[0]).at("sender"), kBob.c_str());
  EXPECT_EQ(payload(done[0]).at("receiver"), kAlice.c_str());
  EXPECT_EQ(payload(done[0]).at("mediaId"), "m1");
  EXPECT_EQ(code_of(done[0]), 0);

  auto m = media("m1");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->complete);
  EXPECT_EQ(m->sha256, kSha);
  EXPECT_NE(m->message_id, 0u);
  EXPECT_EQ(m->pending, 1u);
  EXPECT_EQ(m->recipients, std::vector<std::string>{kBob});
  EXPECT_EQ(deliveries(kBob), std::vector<std::string>{"m1"});

  auto offer = sent_to(fx, kBob);
  ASSERT_EQ(offer.size(), 1u);
  EXPECT_EQ(type_of(offer[0]), "MEDIA_MESSAGE");
  const auto& o = payload(offer[0]);
  EXPECT_EQ(o.at("sender"), kAlice.c_str());
  EXPECT_EQ(o.at("receiver"), kBob.c_str());
  EXPECT_EQ(o.at("mediaId"), "m1");
  EXPECT_EQ(o.at("mediaType"), "image/png");
  EXPECT_EQ(num(o.at("mediaSize")), 5);
  EXPECT_EQ(o.at("sha256"), kSha.c_str());
  EXPECT_EQ(num(o.at("totalChunks")), 1);
  EXPECT_EQ(o.at("messageId"), std::to_string(m->message_id).c_str());
  EXPECT_FALSE(o.contains("groupId"));
  EXPECT_FALSE(o.contains("group"));

  // In both histories, as a media message.
  EXPECT_EQ(history(kAlice), std::vector<std::uint64_t>{m->message_id});
  EXPECT_EQ(history(kBob), std::vector<std::uint64_t>{m->message_id});
  auto msg = message(m->message_id);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->timestamp, now);
  EXPECT_EQ(msg->sender, kAlice);
  EXPECT_EQ(msg->receiver, kBob);
  EXPECT_EQ(msg->content, "");
  EXPECT_EQ(msg->group_id, "");
  EXPECT_EQ(msg->media_id, "m1");
  EXPECT_EQ(msg->media_type, "image/png");
  EXPECT_EQ(msg->media_size, 5u);
  EXPECT_TRUE(outbox(kBeta).empty());
}

TEST_F(MediaTest, AnOfflineFriendGetsNoSendButTheDeliveryWaits) {
  auto fx = upload_all(alice, "bob", "m1");
  EXPECT_TRUE(fx.sends.empty());  // nobody online: not even the uploader's COMPLETE
  EXPECT_EQ(deliveries(kBob), std::vector<std::string>{"m1"});
  EXPECT_EQ(history(kBob).size(), 1u);
  EXPECT_TRUE(media("m1")->complete);

  // Catching up counts as not live: the offer comes after the login's backlog.
  online.log_in(kBob, "online", true);
  auto fx2 = upload_all(alice, "bob", "m2");
  EXPECT_TRUE(sent_to(fx2, kBob).empty());
  EXPECT_TRUE(has_delivery(kBob, "m2"));
}

TEST_F(MediaTest, GroupMediaGoesToEveryMemberButTheUploaderAndThoseWhoBlockIt) {
  befriend(kAlice, kCarol);
  save_group(kGroup, {kAlice, kBob, kCarol, kDave});
  block(kDave, kAlice);
  online.log_in(kAlice);
  online.log_in(kBob);
  online.log_in(kDave);  // carol is offline
  auto fx = upload_all(alice, "Club", "m1");

  auto m = media("m1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->recipients, (std::vector<std::string>{kBob, kCarol}));
  EXPECT_EQ(m->pending, 2u);
  EXPECT_TRUE(has_delivery(kBob, "m1"));
  EXPECT_TRUE(has_delivery(kCarol, "m1"));
  EXPECT_FALSE(has_delivery(kDave, "m1"));
  EXPECT_FALSE(has_delivery(kAlice, "m1"));

  auto offer = sent_to(fx, kBob);
  ASSERT_EQ(offer.size(), 1u);
  EXPECT_EQ(type_of(offer[0]), "MEDIA_MESSAGE");
  EXPECT_EQ(payload(offer[0]).at("receiver"), kGroup.c_str());  // the group id, not bob
  EXPECT_EQ(payload(offer[0]).at("groupId"), kGroup.c_str());
  EXPECT_EQ(payload(offer[0]).at("group"), "Club");
  EXPECT_TRUE(sent_to(fx, kDave).empty());
  EXPECT_TRUE(sent_to(fx, kCarol).empty());
  auto done = sent_to(fx, kAlice);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(type_of(done[0]), "MEDIA_MESSAGE_COMPLETE");
  EXPECT_EQ(payload(done[0]).at("sender"), kGroup.c_str());

  const std::vector<std::uint64_t> one{m->message_id};
  EXPECT_EQ(history(kAlice), one);
  EXPECT_EQ(history(kBob), one);
  EXPECT_EQ(history(kCarol), one);
  EXPECT_TRUE(history(kDave).empty());
  auto msg = message(m->message_id);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->receiver, kGroup);
  EXPECT_EQ(msg->group_id, kGroup);
  EXPECT_EQ(msg->group_name, "Club");
  EXPECT_EQ(msg->media_id, "m1");
}

TEST_F(MediaTest, AFriendOnAnotherNodeIsAnnouncedThroughItsOutbox) {
  befriend(kAlice, kErin);
  online.log_in(kAlice);
  auto fx = upload_all(alice, kErin, "m1", "hello");
  EXPECT_EQ(fx.pokes.count(kBeta), 1u);

  auto events = outbox(kBeta);
  ASSERT_EQ(events.size(), 1u);
  const auto& ev = events[0];
  EXPECT_EQ(ev.at("kind"), "media");
  EXPECT_EQ(ev.at("mediaId"), "m1");
  EXPECT_EQ(ev.at("sender"), kAlice.c_str());
  EXPECT_EQ(ev.at("receiver"), kErin.c_str());
  EXPECT_EQ(ev.at("mediaType"), "image/png");
  EXPECT_EQ(num(ev.at("mediaSize")), 5);
  EXPECT_EQ(num(ev.at("totalChunks")), 1);
  EXPECT_EQ(ev.at("sha256"), kSha.c_str());
  EXPECT_EQ(num(ev.at("timestamp")), now);
  EXPECT_EQ(strings(ev.at("to")), std::vector<std::string>{kErin});
  EXPECT_FALSE(ev.contains("group"));

  auto m = media("m1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->recipients, std::vector<std::string>{"@beta.example"});
  EXPECT_EQ(m->pending, 1u);
  EXPECT_TRUE(has_delivery("@beta.example", "m1"));
  EXPECT_FALSE(has_delivery(kErin, "m1"));
  // Only this node's users have a history here.
  EXPECT_EQ(history(kAlice), std::vector<std::uint64_t>{m->message_id});
  EXPECT_TRUE(history(kErin).empty());
  EXPECT_EQ(sent_to(fx, kAlice).size(), 1u);  // COMPLETE only
}

TEST_F(MediaTest, GroupMembersOnAnotherNodeAreOneAnnounceAndOneDelivery) {
  save_group(kGroup, {kAlice, kBob, kErin, kFrank});
  upload_all(alice, kGroup, "m1");
  auto events = outbox(kBeta);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "media");
  EXPECT_EQ(events[0].at("receiver"), kGroup.c_str());
  EXPECT_EQ(events[0].at("group"), "Club");
  EXPECT_EQ(strings(events[0].at("to")), (std::vector<std::string>{kErin, kFrank}));
  auto m = media("m1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->recipients, (std::vector<std::string>{kBob, "@beta.example"}));
  EXPECT_EQ(m->pending, 2u);
  EXPECT_TRUE(has_delivery(kBob, "m1"));
  EXPECT_TRUE(has_delivery("@beta.example", "m1"));
}

TEST_F(MediaTest, GroupMediaToAGroupHomedElsewhereIsToldToItsHomeOnly) {
  save_group(kRemoteGroup, {kErin, kAlice, kBob});  // this node's copy
  online.log_in(kAlice);
  online.log_in(kBob);
  auto fx = upload_all(alice, kRemoteGroup, "m1");

  auto events = outbox(kBeta);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "media");
  EXPECT_EQ(events[0].at("receiver"), kRemoteGroup.c_str());
  EXPECT_EQ(events[0].at("group"), "Club");
  EXPECT_TRUE(events[0].at("to").as_array().empty());  // the home decides
  // bob is a member here, but the home fans it out: nothing for him from this node.
  EXPECT_FALSE(has_delivery(kBob, "m1"));
  EXPECT_TRUE(sent_to(fx, kBob).empty());
  EXPECT_TRUE(history(kBob).empty());
  auto m = media("m1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->recipients, std::vector<std::string>{"@beta.example"});
  EXPECT_EQ(m->pending, 1u);
  EXPECT_EQ(history(kAlice), std::vector<std::uint64_t>{m->message_id});
  ASSERT_EQ(sent_to(fx, kAlice).size(), 1u);
  EXPECT_EQ(type_of(sent_to(fx, kAlice)[0]), "MEDIA_MESSAGE_COMPLETE");
}

TEST_F(MediaTest, MediaNobodyIsToGetIsPurged) {
  save_group(kGroup, {kAlice, kBob});
  block(kBob, kAlice);
  online.log_in(kAlice);
  auto fx = upload_all(alice, kGroup, "m1");
  EXPECT_FALSE(media("m1"));
  EXPECT_FALSE(chunk_bytes("m1", 1));
  EXPECT_TRUE(uploads(kAlice).empty());  // no longer counts against the quota
  EXPECT_TRUE(deliveries(kBob).empty());
  EXPECT_TRUE(sent_to(fx, kBob).empty());
  // The uploader still learns it is complete, and keeps it in its history.
  ASSERT_EQ(sent_to(fx, kAlice).size(), 1u);
  EXPECT_EQ(code_of(sent_to(fx, kAlice)[0]), 0);
  EXPECT_EQ(history(kAlice).size(), 1u);
  EXPECT_TRUE(history(kBob).empty());
}

TEST_F(MediaTest, CompletingUnknownOrFinishedMediaDoesNothing) {
  auto before = dump();
  auto fx = complete("nothing");
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_EQ(changed_tables(before, dump()), "");

  online.log_in(kAlice);
  upload_all(alice, "bob", "m1");
  before = dump();
  auto again = complete("m1", kOtherSha);
  EXPECT_TRUE(again.sends.empty());
  EXPECT_EQ(changed_tables(before, dump()), "");
}

// ---- media_offers --------------------------------------------------------------------

TEST_F(MediaTest, OffersListTheCompleteMediaWaitingForAUserStampedNow) {
  befriend(kBob, kCarol);
  upload_all(alice, "bob", "m1");
  upload_all(carol, "bob", "m2");
  upload(alice, "bob", "m3", 10);  // unfinished
  in_write([&](store::txn& t) { store::add_delivery(t, kBob, "m3"); });

  const std::int64_t later = now + 50;
  auto offers = read([&](const store::txn& t) { return media_offers(t, kBob, later); });
  ASSERT_EQ(offers.size(), 2u);
  auto o1 = parse(offers[0]);
  auto o2 = parse(offers[1]);
  EXPECT_EQ(type_of(o1), "MEDIA_MESSAGE");
  EXPECT_EQ(num(o1.at("timestamp")), later);
  EXPECT_EQ(num(o2.at("timestamp")), later);
  EXPECT_EQ(payload(o1).at("mediaId"), "m1");
  EXPECT_EQ(payload(o1).at("sender"), kAlice.c_str());
  EXPECT_EQ(payload(o1).at("receiver"), kBob.c_str());
  EXPECT_EQ(payload(o1).at("sha256"), kSha.c_str());
  EXPECT_EQ(payload(o1).at("messageId"), std::to_string(media("m1")->message_id).c_str());
  EXPECT_EQ(payload(o2).at("mediaId"), "m2");
  EXPECT_EQ(payload(o2).at("sender"), kCarol.c_str());

  EXPECT_TRUE(read([&](const store::txn& t) { return media_offers(t, kCarol, later); }).empty());
}

// ---- finish_delivery -----------------------------------------------------------------

TEST_F(MediaTest, FinishingADeliveryReleasesTheMediaAndPurgesItAfterTheLastRecipient) {
  befriend(kAlice, kCarol);
  save_group(kGroup, {kAlice, kBob, kCarol});
  upload_all(alice, kGroup, "m1");
  ASSERT_EQ(media("m1")->pending, 2u);

  // bob declines (no acknowledgement).
  auto fx = run([&](context& c) { finish_delivery(c, bob, "m1", kAlice, false, std::nullopt); });
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_FALSE(has_delivery(kBob, "m1"));
  ASSERT_TRUE(media("m1"));
  EXPECT_EQ(media("m1")->pending, 1u);
  EXPECT_TRUE(chunk_bytes("m1", 1));
  // Again: no delivery any more, nothing released twice.
  run([&](context& c) { finish_delivery(c, bob, "m1", kAlice, false, std::nullopt); });
  ASSERT_TRUE(media("m1"));
  EXPECT_EQ(media("m1")->pending, 1u);

  // carol completes: acknowledged, and the media goes.
  auto fx2 = run([&](context& c) { finish_delivery(c, carol, "m1", kAlice, true, "c1"); });
  auto a = only_reply(fx2, "MEDIA_MESSAGE_COMPLETE_ACK");
  EXPECT_EQ(payload(a).at("sender"), kAlice.c_str());
  EXPECT_EQ(payload(a).at("receiver"), kCarol.c_str());
  EXPECT_EQ(payload(a).at("mediaId"), "m1");
  EXPECT_EQ(code_of(a), 0);
  EXPECT_EQ(a.at("id"), "c1");
  EXPECT_FALSE(has_delivery(kCarol, "m1"));
  EXPECT_FALSE(media("m1"));
  EXPECT_FALSE(chunk_bytes("m1", 1));
  EXPECT_TRUE(uploads(kAlice).empty());
  // The history stays.
  EXPECT_EQ(history(kCarol).size(), 1u);
}

// ---- between nodes: "media" ------------------------------------------------------------

class MediaFederationTest : public MediaTest {
 protected:
  MediaFederationTest() { befriend(kAlice, kErin); }

  static json::object announce(const std::string& sender, const std::string& receiver, const std::vector<std::string>& to,
                               std::int64_t size = 5, std::int64_t total = 1, const std::string& media_id = "pic") {
    json::array a;
    for (const auto& u : to) a.emplace_back(u);
    return json::object{{"kind", "media"},  {"mediaId", media_id},    {"sender", sender},      {"receiver", receiver},
                        {"mediaType", "image/png"}, {"mediaSize", size}, {"totalChunks", total}, {"sha256", kSha},
                        {"timestamp", 1'799'999'000}, {"to", std::move(a)}};
  }
  static json::object done_ev(const std::string& media_id, std::int64_t code) {
    return json::object{{"kind", "media_done"}, {"mediaId", media_id}, {"code", code}};
  }

  // Refused with `code`: nothing kept, nothing sent, nobody poked.
  void expect_refused(const std::string& origin, const json::object& ev, int code) {
    SCOPED_TRACE(json::serialize(ev));
    const auto before = dump();
    auto r = apply(origin, ev);
    EXPECT_EQ(r.code, code) << r.reason;
    EXPECT_FALSE(r.reason.empty());
    EXPECT_TRUE(last.sends.empty());
    EXPECT_TRUE(last.pokes.empty());
    EXPECT_EQ(changed_tables(before, dump()), "");
  }
  // Declined: applied (0), "media_done" with `code` for the origin, a note, nothing fetched.
  void expect_declined(const json::object& ev, int code) {
    SCOPED_TRACE(json::serialize(ev));
    const auto fetches_before = read([](const store::txn& t) { return store::fetches(t).size(); });
    const auto events_before = outbox(kBeta).size();
    auto r = apply(kBeta, ev);
    EXPECT_EQ(r.code, 0) << r.reason;
    auto events = outbox(kBeta);
    ASSERT_EQ(events.size(), events_before + 1);
    EXPECT_EQ(events.back().at("kind"), "media_done");
    EXPECT_EQ(events.back().at("mediaId"), "pic");
    EXPECT_EQ(num(events.back().at("code")), code);
    EXPECT_EQ(last.pokes.count(kBeta), 1u);
    ASSERT_EQ(last.notes.size(), 1u);
    EXPECT_NE(last.notes[0].find("pic"), std::string::npos) << last.notes[0];
    EXPECT_TRUE(last.sends.empty());
    EXPECT_EQ(read([](const store::txn& t) { return store::fetches(t).size(); }), fetches_before);
    EXPECT_FALSE(media("pic"));
  }
};

TEST_F(MediaFederationTest, AMalformedAnnounceIs9003) {
  std::vector<json::object> bad;
  auto with = [&](std::string_view key, json::value v) {
    auto ev = announce(kErin, kAlice, {kAlice});
    ev[key] = std::move(v);
    bad.push_back(std::move(ev));
  };
  auto without = [&](std::string_view key) {
    auto ev = announce(kErin, kAlice, {kAlice});
    ev.erase(key);
    bad.push_back(std::move(ev));
  };
  with("mediaId", "a/b");
  with("mediaId", "");
  without("mediaId");
  without("sender");
  without("sha256");
  with("sha256", "ABCDEF");
  with("mediaSize", 0);
  with("totalChunks", 0);
  with("totalChunks", 6);  // more chunks than bytes
  with("to", "alice@alpha.example");
  with("sender", "#g@beta.example");  // no user id
  bad.push_back(announce(kErin, kAlice, {kAlice, "zed@gamma.example"}));  // to: users of this node only
  for (const auto& ev : bad) expect_refused(kBeta, ev, 9003);
}

TEST_F(MediaFederationTest, AnOriginThatDoesNotSpeakForTheSenderIs9005) {
  befriend(kAlice, kMallory);
  expect_refused(kBeta, announce(kMallory, kAlice, {kAlice}), 9005);
  expect_refused("gamma.example", announce(kErin, kAlice, {kAlice}), 9005);
}

TEST_F(MediaFederationTest, AReceiverThatIsNoUserOfThisNodeIs9003) {
  expect_refused(kBeta, announce(kErin, "zed@gamma.example", {kAlice}), 9003);
  expect_refused(kBeta, announce(kErin, kFrank, {kAlice}), 9003);
}

TEST_F(MediaFederationTest, AToOtherThanTheReceiverIs9003) {
  expect_refused(kBeta, announce(kErin, kAlice, {kBob}), 9003);
  expect_refused(kBeta, announce(kErin, kAlice, {}), 9003);
  expect_refused(kBeta, announce(kErin, kAlice, {kAlice, kBob}), 9003);
}

TEST_F(MediaFederationTest, AnUnknownUserIsDeclinedWith7001) {
  expect_declined(announce(kErin, kGhost, {kGhost}), 7001);
}

TEST_F(MediaFederationTest, AStrangerIsDeclinedWith7002) {
  expect_declined(announce(kDan, kAlice, {kAlice}), 7002);
}

TEST_F(MediaFederationTest, MediaAboveMaxBytesIsDeclinedWith8007) {
  cfg.media_max_bytes = 4;
  expect_declined(announce(kErin, kAlice, {kAlice}, 5, 1), 8007);
}

TEST_F(MediaFederationTest, AnAcceptedAnnounceIsRecordedAsAFetchAndPokesTheOrigin) {
  auto r = apply(kBeta, announce("erin", "alice", {"alice"}, 5, 2));  // bare ids: the origin's / this node's
  ASSERT_EQ(r.code, 0) << r.reason;
  EXPECT_EQ(last.pokes, std::set<std::string>{kBeta});
  EXPECT_TRUE(last.sends.empty());
  EXPECT_TRUE(last.notes.empty());
  EXPECT_TRUE(outbox(kBeta).empty());

  auto m = media("pic");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sender, kErin);
  EXPECT_EQ(m->receiver, kAlice);
  EXPECT_EQ(m->group_name, "");
  EXPECT_EQ(m->media_type, "image/png");
  EXPECT_EQ(m->size, 5u);
  EXPECT_EQ(m->total_chunks, 2u);
  EXPECT_EQ(m->created, now);
  EXPECT_FALSE(m->complete);
  EXPECT_TRUE(uploads(kErin).empty());

  auto f = fetch("pic");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->origin, kBeta);
  EXPECT_EQ(f->origin_id, "pic");
  EXPECT_EQ(f->sha256, kSha);
  EXPECT_EQ(f->to, std::vector<std::string>{kAlice});
  EXPECT_FALSE(f->home);
  EXPECT_EQ(f->timestamp, 1'799'999'000);
  EXPECT_EQ(f->attempts, 0u);
  EXPECT_TRUE(deliveries(kAlice).empty());  // not before the bytes are in
}

TEST_F(MediaFederationTest, AnAnnounceTimestampFarAheadIsThisNodesClock) {
  auto ev = announce(kErin, kAlice, {kAlice});
  ev["timestamp"] = now + cfg.max_clock_skew + 1;
  ASSERT_EQ(apply(kBeta, ev).code, 0);
  EXPECT_EQ(fetch("pic")->timestamp, now);
}

TEST_F(MediaFederationTest, AMediaIdTakenHereGetsAFreshLocalId) {
  upload(bob, "alice", "pic", 10);  // bob's own upload holds "pic"
  ASSERT_EQ(apply(kBeta, announce(kErin, kAlice, {kAlice})).code, 0);
  EXPECT_EQ(media("pic")->sender, kBob);  // untouched

  auto all = read([](const store::txn& t) { return store::fetches(t); });
  ASSERT_EQ(all.size(), 1u);
  const auto& [local_id, f] = all[0];
  EXPECT_NE(local_id, "pic");
  EXPECT_EQ(local_id.rfind("pic~", 0), 0u) << local_id;
  EXPECT_GT(local_id.size(), 4u);
  EXPECT_TRUE(valid_media_id(local_id));
  EXPECT_EQ(f.origin_id, "pic");
  auto m = media(local_id);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sender, kErin);

  // A second announce of the same id again gets an id of its own.
  ASSERT_EQ(apply(kBeta, announce(kErin, kAlice, {kAlice})).code, 0);
  auto both = read([](const store::txn& t) { return store::fetches(t); });
  ASSERT_EQ(both.size(), 2u);
  EXPECT_NE(both[0].first, both[1].first);
}

// ---- groups between nodes --------------------------------------------------------------

TEST_F(MediaFederationTest, TheHomesFanOutOfAMembersMediaIsFetchedForItsUsersHere) {
  save_group(kRemoteGroup, {kErin, kAlice, kBob, kGhost});
  auto ev = announce(kErin, kRemoteGroup, {kAlice, kBob, kGhost});
  ev["group"] = "Pics";
  auto r = apply(kBeta, ev);
  ASSERT_EQ(r.code, 0) << r.reason;
  EXPECT_EQ(last.pokes, std::set<std::string>{kBeta});
  auto m = media("pic");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->receiver, kRemoteGroup);
  EXPECT_EQ(m->group_name, "Pics");  // as the home names it
  EXPECT_EQ(m->sender, kErin);
  auto f = fetch("pic");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->to, (std::vector<std::string>{kAlice, kBob}));  // ghost has no account here
  EXPECT_FALSE(f->home);
}

TEST_F(MediaFederationTest, TheHomesFanOutWithoutAGroupNameTakesTheNameOfThisNodesCopy) {
  save_group(kRemoteGroup, {kErin, kAlice});
  ASSERT_EQ(apply(kBeta, announce(kErin, kRemoteGroup, {kAlice})).code, 0);
  EXPECT_EQ(media("pic")->group_name, "Club");
}

TEST_F(MediaFederationTest, TheHomesFanOutIsCheckedAgainstThisNodesCopy) {
  save_group(kRemoteGroup, {kErin, kAlice});
  expect_refused(kBeta, announce(kDan, kRemoteGroup, {kAlice}), 7003);         // the sender is no member
  expect_refused(kBeta, announce(kErin, kRemoteGroup, {kAlice, kBob}), 7003);  // nor is bob
  expect_refused(kBeta, announce(kErin, "#other@beta.example", {kAlice}), 7003);  // no copy here
  expect_refused(kBeta, announce(kErin, kRemoteGroup, {}), 9003);  // for nobody here
}

TEST_F(MediaFederationTest, TheHomesFanOutToNobodyWhoExistsHereIsDeclined) {
  save_group(kRemoteGroup, {kErin, kGhost});
  expect_declined(announce(kErin, kRemoteGroup, {kGhost}), 7001);
}

TEST_F(MediaFederationTest, AMembersMediaToAGroupHomedHereIsFetchedForTheHomesFanOut) {
  save_group(kGroup, {kAlice, kErin, kBob});
  auto r = apply(kBeta, announce(kErin, kGroup, {}));
  ASSERT_EQ(r.code, 0) << r.reason;
  EXPECT_EQ(last.pokes, std::set<std::string>{kBeta});
  auto m = media("pic");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->receiver, kGroup);
  EXPECT_EQ(m->group_name, "Club");
  auto f = fetch("pic");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->home);
  EXPECT_TRUE(f->to.empty());
}

TEST_F(MediaFederationTest, AMembersMediaToAGroupHomedHereIsDeclinedForANonMemberOrNoGroup) {
  save_group(kGroup, {kAlice, kErin});
  expect_declined(announce(kDan, kGroup, {}), 7003);
  expect_declined(announce(kErin, "#nope@alpha.example", {}), 7001);
}

TEST_F(MediaFederationTest, GroupMediaFromANodeThatNeitherHomesTheGroupNorSpeaksForTheSenderIs9005) {
  save_group(kGroup, {kAlice, kMallory});
  expect_refused(kBeta, announce(kMallory, kGroup, {}), 9005);  // homed here, sender of gamma
  save_group("#x@gamma.example", {kMallory, kAlice, kErin});
  expect_refused(kBeta, announce(kErin, "#x@gamma.example", {kAlice}), 9005);  // homed on gamma
}

// ---- between nodes: "media_done" -------------------------------------------------------

TEST_F(MediaFederationTest, MediaDoneReleasesTheOriginsDelivery) {
  befriend(kAlice, "zoe@gamma.example");
  save_group(kGroup, {kAlice, kErin, "zoe@gamma.example"});
  upload_all(alice, kGroup, "m1");
  ASSERT_EQ(media("m1")->pending, 2u);

  // gamma cannot let go for beta.
  ASSERT_EQ(apply("gamma.example", done_ev("m1", 0)).code, 0);
  EXPECT_TRUE(last.notes.empty());
  EXPECT_FALSE(has_delivery("@gamma.example", "m1"));
  EXPECT_TRUE(has_delivery("@beta.example", "m1"));
  EXPECT_EQ(media("m1")->pending, 1u);
  // Again from gamma: no delivery any more.
  auto before = dump();
  auto r = apply("gamma.example", done_ev("m1", 0));
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(last.notes.size(), 1u);
  EXPECT_EQ(changed_tables(before, dump()), "");

  // beta gives up (a code): released too, with a note; the last one purges it.
  auto r2 = apply(kBeta, done_ev("m1", 8005));
  EXPECT_EQ(r2.code, 0);
  ASSERT_EQ(last.notes.size(), 1u);
  EXPECT_NE(last.notes[0].find("8005"), std::string::npos) << last.notes[0];
  EXPECT_FALSE(has_delivery("@beta.example", "m1"));
  EXPECT_FALSE(media("m1"));
  EXPECT_FALSE(chunk_bytes("m1", 1));
}

TEST_F(MediaFederationTest, MediaDoneForNothingAwaitedIsAppliedWithANote) {
  upload_all(alice, "erin@beta.example", "m1");
  const auto before = dump();
  auto r = apply("gamma.example", done_ev("m1", 0));  // not announced to gamma
  EXPECT_EQ(r.code, 0);
  ASSERT_EQ(last.notes.size(), 1u);
  EXPECT_TRUE(last.sends.empty());
  EXPECT_EQ(changed_tables(before, dump()), "");
  r = apply(kBeta, done_ev("unknown", 0));
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(last.notes.size(), 1u);
  EXPECT_EQ(changed_tables(before, dump()), "");
  EXPECT_TRUE(media("m1"));
}

TEST_F(MediaFederationTest, MediaDoneWithABadMediaIdIs9003) {
  expect_refused(kBeta, done_ev("a/b", 0), 9003);
  expect_refused(kBeta, json::object{{"kind", "media_done"}, {"code", 0}}, 9003);
}

// ---- settle_fetch ----------------------------------------------------------------------

TEST_F(MediaFederationTest, SettlingAFetchThatIsGoneChangesNothing) {
  auto before = dump();
  EXPECT_EQ(settle("pic", kSha), fetch_outcome::gone);
  EXPECT_EQ(changed_tables(before, dump()), "");
  // A local upload is no fetch.
  upload(alice, "bob", "m1", 5);
  before = dump();
  EXPECT_EQ(settle("m1", kSha), fetch_outcome::gone);
  EXPECT_EQ(changed_tables(before, dump()), "");
}

TEST_F(MediaFederationTest, MatchingBytesArePublishedAndTheOriginTold) {
  upload(bob, "alice", "pic", 10);  // the fetch is filed under a fresh id
  ASSERT_EQ(apply(kBeta, announce(kErin, kAlice, {kAlice}, 5, 2)).code, 0);
  const auto local_id = read([](const store::txn& t) { return store::fetches(t).at(0).first; });
  fetched_chunks(local_id, {"hel", "lo"});
  online.log_in(kAlice);

  EXPECT_EQ(settle(local_id, kSha), fetch_outcome::published);
  EXPECT_FALSE(fetch(local_id));
  auto events = outbox(kBeta);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "media_done");
  EXPECT_EQ(events[0].at("mediaId"), "pic");  // the origin's id
  EXPECT_EQ(num(events[0].at("code")), 0);
  EXPECT_EQ(last.pokes.count(kBeta), 1u);

  auto m = media(local_id);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->complete);
  EXPECT_EQ(m->sha256, kSha);
  EXPECT_EQ(m->recipients, std::vector<std::string>{kAlice});
  EXPECT_EQ(m->pending, 1u);
  EXPECT_EQ(deliveries(kAlice), std::vector<std::string>{local_id});
  auto offer = sent_to(last, kAlice);
  ASSERT_EQ(offer.size(), 1u);
  EXPECT_EQ(type_of(offer[0]), "MEDIA_MESSAGE");
  EXPECT_EQ(payload(offer[0]).at("sender"), kErin.c_str());
  EXPECT_EQ(payload(offer[0]).at("mediaId"), local_id.c_str());
  EXPECT_EQ(payload(offer[0]).at("sha256"), kSha.c_str());
  EXPECT_EQ(payload(offer[0]).at("messageId"), std::to_string(m->message_id).c_str());
  // alice's history, at the origin's time; the sender's history is its node's.
  EXPECT_EQ(history(kAlice), std::vector<std::uint64_t>{m->message_id});
  EXPECT_TRUE(history(kErin).empty());
  auto msg = message(m->message_id);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->timestamp, 1'799'999'000);
  EXPECT_EQ(msg->sender, kErin);
  EXPECT_EQ(msg->media_id, local_id);
}

TEST_F(MediaFederationTest, TheHomeTellsTheOriginFirstThenFansTheMediaOut) {
  save_group(kGroup, {kAlice, kErin, kBob, kFrank, kDave});
  block(kDave, kErin);
  ASSERT_EQ(apply(kBeta, announce(kErin, kGroup, {})).code, 0);
  fetched_chunks("pic", {"hello"});
  online.log_in(kBob);

  EXPECT_EQ(settle("pic", kSha), fetch_outcome::published);
  auto events = outbox(kBeta);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("kind"), "media_done");  // first, so beta lets go of "pic"
  EXPECT_EQ(num(events[0].at("code")), 0);
  EXPECT_EQ(events[1].at("kind"), "media");
  EXPECT_EQ(events[1].at("receiver"), kGroup.c_str());
  EXPECT_EQ(events[1].at("group"), "Club");
  EXPECT_EQ(strings(events[1].at("to")), std::vector<std::string>{kFrank});  // erin is the sender

  auto m = media("pic");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->recipients, (std::vector<std::string>{kAlice, kBob, "@beta.example"}));
  EXPECT_FALSE(has_delivery(kDave, "pic"));
  EXPECT_TRUE(history(kDave).empty());
  ASSERT_EQ(sent_to(last, kBob).size(), 1u);
  EXPECT_EQ(payload(sent_to(last, kBob)[0]).at("groupId"), kGroup.c_str());
}

TEST_F(MediaFederationTest, TheHomesFanOutIsPublishedToTheUsersItNamed) {
  save_group(kRemoteGroup, {kErin, kAlice, kBob});
  ASSERT_EQ(apply(kBeta, announce(kErin, kRemoteGroup, {kAlice})).code, 0);
  fetched_chunks("pic", {"hello"});
  EXPECT_EQ(settle("pic", kSha), fetch_outcome::published);
  EXPECT_EQ(deliveries(kAlice), std::vector<std::string>{"pic"});
  EXPECT_TRUE(deliveries(kBob).empty());
  auto events = outbox(kBeta);
  ASSERT_EQ(events.size(), 1u);  // media_done only: nothing announced back to the home
  EXPECT_EQ(events[0].at("kind"), "media_done");
}

TEST_F(MediaFederationTest, MismatchingBytesAreDroppedAndFetchedAgain) {
  ASSERT_EQ(apply(kBeta, announce(kErin, kAlice, {kAlice}, 5, 2)).code, 0);
  fetched_chunks("pic", {"hel", "lx"});
  EXPECT_EQ(settle("pic", kOtherSha), fetch_outcome::refetch);
  EXPECT_FALSE(chunk_bytes("pic", 1));
  EXPECT_FALSE(chunk_bytes("pic", 2));
  auto m = media("pic");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->complete);
  EXPECT_EQ(m->bytes, 0u);
  EXPECT_EQ(m->chunks, 0u);
  EXPECT_EQ(m->total_chunks, 2u);
  ASSERT_TRUE(fetch("pic"));
  EXPECT_EQ(fetch("pic")->attempts, 1u);
  EXPECT_TRUE(outbox(kBeta).empty());
  EXPECT_TRUE(deliveries(kAlice).empty());

  // Bytes that do not add up (no hash) likewise.
  fetched_chunks("pic", {"hel"});
  EXPECT_EQ(settle("pic", ""), fetch_outcome::refetch);
  EXPECT_EQ(fetch("pic")->attempts, 2u);
  EXPECT_FALSE(chunk_bytes("pic", 1));
}

TEST_F(MediaFederationTest, AFetchIsGivenUpAfterMaxAttemptsAndTheOriginTold) {
  ASSERT_EQ(apply(kBeta, announce(kErin, kAlice, {kAlice})).code, 0);
  fetched_chunks("pic", {"fakes"});
  EXPECT_EQ(settle("pic", kOtherSha, 2), fetch_outcome::refetch);
  EXPECT_TRUE(outbox(kBeta).empty());
  fetched_chunks("pic", {"fakes"});
  EXPECT_EQ(settle("pic", kOtherSha, 2), fetch_outcome::failed);
  EXPECT_FALSE(media("pic"));
  EXPECT_FALSE(fetch("pic"));
  EXPECT_FALSE(chunk_bytes("pic", 1));
  EXPECT_TRUE(deliveries(kAlice).empty());
  EXPECT_TRUE(history(kAlice).empty());
  auto events = outbox(kBeta);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "media_done");
  EXPECT_EQ(events[0].at("mediaId"), "pic");
  EXPECT_EQ(num(events[0].at("code")), 8005);
  EXPECT_EQ(last.pokes.count(kBeta), 1u);
  EXPECT_EQ(settle("pic", kSha, 2), fetch_outcome::gone);
}

}  // namespace
}  // namespace chatnode::core::testing
