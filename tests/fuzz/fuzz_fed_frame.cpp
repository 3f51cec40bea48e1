// libFuzzer target for protocol::fed::decode_frame, which reads every frame a federation
// peer sends after the hello, and decode_event, which reads the event of a FED_EVENT
// (docs/federation.md "Frames on a link").
//
// Property: a frame is either refused with 9001, 9002, 9003 or 9006 and a message, or
// decoded to a frame that encode() writes back as a frame decoding to the same, byte-stable
// from then on; a frame that parses decodes the same from its parsed object. Likewise for
// the event a decoded FED_EVENT carries (refused with 9002 or 9003). Not checked when an
// object carried as it is (an event, a client message) holds a non-integer number: Boost.JSON
// 1.81 does not always read back the double it wrote (its parsing is not correctly rounded),
// and writes an overflowing one (1e999) as `Infinity`, which is not JSON.
#include "protocol/federation.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

namespace {

namespace fed = chatnode::protocol::fed;
namespace json = boost::json;
using chatnode::protocol::code;

// Re-encoding may write a number longer than it came (0.1 as 1E-1): no size limit then.
constexpr fed::frame_limits unbounded{std::numeric_limits<std::size_t>::max(), fed::frame_limits{}.max_depth};

bool has_double(const json::value& v) {
  if (v.is_double()) return true;
  if (const auto* a = v.if_array()) return std::any_of(a->begin(), a->end(), has_double);
  if (const auto* o = v.if_object())
    return std::any_of(o->begin(), o->end(), [](const auto& kv) { return has_double(kv.value()); });
  return false;
}

// Decoding what encode() wrote gives `decoded` again, and the same bytes.
template <class Alternative, class Result>
void check_again(const Result& decoded, const Result& again, const std::string& encoded) {
  const auto* back = std::get_if<Alternative>(&again);
  if (back == nullptr || again != decoded || fed::encode(*back) != encoded) __builtin_trap();
}

void check_error(const fed::frame_error& e) {
  const bool documented = e.error == code::malformed_json || e.error == code::unknown_type ||
                          e.error == code::invalid_field || e.error == code::too_large;
  if (!documented || e.message.empty()) __builtin_trap();
}

void check_event(const json::object& object) {
  const auto decoded = fed::decode_event(object);
  if (const auto* e = std::get_if<fed::frame_error>(&decoded)) {
    if (e->error != code::unknown_type && e->error != code::invalid_field) __builtin_trap();
    return check_error(*e);
  }
  if (has_double(object)) return;
  const std::string encoded = fed::encode(std::get<fed::event_kind>(decoded));
  check_again<fed::event_kind>(decoded, fed::decode_event(json::parse(encoded).as_object()), encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto decoded = fed::decode_frame(text);
  if (const auto* e = std::get_if<fed::frame_error>(&decoded)) {
    check_error(*e);
    // What parses must be refused the same way already parsed.
    boost::system::error_code ec;
    const json::value parsed = json::parse(text, ec);
    if (!ec && parsed.is_object() && e->error != code::malformed_json && e->error != code::too_large &&
        fed::decode_frame(parsed.as_object()) != decoded)
      __builtin_trap();
    return 0;
  }
  const auto& frame = std::get<fed::frame>(decoded);
  if (fed::decode_frame(json::parse(text).as_object()) != decoded) __builtin_trap();
  const auto* event = std::get_if<fed::event>(&frame);
  if (event != nullptr && has_double(event->event)) return 0;
  const std::string encoded = fed::encode(frame);
  check_again<fed::frame>(decoded, fed::decode_frame(encoded, unbounded), encoded);
  if (event != nullptr) check_event(event->event);
  return 0;
}
