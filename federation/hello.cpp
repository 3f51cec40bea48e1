// FED_HELLO encode/parse.
#include "federation/hello.hpp"

#include "federation/errors.hpp"

#include "protocol/ids.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace chatnode::federation {
namespace json = boost::json;

std::string encode_hello(std::string_view origin) {
  return json::serialize(json::object{{"type", "FED_HELLO"}, {"origin", origin}, {"version", protocol_version}});
}

boost::system::error_code parse_hello(std::string_view frame, hello& out) noexcept {
  try {
    if (frame.size() > max_hello_bytes) return errc::bad_hello;
    boost::system::error_code ec;
    json::value v = json::parse(frame, ec);
    if (ec || !v.is_object()) return errc::bad_hello;
    const auto& obj = v.as_object();
    const auto* type = obj.if_contains("type");
    const auto* origin = obj.if_contains("origin");
    const auto* version = obj.if_contains("version");
    if (!type || !type->is_string() || type->as_string() != "FED_HELLO") return errc::bad_hello;
    if (!origin || !origin->is_string()) return errc::bad_hello;
    if (!version || !version->is_int64()) return errc::bad_hello;
    std::string domain = protocol::fold_case(origin->as_string());
    if (!protocol::is_valid_domain(domain)) return errc::bad_hello;
    if (version->as_int64() != protocol_version) return errc::unsupported_version;
    out.origin = std::move(domain);
    out.version = protocol_version;
    return {};
  } catch (const std::exception&) {  // allocation failure: treat as a bad frame
    return errc::bad_hello;
  }
}

}  // namespace chatnode::federation
