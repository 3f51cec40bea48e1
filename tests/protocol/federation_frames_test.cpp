// Federation frames and events (protocol/federation.hpp): strict JSON, client messages as
// objects (never strings), and a carried message decodes as it would from a client.
#include "protocol/codec.hpp"
#include "protocol/federation.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <variant>

namespace chatnode::protocol {
namespace {
namespace json = boost::json;

TEST(FederationFrames, ADeliverEventCarriesTheMessageAsAnObject) {
  const std::string message = encode(envelope{text_message{"carol@beta.example", "bob@alpha.example", "hi \"you\""}, 5, "m1"});
  const auto ev = json::parse(fed::deliver_event({"bob@alpha.example", "dave@alpha.example"}, message, "r\"1")).as_object();
  EXPECT_EQ(ev.at("kind"), "deliver");
  EXPECT_EQ(ev.at("to").as_array().size(), 2u);
  EXPECT_EQ(ev.at("ref"), "r\"1");
  ASSERT_TRUE(ev.at("message").is_object());
  auto decoded = decode(ev.at("message").as_object());
  ASSERT_TRUE(std::holds_alternative<envelope>(decoded));
  const auto& env = std::get<envelope>(decoded);
  EXPECT_EQ(env.id, "m1");
  EXPECT_EQ(std::get<text_message>(env.body).content, "hi \"you\"");
}

TEST(FederationFrames, ActGroupAndMediaDoneEventsAreStrictJson) {
  const auto act = json::parse(fed::act_event("bob@beta.example", R"({"type":"GROUP_LEAVE","payload":{}})")).as_object();
  EXPECT_EQ(act.at("actor"), "bob@beta.example");
  EXPECT_TRUE(act.at("request").is_object());
  const auto gone = json::parse(fed::group_event("#g@alpha.example", std::nullopt, "", 0)).as_object();
  EXPECT_TRUE(gone.at("group").is_null());
  EXPECT_FALSE(gone.contains("seen"));
  const auto group = json::parse(fed::group_event("#g@alpha.example", R"({"name":"n"})", "s1", 7)).as_object();
  EXPECT_EQ(group.at("group").at("name"), "n");
  EXPECT_EQ(group.at("seen").at("seq"), 7);
  const auto done = json::parse(fed::media_done_event("cat.png", 8005)).as_object();
  EXPECT_EQ(done.at("code"), 8005);
}

// The "media" event as decode_event reads it, or nullopt.
std::optional<fed::media_announce> decode_media(const json::object& ev) {
  auto r = fed::decode_event(ev);
  const auto* kind = std::get_if<fed::event_kind>(&r);
  const auto* media = kind ? std::get_if<fed::media_announce>(kind) : nullptr;
  return media ? std::optional(*media) : std::nullopt;
}

TEST(FederationFrames, AMediaEventRoundTripsAndItsSizesMustAddUp) {
  fed::media_announce a{"cat.png", "carol@beta.example", "#g@alpha.example", "Team", "image/png", 1000, 2,
                        std::string(64, 'a'), 1700000000, {"bob@alpha.example"}};
  const auto ev = json::parse(fed::media_event(a)).as_object();
  EXPECT_EQ(ev.at("kind"), "media");
  auto back = decode_media(ev);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->media_id, "cat.png");
  EXPECT_EQ(back->group, "Team");
  EXPECT_EQ(back->total_chunks, 2u);
  EXPECT_EQ(back->timestamp, 1700000000);
  EXPECT_EQ(back->to, std::vector<std::string>{"bob@alpha.example"});
  auto with = [&](std::string_view key, json::value v) -> bool {
    auto copy = ev;
    copy[key] = std::move(v);
    return decode_media(copy).has_value();
  };
  EXPECT_FALSE(with("totalChunks", 1001));                            // more chunks than bytes
  EXPECT_FALSE(with("mediaSize", 2 * fed::max_chunk_bytes + 1));      // chunks larger than a node sends
  EXPECT_FALSE(with("sha256", json::string(std::string(64, 'A').c_str())));  // not lowercase hex
  EXPECT_FALSE(with("to", json::array{1}));
  EXPECT_TRUE(with("to", json::array{}));
}

TEST(FederationFrames, EventAndMediaDataFrames) {
  const auto frame = json::parse(fed::event_frame("0123.abc", 3, 2, R"({"kind":"reset"})")).as_object();
  EXPECT_EQ(frame.at("type"), "FED_EVENT");
  EXPECT_EQ(frame.at("stream"), "0123.abc");
  EXPECT_EQ(frame.at("seq"), 3);
  EXPECT_EQ(frame.at("after"), 2);
  EXPECT_EQ(frame.at("event").at("kind"), "reset");
  const auto data = json::parse(fed::media_data_frame("cat", 1, 2, "aGk=")).as_object();
  EXPECT_EQ(data.at("type"), "FED_MEDIA_DATA");
  EXPECT_EQ(data.at("chunkIndex"), 1);
  EXPECT_EQ(data.at("data"), "aGk=");
}

TEST(FederationFrames, AParsedMessageIsCheckedLikeAClientFrame) {
  const auto no_type = json::parse(R"({"payload":{}})").as_object();
  auto decoded = decode(no_type);
  ASSERT_TRUE(std::holds_alternative<decode_error>(decoded));
  EXPECT_EQ(std::get<decode_error>(decoded).message, "type: missing");
  const auto bad_field = json::parse(R"({"type":"TEXT_MESSAGE","payload":{"sender":"a@b.c","receiver":"d@e.f","content":7}})").as_object();
  decoded = decode(bad_field);
  ASSERT_TRUE(std::holds_alternative<decode_error>(decoded));
  EXPECT_EQ(std::get<decode_error>(decoded).error, code::invalid_field);
}

}  // namespace
}  // namespace chatnode::protocol
