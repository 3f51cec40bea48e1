// Small client-side protocol helpers for the integration tests: register/login round
// trips and gtest predicates that print the offending message when they fail.
#pragma once

#include "client/connection.hpp"

#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace chatnode::testing {

// Takes messages until one whose type is in `types` (others are dropped); throws
// std::runtime_error when none arrives in time or the connection closes.
boost::json::object expect_reply(client::connection& conn, std::initializer_list<std::string_view> types,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

// REGISTER_REQUEST / LOGIN_REQUEST; returns the REGISTER_RESPONSE / LOGIN_RESPONSE, or the
// ERROR the node answered with.
boost::json::object register_user(client::connection& conn, std::string_view name, std::string_view password,
                                  std::optional<std::string> id = std::nullopt);
boost::json::object login(client::connection& conn, std::string_view name, std::string_view password,
                          std::optional<std::string> id = std::nullopt);

// payload.code, or nullopt if absent or not an integer.
std::optional<std::int64_t> code_of(const boost::json::object& message);
std::string type_of(const boost::json::object& message);

// "type" string, integer "timestamp", object "payload".
::testing::AssertionResult is_envelope(const boost::json::object& message);
// A REGISTER_RESPONSE / LOGIN_RESPONSE style reply: the given type, payload.success, payload.code.
::testing::AssertionResult is_response(const boost::json::object& message, std::string_view type, bool success,
                                       std::int64_t code);
// ERROR with payload.code (and payload.inReplyTo when given).
::testing::AssertionResult is_error(const boost::json::object& message, std::int64_t code,
                                    std::optional<std::string_view> in_reply_to = std::nullopt);

}  // namespace chatnode::testing
