// The download state machine scripted without a socket: the offer, in-order chunks, the
// check before COMPLETE, duplicates after a reconnect, and what it refuses.
#include "client/media_download.hpp"

#include "client/connection.hpp"
#include "client/message_fields.hpp"
#include "crypto/encoding.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace chatnode::client {
namespace {

namespace json = boost::json;
using event = media_download::event;

json::object offer_message(std::uint64_t size = 5, std::uint32_t chunks = 2) {
  return make_message("MEDIA_MESSAGE", {{"sender", "alice@alpha.example"},
                                        {"receiver", "bob@alpha.example"},
                                        {"mediaId", "abc-note.txt"},
                                        {"mediaType", "text/plain"},
                                        {"mediaSize", size},
                                        {"sha256", "00"},
                                        {"totalChunks", chunks},
                                        {"messageId", "42"}});
}

json::object data(std::uint32_t index, std::string_view raw, std::uint32_t total = 2) {
  const std::vector<std::uint8_t> bytes(raw.begin(), raw.end());
  return make_message("MEDIA_MESSAGE_DATA", {{"sender", "alice@alpha.example"},
                                             {"receiver", "bob@alpha.example"},
                                             {"mediaId", "abc-note.txt"},
                                             {"data", crypto::base64_encode(bytes)},
                                             {"chunkIndex", index},
                                             {"totalChunks", total}});
}

media_download started(std::uint32_t stored = 0, std::uint64_t bytes = 0) {
  media_download d("bob", *parse_media_offer(offer_message()), stored, bytes);
  d.accept();
  return d;
}

TEST(MediaDownload, ParsesTheOffer) {
  const auto offer = parse_media_offer(offer_message());
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->sender, "alice@alpha.example");
  EXPECT_EQ(offer->size, 5U);
  EXPECT_EQ(offer->total_chunks, 2U);
  EXPECT_EQ(offer->message_id, "42");
  EXPECT_FALSE(parse_media_offer(make_message("MEDIA_MESSAGE", {{"mediaId", "x"}})));
  EXPECT_FALSE(parse_media_offer(make_message("TEXT_MESSAGE", {})));
}

TEST(MediaDownload, TakesChunksInOrderAndCompletesAfterTheCallerChecked) {
  media_download d("bob", *parse_media_offer(offer_message()));
  const auto accept = d.accept();
  EXPECT_EQ(type_of(accept), "MEDIA_MESSAGE_ACK");
  EXPECT_EQ(string_field(payload_of(accept), "receiver"), "alice@alpha.example");
  EXPECT_EQ(int_field(payload_of(accept), "code"), 0);
  EXPECT_FALSE(payload_of(accept).contains("receivedChunks"));

  ASSERT_EQ(d.on_message(data(1, "hel")), event::chunk);
  EXPECT_EQ(std::string(d.chunk_bytes().begin(), d.chunk_bytes().end()), "hel");
  const auto ack1 = d.stored();
  EXPECT_EQ(type_of(ack1), "MEDIA_MESSAGE_DATA_ACK");
  EXPECT_EQ(uint_field(payload_of(ack1), "chunkIndex"), 1U);
  EXPECT_FALSE(d.all_stored());

  ASSERT_EQ(d.on_message(data(2, "lo")), event::chunk);
  d.stored();
  EXPECT_TRUE(d.all_stored());
  EXPECT_EQ(d.stored_bytes(), 5U);
  EXPECT_EQ(type_of(d.complete()), "MEDIA_MESSAGE_COMPLETE");
  const auto done = make_message("MEDIA_MESSAGE_COMPLETE_ACK", {{"mediaId", "abc-note.txt"}, {"code", 0}});
  EXPECT_EQ(d.on_message(done), event::completed);
  EXPECT_EQ(d.state(), media_download::phase::done);
}

TEST(MediaDownload, AfterAReconnectListsWhatItHasAndAcksResentChunksAgain) {
  auto d = started();
  d.on_message(data(1, "hel"));
  d.stored();
  d.connection_lost();
  EXPECT_EQ(d.on_message(data(2, "lo")), event::not_mine) << "nothing accepted on the new connection yet";
  const auto again = d.accept();
  const auto listed = index_list(payload_of(again), "receivedChunks");
  EXPECT_EQ(listed, std::vector<std::uint32_t>{1});
  EXPECT_EQ(d.on_message(data(1, "hel")), event::duplicate);
  EXPECT_EQ(uint_field(payload_of(d.reack()), "chunkIndex"), 1U);
  EXPECT_EQ(d.on_message(data(2, "lo")), event::chunk);
}

TEST(MediaDownload, ResumesFromChunksStoredByAnEarlierRun) {
  auto d = started(1, 3);
  EXPECT_EQ(d.chunk_index(), 2U);
  EXPECT_EQ(d.on_message(data(2, "lo")), event::chunk);
  d.stored();
  EXPECT_TRUE(d.all_stored());
}

TEST(MediaDownload, RefusesGapsBadBase64AndTooManyBytes) {
  auto gap = started();
  EXPECT_EQ(gap.on_message(data(2, "lo")), event::failed);
  EXPECT_EQ(gap.failure_code(), 8002);

  auto bad = started();
  auto broken = data(1, "hel");
  broken["payload"].as_object()["data"] = "***";
  EXPECT_EQ(bad.on_message(broken), event::failed);
  EXPECT_EQ(bad.failure_code(), 8003);

  auto too_big = started();
  EXPECT_EQ(too_big.on_message(data(1, "hello!")), event::failed);
  EXPECT_EQ(too_big.failure_code(), 8005);

  auto short_last = started();
  short_last.on_message(data(1, "he"));
  short_last.stored();
  EXPECT_EQ(short_last.on_message(data(2, "l")), event::failed) << "2 chunks of 5 bytes must add up";
}

TEST(MediaDownload, ARefusedAcceptFailsTheDownload) {
  media_download d("bob", *parse_media_offer(offer_message()));
  const auto accept = d.accept();
  const auto error = make_message("ERROR", {{"code", 8001}, {"message", "no media"}}, id_of(accept));
  EXPECT_EQ(d.on_message(error), event::failed);
  EXPECT_EQ(d.failure_code(), 8001);
}

}  // namespace
}  // namespace chatnode::client
