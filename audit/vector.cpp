// Loading and checking vector files (docs/vectors/README.md §2).
#include "vector.hpp"

#include "pattern.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>

namespace chatnode::audit {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const json::value* member(const json::object& o, std::string_view key) { return o.if_contains(key); }

std::string string_member(const json::object& o, std::string_view key, const std::string& fallback) {
  const auto* v = member(o, key);
  if (!v) return fallback;
  if (!v->is_string()) throw vector_error("\"" + std::string(key) + "\" must be a string");
  return std::string(v->as_string());
}

}  // namespace

vector_file load_vector(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw vector_error("cannot read " + file.string());
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  json::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) throw vector_error("not JSON: " + ec.message());
  if (!root.is_object()) throw vector_error("a vector file holds a JSON object");
  const auto& o = root.as_object();

  vector_file v;
  v.file = file;
  v.kind = string_member(o, "kind", "");
  if (v.kind != "protocol" && v.kind != "wire" && v.kind != "crypto")
    throw vector_error("\"kind\" must be \"protocol\", \"wire\" or \"crypto\"");
  v.name = string_member(o, "name", file.stem().string());
  if (v.kind != "protocol") return v;

  if (const auto* req = member(o, "requires")) {
    if (!req->is_array()) throw vector_error("\"requires\" must be an array of strings");
    for (const auto& r : req->as_array()) {
      if (!r.is_string()) throw vector_error("\"requires\" must be an array of strings");
      v.requires_.emplace_back(r.as_string());
    }
  }
  const auto* actors = member(o, "actors");
  if (!actors || !actors->is_object() || actors->as_object().empty())
    throw vector_error("\"actors\" must be a non-empty object");
  static const std::regex actor_name("[a-z][a-z0-9]{0,15}");
  static const std::regex node_name("n([1-9][0-9]?)");
  for (const auto& [key, spec] : actors->as_object()) {
    actor_spec a;
    a.name = std::string(key);
    if (!std::regex_match(a.name, actor_name)) throw vector_error("actor name \"" + a.name + "\" must match [a-z][a-z0-9]{0,15}");
    if (!spec.is_object()) throw vector_error("actor " + a.name + ": must be an object");
    const auto& s = spec.as_object();
    a.node = string_member(s, "node", "");
    std::smatch m;
    if (!std::regex_match(a.node, m, node_name)) throw vector_error("actor " + a.name + ": \"node\" must be n1, n2, …");
    v.nodes_needed = std::max(v.nodes_needed, std::stoi(m[1].str()));
    a.user = string_member(s, "as", a.name);
    if (const auto* r = member(s, "registered")) {
      if (!r->is_bool()) throw vector_error("actor " + a.name + ": \"registered\" must be a boolean");
      a.registered = r->as_bool();
    }
    v.actors.push_back(std::move(a));
  }
  for (const auto& a : v.actors) {
    if (a.user == a.name) continue;
    const auto it = std::find_if(v.actors.begin(), v.actors.end(), [&](const actor_spec& b) { return b.name == a.user; });
    if (it == v.actors.end() || it->user != it->name || it->node != a.node)
      throw vector_error("actor " + a.name + ": \"as\" must name another actor (a user) on the same node");
  }
  const auto* steps = member(o, "steps");
  if (!steps || !steps->is_array()) throw vector_error("\"steps\" must be an array");
  v.steps = steps->as_array();
  return v;
}

std::vector<fs::path> collect_files(const std::vector<std::string>& paths) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    const fs::path path(p);
    if (fs::is_regular_file(path)) {
      files.push_back(path);
    } else if (fs::is_directory(path)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::recursive_directory_iterator(path))
        if (entry.is_regular_file() && entry.path().extension() == ".json") found.push_back(entry.path());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      throw std::runtime_error("no such file or directory: " + p);
    }
  }
  return files;
}

}  // namespace chatnode::audit
