// The two pure parts of a protocol vector (docs/vectors/README.md §3, §4): placeholder
// substitution in strings ("{alice}", "{$gid}", "{@n1}", "{repeat:N:TEXT}") and matching
// a received message against an expected pattern, capturing server-chosen values.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chatnode::audit {

// One user of a vector once mapped onto a real node for this run.
struct user_identity {
  std::string name;      // e.g. "alice-k3x9q2a1"
  std::string domain;    // the domain of the actor's node
  std::string password;  // what the runner sends as passwordHash
  std::string full() const { return name + "@" + domain; }
};

// Everything a placeholder may refer to.
struct bindings {
  std::string run;                                   // {run}
  std::map<std::string, std::string> node_domains;   // "n1" -> domain, for {@n1}
  std::map<std::string, user_identity> users;        // "alice" -> identity, for {alice}
  std::map<std::string, boost::json::value> vars;    // captured values, for {$name}
  std::int64_t now = 0;                              // the runner's clock, for $near_now
};

// Thrown for a vector that is itself wrong (unknown placeholder, bad matcher); the
// runner reports the vector as failed with this message.
struct vector_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Replaces every placeholder in `text`. "{{" is a literal "{".
std::string substitute(std::string_view text, const bindings& b);
// Substitutes every string of `v` (object keys are left alone). A string that is exactly
// one "{$name}" becomes the captured value itself, whatever its JSON type.
boost::json::value substitute_value(const boost::json::value& v, const bindings& b);

// Matches `actual` against `pattern` (README §4). Returns nullopt on a match, else the first
// difference as "path: expected …, got …". Captures go into b.vars.
std::optional<std::string> match(const boost::json::value& pattern, const boost::json::value& actual,
                                 bindings& b, const std::string& path = "");

}  // namespace chatnode::audit
