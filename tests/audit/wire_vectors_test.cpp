// docs/vectors/wire/*.json against our codec: every example decodes to its "decoded" meaning
// and encodes to its "canonical" bytes; every malformed input gets its ERROR code.
#include "tests/audit/vector_files.hpp"

#include "protocol/codec.hpp"
#include "protocol/message_type.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <set>
#include <variant>

namespace chatnode::audit::test {
namespace {

namespace json = boost::json;
namespace p = chatnode::protocol;

// Input of a case: "input", or "input_generated" = prefix + repeat * count + suffix.
std::string input_of(const json::object& c) {
  if (const auto* in = c.if_contains("input")) return str(*in);
  const auto& g = c.at("input_generated").as_object();
  std::string out = str(g.at("prefix"));
  for (std::int64_t i = 0; i < g.at("count").as_int64(); ++i) out += str(g.at("repeat"));
  return out + str(g.at("suffix"));
}

// Checks every well-formed case of a wire file; returns the types it covered.
std::set<std::string> check_examples(const std::string& file) {
  const auto root = read_json(vector_dir() / "wire" / file);
  EXPECT_EQ(root.at("kind"), "wire");
  std::set<std::string> types;
  const auto& cases = root.at("cases").as_array();
  EXPECT_FALSE(cases.empty());
  for (const auto& cv : cases) {
    const auto& c = cv.as_object();
    SCOPED_TRACE(file + ": " + str(c.at("name")));
    const auto decoded = p::decode(input_of(c));
    const auto* env = std::get_if<p::envelope>(&decoded);
    if (!env) {
      ADD_FAILURE() << "refused with " << p::to_int(std::get<p::decode_error>(decoded).error) << ": "
                    << std::get<p::decode_error>(decoded).message;
      continue;
    }
    const std::string canonical = p::encode(*env);
    EXPECT_EQ(canonical, str(c.at("canonical")));
    EXPECT_EQ(json::parse(canonical), c.at("decoded")) << "got " << canonical;
    // The canonical form is itself an input that decodes to the same message.
    const auto again = p::decode(str(c.at("canonical")));
    EXPECT_TRUE(std::holds_alternative<p::envelope>(again) && std::get<p::envelope>(again) == *env);
    types.insert(std::string(p::to_string(p::type_of(env->body))));
  }
  return types;
}

TEST(audit_wire, SeedExamples) {
  const auto types = check_examples("seed_examples.json");
  // Every seed message type but GROUP_LEADER_CHANGE, whose example is not JSON (malformed.json).
  EXPECT_EQ(types.size(), 32u);
  EXPECT_FALSE(types.contains("GROUP_LEADER_CHANGE"));
}

TEST(audit_wire, ProtocolExamples) { check_examples("protocol_examples.json"); }

TEST(audit_wire, AllFieldsCoverEveryType) {
  const auto types = check_examples("all_fields.json");
  std::set<std::string> all;
#define CHATNODE_X(e, s) all.insert(s);
  CHATNODE_MESSAGE_TYPES(CHATNODE_X)
#undef CHATNODE_X
  EXPECT_EQ(types, all);
}

TEST(audit_wire, Lenient) { check_examples("lenient.json"); }

TEST(audit_wire, MalformedInputsGetTheirCode) {
  const auto root = read_json(vector_dir() / "wire" / "malformed.json");
  std::set<std::int64_t> codes;
  for (const auto& cv : root.at("cases").as_array()) {
    const auto& c = cv.as_object();
    SCOPED_TRACE(str(c.at("name")));
    const auto decoded = p::decode(input_of(c));
    const auto* err = std::get_if<p::decode_error>(&decoded);
    if (!err) {
      ADD_FAILURE() << "accepted: " << p::encode(std::get<p::envelope>(decoded));
      continue;
    }
    const auto& want = c.at("error").as_object();
    codes.insert(want.at("code").as_int64());
    EXPECT_EQ(p::to_int(err->error), want.at("code").as_int64()) << err->message;
    const auto& in_reply_to = want.at("inReplyTo");
    EXPECT_EQ(err->in_reply_to, in_reply_to.is_null() ? std::nullopt : std::optional<std::string>(str(in_reply_to)));
    const auto& id = want.at("id");
    EXPECT_EQ(err->id, id.is_null() ? std::nullopt : std::optional<std::string>(str(id)));
  }
  // The codes a decoder can give (9004, 9005, 9007, 9008 come from the session and the store).
  EXPECT_EQ(codes, (std::set<std::int64_t>{9001, 9002, 9003, 9006}));
}

}  // namespace
}  // namespace chatnode::audit::test
