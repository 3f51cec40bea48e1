// Media transfer against a real node (docs/protocol.md §13, with §6 and §9 for receivers):
// uploads and deliveries of 10 MiB to online and offline friends and to groups, resumed
// uploads and downloads after dropped connections and after kill -9, every error code of
// the flow, and media items in the message history (§12).
#include "tests/integration/media_helpers.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include "crypto/encoding.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::size_t ten_mib = 10 * 1024 * 1024;

// first..last
std::vector<std::uint32_t> range(std::uint32_t first, std::uint32_t last) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

::testing::AssertionResult is_decimal(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << s << "\" is not a decimal message id";
}

// Byte-for-byte equality without printing megabytes on failure.
::testing::AssertionResult same_bytes(const std::vector<std::uint8_t>& got, std::span<const std::uint8_t> want) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "got " << got.size() << " bytes, want " << want.size();
  auto [a, b] = std::mismatch(got.begin(), got.end(), want.begin());
  if (a != got.end())
    return ::testing::AssertionFailure() << "bytes differ first at offset " << (a - got.begin());
  return ::testing::AssertionSuccess();
}

// The offer fields every recipient must see for a 1:1 media (docs §13 Delivery).
json::object offer_fields(std::string_view sender_full, std::string_view receiver_full, std::string_view media_id,
                          std::string_view media_type, std::span<const std::uint8_t> bytes, std::size_t chunk_size) {
  return json::object{{"sender", sender_full},
                      {"receiver", receiver_full},
                      {"mediaId", media_id},
                      {"mediaType", media_type},
                      {"mediaSize", bytes.size()},
                      {"sha256", sha256_hex(bytes)},
                      {"totalChunks", chunk_count(bytes.size(), chunk_size)}};
}

media_upload make_upload(std::string sender, std::string receiver, std::string media_id,
                         std::span<const std::uint8_t> bytes, std::size_t chunk_size = max_chunk_bytes,
                         std::string media_type = "application/octet-stream") {
  media_upload up;
  up.sender = std::move(sender);
  up.receiver = std::move(receiver);
  up.media_id = std::move(media_id);
  up.bytes = bytes;
  up.chunk_size = chunk_size;
  up.media_type = std::move(media_type);
  return up;
}

// A whole MESSAGE_HISTORY sync of `user` (docs §12); returns every item.
std::vector<json::object> history_of(client::connection& conn, std::string_view user) {
  send_request(conn, "MESSAGE_HISTORY_REQUEST", json::object{{"username", user}});
  const auto response = expect_either(conn, "MESSAGE_HISTORY_RESPONSE", "ERROR");
  if (!has_fields(response, "MESSAGE_HISTORY_RESPONSE", json::object{{"code", 0}}))
    throw std::runtime_error("history of " + std::string(user) + ": " + json::serialize(response));
  const auto begin = expect_message(conn, "MESSAGE_HISTORY_BEGIN");
  if (code_of(begin) != 0) throw std::runtime_error("history BEGIN: " + json::serialize(begin));
  send_request(conn, "MESSAGE_HISTORY_BEGIN_ACK", json::object{{"username", user}});
  std::vector<json::object> items;
  for (int guard = 0; guard < 1000; ++guard) {
    const auto step = expect_either(conn, "MESSAGE_HISTORY_DATA", "MESSAGE_HISTORY_COMPLETE");
    if (type_of(step) == "MESSAGE_HISTORY_COMPLETE") {
      send_request(conn, "MESSAGE_HISTORY_COMPLETE_ACK", json::object{{"username", user}});
      return items;
    }
    for (const auto& item : payload_of(step).at("messages").as_array()) items.push_back(item.as_object());
    send_request(conn, "MESSAGE_HISTORY_DATA_ACK",
                 json::object{{"username", user}, {"chunkIndex", payload_of(step).at("chunkIndex")}});
  }
  throw std::runtime_error("history of " + std::string(user) + ": no COMPLETE after 1000 chunks");
}

class IntegrationMedia : public ::testing::Test {
 protected:
  void start(node_options options = {}) {
    node_ = std::make_unique<node_process>(std::move(options));
    node_->start();
    register_users(*node_, {"alice", "bob", "carol", "dave", "erin"});
  }
  node_process& node() { return *node_; }

  // alice and bob logged in and friends (the usual start).
  void start_with_friends(node_options options = {}) {
    start(std::move(options));
    alice_ = login_user(node(), "alice");
    bob_ = login_user(node(), "bob");
    make_friends(*alice_, "alice", *bob_, "bob");
  }

  std::unique_ptr<node_process> node_;
  std::unique_ptr<client::connection> alice_;
  std::unique_ptr<client::connection> bob_;
};

class IntegrationMediaErrors : public IntegrationMedia {};
class IntegrationMediaDurability : public IntegrationMedia {};

// ---- delivery ---------------------------------------------------------------------------

TEST_F(IntegrationMedia, TenMebibytesReachAnOnlineFriendIntact) {
  start_with_friends();
  const auto bytes = random_bytes(ten_mib, 1);
  const auto up = make_upload("alice", "bob", "photo-1", bytes, max_chunk_bytes, "image/png");
  const auto sent = upload(*alice_, up);

  EXPECT_TRUE(has_fields(sent.ack, "MEDIA_MESSAGE_ACK",
                         json::object{{"receiver", "alice@localhost"}, {"mediaId", "photo-1"}, {"code", 0}}));
  EXPECT_TRUE(sent.already_there.empty());
  EXPECT_EQ(sent.sent.size(), 160u);
  EXPECT_TRUE(has_fields(sent.complete, "MEDIA_MESSAGE_COMPLETE",
                         json::object{{"receiver", "alice@localhost"}, {"mediaId", "photo-1"}, {"code", 0}}));

  const auto got = download(*bob_, "bob");
  EXPECT_TRUE(has_fields_without(got.offer, "MEDIA_MESSAGE",
                                 offer_fields("alice@localhost", "bob@localhost", "photo-1", "image/png", bytes,
                                              max_chunk_bytes),
                                 {"groupId", "group"}));
  EXPECT_EQ(got.total_chunks, 160u);
  EXPECT_TRUE(is_decimal(payload_string(got.offer, "messageId")));
  EXPECT_EQ(got.first_index, 1u);
  EXPECT_TRUE(got.completed);
  EXPECT_EQ(got.received_sha256, sha256_hex(bytes));
  EXPECT_TRUE(same_bytes(got.bytes, bytes));

  // The uploader is not offered its own media.
  barrier(*alice_, "alice");
  EXPECT_FALSE(alice_->has_queued("MEDIA_MESSAGE"));
}

TEST_F(IntegrationMedia, TenMebibytesReachAnOfflineFriendAfterTheirNextLogin) {
  start_with_friends();
  logout_user(*bob_, "bob");
  const auto bytes = random_bytes(ten_mib, 2);
  const auto sent = upload(*alice_, make_upload("alice", "bob", "offline-1", bytes, max_chunk_bytes, "video/mp4"));
  ASSERT_TRUE(has_fields(sent.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));

  bob_ = login_user(node(), "bob");  // LOGIN_RESPONSE first (checked there)
  // After the LOGIN_RESPONSE: the inbox, the friend statuses, then the offer (§13).
  std::vector<json::object> before_offer;
  json::object offer;
  for (int i = 0; i < 20; ++i) {
    auto m = expect_next(*bob_);
    if (type_of(m) == "MEDIA_MESSAGE") {
      offer = std::move(m);
      break;
    }
    before_offer.push_back(std::move(m));
  }
  ASSERT_EQ(type_of(offer), "MEDIA_MESSAGE");
  ASSERT_EQ(before_offer.size(), 1u) << json::serialize(json::value_from(before_offer));
  EXPECT_TRUE(has_fields(before_offer[0], "USER_STATUS_UPDATE", json::object{{"username", "alice@localhost"}}));
  EXPECT_TRUE(has_fields(offer, "MEDIA_MESSAGE",
                         offer_fields("alice@localhost", "bob@localhost", "offline-1", "video/mp4", bytes, max_chunk_bytes)));

  download_options options;
  options.offer = offer;
  const auto got = download(*bob_, "bob", std::move(options));
  EXPECT_TRUE(got.completed);
  EXPECT_TRUE(same_bytes(got.bytes, bytes));
}

TEST_F(IntegrationMedia, GroupMediaReachesEveryAcceptedMemberButTheSender) {
  start();
  auto alice = login_user(node(), "alice");
  auto bob = login_user(node(), "bob");
  auto carol = login_user(node(), "carol");
  auto dave = login_user(node(), "dave");
  make_friends(*alice, "alice", *bob, "bob");
  make_friends(*alice, "alice", *carol, "carol");
  make_friends(*alice, "alice", *dave, "dave");
  const std::string group = create_group_ok(*alice, "alice", {"bob", "carol", "dave"}, "Team");
  join_group(*alice, "alice", *bob, "bob", group, "Team");
  join_group(*alice, "alice", *carol, "carol", group, "Team");
  expect_message(*dave, "GROUP_INVITE");  // dave stays invited, not a member
  logout_user(*carol, "carol");

  // Odd sizes: 50000-byte chunks, a short last chunk.
  const auto bytes = random_bytes(3 * 1024 * 1024 + 12345, 3);
  auto up = make_upload("alice", group, "team-video", bytes, 50000, "video/webm");
  up.window = 4;
  const auto sent = upload(*alice, up);
  ASSERT_TRUE(has_fields(sent.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));

  json::object fields = offer_fields("alice@localhost", group, "team-video", "video/webm", bytes, 50000);
  fields["groupId"] = group;
  fields["group"] = "Team";

  const auto to_bob = download(*bob, "bob");
  EXPECT_TRUE(has_fields(to_bob.offer, "MEDIA_MESSAGE", fields));
  EXPECT_TRUE(same_bytes(to_bob.bytes, bytes));

  carol = login_user(node(), "carol");  // offline at completion: the offer follows her login
  const auto to_carol = download(*carol, "carol");
  EXPECT_TRUE(has_fields(to_carol.offer, "MEDIA_MESSAGE", fields));
  EXPECT_EQ(payload_string(to_carol.offer, "messageId"), payload_string(to_bob.offer, "messageId"));
  EXPECT_TRUE(same_bytes(to_carol.bytes, bytes));

  // dave (only invited) got no offer: a later text arrives with none before it.
  send_text_ok(*alice, "alice", "dave", "after the video");
  expect_message(*dave, "TEXT_MESSAGE");
  EXPECT_FALSE(dave->has_queued("MEDIA_MESSAGE"));
  // Nor did the sender.
  barrier(*alice, "alice");
  EXPECT_FALSE(alice->has_queued("MEDIA_MESSAGE"));

  // The receiver may also be one of the sender's group names (§9): the offer names the group by id.
  const auto note = random_bytes(1000, 33);
  const auto by_name = upload(*alice, make_upload("alice", "Team", "team-note", note));
  ASSERT_TRUE(has_fields(by_name.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  for (auto* conn : {bob.get(), carol.get()}) {
    const auto got = download(*conn, conn == bob.get() ? "bob" : "carol");
    EXPECT_TRUE(has_fields(got.offer, "MEDIA_MESSAGE",
                           json::object{{"receiver", group}, {"groupId", group}, {"group", "Team"}, {"mediaId", "team-note"}}));
    EXPECT_TRUE(same_bytes(got.bytes, note));
  }
}

TEST_F(IntegrationMedia, GroupRecipientsAreTheMembersAtCompletion) {
  start();
  auto alice = login_user(node(), "alice");
  auto bob = login_user(node(), "bob");
  auto carol = login_user(node(), "carol");
  make_friends(*alice, "alice", *bob, "bob");
  make_friends(*alice, "alice", *carol, "carol");
  const std::string group = create_group_ok(*alice, "alice", {"bob", "carol"}, "Crew");
  join_group(*alice, "alice", *bob, "bob", group, "Crew");

  const auto bytes = random_bytes(8000, 30);
  const auto up = make_upload("alice", group, "crew-media", bytes, 1000);
  ASSERT_TRUE(has_fields(open_upload(*alice, "alice", group, "crew-media", bytes.size()), "MEDIA_MESSAGE_ACK",
                         json::object{{"code", 0}}));
  send_chunks(*alice, up, range(1, 4));
  // Mid-upload carol joins and bob leaves.
  join_group(*alice, "alice", *carol, "carol", group, "Crew");
  send_request(*bob, "GROUP_LEAVE", json::object{{"sender", "bob"}, {"group", "Crew"}, {"groupId", group}});
  ASSERT_TRUE(has_fields(expect_either(*bob, "GROUP_LEAVE_ACK", "ERROR"), "GROUP_LEAVE_ACK", json::object{{"code", 0}}));
  send_chunks(*alice, up, range(5, 8));
  ASSERT_TRUE(has_fields(await_upload_complete(*alice, up), "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));

  const auto got = download(*carol, "carol");
  EXPECT_TRUE(has_fields(got.offer, "MEDIA_MESSAGE", json::object{{"receiver", group}, {"groupId", group}, {"group", "Crew"}}));
  EXPECT_TRUE(same_bytes(got.bytes, bytes));
  send_text_ok(*alice, "alice", "bob", "you left before it was complete");
  expect_message(*bob, "TEXT_MESSAGE");
  EXPECT_FALSE(bob->has_queued("MEDIA_MESSAGE"));

  // carol's history has the group media item.
  const auto items = history_of(*carol, "carol");
  const auto media = std::find_if(items.begin(), items.end(), [](const json::object& item) {
    return item.contains("mediaId") && item.at("mediaId") == "crew-media";
  });
  ASSERT_NE(media, items.end()) << json::serialize(json::value_from(items));
  EXPECT_EQ(media->at("receiver"), json::value(group));
  EXPECT_EQ(media->if_contains("groupId") ? *media->if_contains("groupId") : json::value(), json::value(group));
  EXPECT_EQ(media->if_contains("group") ? *media->if_contains("group") : json::value(), json::value("Crew"));
  EXPECT_EQ(media->at("content"), "");
}

TEST_F(IntegrationMedia, UploadResumesAfterADroppedConnection) {
  start_with_friends();
  const auto bytes = random_bytes(4 * 1024 * 1024 + 123, 4);  // 65 chunks
  const auto up = make_upload("alice", "bob", "resume-up", bytes);
  ASSERT_EQ(up.total_chunks(), 65u);

  const auto first = open_upload(*alice_, "alice", "bob", "resume-up", bytes.size());
  ASSERT_TRUE(has_fields(first, "MEDIA_MESSAGE_ACK", json::object{{"code", 0}, {"receivedChunks", json::array{}}}));
  send_chunks(*alice_, up, range(1, 32));  // acknowledged
  for (std::uint32_t i = 33; i <= 36; ++i)  // in flight when the connection drops
    send_chunk(*alice_, "alice", "bob", "resume-up", chunk_of(bytes, max_chunk_bytes, i), i, up.total_chunks());
  alice_->abort();

  alice_ = relogin(node(), "alice");
  const auto resumed = upload(*alice_, up);
  const std::set<std::uint32_t> listed(resumed.already_there.begin(), resumed.already_there.end());
  EXPECT_EQ(listed.size(), resumed.already_there.size()) << "receivedChunks lists a chunk twice";
  for (std::uint32_t i = 1; i <= 32; ++i) EXPECT_TRUE(listed.count(i)) << "acknowledged chunk " << i << " not listed";
  for (auto i : listed) EXPECT_TRUE(i >= 1 && i <= 36) << "chunk " << i << " was never sent";
  EXPECT_EQ(resumed.sent.size() + listed.size(), 65u);
  EXPECT_TRUE(has_fields(resumed.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"mediaId", "resume-up"}, {"code", 0}}));

  const auto got = download(*bob_, "bob");
  EXPECT_EQ(payload_string(got.offer, "sha256"), sha256_hex(bytes));
  EXPECT_TRUE(same_bytes(got.bytes, bytes));
}

TEST_F(IntegrationMedia, DownloadResumesFromTheFirstUnacknowledgedChunk) {
  start_with_friends();
  const auto bytes = random_bytes(2 * 1024 * 1024 + 7, 5);  // 33 chunks, the last of 7 bytes
  const auto sent = upload(*alice_, make_upload("alice", "bob", "resume-down", bytes));
  ASSERT_TRUE(has_fields(sent.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));

  download_options half;
  half.stop_after = 16;
  const auto first = download(*bob_, "bob", std::move(half));
  ASSERT_EQ(first.first_index, 1u);
  ASSERT_EQ(first.last_index, 16u);
  barrier(*bob_, "bob");  // the acks are processed (and their progress written) before the drop
  bob_->abort();

  bob_ = relogin(node(), "bob");
  download_options rest;
  rest.prefix = first.bytes;
  const auto second = download(*bob_, "bob", std::move(rest));
  EXPECT_EQ(payload_string(second.offer, "mediaId"), "resume-down");
  EXPECT_EQ(payload_string(second.offer, "messageId"), payload_string(first.offer, "messageId"));
  EXPECT_EQ(payload_string(second.offer, "sha256"), first.sha256);
  EXPECT_GT(second.first_index, 1u);
  EXPECT_EQ(second.first_index, first.last_index + 1);
  EXPECT_TRUE(second.completed);
  EXPECT_TRUE(same_bytes(second.bytes, bytes));
}

TEST_F(IntegrationMedia, AResumedDownloadSkipsTheChunksTheRecipientLists) {
  start_with_friends();
  const auto bytes = random_bytes(20 * 1000, 31);  // 20 chunks of 1000
  const auto sent = upload(*alice_, make_upload("alice", "bob", "listed", bytes, 1000));
  ASSERT_TRUE(has_fields(sent.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  download_options part;
  part.stop_after = 5;
  const auto first = download(*bob_, "bob", std::move(part));
  ASSERT_EQ(first.last_index, 5u);
  barrier(*bob_, "bob");
  bob_->abort();

  // bob also holds chunks 6-8 and 10 (say from the chunks sent ahead of his acks).
  bob_ = relogin(node(), "bob");
  expect_message(*bob_, "MEDIA_MESSAGE");
  send_request(*bob_, "MEDIA_MESSAGE_ACK",
               json::object{{"sender", "bob"}, {"receiver", "alice@localhost"}, {"mediaId", "listed"}, {"code", 0},
                            {"receivedChunks", json::array{6, 7, 8, 10}}});
  std::vector<std::uint32_t> indexes;
  while (indexes.size() < 11) {
    const auto data = expect_message(*bob_, "MEDIA_MESSAGE_DATA");
    const auto index = static_cast<std::uint32_t>(payload_of(data).at("chunkIndex").to_number<std::uint64_t>());
    const auto chunk = crypto::base64_decode(payload_string(data, "data"));
    ASSERT_TRUE(chunk.has_value());
    EXPECT_TRUE(same_bytes(*chunk, chunk_of(bytes, 1000, index))) << "chunk " << index;
    indexes.push_back(index);
    send_request(*bob_, "MEDIA_MESSAGE_DATA_ACK",
                 json::object{{"sender", "bob"}, {"receiver", "alice@localhost"}, {"mediaId", "listed"},
                              {"chunkIndex", index}, {"code", 0}});
  }
  std::vector<std::uint32_t> want{9};
  for (std::uint32_t i = 11; i <= 20; ++i) want.push_back(i);
  EXPECT_EQ(indexes, want);
  send_request(*bob_, "MEDIA_MESSAGE_COMPLETE",
               json::object{{"sender", "bob"}, {"receiver", "alice@localhost"}, {"mediaId", "listed"}, {"code", 0}});
  EXPECT_TRUE(has_fields(expect_either(*bob_, "MEDIA_MESSAGE_COMPLETE_ACK", "ERROR"), "MEDIA_MESSAGE_COMPLETE_ACK",
                         json::object{{"mediaId", "listed"}, {"code", 0}}));
}

TEST_F(IntegrationMedia, DeliveryKeepsAWindowAndChecksTheRecipientsMessages) {
  start_with_friends();
  const auto bytes = random_bytes(20000, 6);  // 20 chunks of 1000 bytes
  const auto sent = upload(*alice_, make_upload("alice", "bob", "windowed", bytes, 1000));
  ASSERT_TRUE(has_fields(sent.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  const auto offer = expect_message(*bob_, "MEDIA_MESSAGE");

  auto send = [&](std::string_view type, json::object extra) {
    json::object payload{{"sender", "bob"}, {"receiver", "alice@localhost"}};
    for (const auto& [k, v] : extra) payload[k] = v;
    send_request(*bob_, type, std::move(payload));
  };
  // Nothing in progress yet: an ACK of an unknown offer, a DATA_ACK, a COMPLETE: ERROR 8001.
  send("MEDIA_MESSAGE_ACK", {{"mediaId", "no-such-media"}, {"code", 0}});
  EXPECT_TRUE(is_error(expect_message(*bob_, "ERROR"), 8001, "MEDIA_MESSAGE_ACK"));
  send("MEDIA_MESSAGE_DATA_ACK", {{"mediaId", "windowed"}, {"chunkIndex", 1}, {"code", 0}});
  EXPECT_TRUE(is_error(expect_message(*bob_, "ERROR"), 8001, "MEDIA_MESSAGE_DATA_ACK"));
  send("MEDIA_MESSAGE_COMPLETE", {{"mediaId", "windowed"}, {"code", 0}});
  EXPECT_TRUE(is_error(expect_message(*bob_, "ERROR"), 8001, "MEDIA_MESSAGE_COMPLETE"));

  send("MEDIA_MESSAGE_ACK", {{"mediaId", "windowed"}, {"code", 0}});
  std::vector<std::uint8_t> got;
  auto take = [&](std::uint32_t want) {
    const auto data = expect_message(*bob_, "MEDIA_MESSAGE_DATA");
    ASSERT_TRUE(has_fields(data, "MEDIA_MESSAGE_DATA",
                           json::object{{"sender", "alice@localhost"},
                                        {"receiver", "bob@localhost"},
                                        {"mediaId", "windowed"},
                                        {"chunkIndex", want},
                                        {"totalChunks", 20}}));
    const auto chunk = crypto::base64_decode(payload_string(data, "data"));
    ASSERT_TRUE(chunk.has_value());
    got.insert(got.end(), chunk->begin(), chunk->end());
  };
  for (std::uint32_t i = 1; i <= 8; ++i) take(i);
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(bob_->has_queued("MEDIA_MESSAGE_DATA")) << "more than media.delivery_window (8) chunks ahead";

  send("MEDIA_MESSAGE_DATA_ACK", {{"mediaId", "windowed"}, {"chunkIndex", 12}, {"code", 0}});
  EXPECT_TRUE(is_error(expect_message(*bob_, "ERROR"), 8002, "MEDIA_MESSAGE_DATA_ACK"));
  send("MEDIA_MESSAGE_COMPLETE", {{"mediaId", "windowed"}, {"code", 0}});
  EXPECT_TRUE(has_fields(expect_message(*bob_, "MEDIA_MESSAGE_COMPLETE_ACK"), "MEDIA_MESSAGE_COMPLETE_ACK",
                         json::object{{"mediaId", "windowed"}, {"code", 8005}}));

  send("MEDIA_MESSAGE_DATA_ACK", {{"mediaId", "windowed"}, {"chunkIndex", 1}, {"code", 0}});
  take(9);  // one ack, one more chunk
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(bob_->has_queued("MEDIA_MESSAGE_DATA"));
  for (std::uint32_t i = 2; i <= 9; ++i) send("MEDIA_MESSAGE_DATA_ACK", {{"mediaId", "windowed"}, {"chunkIndex", i}, {"code", 0}});
  for (std::uint32_t i = 10; i <= 20; ++i) {
    take(i);
    send("MEDIA_MESSAGE_DATA_ACK", {{"mediaId", "windowed"}, {"chunkIndex", i}, {"code", 0}});
  }
  send("MEDIA_MESSAGE_COMPLETE", {{"mediaId", "windowed"}, {"code", 0}});
  EXPECT_TRUE(has_fields(expect_message(*bob_, "MEDIA_MESSAGE_COMPLETE_ACK"), "MEDIA_MESSAGE_COMPLETE_ACK",
                         json::object{{"sender", "alice@localhost"}, {"receiver", "bob@localhost"},
                                      {"mediaId", "windowed"}, {"code", 0}}));
  EXPECT_TRUE(same_bytes(got, bytes));
  EXPECT_EQ(payload_string(offer, "sha256"), sha256_hex(bytes));
}

TEST_F(IntegrationMedia, ADeclinedOfferEndsThatDelivery) {
  start_with_friends();
  const auto bytes = random_bytes(5000, 7);
  const auto sent = upload(*alice_, make_upload("alice", "bob", "unwanted", bytes, 1000));
  ASSERT_TRUE(has_fields(sent.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  expect_message(*bob_, "MEDIA_MESSAGE");
  send_request(*bob_, "MEDIA_MESSAGE_ACK",
               json::object{{"sender", "bob"}, {"receiver", "alice@localhost"}, {"mediaId", "unwanted"}, {"code", 1}});
  barrier(*bob_, "bob");
  EXPECT_FALSE(bob_->has_queued("MEDIA_MESSAGE_DATA"));

  // No offer at the next login either.
  logout_user(*bob_, "bob");
  bob_ = login_user(node(), "bob");
  send_text_ok(*alice_, "alice", "bob", "did you look at it?");
  expect_message(*bob_, "TEXT_MESSAGE");
  EXPECT_FALSE(bob_->has_queued("MEDIA_MESSAGE"));
}

TEST_F(IntegrationMedia, HistoryListsMediaMessages) {
  start_with_friends();
  const std::string text_id = send_text_ok(*alice_, "alice", "bob", "a photo follows");
  expect_message(*bob_, "TEXT_MESSAGE");
  const auto bytes = random_bytes(100000, 8);
  const auto sent = upload(*alice_, make_upload("alice", "bob", "history-photo", bytes, max_chunk_bytes, "image/jpeg"));
  ASSERT_TRUE(has_fields(sent.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  const auto got = download(*bob_, "bob");
  ASSERT_TRUE(got.completed);
  const std::string media_message_id = payload_string(got.offer, "messageId");

  for (auto [conn, user] : {std::pair{alice_.get(), "alice"}, std::pair{bob_.get(), "bob"}}) {
    const auto items = history_of(*conn, user);
    ASSERT_EQ(items.size(), 2u) << user << ": " << json::serialize(json::value_from(items));
    EXPECT_EQ(items[0].at("messageId"), json::value(text_id));
    EXPECT_EQ(items[0].at("content"), "a photo follows");
    EXPECT_FALSE(items[0].contains("mediaId"));
    const auto& media = items[1];
    EXPECT_EQ(media.at("messageId"), json::value(media_message_id)) << user;
    EXPECT_EQ(media.at("sender"), "alice@localhost") << user;
    EXPECT_EQ(media.at("receiver"), "bob@localhost") << user;
    EXPECT_EQ(media.at("content"), "") << user;
    EXPECT_EQ(media.if_contains("mediaId") ? *media.if_contains("mediaId") : json::value(), json::value("history-photo")) << user;
    EXPECT_EQ(media.if_contains("mediaType") ? *media.if_contains("mediaType") : json::value(), json::value("image/jpeg")) << user;
    EXPECT_EQ(media.if_contains("mediaSize") ? *media.if_contains("mediaSize") : json::value(), json::value(100000)) << user;
    EXPECT_TRUE(media.contains("timestamp")) << user;
  }
}

// §6 "Full ids out": the upload replies name the receiver in full form even when the
// request used a bare name; replies carry the request's id.
TEST_F(IntegrationMedia, UploadRepliesNameUsersInFullFormAndEchoTheId) {
  start_with_friends();
  const auto bytes = random_bytes(1500, 9);
  const auto ack = open_upload(*alice_, "alice", "bob", "full-ids", bytes.size(), "text/plain", "m1");
  EXPECT_TRUE(has_id(ack, "m1"));
  EXPECT_TRUE(has_fields(ack, "MEDIA_MESSAGE_ACK",
                         json::object{{"sender", "bob@localhost"}, {"receiver", "alice@localhost"}, {"mediaId", "full-ids"},
                                      {"code", 0}, {"receivedChunks", json::array{}}}));
  send_chunk(*alice_, "alice", "bob", "full-ids", chunk_of(bytes, 1000, 1), 1, 2, "d1");
  const auto data_ack = expect_either(*alice_, "MEDIA_MESSAGE_DATA_ACK", "ERROR");
  EXPECT_TRUE(has_id(data_ack, "d1"));
  EXPECT_TRUE(has_fields(data_ack, "MEDIA_MESSAGE_DATA_ACK",
                         json::object{{"sender", "bob@localhost"}, {"receiver", "alice@localhost"}, {"mediaId", "full-ids"},
                                      {"chunkIndex", 1}, {"code", 0}}));
  const auto last = chunk_roundtrip(*alice_, "alice", "bob", "full-ids", chunk_of(bytes, 1000, 2), 2, 2);
  EXPECT_TRUE(has_fields(last, "MEDIA_MESSAGE_DATA_ACK", json::object{{"chunkIndex", 2}, {"code", 0}}));
  const auto complete = expect_message(*alice_, "MEDIA_MESSAGE_COMPLETE");
  EXPECT_TRUE(has_fields(complete, "MEDIA_MESSAGE_COMPLETE",
                         json::object{{"sender", "bob@localhost"}, {"receiver", "alice@localhost"}, {"mediaId", "full-ids"},
                                      {"code", 0}}));
}

// ---- errors -----------------------------------------------------------------------------

TEST_F(IntegrationMediaErrors, ReceiverMustBeAFriendOrOneOfTheSendersGroups) {
  start_with_friends();
  auto ack_code = [&](std::string_view receiver, std::string_view media_id) {
    const auto ack = open_upload(*alice_, "alice", receiver, media_id, 10);
    EXPECT_EQ(type_of(ack), "MEDIA_MESSAGE_ACK") << json::serialize(ack);
    EXPECT_EQ(payload_string(ack, "mediaId"), media_id);
    return code_of(ack);
  };
  EXPECT_EQ(ack_code("erin", "to-erin"), 7002);  // registered, not a friend
  EXPECT_EQ(ack_code("nobody", "to-nobody"), 7001);
  const std::string bobs = create_group_ok(*bob_, "bob", {}, "Solo");
  EXPECT_EQ(ack_code(bobs, "to-solo"), 7003);  // not a member
  create_group_ok(*alice_, "alice", {}, "Twin");
  create_group_ok(*alice_, "alice", {}, "Twin");
  EXPECT_EQ(ack_code("Twin", "to-twin"), 4003);
  // A refused MEDIA_MESSAGE opened nothing.
  const auto data = chunk_roundtrip(*alice_, "alice", "erin", "to-erin", random_bytes(10, 1), 1, 1);
  EXPECT_TRUE(has_fields(data, "MEDIA_MESSAGE_DATA_ACK", json::object{{"mediaId", "to-erin"}, {"code", 8001}}));
}

TEST_F(IntegrationMediaErrors, ChunkIndexAndTotalChunksAreChecked) {
  start_with_friends();
  const auto bytes = random_bytes(3000, 10);  // 3 chunks of 1000
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "indexes", 3000), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  auto code = [&](std::span<const std::uint8_t> chunk, std::uint32_t index, std::uint32_t total) {
    const auto ack = chunk_roundtrip(*alice_, "alice", "bob", "indexes", chunk, index, total);
    EXPECT_TRUE(has_fields(ack, "MEDIA_MESSAGE_DATA_ACK", json::object{{"mediaId", "indexes"}, {"chunkIndex", index}}));
    return code_of(ack);
  };
  EXPECT_EQ(code(chunk_of(bytes, 1000, 1), 0, 3), 8002);
  EXPECT_EQ(code(chunk_of(bytes, 1000, 1), 4, 3), 8002);
  EXPECT_EQ(code(chunk_of(bytes, 1000, 1), 1, 3001), 8002);  // more chunks than bytes: impossible
  EXPECT_EQ(code(chunk_of(bytes, 1000, 1), 1, 3), 0);
  EXPECT_EQ(code(chunk_of(bytes, 1000, 2), 2, 4), 8002);  // totalChunks changed
  EXPECT_EQ(code(chunk_of(bytes, 1000, 2), 2, 3), 0);
  EXPECT_EQ(code(chunk_of(bytes, 1000, 3), 3, 3), 0);
  const auto complete = expect_message(*alice_, "MEDIA_MESSAGE_COMPLETE");
  EXPECT_TRUE(has_fields(complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"mediaId", "indexes"}, {"code", 0}}));
  const auto got = download(*bob_, "bob");
  EXPECT_TRUE(same_bytes(got.bytes, bytes));

  // Too few chunks for mediaSize (64 KiB each at most): impossible too.
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "too-few", 200000), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  const auto few = chunk_roundtrip(*alice_, "alice", "bob", "too-few", random_bytes(1000, 2), 1, 1);
  EXPECT_TRUE(has_fields(few, "MEDIA_MESSAGE_DATA_ACK", json::object{{"chunkIndex", 1}, {"code", 8002}}));
}

TEST_F(IntegrationMediaErrors, ADuplicateChunkIsAcknowledgedAgainAndStoredOnce) {
  start_with_friends();
  const auto bytes = random_bytes(5000, 11);  // 3 chunks of 2000, 2000, 1000
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "dup", 5000), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  for (std::uint32_t i : {1u, 1u, 2u, 1u, 2u, 3u}) {
    const auto ack = chunk_roundtrip(*alice_, "alice", "bob", "dup", chunk_of(bytes, 2000, i), i, 3);
    EXPECT_TRUE(has_fields(ack, "MEDIA_MESSAGE_DATA_ACK", json::object{{"chunkIndex", i}, {"code", 0}})) << "chunk " << i;
  }
  const auto complete = expect_message(*alice_, "MEDIA_MESSAGE_COMPLETE");
  EXPECT_TRUE(has_fields(complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"mediaId", "dup"}, {"code", 0}}));
  const auto got = download(*bob_, "bob");
  EXPECT_EQ(got.total_chunks, 3u);
  EXPECT_TRUE(same_bytes(got.bytes, bytes));
}

TEST_F(IntegrationMediaErrors, BadBase64AndOversizedChunksAreRefused) {
  start_with_friends();
  const auto bytes = random_bytes(100000, 12);  // 2 chunks: 65536 + 34464
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "bad-data", 100000), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  auto code_for = [&](std::string data) {
    send_chunk_data(*alice_, "alice", "bob", "bad-data", std::move(data), 1, 2);
    const auto ack = expect_either(*alice_, "MEDIA_MESSAGE_DATA_ACK", "ERROR");
    EXPECT_EQ(type_of(ack), "MEDIA_MESSAGE_DATA_ACK") << json::serialize(ack);
    return code_of(ack);
  };
  EXPECT_EQ(code_for("not base64!"), 8003);
  EXPECT_EQ(code_for("QUJDRA"), 8003);  // padding missing
  EXPECT_EQ(code_for("QU JD"), 8003);
  EXPECT_EQ(code_for(""), 8003);  // empty
  const auto oversized = random_bytes(max_chunk_bytes + 1, 13);
  const auto big = chunk_roundtrip(*alice_, "alice", "bob", "bad-data", oversized, 1, 2);
  EXPECT_TRUE(has_fields(big, "MEDIA_MESSAGE_DATA_ACK", json::object{{"chunkIndex", 1}, {"code", 8004}}));

  // None of them was stored: the right chunks complete the media.
  const auto up = make_upload("alice", "bob", "bad-data", bytes);
  send_chunks(*alice_, up, {1, 2});
  EXPECT_TRUE(has_fields(await_upload_complete(*alice_, up), "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  const auto got = download(*bob_, "bob");
  EXPECT_TRUE(same_bytes(got.bytes, bytes));
}

TEST_F(IntegrationMediaErrors, MoreBytesThanMediaSizeAreRefusedAndNotStored) {
  start_with_friends();
  const auto first = random_bytes(60, 14);
  const auto too_much = random_bytes(60, 15);
  const auto right = random_bytes(40, 16);
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "overflow", 100), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  EXPECT_TRUE(has_fields(chunk_roundtrip(*alice_, "alice", "bob", "overflow", first, 1, 2), "MEDIA_MESSAGE_DATA_ACK",
                         json::object{{"chunkIndex", 1}, {"code", 0}}));
  EXPECT_TRUE(has_fields(chunk_roundtrip(*alice_, "alice", "bob", "overflow", too_much, 2, 2), "MEDIA_MESSAGE_DATA_ACK",
                         json::object{{"chunkIndex", 2}, {"code", 8005}}));
  EXPECT_TRUE(has_fields(chunk_roundtrip(*alice_, "alice", "bob", "overflow", right, 2, 2), "MEDIA_MESSAGE_DATA_ACK",
                         json::object{{"chunkIndex", 2}, {"code", 0}}));
  EXPECT_TRUE(has_fields(expect_message(*alice_, "MEDIA_MESSAGE_COMPLETE"), "MEDIA_MESSAGE_COMPLETE",
                         json::object{{"mediaId", "overflow"}, {"code", 0}}));
  std::vector<std::uint8_t> want = first;
  want.insert(want.end(), right.begin(), right.end());
  const auto got = download(*bob_, "bob");
  EXPECT_TRUE(same_bytes(got.bytes, want));
}

TEST_F(IntegrationMediaErrors, AllChunksInButTooFewBytesDiscardsTheUpload) {
  start_with_friends();
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "short", 100), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  for (std::uint32_t i : {1u, 2u}) {
    EXPECT_TRUE(has_fields(chunk_roundtrip(*alice_, "alice", "bob", "short", random_bytes(30, i), i, 2),
                           "MEDIA_MESSAGE_DATA_ACK", json::object{{"chunkIndex", i}, {"code", 0}}));
  }
  EXPECT_TRUE(has_fields(expect_message(*alice_, "MEDIA_MESSAGE_COMPLETE"), "MEDIA_MESSAGE_COMPLETE",
                         json::object{{"receiver", "alice@localhost"}, {"mediaId", "short"}, {"code", 8005}}));
  // Nothing was delivered, and the upload is gone: the same MEDIA_MESSAGE starts afresh.
  send_text_ok(*alice_, "alice", "bob", "after the short upload");
  expect_message(*bob_, "TEXT_MESSAGE");
  EXPECT_FALSE(bob_->has_queued("MEDIA_MESSAGE"));
  const auto again = open_upload(*alice_, "alice", "bob", "short", 100);
  EXPECT_TRUE(has_fields(again, "MEDIA_MESSAGE_ACK", json::object{{"code", 0}, {"receivedChunks", json::array{}}}));

  const auto bytes = random_bytes(100, 17);
  const auto up = make_upload("alice", "bob", "short", bytes, 60);
  send_chunks(*alice_, up, {1, 2});
  EXPECT_TRUE(has_fields(await_upload_complete(*alice_, up), "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  EXPECT_TRUE(same_bytes(download(*bob_, "bob").bytes, bytes));
}

TEST_F(IntegrationMediaErrors, UnknownAndForeignMediaIds) {
  start_with_friends();
  const auto unknown = chunk_roundtrip(*alice_, "alice", "bob", "never-opened", random_bytes(10, 1), 1, 1);
  EXPECT_TRUE(has_fields(unknown, "MEDIA_MESSAGE_DATA_ACK", json::object{{"mediaId", "never-opened"}, {"code", 8001}}));

  const auto bytes = random_bytes(2000, 18);
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "alices", 2000), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  // bob may not take over alice's mediaId, nor add chunks to her upload.
  EXPECT_TRUE(has_fields(open_upload(*bob_, "bob", "alice", "alices", 2000), "MEDIA_MESSAGE_ACK",
                         json::object{{"mediaId", "alices"}, {"code", 8006}}));
  EXPECT_TRUE(has_fields(chunk_roundtrip(*bob_, "bob", "alice", "alices", random_bytes(1000, 19), 1, 2),
                         "MEDIA_MESSAGE_DATA_ACK", json::object{{"mediaId", "alices"}, {"code", 8001}}));
  const auto done = upload(*alice_, make_upload("alice", "bob", "alices", bytes, 1000));
  EXPECT_TRUE(done.already_there.empty());
  EXPECT_TRUE(has_fields(done.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  EXPECT_TRUE(same_bytes(download(*bob_, "bob").bytes, bytes));
}

TEST_F(IntegrationMediaErrors, MediaIdSyntaxIsChecked) {
  start_with_friends();
  for (const std::string& bad : {std::string("has space"), std::string("slash/inside"), std::string("colon:inside"),
                                std::string("\xc3\xbcmlaut"), std::string(129, 'a'), std::string()}) {
    const auto reply = open_upload(*alice_, "alice", "bob", bad, 10, "text/plain", "bad-id");
    EXPECT_TRUE(is_error(reply, 9003, "MEDIA_MESSAGE")) << "mediaId \"" << bad << "\"";
    EXPECT_TRUE(has_id(reply, "bad-id"));
  }
  for (const std::string& good : {std::string(128, 'a'), std::string("A.b_c~d-9")}) {
    EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", good, 10), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}))
        << "mediaId \"" << good << "\"";
  }
}

TEST_F(IntegrationMediaErrors, TheActingUserMustBeTheLoggedInUser) {
  start_with_friends();
  EXPECT_TRUE(is_error(open_upload(*alice_, "bob", "alice", "impostor", 10), 9005, "MEDIA_MESSAGE"));
  send_chunk(*alice_, "bob", "alice", "impostor", random_bytes(10, 1), 1, 1);
  EXPECT_TRUE(is_error(expect_either(*alice_, "MEDIA_MESSAGE_DATA_ACK", "ERROR"), 9005, "MEDIA_MESSAGE_DATA"));

  const auto bytes = random_bytes(10, 2);
  ASSERT_TRUE(has_fields(upload(*alice_, make_upload("alice", "bob", "for-bob", bytes)).complete,
                         "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  expect_message(*bob_, "MEDIA_MESSAGE");
  send_request(*bob_, "MEDIA_MESSAGE_ACK",
               json::object{{"sender", "alice"}, {"receiver", "bob"}, {"mediaId", "for-bob"}, {"code", 0}});
  EXPECT_TRUE(is_error(expect_message(*bob_, "ERROR"), 9005, "MEDIA_MESSAGE_ACK"));
  EXPECT_FALSE(bob_->has_queued("MEDIA_MESSAGE_DATA"));
}

TEST_F(IntegrationMediaErrors, RepeatingACompleteUploadGets8010) {
  start_with_friends();
  logout_user(*bob_, "bob");  // the media waits for bob
  const auto bytes = random_bytes(3000, 20);
  const auto up = make_upload("alice", "bob", "done-once", bytes, 1000);
  ASSERT_TRUE(has_fields(upload(*alice_, up).complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "done-once", 3000), "MEDIA_MESSAGE_ACK",
                         json::object{{"mediaId", "done-once"}, {"code", 8010}}));
  bob_ = login_user(node(), "bob");
  EXPECT_TRUE(same_bytes(download(*bob_, "bob").bytes, bytes));
}

TEST_F(IntegrationMediaErrors, NothingIsDeliveredBeforeTheUploadCompletes) {
  start_with_friends();
  const auto bytes = random_bytes(10 * 1000, 21);
  const auto up = make_upload("alice", "bob", "partial", bytes, 1000);
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "partial", bytes.size()), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  send_chunks(*alice_, up, range(1, 9));
  send_text_ok(*alice_, "alice", "bob", "the video is coming");
  expect_message(*bob_, "TEXT_MESSAGE");
  EXPECT_FALSE(bob_->has_queued("MEDIA_MESSAGE"));
  EXPECT_FALSE(alice_->has_queued("MEDIA_MESSAGE_COMPLETE"));

  send_chunks(*alice_, up, {10});
  EXPECT_TRUE(has_fields(await_upload_complete(*alice_, up), "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  EXPECT_TRUE(same_bytes(download(*bob_, "bob").bytes, bytes));
}

TEST_F(IntegrationMediaErrors, MediaSizeAboveTheMaximumGets8007) {
  start_with_friends(with_media({}, json::object{{"max_bytes", 1000}}));
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "big", 1001), "MEDIA_MESSAGE_ACK",
                         json::object{{"mediaId", "big"}, {"code", 8007}}));
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "fits", 1000), "MEDIA_MESSAGE_ACK",
                         json::object{{"mediaId", "fits"}, {"code", 0}}));
  // mediaSize 0 is outside 1..max_bytes: refused one way or the other (the spec names no code).
  const auto empty = open_upload(*alice_, "alice", "bob", "empty", 0);
  EXPECT_TRUE(is_error(empty, 9003) || has_fields(empty, "MEDIA_MESSAGE_ACK", json::object{{"code", 8007}}))
      << json::serialize(empty);
}

TEST_F(IntegrationMediaErrors, TooManyUnfinishedUploadsGet8008) {
  start_with_friends(with_media({}, json::object{{"max_concurrent_uploads", 1}}));
  const auto first = random_bytes(2000, 22);
  const auto up = make_upload("alice", "bob", "first", first, 1000);
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "first", 2000), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "second", 2000), "MEDIA_MESSAGE_ACK",
                         json::object{{"mediaId", "second"}, {"code", 8008}}));
  // Resuming the unfinished one is not a new upload.
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "first", 2000), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  send_chunks(*alice_, up, {1, 2});
  EXPECT_TRUE(has_fields(await_upload_complete(*alice_, up), "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "second", 2000), "MEDIA_MESSAGE_ACK",
                         json::object{{"mediaId", "second"}, {"code", 0}}));
}

TEST_F(IntegrationMediaErrors, StorageQuotaGets8009UntilTheMediaIsDelivered) {
  start_with_friends(with_media({}, json::object{{"quota_bytes", 1000}}));
  const auto bytes = random_bytes(600, 23);
  const auto up = make_upload("alice", "bob", "six-hundred", bytes, 300);
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "six-hundred", 600), "MEDIA_MESSAGE_ACK", json::object{{"code", 0}}));
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "five-hundred", 500), "MEDIA_MESSAGE_ACK",
                         json::object{{"mediaId", "five-hundred"}, {"code", 8009}}));
  send_chunks(*alice_, up, {1, 2});
  EXPECT_TRUE(has_fields(await_upload_complete(*alice_, up), "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));
  // Complete but not yet delivered: still stored, still counted.
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "five-hundred", 500), "MEDIA_MESSAGE_ACK",
                         json::object{{"code", 8009}}));
  EXPECT_TRUE(same_bytes(download(*bob_, "bob").bytes, bytes));
  // Delivered to every recipient: deleted, no longer counted.
  EXPECT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "five-hundred", 500), "MEDIA_MESSAGE_ACK",
                         json::object{{"code", 0}}));
}

// ---- durability -------------------------------------------------------------------------

TEST_F(IntegrationMediaDurability, UploadResumesAfterTheNodeIsKilled) {
  start_with_friends();
  const auto bytes = random_bytes(3 * 1024 * 1024, 24);  // 48 chunks
  const auto up = make_upload("alice", "bob", "survivor", bytes);
  ASSERT_TRUE(has_fields(open_upload(*alice_, "alice", "bob", "survivor", bytes.size()), "MEDIA_MESSAGE_ACK",
                         json::object{{"code", 0}}));
  send_chunks(*alice_, up, range(1, 24));  // each acknowledged: durable

  node().kill9();
  node().start();
  alice_ = login_user(node(), "alice");
  const auto resumed = upload(*alice_, up);
  auto listed = resumed.already_there;
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, range(1, 24));
  EXPECT_EQ(resumed.sent, range(25, 48));
  EXPECT_TRUE(has_fields(resumed.complete, "MEDIA_MESSAGE_COMPLETE", json::object{{"code", 0}}));

  bob_ = login_user(node(), "bob");
  const auto got = download(*bob_, "bob");
  EXPECT_EQ(payload_string(got.offer, "sha256"), sha256_hex(bytes));
  EXPECT_TRUE(same_bytes(got.bytes, bytes));
}

}  // namespace
}  // namespace chatnode::testing
