// Helpers for the social-flow integration tests (docs/protocol.md §5–§11): logging users
// in and out, waiting for a message of a type with a bounded wait, comparing payloads, and
// the multi-step flows most tests need as a starting point (friends, groups, texts).
//
// Helpers that must succeed for a test to make sense throw std::runtime_error (gtest
// reports the description and fails the test); the checks the tests are about use the
// AssertionResult predicates, which print the whole offending message.
#pragma once

#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::testing {

// Every wait of these tests is bounded by this (or a shorter explicit timeout).
inline constexpr std::chrono::milliseconds social_timeout{10000};

// "name@localhost" (the test node's domain).
std::string full_id(std::string_view name);
// The password register_users gives `name`.
std::string password_of(std::string_view name);

// Registers every name (password password_of(name)) on one short-lived connection;
// throws unless each gets REGISTER_RESPONSE code 0.
void register_users(const node_process& node, std::initializer_list<std::string_view> names);

// Connects and logs `name` in; throws unless the first message is LOGIN_RESPONSE
// {success:true, code:0}. Whatever the node sends after it (inbox, statuses) stays queued.
std::unique_ptr<client::connection> login_user(const node_process& node, std::string_view name);

// USER_LOGOUT, then waits until the node closed the connection: from then on the node
// treats the user as offline (it removes the session before closing, docs §5).
void logout_user(client::connection& conn, std::string_view name);

// Takes what is queued right now, for a failure message: at most 20 messages, long ones cut.
std::string drain_queued(client::connection& conn);

void send_request(client::connection& conn, std::string_view type, boost::json::object payload,
                  std::optional<std::string> id = std::nullopt);

// The oldest queued message of `type` (others stay queued); throws, listing what was
// queued, when none arrives within `timeout`.
boost::json::object expect_message(client::connection& conn, std::string_view type,
                                   std::chrono::milliseconds timeout = social_timeout);
// The oldest queued message of `type` or of `other` (a request's reply or its ERROR),
// leaving every other message queued; throws when neither arrives within `timeout`.
boost::json::object expect_either(client::connection& conn, std::string_view type, std::string_view other,
                                  std::chrono::milliseconds timeout = social_timeout);
// The next message whatever its type; throws when none arrives within `timeout`.
boost::json::object expect_next(client::connection& conn, std::chrono::milliseconds timeout = social_timeout);

const boost::json::object& payload_of(const boost::json::object& message);
// payload[key] as a string; throws when absent or not a string.
std::string payload_string(const boost::json::object& message, std::string_view key);

// An envelope of `type` whose payload has exactly these values for these keys (other
// keys are allowed).
::testing::AssertionResult has_fields(const boost::json::object& message, std::string_view type,
                                      const boost::json::object& fields);
// Like has_fields, and the payload has none of `absent`.
::testing::AssertionResult has_fields_without(const boost::json::object& message, std::string_view type,
                                              const boost::json::object& fields,
                                              std::initializer_list<std::string_view> absent);
// message.id is the string `id`.
::testing::AssertionResult has_id(const boost::json::object& message, std::string_view id);
// A group id of the test node: #<[a-z0-9]{1,64}>@localhost.
::testing::AssertionResult is_group_id(std::string_view id);

// A JSON array of strings.
boost::json::array strings(std::initializer_list<std::string_view> items);
boost::json::array strings(const std::vector<std::string>& items);

// alice asks, bob accepts (both online): checks the ACK, the forwarded request and
// response, and takes the USER_STATUS_UPDATE each of them gets of the other (§7).
void make_friends(client::connection& a, std::string_view a_name, client::connection& b, std::string_view b_name);

// TEXT_MESSAGE {sender, receiver, content}; returns TEXT_MESSAGE_ACK or ERROR (other
// messages stay queued; so in the helpers below).
boost::json::object send_text(client::connection& conn, std::string_view sender, std::string_view receiver,
                              std::string_view content, std::optional<std::string> id = std::nullopt);
// send_text that must be acknowledged with code 0; returns the messageId.
std::string send_text_ok(client::connection& conn, std::string_view sender, std::string_view receiver,
                         std::string_view content);
// A TEXT_MESSAGE with this sender, receiver and content (full ids) and a messageId.
::testing::AssertionResult is_text(const boost::json::object& message, std::string_view sender_full,
                                   std::string_view receiver_full, std::string_view content);

// GROUP_CREATE; returns GROUP_CREATE_ACK or ERROR.
boost::json::object create_group(client::connection& conn, std::string_view sender,
                                 std::initializer_list<std::string_view> members, std::string_view name,
                                 std::optional<std::string> id = std::nullopt);
// create_group that must succeed; returns the groupId.
std::string create_group_ok(client::connection& conn, std::string_view sender,
                            std::initializer_list<std::string_view> members, std::string_view name);
// GROUP_INVITE_RESPONSE sent by `invitee` (the acting `receiver`).
void answer_invite(client::connection& conn, std::string_view invitee, std::string_view inviter,
                   std::string_view name, std::optional<std::string> group_id, int code);
// The invitee takes its GROUP_INVITE for `group_id`, accepts it, and the (online) inviter
// receives the GROUP_INVITE_RESPONSE; on return the invitee is a member.
void join_group(client::connection& inviter, std::string_view inviter_name, client::connection& invitee,
                std::string_view invitee_name, const std::string& group_id, std::string_view name);

// A request answered through the node's write queue (a text to an unknown user, ACK 7001):
// once its ACK is back, every earlier request of this connection has been applied. Used
// after the silent responses (FRIEND_REQUEST_RESPONSE, GROUP_INVITE_RESPONSE) when nobody
// online would see their effect.
void barrier(client::connection& conn, std::string_view name);

// FRIEND_LIST_REQUEST / GROUP_LIST_REQUEST; returns the response (or ERROR).
boost::json::object friend_list(client::connection& conn, std::string_view username);
boost::json::object group_list(client::connection& conn, std::string_view username);

}  // namespace chatnode::testing
