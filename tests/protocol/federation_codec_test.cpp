// The typed federation codec (protocol/federation.hpp): the published frame and event
// vectors (docs/vectors/federation), a round trip of every frame and event kind, and the
// bytes: what encode() writes is what the node sends and stores (the builders, and the JSON
// the relay and the media fetcher make).
#include "protocol/federation.hpp"
#include "protocol/ids.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace chatnode::protocol::fed {

// GoogleTest finds these by ADL; without them a mismatch prints raw bytes.
inline void PrintTo(const frame_error& e, std::ostream* os) {
  *os << "frame_error{" << to_int(e.error) << ", type \"" << e.type << "\", \"" << e.message << "\"}";
}
inline void PrintTo(const frame_result& r, std::ostream* os) {
  if (const auto* f = std::get_if<frame>(&r)) return void(*os << encode(*f));
  PrintTo(std::get<frame_error>(r), os);
}
inline void PrintTo(const event_decode_result& r, std::ostream* os) {
  if (const auto* e = std::get_if<event_kind>(&r)) return void(*os << encode(*e));
  PrintTo(std::get<frame_error>(r), os);
}

namespace {
namespace json = boost::json;

json::value read_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return json::parse(std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()});
}

json::value read_vectors(std::string_view file) {
  return read_json(std::filesystem::path(CHATNODE_VECTOR_DIR) / "federation" / file);
}

std::string text(const json::value& v) { return std::string(v.as_string()); }

// A case's "input", or its "input_generated": prefix, then repeat count times, then suffix.
std::string input_of(const json::object& c) {
  if (c.contains("input")) return text(c.at("input"));
  const auto& g = c.at("input_generated").as_object();
  std::string body;
  for (auto n = g.at("count").as_int64(); n > 0; --n) body += g.at("repeat").as_string();
  return text(g.at("prefix")) + body + text(g.at("suffix"));
}

// An expected message ending in "…" gives its beginning only (the rest is the JSON parser's).
void expect_message(const std::string& got, std::string expected) {
  constexpr std::string_view ellipsis = "…";
  if (expected.ends_with(ellipsis)) {
    expected.resize(expected.size() - ellipsis.size());
    EXPECT_TRUE(got.starts_with(expected)) << got;
  } else {
    EXPECT_EQ(got, expected);
  }
}

void expect_error(const frame_error& got, const json::object& expected) {
  EXPECT_EQ(to_int(got.error), expected.at("code").as_int64());
  EXPECT_EQ(got.type, text(expected.at("type")));
  expect_message(got.message, text(expected.at("message")));
}

// Runs `check` on every case of `key` in a vector file, with the case's name in failures.
template <class Check>
std::size_t for_each_case(const json::value& root, std::string_view key, Check check) {
  const auto& cases = root.at(key).as_array();
  for (const auto& c : cases) {
    SCOPED_TRACE(text(c.at("name")));
    check(c.as_object());
  }
  return cases.size();
}

std::string_view name_of(const frame& f) { return type_of(f); }
std::string_view name_of(const event_kind& e) { return kind_of(e); }

// Every valid case of `key`: its input decodes (with `decode`) to its "decoded" fields and
// encodes to its "canonical" bytes, which decode the same. The type or kind names it covered.
template <class Decoded, class Decode>
std::set<std::string_view> check_valid(const json::value& root, std::string_view key, Decode decode) {
  std::set<std::string_view> names;
  const auto n = for_each_case(root, key, [&](const json::object& c) {
    const auto decoded = decode(input_of(c));
    const auto* x = std::get_if<Decoded>(&decoded);
    ASSERT_NE(x, nullptr) << testing::PrintToString(decoded);
    const std::string canonical = encode(*x);
    EXPECT_EQ(canonical, text(c.at("canonical")));
    EXPECT_EQ(json::parse(canonical), c.at("decoded")) << canonical;
    EXPECT_EQ(decode(canonical), decoded);
    names.insert(name_of(*x));
  });
  EXPECT_GE(n, 12u);  // the files hold more: this only catches a file read empty
  return names;
}

// Every invalid case of `key` gives its error.
template <class Decode>
void check_invalid(const json::value& root, std::string_view key, Decode decode) {
  const auto n = for_each_case(root, key, [&](const json::object& c) {
    const auto decoded = decode(input_of(c));
    const auto* e = std::get_if<frame_error>(&decoded);
    ASSERT_NE(e, nullptr) << testing::PrintToString(decoded);
    expect_error(*e, c.at("error").as_object());
  });
  EXPECT_GE(n, 20u);
}

// A frame decodes the same from its text and, when the text parses, from the parsed object.
frame_result decode_both(const std::string& input) {
  const auto decoded = decode_frame(input);
  const auto* e = std::get_if<frame_error>(&decoded);
  if (e == nullptr || (e->error != code::malformed_json && e->error != code::too_large)) {
    EXPECT_EQ(decode_frame(json::parse(input).as_object()), decoded);
  }
  return decoded;
}

event_decode_result decode_text(const std::string& input) { return decode_event(json::parse(input).as_object()); }

TEST(FederationVectors, ValidFramesDecodeToTheirFieldsAndEncodeCanonically) {
  const auto root = read_vectors("frames.json");
  EXPECT_EQ(root.at("kind"), "wire");
  EXPECT_EQ(check_valid<frame>(root, "frames", decode_both).size(), std::variant_size_v<frame>) << "every frame type";
}

TEST(FederationVectors, InvalidFramesGiveTheirError) { check_invalid(read_vectors("frames.json"), "invalid", decode_both); }

TEST(FederationVectors, ValidEventsDecodeToTheirFieldsAndEncodeCanonically) {
  const auto root = read_vectors("events.json");
  EXPECT_EQ(root.at("kind"), "wire");
  EXPECT_EQ(check_valid<event_kind>(root, "events", decode_text).size(), std::variant_size_v<event_kind>)
      << "every event kind";
}

TEST(FederationVectors, InvalidEventsGiveTheirError) { check_invalid(read_vectors("events.json"), "invalid", decode_text); }

TEST(FederationVectors, MediaIdsFollowTheIdVectors) {
  const auto root = read_json(std::filesystem::path(CHATNODE_VECTOR_DIR) / "crypto" / "ids.json");
  for (const auto& c : root.at("media_ids").as_array()) {
    EXPECT_EQ(is_media_id_syntax(text(c.at("value"))), c.at("valid").as_bool()) << c.at("value");
  }
}

TEST(FederationCodec, EveryFrameRoundTrips) {
  const std::vector<frame> frames{
      hello{"beta.example", protocol_version},
      event{"0192f3a4b5c6.k3x", 17, 12, json::object{{"kind", "reset"}}},
      ack{"s", 17, 0, std::nullopt},
      ack{"s", 18, 9005, "not yours"},
      media_fetch{"cat-video", 3},
      media_data{"cat-video", 1, 2, "aGk="},
      media_data_ack{"cat-video", 4294967295u},
      media_error{"cat-video", 8001, "gone"},
  };
  std::set<std::size_t> covered;
  for (const auto& f : frames) {
    EXPECT_EQ(decode_frame(encode(f)), frame_result(f)) << encode(f);
    covered.insert(f.index());
  }
  EXPECT_EQ(covered.size(), std::variant_size_v<frame>);
}

TEST(FederationCodec, EveryEventRoundTrips) {
  const json::object message{{"type", "USER_LOGOUT"}, {"timestamp", 5}, {"payload", {{"username", "carol"}}}};
  const std::vector<event_kind> events{
      deliver{{"bob@alpha.example"}, message, "r1"},
      deliver{{"bob@alpha.example", "dave@alpha.example"}, message, std::nullopt},
      act{"carol@beta.example", message},
      group{"#g1@alpha.example", json::object{{"name", "Team"}}, stream_pos{"s", 7}},
      group{"#g1@alpha.example", std::nullopt, std::nullopt},
      reset{},
      media_announce{"cat", "carol@beta.example", "bob@alpha.example", "Team", "image/png", 1000, 2, std::string(64, 'a'),
                     1700000000, {"bob@alpha.example"}},
      media_done{"cat", 8005},
  };
  std::set<std::size_t> covered;
  for (const auto& e : events) {
    EXPECT_EQ(decode_event(json::parse(encode(e)).as_object()), event_decode_result(e)) << encode(e);
    covered.insert(e.index());
  }
  EXPECT_EQ(covered.size(), std::variant_size_v<event_kind>);
}

// What the relay and the media fetcher send, built as they build it (Boost.JSON objects).
TEST(FederationCodec, FramesAreTheBytesTheNodeSends) {
  const std::string stream = "0192f3a4b5c6.k3x \"\\\n";
  EXPECT_EQ(encode(ack{stream, 17, 0, std::nullopt}),
            json::serialize(json::object{{"type", "FED_ACK"}, {"stream", stream}, {"seq", std::uint64_t{17}}, {"code", 0}}));
  json::object refused{{"type", "FED_ACK"}, {"stream", stream}, {"seq", std::uint64_t{18}}, {"code", 9005}};
  refused["reason"] = "beta.example does not speak for bob@alpha.example";
  EXPECT_EQ(encode(ack{stream, 18, 9005, "beta.example does not speak for bob@alpha.example"}), json::serialize(refused));
  EXPECT_EQ(encode(media_fetch{"cat-video", 3}),
            json::serialize(json::object{{"type", "FED_MEDIA_FETCH"}, {"mediaId", "cat-video"}, {"from", std::uint32_t{3}}}));
  EXPECT_EQ(encode(media_data_ack{"cat-video", 7}),
            json::serialize(json::object{{"type", "FED_MEDIA_DATA_ACK"}, {"mediaId", "cat-video"}, {"chunkIndex", std::uint32_t{7}}}));
  EXPECT_EQ(encode(media_error{"cat-video", 8001, "no media cat-video for beta.example"}),
            json::serialize(json::object{{"type", "FED_MEDIA_ERROR"},
                                         {"mediaId", "cat-video"},
                                         {"code", 8001},
                                         {"reason", "no media cat-video for beta.example"}}));
  EXPECT_EQ(encode(hello{"alpha.example", protocol_version}),
            json::serialize(json::object{{"type", "FED_HELLO"}, {"origin", "alpha.example"}, {"version", protocol_version}}));

  const std::string ev = R"({"kind":"reset"})";
  EXPECT_EQ(encode(event{stream, 17, 12, json::parse(ev).as_object()}), event_frame(stream, 17, 12, ev));
  EXPECT_EQ(event_frame("s", 17, 12, ev), R"({"type":"FED_EVENT","stream":"s","seq":17,"after":12,"event":{"kind":"reset"}})");
  EXPECT_EQ(encode(media_data{"cat-video", 1, 2, "aGk="}), media_data_frame("cat-video", 1, 2, "aGk="));
  EXPECT_EQ(media_data_frame("cat-video", 1, 2, "aGk="),
            R"({"type":"FED_MEDIA_DATA","mediaId":"cat-video","chunkIndex":1,"totalChunks":2,"data":"aGk="})");
}

TEST(FederationCodec, EventsAreTheBytesTheBuildersWrite) {
  const std::string message =
      R"({"type":"TEXT_MESSAGE","timestamp":5,"id":"m1","payload":{"sender":"carol@beta.example","receiver":"bob@alpha.example","content":"hi \"you\"\n"}})";
  const auto object = json::parse(message).as_object();
  EXPECT_EQ(encode(deliver{{"bob@alpha.example"}, object, "r\"1"}), deliver_event({"bob@alpha.example"}, message, "r\"1"));
  EXPECT_EQ(deliver_event({"bob@alpha.example"}, message, "r1"),
            R"({"kind":"deliver","to":["bob@alpha.example"],"message":)" + message + R"(,"ref":"r1"})");
  EXPECT_EQ(encode(act{"carol@beta.example", object}), act_event("carol@beta.example", message));
  EXPECT_EQ(act_event("carol@beta.example", message), R"({"kind":"act","actor":"carol@beta.example","request":)" + message + "}");

  const std::string record = R"({"name":"Team","leader":"bob@alpha.example","members":["bob@alpha.example"],"invited":[],"created":1})";
  EXPECT_EQ(encode(group{"#g1@alpha.example", json::parse(record).as_object(), stream_pos{"s", 7}}),
            group_event("#g1@alpha.example", record, "s", 7));
  EXPECT_EQ(group_event("#g1@alpha.example", record, "s", 7),
            R"({"kind":"group","groupId":"#g1@alpha.example","group":)" + record + R"(,"seen":{"stream":"s","seq":7}})");
  EXPECT_EQ(encode(group{"#g1@alpha.example", std::nullopt, std::nullopt}), group_event("#g1@alpha.example", std::nullopt, "", 0));
  EXPECT_EQ(group_event("#g1@alpha.example", std::nullopt, "s", 0), R"({"kind":"group","groupId":"#g1@alpha.example","group":null})");

  EXPECT_EQ(encode(media_done{"cat", 8005}), media_done_event("cat", 8005));
  EXPECT_EQ(media_done_event("cat", 8005), R"({"kind":"media_done","mediaId":"cat","code":8005})");
  EXPECT_EQ(encode(reset{}), R"({"kind":"reset"})");  // as the router writes it at start-up

  media_announce a{"cat", "carol@beta.example", "#g@alpha.example", "Team", "image/png", 1000, 2, std::string(64, 'a'),
                   1700000000, {"bob@alpha.example"}};
  EXPECT_EQ(encode(a), media_event(a));
  EXPECT_EQ(media_event(a), R"({"kind":"media","mediaId":"cat","sender":"carol@beta.example","receiver":"#g@alpha.example",)"
                            R"("mediaType":"image/png","mediaSize":1000,"totalChunks":2,"sha256":")" +
                                std::string(64, 'a') + R"(","to":["bob@alpha.example"],"timestamp":1700000000,"group":"Team"})");
}

TEST(FederationCodec, ALenientFieldDoesNotStopTheFieldsAfterIt) {
  const auto r = decode_frame(R"({"type":"FED_ACK","stream":"s","seq":3,"code":"x","reason":"why"})");
  ASSERT_TRUE(std::holds_alternative<frame>(r)) << testing::PrintToString(r);
  EXPECT_EQ(std::get<ack>(std::get<frame>(r)), (ack{"s", 3, 0, "why"}));
  // ... nor hides a bad one.
  const auto bad = decode_frame(R"({"type":"FED_MEDIA_ERROR","code":"x","reason":5,"mediaId":"a b"})");
  ASSERT_TRUE(std::holds_alternative<frame_error>(bad));
  EXPECT_EQ(std::get<frame_error>(bad).message, "mediaId: invalid media id");
}

TEST(FederationCodec, LimitsAreTheCallers) {
  const std::string hello_frame = R"({"type":"FED_HELLO","origin":"beta.example","version":1})";
  EXPECT_TRUE(std::holds_alternative<frame>(decode_frame(hello_frame, {hello_frame.size(), 32})));
  const auto large = decode_frame(hello_frame, {hello_frame.size() - 1, 32});
  ASSERT_TRUE(std::holds_alternative<frame_error>(large));
  EXPECT_EQ(std::get<frame_error>(large),
            (frame_error{code::too_large, "", "frame: larger than " + std::to_string(hello_frame.size() - 1) + " bytes"}));
  const auto deep = decode_frame(R"({"type":"FED_EVENT","stream":"s","seq":1,"event":{"a":{}}})", {1024, 2});
  ASSERT_TRUE(std::holds_alternative<frame_error>(deep));
  EXPECT_EQ(std::get<frame_error>(deep).error, code::malformed_json);
  // By default 32 levels in all: the frame, its event and 30 more (one more is frames.json's too_deep).
  std::string deepest = R"({"type":"FED_EVENT","stream":"s","seq":1,"event":)";
  for (int i = 0; i < 30; ++i) deepest += R"({"a":)";
  deepest += "{}" + std::string(31, '}');
  EXPECT_TRUE(std::holds_alternative<frame>(decode_frame(deepest))) << testing::PrintToString(decode_frame(deepest));
}

TEST(FederationCodec, AnUnknownTypeIsQuotedAndCutShort) {
  const auto r = decode_frame(R"({"type":"FED_)" + std::string(200, 'X') + "\\n\"}");
  ASSERT_TRUE(std::holds_alternative<frame_error>(r));
  const auto& e = std::get<frame_error>(r);
  EXPECT_EQ(e.error, code::unknown_type);
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.message, "unknown type \"FED_" + std::string(60, 'X') + "\"…");
  const auto control = decode_frame(R"({"type":"FED\nX"})");
  EXPECT_EQ(std::get<frame_error>(control).message, R"(unknown type "FED\nX")");
  // Cut between characters, not inside one: 63 bytes of ASCII, then "é" (2 bytes).
  const auto utf8 = decode_frame(R"({"type":")" + std::string(63, 'X') + "\u00e9X\"}");
  EXPECT_EQ(std::get<frame_error>(utf8).message, "unknown type \"" + std::string(63, 'X') + "\"…");
}

TEST(FederationCodec, TypeAndKindNames) {
  EXPECT_EQ(type_of(frame{media_data_ack{}}), "FED_MEDIA_DATA_ACK");
  EXPECT_EQ(type_of(frame{hello{}}), "FED_HELLO");
  EXPECT_EQ(kind_of(event_kind{media_announce{}}), "media");
  EXPECT_EQ(kind_of(event_kind{media_done{}}), "media_done");
}

TEST(FederationCodec, AMediaEventReadsItsOptionalFieldsLeniently) {
  media_announce a{"cat", "carol@beta.example", "bob@alpha.example", "Team", "image/png", 1000, 2, std::string(64, 'a'),
                   1700000000, {}};
  auto ev = json::parse(media_event(a)).as_object();
  ev["timestamp"] = -1;
  ev["group"] = 5;
  auto decoded = decode_event(ev);
  ASSERT_TRUE(std::holds_alternative<event_kind>(decoded)) << std::get<frame_error>(decoded).message;
  const auto& back = std::get<media_announce>(std::get<event_kind>(decoded));
  EXPECT_FALSE(back.timestamp);
  EXPECT_FALSE(back.group);
  ev["mediaId"] = "a b";
  EXPECT_TRUE(std::holds_alternative<frame_error>(decode_event(ev))) << "the media id is checked";
}

}  // namespace
}  // namespace chatnode::protocol::fed
