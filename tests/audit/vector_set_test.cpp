// The vector set as a whole: every file loads, names are unique, and the protocol vectors
// together exercise every message type of docs/protocol.md §14 and every code of §4 (read
// from the document itself, so a new code without a vector fails here).
#include "tests/audit/vector_files.hpp"

#include "audit/pattern.hpp"
#include "audit/vector.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

namespace chatnode::audit::test {
namespace {

namespace json = boost::json;

// Codes no client can make a conforming node produce: internal failures (a store or KDF
// error). Their wire form is in wire/all_fields.json and protocol_examples.json.
const std::set<std::int64_t> not_provokable = {1003, 2004, 3002, 9008};

struct coverage {
  std::set<std::string> sent, received;
  std::set<std::int64_t> codes;
};

void scan_codes(const json::value& v, std::set<std::int64_t>& codes) {
  if (v.is_object()) {
    for (const auto& [k, e] : v.as_object()) {
      if (k == "code" && e.is_int64()) codes.insert(e.as_int64());
      scan_codes(e, codes);
    }
  } else if (v.is_array()) {
    for (const auto& e : v.as_array()) scan_codes(e, codes);
  }
}

coverage scan(const std::vector<vector_file>& vectors) {
  coverage c;
  for (const auto& v : vectors) {
    for (const auto& sv : v.steps) {
      const auto& step = sv.as_object();
      if (step.contains("befriend")) {
        c.sent.insert({"FRIEND_REQUEST", "FRIEND_REQUEST_RESPONSE"});
        c.received.insert({"FRIEND_REQUEST", "FRIEND_REQUEST_ACK", "FRIEND_REQUEST_RESPONSE", "USER_STATUS_UPDATE"});
      }
      if (step.contains("login")) c.sent.insert("LOGIN_REQUEST"), c.received.insert("LOGIN_RESPONSE");
      if (step.contains("register")) c.sent.insert("REGISTER_REQUEST"), c.received.insert("REGISTER_RESPONSE");
      if (const auto* s = step.if_contains("send")) c.sent.insert(str(s->at("type")));
      if (const auto* r = step.if_contains("receive")) {
        c.received.insert(str(r->at("type")));
        scan_codes(*r, c.codes);
      }
    }
  }
  return c;
}

std::vector<vector_file> protocol_vectors() {
  std::vector<vector_file> out;
  for (const auto& f : collect_files({(vector_dir() / "protocol").string()})) {
    try {
      out.push_back(load_vector(f));
    } catch (const vector_error& e) {
      ADD_FAILURE() << f << ": " << e.what();
    }
  }
  return out;
}

TEST(audit_vector_set, EveryFileLoadsAndNamesAreUnique) {
  std::set<std::string> names;
  const auto files = collect_files({vector_dir().string()});
  EXPECT_GE(files.size(), 50u);
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    try {
      const auto v = load_vector(f);
      EXPECT_TRUE(names.insert(v.name).second) << "duplicate name " << v.name;
      if (v.kind == "protocol") {
        EXPECT_GE(v.nodes_needed, 1);
        EXPECT_EQ(f.parent_path().filename() == "single", v.nodes_needed == 1) << "single/ holds the one-node vectors";
      }
    } catch (const vector_error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

TEST(audit_vector_set, SingleNodeVectorsCoverEveryCodeOfTheDocs) {
  std::vector<vector_file> single;
  for (auto& v : protocol_vectors())
    if (v.nodes_needed == 1) single.push_back(std::move(v));
  const auto c = scan(single);
  const std::string doc = read_text(vector_dir().parent_path() / "protocol.md");
  const std::regex row(R"(\n\| (\d{4,5}) \| )");  // four digits, five for the blocks category
  std::set<std::int64_t> documented;
  for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it) documented.insert(std::stoll((*it)[1]));
  for (int code = 9001; code <= 9008; ++code) documented.insert(code);  // the "9001–9008" row
  EXPECT_GE(documented.size(), 49u);
  for (const auto code : documented) {
    if (not_provokable.contains(code)) continue;
    EXPECT_TRUE(c.codes.contains(code)) << "no single-node protocol vector expects code " << code;
  }
  EXPECT_TRUE(c.codes.contains(0));
}

TEST(audit_vector_set, ProtocolVectorsUseEveryMessageType) {
  const auto c = scan(protocol_vectors());
  const std::string doc = read_text(vector_dir().parent_path() / "protocol.md");
  const auto table = doc.substr(doc.find("## 14. Message types"));
  const std::regex row(R"(\n\| ([A-Z_]+)(?: \*\*\(addition\)\*\*)? \| ([a-z→]+) \|)");
  int rows = 0;
  for (std::sregex_iterator it(table.begin(), table.end(), row), end; it != end; ++it) {
    ++rows;
    const std::string type = (*it)[1], direction = (*it)[2];
    if (direction != "node→client") {
      EXPECT_TRUE(c.sent.contains(type)) << "no vector sends " << type;
    }
    if (direction != "client→node") {
      EXPECT_TRUE(c.received.contains(type)) << "no vector receives " << type;
    }
  }
  EXPECT_EQ(rows, 52);
}

}  // namespace
}  // namespace chatnode::audit::test
