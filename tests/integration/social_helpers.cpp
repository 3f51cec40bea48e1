// Helpers for the social-flow integration tests.
#include "tests/integration/social_helpers.hpp"

#include <boost/json/serialize.hpp>

#include <regex>
#include <stdexcept>
#include <thread>

namespace chatnode::testing {

namespace json = boost::json;
using client::make_message;

std::string drain_queued(client::connection& conn) {
  std::string out;
  for (int i = 0; i < 20; ++i) {
    auto m = conn.next(std::chrono::milliseconds(0));
    if (!m) return out;
    std::string text = json::serialize(*m);
    if (text.size() > 400) text = text.substr(0, 400) + "…";  // media chunks are large
    out += text + ' ';
  }
  return out + "…";
}

namespace {


[[noreturn]] void fail_flow(const std::string& what, const json::object& got) {
  throw std::runtime_error(what + ", got " + json::serialize(got));
}

void expect_code_zero(const json::object& reply, std::string_view type, const std::string& what) {
  if (type_of(reply) != type || code_of(reply) != 0) {
    fail_flow(what + ": expected " + std::string(type) + " code 0", reply);
  }
}

}  // namespace

std::string full_id(std::string_view name) { return std::string(name) + "@localhost"; }

std::string password_of(std::string_view name) { return "pw-" + std::string(name); }

void register_users(const node_process& node, std::initializer_list<std::string_view> names) {
  auto conn = node.connect();
  for (auto name : names) {
    const auto reply = register_user(*conn, name, password_of(name));
    if (!is_response(reply, "REGISTER_RESPONSE", true, 0)) fail_flow("registering " + std::string(name), reply);
  }
  conn->close();
}

std::unique_ptr<client::connection> login_user(const node_process& node, std::string_view name) {
  auto conn = node.connect();
  send_request(*conn, "LOGIN_REQUEST", json::object{{"username", name}, {"passwordHash", password_of(name)}});
  const auto reply = expect_next(*conn);
  if (!is_response(reply, "LOGIN_RESPONSE", true, 0)) fail_flow("logging in " + std::string(name), reply);
  return conn;
}

void logout_user(client::connection& conn, std::string_view name) {
  send_request(conn, "USER_LOGOUT", json::object{{"username", name}});
  if (!conn.wait_closed(social_timeout)) {
    throw std::runtime_error("the node did not close " + std::string(name) + "'s connection after USER_LOGOUT");
  }
}

void send_request(client::connection& conn, std::string_view type, json::object payload,
                  std::optional<std::string> id) {
  conn.send(make_message(type, std::move(payload), std::move(id)));
}

json::object expect_message(client::connection& conn, std::string_view type, std::chrono::milliseconds timeout) {
  if (auto m = conn.wait_for(type, timeout)) return std::move(*m);
  const bool open = conn.is_open();
  const std::string queued = drain_queued(conn);
  throw std::runtime_error("no " + std::string(type) + " within " + std::to_string(timeout.count()) + " ms" +
                           (open ? "" : " (connection closed, code " + std::to_string(conn.close_code()) + ")") +
                           "; queued: " + (queued.empty() ? "nothing" : queued));
}

json::object expect_either(client::connection& conn, std::string_view type, std::string_view other,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto m = conn.wait_for(type, std::chrono::milliseconds(0))) return std::move(*m);
    if (auto m = conn.wait_for(other, std::chrono::milliseconds(0))) return std::move(*m);
    if (std::chrono::steady_clock::now() >= deadline || !conn.is_open()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // One last look: the connection may have closed right after queueing the reply.
  if (auto m = conn.wait_for(type, std::chrono::milliseconds(0))) return std::move(*m);
  if (auto m = conn.wait_for(other, std::chrono::milliseconds(0))) return std::move(*m);
  const bool open = conn.is_open();
  const std::string queued = drain_queued(conn);
  throw std::runtime_error("no " + std::string(type) + "|" + std::string(other) + " within " +
                           std::to_string(timeout.count()) + " ms" +
                           (open ? "" : " (connection closed, code " + std::to_string(conn.close_code()) + ")") +
                           "; queued: " + (queued.empty() ? "nothing" : queued));
}

json::object expect_next(client::connection& conn, std::chrono::milliseconds timeout) {
  if (auto m = conn.next(timeout)) return std::move(*m);
  const std::string closed =
      conn.is_open() ? "" : " (connection closed, code " + std::to_string(conn.close_code()) + ")";
  throw std::runtime_error("no message within " + std::to_string(timeout.count()) + " ms" + closed);
}

const json::object& payload_of(const json::object& message) {
  const auto* payload = message.if_contains("payload");
  if (payload == nullptr || !payload->is_object()) fail_flow("no payload object", message);
  return payload->get_object();
}

std::string payload_string(const json::object& message, std::string_view key) {
  const auto* v = payload_of(message).if_contains(key);
  if (v == nullptr || !v->is_string()) fail_flow("no string payload." + std::string(key), message);
  return std::string(v->get_string());
}

::testing::AssertionResult has_fields(const json::object& message, std::string_view type, const json::object& fields) {
  return has_fields_without(message, type, fields, {});
}

::testing::AssertionResult has_fields_without(const json::object& message, std::string_view type,
                                              const json::object& fields,
                                              std::initializer_list<std::string_view> absent) {
  if (auto envelope = is_envelope(message); !envelope) return envelope;
  if (type_of(message) != type) {
    return ::testing::AssertionFailure() << "expected " << type << " " << json::serialize(fields) << ", got "
                                         << json::serialize(message);
  }
  const auto& payload = message.at("payload").get_object();
  for (const auto& [key, want] : fields) {
    const auto* got = payload.if_contains(key);
    if (got == nullptr || *got != want) {
      return ::testing::AssertionFailure() << "expected payload." << std::string_view(key) << " = "
                                           << json::serialize(want) << " in " << json::serialize(message);
    }
  }
  for (auto key : absent) {
    if (payload.contains(key)) {
      return ::testing::AssertionFailure() << "expected no payload." << key << " in " << json::serialize(message);
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult has_id(const json::object& message, std::string_view id) {
  const auto* got = message.if_contains("id");
  if (got == nullptr || !got->is_string() || got->get_string() != id) {
    return ::testing::AssertionFailure() << "expected \"id\": \"" << id << "\" in " << json::serialize(message);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_group_id(std::string_view id) {
  static const std::regex pattern("#[a-z0-9]{1,64}@localhost");
  if (!std::regex_match(id.begin(), id.end(), pattern)) {
    return ::testing::AssertionFailure() << "\"" << id << "\" is not a group id #<[a-z0-9]{1,64}>@localhost";
  }
  return ::testing::AssertionSuccess();
}

json::array strings(std::initializer_list<std::string_view> items) {
  json::array out;
  for (auto item : items) out.emplace_back(item);
  return out;
}

json::array strings(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

void make_friends(client::connection& a, std::string_view a_name, client::connection& b, std::string_view b_name) {
  const std::string what = "making " + std::string(a_name) + " and " + std::string(b_name) + " friends";
  send_request(a, "FRIEND_REQUEST", json::object{{"sender", a_name}, {"receiver", b_name}});
  expect_code_zero(expect_either(a, "FRIEND_REQUEST_ACK", "ERROR"), "FRIEND_REQUEST_ACK", what);
  const auto request = expect_message(b, "FRIEND_REQUEST");
  if (!has_fields(request, "FRIEND_REQUEST", json::object{{"sender", full_id(a_name)}, {"receiver", full_id(b_name)}}))
    fail_flow(what + ": unexpected FRIEND_REQUEST", request);
  send_request(b, "FRIEND_REQUEST_RESPONSE",
               json::object{{"sender", a_name}, {"receiver", b_name}, {"code", 0}});
  expect_code_zero(expect_message(a, "FRIEND_REQUEST_RESPONSE"), "FRIEND_REQUEST_RESPONSE", what);
  // Both online: each learns the other's status (§7).
  const auto a_sees = expect_message(a, "USER_STATUS_UPDATE");
  if (!has_fields(a_sees, "USER_STATUS_UPDATE", json::object{{"username", full_id(b_name)}}))
    fail_flow(what + ": unexpected status update", a_sees);
  const auto b_sees = expect_message(b, "USER_STATUS_UPDATE");
  if (!has_fields(b_sees, "USER_STATUS_UPDATE", json::object{{"username", full_id(a_name)}}))
    fail_flow(what + ": unexpected status update", b_sees);
}

json::object send_text(client::connection& conn, std::string_view sender, std::string_view receiver,
                       std::string_view content, std::optional<std::string> id) {
  send_request(conn, "TEXT_MESSAGE", json::object{{"sender", sender}, {"receiver", receiver}, {"content", content}},
               std::move(id));
  return expect_either(conn, "TEXT_MESSAGE_ACK", "ERROR");
}

std::string send_text_ok(client::connection& conn, std::string_view sender, std::string_view receiver,
                         std::string_view content) {
  const auto ack = send_text(conn, sender, receiver, content);
  expect_code_zero(ack, "TEXT_MESSAGE_ACK", std::string(sender) + " texting " + std::string(receiver));
  return payload_string(ack, "messageId");
}

::testing::AssertionResult is_text(const json::object& message, std::string_view sender_full,
                                   std::string_view receiver_full, std::string_view content) {
  if (auto r = has_fields(message, "TEXT_MESSAGE",
                          json::object{{"sender", sender_full}, {"receiver", receiver_full}, {"content", content}});
      !r) {
    return r;
  }
  const auto* id = message.at("payload").get_object().if_contains("messageId");
  if (id == nullptr || !id->is_string()) {
    return ::testing::AssertionFailure() << "no string messageId in " << json::serialize(message);
  }
  return ::testing::AssertionSuccess();
}

json::object create_group(client::connection& conn, std::string_view sender,
                          std::initializer_list<std::string_view> members, std::string_view name,
                          std::optional<std::string> id) {
  send_request(conn, "GROUP_CREATE", json::object{{"sender", sender}, {"members", strings(members)}, {"name", name}},
               std::move(id));
  return expect_either(conn, "GROUP_CREATE_ACK", "ERROR");
}

std::string create_group_ok(client::connection& conn, std::string_view sender,
                            std::initializer_list<std::string_view> members, std::string_view name) {
  const auto ack = create_group(conn, sender, members, name);
  expect_code_zero(ack, "GROUP_CREATE_ACK", std::string(sender) + " creating " + std::string(name));
  return payload_string(ack, "groupId");
}

void answer_invite(client::connection& conn, std::string_view invitee, std::string_view inviter, std::string_view name,
                   std::optional<std::string> group_id, int code) {
  json::object payload{{"sender", inviter}, {"receiver", invitee}, {"group", name}, {"code", code}};
  if (group_id) payload["groupId"] = *group_id;
  send_request(conn, "GROUP_INVITE_RESPONSE", std::move(payload));
}

void join_group(client::connection& inviter, std::string_view inviter_name, client::connection& invitee,
                std::string_view invitee_name, const std::string& group_id, std::string_view name) {
  const std::string what = std::string(invitee_name) + " joining " + group_id;
  const auto invite = expect_message(invitee, "GROUP_INVITE");
  if (!has_fields(invite, "GROUP_INVITE", json::object{{"groupId", group_id}})) {
    fail_flow(what + ": other invite", invite);
  }
  answer_invite(invitee, invitee_name, inviter_name, name, group_id, 0);
  const auto response = expect_message(inviter, "GROUP_INVITE_RESPONSE");
  if (!has_fields(response, "GROUP_INVITE_RESPONSE",
                  json::object{{"receiver", full_id(invitee_name)}, {"groupId", group_id}, {"code", 0}}))
    fail_flow(what + ": unexpected GROUP_INVITE_RESPONSE", response);
}

void barrier(client::connection& conn, std::string_view name) {
  const auto ack = send_text(conn, name, "nobody-at-all", "barrier");
  if (!has_fields(ack, "TEXT_MESSAGE_ACK", json::object{{"code", 7001}})) fail_flow("barrier", ack);
}

json::object friend_list(client::connection& conn, std::string_view username) {
  send_request(conn, "FRIEND_LIST_REQUEST", json::object{{"username", username}});
  return expect_either(conn, "FRIEND_LIST_RESPONSE", "ERROR");
}

json::object group_list(client::connection& conn, std::string_view username) {
  send_request(conn, "GROUP_LIST_REQUEST", json::object{{"username", username}});
  return expect_either(conn, "GROUP_LIST_RESPONSE", "ERROR");
}

}  // namespace chatnode::testing
