// Placeholder substitution and pattern matching for protocol vectors (docs/vectors/README.md).
#include "pattern.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <regex>
#include <vector>

namespace chatnode::audit {
namespace {

namespace json = boost::json;

constexpr std::size_t max_repeat_bytes = 4u << 20;  // a vector cannot make the runner allocate more

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

// run | $var | @node | actor | actor.field | repeat:COUNT:TEXT (README §3).
bool is_placeholder_token(std::string_view token) {
  static const std::regex grammar(R"(run|\$[A-Za-z0-9_]+|@n[0-9]+|[a-z][a-z0-9]*(\.[a-z]+)?|repeat:[0-9]+:[^{}]*)");
  return !token.empty() && std::regex_match(token.begin(), token.end(), grammar);
}

std::string expand_token(std::string_view token, const bindings& b) {
  if (token == "run") return b.run;
  if (token.starts_with('$')) {
    const auto it = b.vars.find(std::string(token.substr(1)));
    if (it == b.vars.end()) throw vector_error("placeholder {" + std::string(token) + "}: nothing captured under that name");
    return scalar_text(it->second);
  }
  if (token.starts_with('@')) {
    const auto it = b.node_domains.find(std::string(token.substr(1)));
    if (it == b.node_domains.end()) throw vector_error("placeholder {" + std::string(token) + "}: unknown node");
    return it->second;
  }
  if (token.starts_with("repeat:")) {
    const auto rest = token.substr(7);
    const auto colon = rest.find(':');
    std::size_t count = 0;
    if (colon == std::string_view::npos ||
        std::from_chars(rest.data(), rest.data() + colon, count).ec != std::errc{})
      throw vector_error("placeholder {" + std::string(token) + "}: expected {repeat:COUNT:TEXT}");
    const auto unit = rest.substr(colon + 1);
    if (unit.empty() || count > max_repeat_bytes / unit.size())
      throw vector_error("placeholder {" + std::string(token) + "}: empty text or too large");
    std::string out;
    out.reserve(count * unit.size());
    for (std::size_t i = 0; i < count; ++i) out += unit;
    return out;
  }
  const auto dot = token.find('.');
  const std::string actor(token.substr(0, dot));
  const auto it = b.users.find(actor);
  if (it == b.users.end()) throw vector_error("placeholder {" + std::string(token) + "}: unknown actor or placeholder");
  if (dot == std::string_view::npos) return it->second.full();
  const auto field = token.substr(dot + 1);
  if (field == "name") return it->second.name;
  if (field == "domain") return it->second.domain;
  if (field == "password") return it->second.password;
  if (field == "upper") {
    std::string upper = it->second.name;
    for (auto& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    return upper;
  }
  throw vector_error("placeholder {" + std::string(token) + "}: unknown field (name, upper, domain, password)");
}

// Decimal strings and integers compare as numbers; anything else is a vector error.
bool as_decimal(const json::value& v, std::string& out) {
  if (v.is_int64() && v.as_int64() >= 0) {
    out = std::to_string(v.as_int64());
    return true;
  }
  if (v.is_uint64()) {
    out = std::to_string(v.as_uint64());
    return true;
  }
  if (!v.is_string() || v.as_string().empty()) return false;
  const std::string_view s = v.as_string();
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  const auto first = s.find_first_not_of('0');
  out = first == std::string_view::npos ? "0" : std::string(s.substr(first));
  return true;
}

bool greater(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() > b.size() : a > b;
}

std::string show(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 200) s = s.substr(0, 200) + "…";
  return s;
}

std::string at(const std::string& path) { return path.empty() ? "message" : path; }

bool is_matcher(const json::object& o) {
  return !o.empty() && std::all_of(o.begin(), o.end(), [](const auto& kv) { return kv.key().starts_with("$"); });
}

bool has_type(const json::value& v, std::string_view type) {
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_int64() || v.is_uint64();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_bool();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  if (type == "null") return v.is_null();
  throw vector_error("$type: unknown type \"" + std::string(type) + "\"");
}

// One "$name": arg matcher of README §4: nullopt when `actual` matches, else the difference.
using matcher_fn = std::optional<std::string> (*)(const json::value& arg, const json::value& actual, bindings& b,
                                                  const std::string& path);

std::optional<std::string> match_type(const json::value& arg, const json::value& actual, bindings&,
                                      const std::string& path) {
  if (!arg.is_string()) throw vector_error("$type takes a string");
  if (!has_type(actual, arg.as_string())) return at(path) + ": expected a " + std::string(arg.as_string()) + ", got " + show(actual);
  return std::nullopt;
}

std::optional<std::string> match_regex(const json::value& arg, const json::value& actual, bindings& b,
                                       const std::string& path) {
  if (!arg.is_string()) throw vector_error("$regex takes a string");
  if (!actual.is_string()) return at(path) + ": expected a string matching /" + std::string(arg.as_string()) + "/, got " + show(actual);
  const std::regex re(substitute(std::string_view(arg.as_string()), b), std::regex::ECMAScript);
  if (!std::regex_match(std::string(actual.as_string()), re))
    return at(path) + ": expected a string matching /" + std::string(arg.as_string()) + "/, got " + show(actual);
  return std::nullopt;
}

std::optional<std::string> match_near_now(const json::value& arg, const json::value& actual, bindings& b,
                                          const std::string& path) {
  if (!arg.is_int64()) throw vector_error("$near_now takes an integer (seconds)");
  if (!actual.is_int64() || std::llabs(actual.as_int64() - b.now) > arg.as_int64())
    return at(path) + ": expected a timestamp within " + std::to_string(arg.as_int64()) + " s of " + std::to_string(b.now) + ", got " + show(actual);
  return std::nullopt;
}

std::optional<std::string> match_gt(const json::value& arg, const json::value& actual, bindings& b,
                                    const std::string& path) {
  const json::value bound = substitute_value(arg, b);
  std::string lhs, rhs;
  if (!as_decimal(bound, rhs)) throw vector_error("$gt: bound " + show(bound) + " is not a decimal number");
  if (!as_decimal(actual, lhs) || !greater(lhs, rhs))
    return at(path) + ": expected a decimal number greater than " + show(bound) + ", got " + show(actual);
  return std::nullopt;
}

std::optional<std::string> match_length(const json::value& arg, const json::value& actual, bindings&,
                                        const std::string& path) {
  if (!arg.is_int64()) throw vector_error("$length takes an integer");
  const auto n = actual.is_array() ? static_cast<std::int64_t>(actual.as_array().size())
                : actual.is_string() ? static_cast<std::int64_t>(actual.as_string().size()) : -1;
  if (n != arg.as_int64()) return at(path) + ": expected length " + std::to_string(arg.as_int64()) + ", got " + show(actual);
  return std::nullopt;
}

// Each wanted element matches a different actual one; the captures of the first match
// that fits are kept.
std::optional<std::string> match_unordered(const json::value& arg, const json::value& actual, bindings& b,
                                           const std::string& path) {
  if (!arg.is_array()) throw vector_error("$unordered takes an array");
  if (!actual.is_array()) return at(path) + ": expected an array, got " + show(actual);
  const auto& want = arg.as_array();
  const auto& got = actual.as_array();
  if (want.size() != got.size())
    return at(path) + ": expected " + std::to_string(want.size()) + " elements in any order, got " + show(actual);
  std::vector<bool> used(got.size(), false);
  for (std::size_t i = 0; i < want.size(); ++i) {
    bool found = false;
    for (std::size_t j = 0; j < got.size() && !found; ++j) {
      if (used[j]) continue;
      bindings trial = b;
      if (!match(want[i], got[j], trial, path)) {
        b = std::move(trial);
        used[j] = found = true;
      }
    }
    if (!found) return at(path) + ": no element matches " + show(want[i]) + " in " + show(actual);
  }
  return std::nullopt;
}

// $capture binds a name the first time and must find the same value after that.
std::optional<std::string> match_capture(const json::value& name, const json::value& actual, bindings& b,
                                         const std::string& path) {
  if (!name.is_string()) throw vector_error("$capture takes a name");
  const std::string var(name.as_string());
  const auto it = b.vars.find(var);
  if (it == b.vars.end()) {
    b.vars.emplace(var, actual);
  } else if (it->second != actual) {
    return at(path) + ": expected the value captured as $" + var + " (" + show(it->second) + "), got " + show(actual);
  }
  return std::nullopt;
}

struct matcher_entry {
  std::string_view name;
  matcher_fn check;
};

// Every matcher there is. $any, $absent and $capture check nothing here: $any matches
// anything, $absent concerns the enclosing object, and $capture binds only once every
// check of its matcher passed.
constexpr matcher_entry matchers[] = {
    {"$any", nullptr},      {"$absent", nullptr},          {"$capture", nullptr},
    {"$type", match_type},  {"$regex", match_regex},       {"$near_now", match_near_now},
    {"$gt", match_gt},      {"$length", match_length},     {"$unordered", match_unordered},
};

std::optional<std::string> match_matcher(const json::object& m, const json::value& actual, bindings& b,
                                         const std::string& path) {
  for (const auto& [key, arg] : m) {
    const auto* entry = std::find_if(std::begin(matchers), std::end(matchers),
                                     [&key = key](const matcher_entry& e) { return e.name == key; });
    if (entry == std::end(matchers)) throw vector_error("unknown matcher " + std::string(key));
    if (!entry->check) continue;
    if (auto diff = entry->check(arg, actual, b, path)) return diff;
  }
  if (const auto* name = m.if_contains("$capture")) return match_capture(*name, actual, b, path);
  return std::nullopt;
}

}  // namespace

std::string substitute(std::string_view text, const bindings& b) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    // Only "{" + a token of the placeholder grammar + "}" is a placeholder; any other "{"
    // (JSON in send_raw, regex quantifiers) is literal.
    const auto end = text.find('}', i);
    const auto token = end == std::string_view::npos ? std::string_view{} : text.substr(i + 1, end - i - 1);
    if (!is_placeholder_token(token)) {
      out += '{';
      continue;
    }
    out += expand_token(token, b);
    i = end;
  }
  return out;
}

json::value substitute_value(const json::value& v, const bindings& b) {
  if (v.is_string()) {
    const std::string_view s = v.as_string();
    if (s.size() > 3 && s.starts_with("{$") && s.ends_with('}') && s.find('}') == s.size() - 1) {
      const auto it = b.vars.find(std::string(s.substr(2, s.size() - 3)));
      if (it == b.vars.end()) throw vector_error("placeholder " + std::string(s) + ": nothing captured under that name");
      return it->second;
    }
    return json::value(substitute(std::string_view(s), b));
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& e : v.as_array()) out.push_back(substitute_value(e, b));
    return out;
  }
  if (v.is_object()) {
    json::object out;
    for (const auto& [k, e] : v.as_object()) out[k] = substitute_value(e, b);
    return out;
  }
  return v;
}

std::optional<std::string> match(const json::value& pattern, const json::value& actual, bindings& b,
                                 const std::string& path) {
  if (pattern.is_object() && is_matcher(pattern.as_object())) return match_matcher(pattern.as_object(), actual, b, path);
  if (pattern.is_object()) {
    if (!actual.is_object()) return at(path) + ": expected an object, got " + show(actual);
    const auto& got = actual.as_object();
    for (const auto& [key, want] : pattern.as_object()) {
      const std::string sub = path.empty() ? std::string(key) : path + "." + std::string(key);
      const bool absent_wanted = want.is_object() && want.as_object().if_contains("$absent") != nullptr;
      const auto* value = got.if_contains(key);
      if (absent_wanted) {
        if (value) return sub + ": expected absent, got " + show(*value);
        continue;
      }
      if (!value) return sub + ": missing (expected " + show(substitute_value(want, b)) + ")";
      if (auto diff = match(want, *value, b, sub)) return diff;
    }
    return std::nullopt;
  }
  if (pattern.is_array()) {
    if (!actual.is_array()) return at(path) + ": expected an array, got " + show(actual);
    const auto& want = pattern.as_array();
    const auto& got = actual.as_array();
    if (want.size() != got.size())
      return at(path) + ": expected " + std::to_string(want.size()) + " elements, got " + std::to_string(got.size()) + ": " + show(actual);
    for (std::size_t i = 0; i < want.size(); ++i)
      if (auto diff = match(want[i], got[i], b, path + "[" + std::to_string(i) + "]")) return diff;
    return std::nullopt;
  }
  const json::value want = substitute_value(pattern, b);
  if (want.is_number() && actual.is_number()) {
    bool equal = false;
    if ((want.is_int64() || want.is_uint64()) && (actual.is_int64() || actual.is_uint64())) {
      equal = want.is_int64() == actual.is_int64() ? want == actual
              : want.is_int64() ? want.as_int64() >= 0 && static_cast<std::uint64_t>(want.as_int64()) == actual.as_uint64()
                                : actual.as_int64() >= 0 && static_cast<std::uint64_t>(actual.as_int64()) == want.as_uint64();
    } else {
      equal = want.to_number<double>() == actual.to_number<double>();
    }
    if (!equal) return at(path) + ": expected " + show(want) + ", got " + show(actual);
    return std::nullopt;
  }
  if (want != actual) return at(path) + ": expected " + show(want) + ", got " + show(actual);
  return std::nullopt;
}

}  // namespace chatnode::audit
