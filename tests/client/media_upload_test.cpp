// The upload state machine scripted without a socket: window, acks, resume after a lost
// connection with receivedChunks, 8010, refusals, messages of other uploads.
#include "client/media_upload.hpp"

#include "client/connection.hpp"
#include "client/message_fields.hpp"
#include "crypto/encoding.hpp"

#include <boost/json/array.hpp>
#include <gtest/gtest.h>

#include <vector>

namespace chatnode::client {
namespace {

namespace json = boost::json;
using event = media_upload::event;
using phase = media_upload::phase;

media_upload::params three_chunks() {
  media_upload::params p;
  p.sender = "alice";
  p.receiver = "bob@alpha.example";
  p.media_id = "abc-photo.jpg";
  p.media_type = "image/jpeg";
  p.size = 2 * 1000 + 500;
  p.chunk_size = 1000;
  p.window = 2;
  return p;
}

json::object reply(std::string_view type, json::object payload, std::string id = {}) {
  auto m = make_message(type, std::move(payload), id.empty() ? std::nullopt : std::optional(id));
  return m;
}

json::object ack(std::int64_t code, std::vector<std::uint32_t> received = {}) {
  json::array list;
  for (auto i : received) list.emplace_back(i);
  return reply("MEDIA_MESSAGE_ACK", {{"mediaId", "abc-photo.jpg"}, {"code", code}, {"receivedChunks", list}});
}

json::object data_ack(std::uint32_t index, std::int64_t code = 0) {
  return reply("MEDIA_MESSAGE_DATA_ACK", {{"mediaId", "abc-photo.jpg"}, {"chunkIndex", index}, {"code", code}});
}

std::vector<std::uint8_t> bytes(std::size_t n) { return std::vector<std::uint8_t>(n, 0x5a); }

TEST(MediaUpload, OpensSendsWithinTheWindowAndCompletes) {
  media_upload up(three_chunks());
  EXPECT_EQ(up.total_chunks(), 3U);
  EXPECT_EQ(up.chunk_length(3), 500U);
  const auto open = up.open();
  EXPECT_EQ(type_of(open), "MEDIA_MESSAGE");
  EXPECT_EQ(uint_field(payload_of(open), "mediaSize"), 2500U);
  EXPECT_FALSE(up.next_chunk()) << "no chunk before the ACK";

  EXPECT_EQ(up.on_message(ack(0)), event::opened);
  ASSERT_EQ(up.next_chunk(), 1U);
  const auto first = up.data_message(1, bytes(1000));
  EXPECT_EQ(string_field(payload_of(first), "data"), crypto::base64_encode(bytes(1000)));
  EXPECT_EQ(uint_field(payload_of(first), "totalChunks"), 3U);
  ASSERT_EQ(up.next_chunk(), 2U);
  up.data_message(2, bytes(1000));
  EXPECT_FALSE(up.next_chunk()) << "window of 2 is full";

  EXPECT_EQ(up.on_message(data_ack(1)), event::chunk_acked);
  ASSERT_EQ(up.next_chunk(), 3U);
  up.data_message(3, bytes(500));
  EXPECT_EQ(up.on_message(data_ack(2)), event::chunk_acked);
  EXPECT_EQ(up.on_message(data_ack(3)), event::chunk_acked);
  EXPECT_EQ(up.state(), phase::finishing);
  EXPECT_EQ(up.acked_bytes(), 2500U);

  EXPECT_EQ(up.on_message(reply("MEDIA_MESSAGE_COMPLETE", {{"mediaId", "abc-photo.jpg"}, {"code", 0}})),
            event::completed);
  ASSERT_TRUE(up.complete_ack());
  EXPECT_EQ(type_of(*up.complete_ack()), "MEDIA_MESSAGE_COMPLETE_ACK");
  EXPECT_EQ(up.state(), phase::done);
}

TEST(MediaUpload, ResumesAfterALostConnectionWithOnlyTheMissingChunks) {
  media_upload up(three_chunks());
  up.open();
  up.on_message(ack(0));
  up.data_message(*up.next_chunk(), bytes(1000));
  up.data_message(*up.next_chunk(), bytes(1000));
  up.on_message(data_ack(1));
  up.connection_lost();
  EXPECT_EQ(up.state(), phase::idle);
  EXPECT_FALSE(up.next_chunk());

  up.open();
  EXPECT_EQ(up.on_message(ack(0, {1, 2})), event::opened);
  EXPECT_EQ(up.chunks_already_there(), 2U);
  ASSERT_EQ(up.next_chunk(), 3U) << "chunks 1 and 2 are on the node";
  up.data_message(3, bytes(500));
  EXPECT_FALSE(up.next_chunk());
  up.on_message(data_ack(3));
  EXPECT_EQ(up.state(), phase::finishing);
}

TEST(MediaUpload, AlreadyCompleteOnTheNodeIsDoneWithoutACompleteAck) {
  media_upload up(three_chunks());
  up.open();
  EXPECT_EQ(up.on_message(ack(8010)), event::completed);
  EXPECT_EQ(up.state(), phase::done);
  EXPECT_FALSE(up.complete_ack());
}

TEST(MediaUpload, RefusalsFailTheUpload) {
  media_upload refused(three_chunks());
  refused.open();
  EXPECT_EQ(refused.on_message(ack(7002)), event::failed);
  EXPECT_EQ(refused.failure_code(), 7002);

  media_upload bad_chunk(three_chunks());
  bad_chunk.open();
  bad_chunk.on_message(ack(0));
  bad_chunk.data_message(*bad_chunk.next_chunk(), bytes(1000));
  EXPECT_EQ(bad_chunk.on_message(data_ack(1, 8004)), event::failed);
  EXPECT_EQ(bad_chunk.failure_code(), 8004);

  media_upload error(three_chunks());
  const auto open = error.open();
  const auto e = reply("ERROR", {{"code", 9003}, {"message", "payload.mediaId: bad"}}, id_of(open));
  EXPECT_EQ(error.on_message(e), event::failed);
  EXPECT_EQ(error.failure_detail(), "payload.mediaId: bad");

  media_upload discarded(three_chunks());
  discarded.open();
  discarded.on_message(ack(0, {1, 2, 3}));
  EXPECT_EQ(discarded.on_message(reply("MEDIA_MESSAGE_COMPLETE", {{"mediaId", "abc-photo.jpg"}, {"code", 8005}})),
            event::failed);
}

TEST(MediaUpload, IgnoresMessagesAboutOtherMediaAndStaleAcks) {
  media_upload up(three_chunks());
  up.open();
  EXPECT_EQ(up.on_message(reply("MEDIA_MESSAGE_ACK", {{"mediaId", "other"}, {"code", 0}})), event::not_mine);
  EXPECT_EQ(up.on_message(reply("ERROR", {{"code", 9003}}, "someone-else")), event::not_mine);
  EXPECT_EQ(up.on_message(reply("TEXT_MESSAGE", {{"content", "hi"}})), event::not_mine);
  up.on_message(ack(0));
  EXPECT_EQ(up.on_message(ack(0)), event::not_mine) << "a second ACK on the same connection";
}

TEST(MediaUpload, RefusesAnEmptyFileAndOversizedChunks) {
  auto p = three_chunks();
  p.size = 0;
  EXPECT_THROW(media_upload{p}, std::invalid_argument);
  p = three_chunks();
  p.chunk_size = media_chunk_bytes + 1;
  EXPECT_THROW(media_upload{p}, std::invalid_argument);
}

}  // namespace
}  // namespace chatnode::client
