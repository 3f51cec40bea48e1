// The schema machinery behind protocol/'s codecs (client messages in codec.cpp, federation
// frames and events in federation.cpp): a struct lists its fields once,
//   template <> struct schema<T> { static void apply(auto& m, auto& v) { v("wireName", m.field, rule::…); } };
// and that one list drives the decoder, the strict encoder and the size estimate, so wire
// names and order are written once. Internal to protocol/: only its .cpp files include it.
#pragma once

#include "protocol/codec.hpp"
#include "protocol/ids.hpp"
#include "protocol/messages.hpp"

#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace chatnode::protocol::detail {

namespace json = boost::json;

// ---- schema -------------------------------------------------------------------------
// Order of the fields = struct order = encode order.

// What a field's value must look like beyond its JSON type.
enum class rule : std::uint8_t {
  none,      // numbers and flags: the C++ type says it all
  user,      // user id, bare or full (is_user_id_syntax), at most max_field_bytes
  name,      // free text, non-empty, at most max_field_bytes: names, media ids, statuses,
             // and receivers that may be a user id, a group id or a group name
  group_id,  // "#local@domain"
  text,      // any string, bounded only by the frame: content, data, error messages
  secret,    // non-empty, bounded only by the frame: passwordHash
  members,   // user ids, at most max_members of them (more is 9006)
  history,   // history items, at most max_history_items of them (more is 9003)
  // Federation frames and events: integers only as JSON integers (17, not 17.0) within
  // int64 and the field's type, as the hand-written parsers before them read them.
  exact,     // any such integer
  count,     // ≥ 0
  positive,  // ≥ 1: sequence numbers, chunk indexes
  domain,    // a DNS name (is_valid_domain), case-folded when decoded
  media_id,  // is_media_id_syntax
  nullable,  // on a std::optional field: required, and null is its empty value
};
// An array of strings is checked element by element with the rule of the field; an array
// of objects (a struct with a schema) with the schemas of its items. Arrays are bounded
// only by the frame unless the rule says otherwise (members, history).

template <class T>
struct schema;

// A struct with a schema of its own: a message, a frame, or an item nested in one
// (history_item, friend_entry, …). Checked where the codecs are instantiated, after every
// specialization.
template <class T>
concept has_schema = requires { sizeof(schema<T>); };

// A field read as "its value when valid, else its default": absent, of the wrong type or
// breaking its rule, it keeps its default and the decode goes on. Only for federation
// fields that the hand-written parsers before the schemas read so (FED_ACK's code, …), so
// that what they accepted is still accepted. Always encoded.
// In a schema: v("code", lenient{m.code}, rule::exact).
template <class T>
struct lenient {
  T& value;
};
template <class T>
lenient(T&) -> lenient<T>;

// The value a field holds: T, or U for std::optional<U>.
template <class T>
struct field_value {
  using type = T;
};
template <class T>
struct field_value<std::optional<T>> {
  using type = T;
};

// Strict JSON text spliced into the output as it is (a client message or a record that our
// own encoders wrote): for encoding only.
struct raw_json {
  std::string_view text;
};

// Checked after every field decoded: what no single field can say. Empty: nothing.
template <class T>
std::string_view problem_of(const T& m) {
  if constexpr (requires { schema<T>::problem(m); }) {
    return schema<T>::problem(m);
  } else {
    return {};
  }
}

// ---- decoding -----------------------------------------------------------------------

// Integers arrive as int64, uint64 or (e.g. 1.63e9) double; accept any of them that is a
// whole number inside I's range.
enum class int_status : std::uint8_t { ok, not_integer, out_of_range };

template <std::integral I>
int_status to_integer(const json::value& v, I& out) noexcept {
  switch (v.kind()) {
    case json::kind::int64: {
      const std::int64_t x = v.get_int64();
      if (!std::in_range<I>(x)) return int_status::out_of_range;
      out = static_cast<I>(x);
      return int_status::ok;
    }
    case json::kind::uint64: {
      const std::uint64_t x = v.get_uint64();
      if (!std::in_range<I>(x)) return int_status::out_of_range;
      out = static_cast<I>(x);
      return int_status::ok;
    }
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d) || std::trunc(d) != d) return int_status::not_integer;
      // max()+1 is a power of two, so exact as a double even when max() is not.
      constexpr double lowest = static_cast<double>(std::numeric_limits<I>::min());
      constexpr double beyond = static_cast<double>(std::numeric_limits<I>::max() / 2 + 1) * 2.0;
      if (d < lowest || d >= beyond) return int_status::out_of_range;
      out = static_cast<I>(d);
      return int_status::ok;
    }
    default:
      return int_status::not_integer;
  }
}

inline std::string_view describe(int_status s) noexcept {
  return s == int_status::out_of_range ? "out of range" : "expected integer";
}

// Names are shown to people: no control characters (C0, DEL, C1, NUL among them) and no
// bidirectional overrides or isolates (U+202A–U+202E, U+2066–U+2069), which can make a
// name display as something else. `s` is valid UTF-8.
inline bool has_unsafe_characters(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) return true;  // U+0080–U+009F
    if (c == 0xe2 && i + 2 < s.size()) {
      const auto b1 = static_cast<unsigned char>(s[i + 1]), b2 = static_cast<unsigned char>(s[i + 2]);
      if (b1 == 0x80 && b2 >= 0xaa && b2 <= 0xae) return true;  // U+202A–U+202E
      if (b1 == 0x81 && b2 >= 0xa6 && b2 <= 0xa9) return true;  // U+2066–U+2069
    }
  }
  return false;
}

// What went wrong decoding: the code (9001, 9002, 9003 or 9006) and a message for a human.
struct field_error {
  code error = code::invalid_field;
  std::string message;
};

// Visits a schema against one JSON object, stopping at the first problem, which it
// records with the field's path under `root` ("payload.messages[2].sender: missing"; with
// an empty root, "seq: expected integer ≥ 1").
class field_decoder {
 public:
  field_decoder(const json::object& object, const decode_limits& limits, std::string_view root) noexcept
      : object_(object), limits_(limits), root_(root) {}
  // The same over an object parsed for this decode only: object fields are moved out of it
  // rather than copied (a federation event can be large).
  field_decoder(json::object& object, const decode_limits& limits, std::string_view root) noexcept
      : object_(object), movable_(&object), limits_(limits), root_(root) {}

  bool failed() const noexcept { return failed_; }
  code error_code() const noexcept { return error_; }
  std::string take_message() noexcept { return std::move(message_); }

  template <class T>
  void operator()(std::string_view key, T& out, rule r) {
    if (failed_) return;
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return fail(key, "missing");
    read(key, *v, out, r);
  }

  template <class T>
  void operator()(std::string_view key, std::optional<T>& out, rule r) {
    if (failed_) return;
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) {
      if (r == rule::nullable) fail(key, "missing");
      return;
    }
    if (r == rule::nullable && v->is_null()) return out.reset();
    read(key, *v, out.emplace(), r);
  }

  template <class T>
  void operator()(std::string_view key, lenient<T> field, rule r) {
    if (failed_) return;
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return;
    typename field_value<std::remove_const_t<T>>::type value{};
    read(key, *v, value, r);
    if (!failed_) return void(field.value = std::move(value));
    failed_ = false;  // not valid: the field keeps its default
    error_ = code::invalid_field;
    message_.clear();
  }

 private:
  // Strings from the frame are already valid UTF-8 (Boost.JSON checks), so only the
  // protocol's own rules are left to check.
  std::string_view check(std::string_view s, rule r) const noexcept {
    switch (r) {
      case rule::user:
      case rule::members:
        if (s.size() > limits_.max_field_bytes) return "too long";
        return is_user_id_syntax(s) ? std::string_view{} : "invalid user id";
      case rule::name:
        if (s.empty()) return "empty";
        if (s.size() > limits_.max_field_bytes) return "too long";
        return has_unsafe_characters(s) ? "control or bidirectional-override characters" : std::string_view{};
      case rule::group_id:
        if (s.size() > limits_.max_field_bytes) return "too long";
        return is_group_id_syntax(s) ? std::string_view{} : "invalid group id";
      case rule::secret:
        return s.empty() ? "empty" : std::string_view{};
      case rule::domain:
        return is_valid_domain(s) ? std::string_view{} : "invalid domain";
      case rule::media_id:
        return is_media_id_syntax(s) ? std::string_view{} : "invalid media id";
      default:
        return {};
    }
  }

  void read(std::string_view key, const json::value& v, std::string& out, rule r) {
    const json::string* s = v.if_string();
    if (s == nullptr) return fail(key, "expected string");
    const std::string_view sv(s->data(), s->size());
    if (const auto problem = check(sv, r); !problem.empty()) return fail(key, problem);
    if (r == rule::domain) return void(out = fold_case(sv));
    out.assign(sv);
  }

  void read(std::string_view key, const json::value& v, bool& out, rule) {
    const bool* b = v.if_bool();
    if (b == nullptr) return fail(key, "expected boolean");
    out = *b;
  }

  template <std::integral I>
  void read(std::string_view key, const json::value& v, I& out, rule r) {
    if (r == rule::exact || r == rule::count || r == rule::positive) return read_exact(key, v, out, r);
    if (const auto status = to_integer(v, out); status != int_status::ok) fail(key, describe(status));
  }

  template <std::integral I>
  void read_exact(std::string_view key, const json::value& v, I& out, rule r) {
    const std::int64_t least = r == rule::positive ? 1 : r == rule::count ? 0 : std::numeric_limits<std::int64_t>::min();
    const std::int64_t* x = v.if_int64();
    if (x != nullptr && *x >= least && !std::in_range<I>(*x)) return fail(key, "out of range");
    if (x == nullptr || *x < least) {
      if (v.is_uint64()) return fail(key, "out of range");
      return fail(key, r == rule::positive ? "expected integer ≥ 1" : r == rule::count ? "expected integer ≥ 0" : "expected integer");
    }
    out = static_cast<I>(*x);
  }

  void read(std::string_view key, const json::value& v, history_bound& out, rule r) {
    if (v.is_string()) return read(key, v, out.emplace<std::string>(), r);
    if (v.is_number()) return read(key, v, out.emplace<std::int64_t>(), r);
    fail(key, "expected string or integer");
  }

  void read(std::string_view key, const json::value& v, json::object& out, rule) {
    if (!v.is_object()) return fail(key, "expected object");
    if (movable_ != nullptr) return void(out = std::move(movable_->at(key).get_object()));
    out = v.get_object();
  }

  void read(std::string_view key, const json::value& v, std::vector<std::string>& out, rule r) {
    const json::array* a = v.if_array();
    if (a == nullptr) return fail(key, "expected array");
    if (r == rule::members && a->size() > limits_.max_members) {
      return fail(key, "too many members", code::too_large);
    }
    out.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      const json::string* s = (*a)[i].if_string();
      if (s == nullptr) return fail(key, "expected string", code::invalid_field, i);
      const std::string_view sv(s->data(), s->size());
      if (const auto problem = check(sv, r); !problem.empty()) {
        return fail(key, problem, code::invalid_field, i);
      }
      out.emplace_back(sv);
    }
  }

  void read(std::string_view key, const json::value& v, std::vector<std::uint32_t>& out, rule) {
    const json::array* a = v.if_array();
    if (a == nullptr) return fail(key, "expected array");
    out.resize(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (const auto status = to_integer((*a)[i], out[i]); status != int_status::ok) {
        return fail(key, describe(status), code::invalid_field, i);
      }
    }
  }

  // An object with a schema of its own; an error in it is reported under the field's
  // path ("seen.seq: missing").
  template <has_schema T>
  void read(std::string_view key, const json::value& v, T& out, rule) {
    const json::object* o = v.if_object();
    if (o == nullptr) return fail(key, "expected object");
    read_item(key, std::nullopt, *o, out);
  }

  // An array of objects, each decoded with its own schema; an item's error is reported
  // under the array's path ("payload.friends[0].status: missing").
  template <has_schema T>
  void read(std::string_view key, const json::value& v, std::vector<T>& out, rule r) {
    const json::array* a = v.if_array();
    if (a == nullptr) return fail(key, "expected array");
    if (r == rule::history && a->size() > limits_.max_history_items) {
      return fail(key, "too many items");
    }
    out.resize(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      const json::object* o = (*a)[i].if_object();
      if (o == nullptr) return fail(key, "expected object", code::invalid_field, i);
      read_item(key, i, *o, out[i]);
      if (failed_) return;
    }
  }

  template <has_schema T>
  void read_item(std::string_view key, std::optional<std::size_t> index, const json::object& o, T& out) {
    field_decoder item(o, limits_, root_);
    schema<T>::apply(out, item);
    if (item.failed_) fail_in_item(key, index, item);
  }

  // Re-roots an item's "<root>.<field>: why" as "<root>.<key>[i].<field>: why".
  void fail_in_item(std::string_view key, std::optional<std::size_t> index, field_decoder& item) {
    const std::string inner = item.take_message();
    failed_ = true;
    error_ = item.error_;
    message_ = path(key, index);
    message_ += '.';
    message_.append(std::string_view(inner).substr(root_.empty() ? 0 : root_.size() + 1));
  }

  std::string path(std::string_view key, std::optional<std::size_t> index) const {
    std::string p(root_);
    if (!p.empty()) p += '.';
    p += key;
    if (index) {
      p += '[';
      p += std::to_string(*index);
      p += ']';
    }
    return p;
  }

  void fail(std::string_view key, std::string_view why, code c = code::invalid_field,
            std::optional<std::size_t> index = std::nullopt) {
    failed_ = true;
    error_ = c;
    message_ = path(key, index);
    message_ += ": ";
    message_ += why;
  }

  const json::object& object_;
  json::object* movable_ = nullptr;
  const decode_limits& limits_;
  std::string_view root_;
  bool failed_ = false;
  code error_ = code::invalid_field;
  std::string message_;
};

// emplace<I> for every alternative of a variant, indexed by I.
template <class Variant, std::size_t... I>
constexpr auto make_emplacers(std::index_sequence<I...>) {
  return std::array<void (*)(Variant&), sizeof...(I)>{[](Variant& v) { v.template emplace<I>(); }...};
}
template <class Variant>
inline constexpr auto emplace_alternative =
    make_emplacers<Variant>(std::make_index_sequence<std::variant_size_v<Variant>>{});

// Makes `body` its alternative `index` and reads that alternative's fields with its schema
// and its problem(): nothing, or what was wrong.
template <class Variant>
std::optional<field_error> decode_fields(Variant& body, std::size_t index, field_decoder& decoder) {
  emplace_alternative<Variant>[index](body);
  std::visit([&](auto& m) { schema<std::decay_t<decltype(m)>>::apply(m, decoder); }, body);
  if (decoder.failed()) return field_error{decoder.error_code(), decoder.take_message()};
  const std::string_view problem = std::visit([](const auto& m) { return problem_of(m); }, body);
  if (!problem.empty()) return field_error{code::invalid_field, std::string(problem)};
  return std::nullopt;
}

// How parse_object reads text.
struct parse_limits {
  std::size_t max_bytes = 0;   // larger: 9006
  std::size_t max_depth = 0;   // deeper: 9001
  bool lenient = false;        // comments and trailing commas allowed
  std::string_view what;       // "message", "frame": how errors name the text
};

// `text` parsed as one JSON object (in `storage`), or why not: 9006 larger than
// max_bytes, 9001 not JSON, nested too deep, not an object.
inline std::variant<json::value, field_error> parse_object(std::string_view text, const parse_limits& limits,
                                                           json::storage_ptr storage = {}) {
  const std::string what(limits.what);
  if (text.size() > limits.max_bytes) {
    return field_error{code::too_large, what + ": larger than " + std::to_string(limits.max_bytes) + " bytes"};
  }
  json::parse_options options;
  options.allow_comments = limits.lenient;
  options.allow_trailing_commas = limits.lenient;
  options.max_depth = limits.max_depth;
  json::error_code ec;
  json::value root = json::parse(json::string_view(text.data(), text.size()), ec, std::move(storage), options);
  if (ec == json::error::too_deep) {
    return field_error{code::malformed_json, what + ": nested deeper than " + std::to_string(limits.max_depth) + " levels"};
  }
  if (ec) return field_error{code::malformed_json, "malformed JSON: " + ec.message()};
  if (!root.is_object()) return field_error{code::malformed_json, what + ": not a JSON object"};
  return root;
}

// ---- encoding -----------------------------------------------------------------------

// Writes strict JSON into a string. The string is sized up front and filled through a
// cursor, because per-character push_back dominated the encode profile. Commas are
// tracked with one flag: set after a value, cleared by a key or an opening bracket.
class json_writer {
 public:
  json_writer(std::string& out, std::size_t size_hint) : out_(out) { out_.resize(size_hint); }
  // Trims the string to what was written.
  void finish() { out_.resize(size_); }

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // Keys are our own ASCII literals, never in need of escaping.
  void key(std::string_view k) {
    char* p = room(k.size() + 4);
    if (need_comma_) *p++ = ',';
    *p++ = '"';
    p = copy(p, k);
    *p++ = '"';
    *p++ = ':';
    size_ = static_cast<std::size_t>(p - out_.data());
    need_comma_ = false;
  }
  void string(std::string_view s) {
    separate();
    append_escaped(s);
    need_comma_ = true;
  }
  void boolean(bool b) { value(b ? std::string_view("true") : std::string_view("false")); }
  void null() { value("null"); }
  template <std::integral I>
  void integer(I i) {
    separate();
    char* p = room(max_integer_chars);
    size_ = static_cast<std::size_t>(std::to_chars(p, p + max_integer_chars, i).ptr - out_.data());
    need_comma_ = true;
  }
  // A value that is already JSON text.
  void value(std::string_view json_text) {
    separate();
    raw(json_text);
    need_comma_ = true;
  }

 private:
  static constexpr std::size_t max_integer_chars = 20;  // "-9223372036854775808"

  // A pointer to at least n writable bytes at the cursor.
  char* room(std::size_t n) {
    if (out_.size() - size_ < n) [[unlikely]] grow(n);
    return out_.data() + size_;
  }
  void grow(std::size_t n) { out_.resize(std::max(out_.size() * 2, size_ + n)); }
  static char* copy(char* p, std::string_view s) noexcept {
    std::char_traits<char>::copy(p, s.data(), s.size());
    return p + s.size();
  }
  void raw(std::string_view s) {
    copy(room(s.size()), s);
    size_ += s.size();
  }
  void put(char c) {
    *room(1) = c;
    ++size_;
  }
  void separate() {
    if (need_comma_) put(',');
  }
  void open(char bracket) {
    separate();
    put(bracket);
    need_comma_ = false;
  }
  void close(char bracket) {
    put(bracket);
    need_comma_ = true;
  }

  // For each byte, 0 if it is copied as is, else the letter after the backslash
  // ('u' for \u00XX). The same escapes as Boost.JSON's serializer.
  static constexpr std::array<char, 256> escapes = [] {
    std::array<char, 256> t{};
    for (std::size_t c = 0; c < 0x20; ++c) t[c] = 'u';
    t['\b'] = 'b';
    t['\f'] = 'f';
    t['\n'] = 'n';
    t['\r'] = 'r';
    t['\t'] = 't';
    t['"'] = '"';
    t['\\'] = '\\';
    return t;
  }();

  // Index of the first byte of s that JSON needs escaped, or s.size(). Looks at eight
  // bytes at a time (a control byte, '"' or '\\' among them) since most text has none.
  static std::size_t find_escape(std::string_view s) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101;
    constexpr std::uint64_t highs = 0x8080808080808080;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, sizeof w);
      const std::uint64_t quote = w ^ (ones * '"');
      const std::uint64_t backslash = w ^ (ones * '\\');
      // (x - ones) & ~x has a high bit set where a byte of x is zero; with 0x20 instead
      // of 1, where a byte is below 0x20.
      const std::uint64_t hits = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
                                 ((w - ones * 0x20) & ~w);
      if ((hits & highs) != 0) break;
    }
    for (; i < s.size(); ++i) {
      if (escapes[static_cast<unsigned char>(s[i])] != 0) break;
    }
    return i;
  }

  void append_escaped(std::string_view s) {
    constexpr std::string_view hex = "0123456789abcdef";
    room(s.size() + 2);  // enough unless something needs escaping
    put('"');
    while (true) {
      const std::size_t i = find_escape(s);
      raw(s.substr(0, i));
      if (i == s.size()) break;
      const auto byte = static_cast<unsigned char>(s[i]);
      const char e = escapes[byte];
      if (e == 'u') {
        const char seq[] = {'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0xf]};
        raw(std::string_view(seq, sizeof seq));
      } else {
        const char seq[] = {'\\', e};
        raw(std::string_view(seq, sizeof seq));
      }
      s.remove_prefix(i + 1);
    }
    put('"');
  }

  std::string& out_;
  std::size_t size_ = 0;  // bytes written; out_.size() is the room
  bool need_comma_ = false;
};

// Writes the fields a schema visits. Unset optionals are omitted, but a nullable one is
// written as null.
class field_encoder {
 public:
  explicit field_encoder(json_writer& w) noexcept : w_(w) {}

  template <class T>
  void operator()(std::string_view key, const T& value, rule) {
    w_.key(key);
    write(value);
  }
  template <class T>
  void operator()(std::string_view key, const std::optional<T>& value, rule r) {
    if (value) return (*this)(key, *value, r);
    if (r != rule::nullable) return;
    w_.key(key);
    w_.null();
  }
  template <class T>
  void operator()(std::string_view key, lenient<T> field, rule r) {
    (*this)(key, field.value, r);
  }

 private:
  void write(std::string_view s) { w_.string(s); }
  void write(bool b) { w_.boolean(b); }
  template <std::integral I>
  void write(I i) {
    w_.integer(i);
  }
  template <class... T>
  void write(const std::variant<T...>& v) {
    std::visit([this](const auto& x) { write(x); }, v);
  }
  void write(const json::object& o) { w_.value(json::serialize(o)); }
  void write(raw_json j) { w_.value(j.text); }
  template <has_schema T>
  void write(const T& item) {
    w_.begin_object();
    schema<T>::apply(item, *this);
    w_.end_object();
  }
  template <class T>
  void write(const std::vector<T>& items) {
    w_.begin_array();
    for (const auto& item : items) write(item);
    w_.end_array();
  }

  json_writer& w_;
};

// An upper-ish bound of the encoded size, so an encoder allocates once in the usual case
// (escaping, and objects serialized on the way, can still make it grow).
class size_estimator {
 public:
  std::size_t total() const noexcept { return total_; }

  template <class T>
  void operator()(std::string_view key, const T& value, rule) {
    total_ += key.size() + 4;
    add(value);
  }
  template <class T>
  void operator()(std::string_view key, const std::optional<T>& value, rule r) {
    if (value) return (*this)(key, *value, r);
    if (r == rule::nullable) total_ += key.size() + 8;
  }
  template <class T>
  void operator()(std::string_view key, lenient<T> field, rule r) {
    (*this)(key, field.value, r);
  }

 private:
  static constexpr std::size_t number_bytes = 20;
  static constexpr std::size_t object_bytes = 256;  // a guess: its size is known once serialized

  void add(std::string_view s) { total_ += s.size() + 2; }
  void add(bool) { total_ += 5; }
  template <std::integral I>
  void add(I) {
    total_ += number_bytes;
  }
  template <class... T>
  void add(const std::variant<T...>& v) {
    std::visit([this](const auto& x) { add(x); }, v);
  }
  void add(const json::object&) { total_ += object_bytes; }
  void add(raw_json j) { total_ += j.text.size(); }
  template <has_schema T>
  void add(const T& item) {
    total_ += 2;
    schema<T>::apply(item, *this);
  }
  template <class T>
  void add(const std::vector<T>& items) {
    total_ += 2 + items.size();
    for (const auto& item : items) add(item);
  }

  std::size_t total_ = 0;
};

// {"<tag_key>":"<tag>", then m's fields}: a federation frame ("type") or event ("kind").
template <has_schema T>
std::string encode_tagged(std::string_view tag_key, std::string_view tag, const T& m) {
  size_estimator estimate;
  schema<T>::apply(m, estimate);
  std::string out;
  json_writer w(out, tag_key.size() + tag.size() + 8 + estimate.total());
  w.begin_object();
  w.key(tag_key);
  w.string(tag);
  field_encoder encoder(w);
  schema<T>::apply(m, encoder);
  w.end_object();
  w.finish();
  return out;
}

}  // namespace chatnode::protocol::detail
