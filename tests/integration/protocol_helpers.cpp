// Client-side protocol helpers for the integration tests.
#include "tests/integration/protocol_helpers.hpp"

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace chatnode::testing {

namespace json = boost::json;

boost::json::object expect_reply(client::connection& conn, std::initializer_list<std::string_view> types,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string skipped;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto message = conn.next(std::max(left, std::chrono::milliseconds(0)));
    if (!message) {
      std::string wanted;
      for (auto t : types) wanted += std::string(wanted.empty() ? "" : "|") + std::string(t);
      throw std::runtime_error("no " + wanted + " within " + std::to_string(timeout.count()) + " ms" +
                               (conn.is_open() ? "" : " (connection closed, code " +
                                                          std::to_string(conn.close_code()) + ")") +
                               (skipped.empty() ? "" : "; skipped: " + skipped));
    }
    const std::string type = type_of(*message);
    for (auto t : types) {
      if (type == t) return std::move(*message);
    }
    skipped += json::serialize(*message) + ' ';
  }
}

namespace {

json::object account_request(client::connection& conn, std::string_view type, std::string_view reply_type,
                             std::string_view name, std::string_view password, std::optional<std::string> id) {
  conn.send(client::make_message(type, json::object{{"username", name}, {"passwordHash", password}}, std::move(id)));
  return expect_reply(conn, {reply_type, "ERROR"});
}

}  // namespace

boost::json::object register_user(client::connection& conn, std::string_view name, std::string_view password,
                                  std::optional<std::string> id) {
  return account_request(conn, "REGISTER_REQUEST", "REGISTER_RESPONSE", name, password, std::move(id));
}

boost::json::object login(client::connection& conn, std::string_view name, std::string_view password,
                          std::optional<std::string> id) {
  return account_request(conn, "LOGIN_REQUEST", "LOGIN_RESPONSE", name, password, std::move(id));
}

std::optional<std::int64_t> code_of(const boost::json::object& message) {
  const auto* payload = message.if_contains("payload");
  if (payload == nullptr || !payload->is_object()) return std::nullopt;
  const auto* code = payload->as_object().if_contains("code");
  if (code == nullptr) return std::nullopt;
  if (code->is_int64()) return code->get_int64();
  if (code->is_uint64()) return static_cast<std::int64_t>(code->get_uint64());
  return std::nullopt;
}

std::string type_of(const boost::json::object& message) {
  const auto* type = message.if_contains("type");
  return type != nullptr && type->is_string() ? std::string(type->get_string()) : std::string();
}

::testing::AssertionResult is_envelope(const boost::json::object& message) {
  const auto* type = message.if_contains("type");
  const auto* timestamp = message.if_contains("timestamp");
  const auto* payload = message.if_contains("payload");
  if (type == nullptr || !type->is_string())
    return ::testing::AssertionFailure() << "no string \"type\" in " << json::serialize(message);
  if (timestamp == nullptr || !(timestamp->is_int64() || timestamp->is_uint64()))
    return ::testing::AssertionFailure() << "no integer \"timestamp\" in " << json::serialize(message);
  if (payload == nullptr || !payload->is_object())
    return ::testing::AssertionFailure() << "no object \"payload\" in " << json::serialize(message);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_response(const boost::json::object& message, std::string_view type, bool success,
                                       std::int64_t code) {
  if (auto envelope = is_envelope(message); !envelope) return envelope;
  const auto& payload = message.at("payload").as_object();
  const auto* ok = payload.if_contains("success");
  if (type_of(message) != type || ok == nullptr || !ok->is_bool() || ok->get_bool() != success ||
      code_of(message) != code) {
    return ::testing::AssertionFailure() << "expected " << type << " {success:" << (success ? "true" : "false")
                                         << ", code:" << code << "}, got " << json::serialize(message);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_error(const boost::json::object& message, std::int64_t code,
                                    std::optional<std::string_view> in_reply_to) {
  if (auto envelope = is_envelope(message); !envelope) return envelope;
  const auto& payload = message.at("payload").as_object();
  const auto* reply_to = payload.if_contains("inReplyTo");
  const bool reply_to_ok =
      !in_reply_to || (reply_to != nullptr && reply_to->is_string() && reply_to->get_string() == *in_reply_to);
  if (type_of(message) != "ERROR" || code_of(message) != code || !reply_to_ok) {
    return ::testing::AssertionFailure() << "expected ERROR {code:" << code
                                         << (in_reply_to ? ", inReplyTo:" + std::string(*in_reply_to) : "")
                                         << "}, got " << json::serialize(message);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace chatnode::testing
