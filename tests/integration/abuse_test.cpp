// The abuse limits against a real node over real TLS (docs/config.md "Limits"), each while a
// logged-in pair of users keeps chatting: a registration flood from one address does not
// stop logins from another; parallel password guesses are counted before the KDF and lock
// out only their address; message floods, inbox floods and friend-request floods are
// bounded; connections that never log in, frames that never end and too many connections
// from one address are closed; TLS 1.2 offers only AEAD ciphers; /metrics is private
// and shows messages, request latency and the process.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"
#include "tests/integration/tls_probe.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace chatnode::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// A node with the documented default limits (not the relaxed test profile).
node_options strict(boost::json::object limits = {}) {
  node_options o;
  o.test_limits = false;
  o.limits = std::move(limits);
  return o;
}

std::unique_ptr<client::connection> connect_from(const node_process& node, const std::string& address) {
  auto o = node.connect_options();
  o.local_address = address;
  return client::connection::connect(o);
}

// Two logged-in friends who keep talking; check() proves they still can.
class chatting_pair {
 public:
  explicit chatting_pair(const node_process& node) {
    register_users(node, {"carol", "dave"});
    carol_ = login_user(node, "carol");
    dave_ = login_user(node, "dave");
    make_friends(*carol_, "carol", *dave_, "dave");
  }
  void check(const std::string& tag) {
    send_text_ok(*carol_, "carol", "dave", "ping " + tag);
    const auto m = expect_message(*dave_, "TEXT_MESSAGE");
    EXPECT_EQ(payload_string(m, "content"), "ping " + tag);
  }

 private:
  std::unique_ptr<client::connection> carol_, dave_;
};

std::uint64_t metric(const node_process& node, const std::string& name) {
  tls_target t = target_of(node);
  const auto text = https_get(t, "/metrics").body;
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size() + 2));
}

TEST(IntegrationAbuse, ARegistrationFloodFromOneAddressDoesNotStopLoginsFromAnother) {
  auto options = strict();
  // A real KDF cost, so that hashing is what the flood competes for.
  options.edit_config = [](json::object& c) {
    c["kdf"] = json::object{{"N", 16384}, {"r", 8}, {"p", 1}};
    c["kdf_threads"] = 2;
  };
  node_process node(options);
  node.start();
  chatting_pair pair(node);
  register_users(node, {"alice"});

  // 70 connections from 127.0.0.2 send REGISTER_REQUESTs as fast as the node answers.
  std::atomic<bool> stop{false};
  std::atomic<int> flood_sent{0}, flood_refused{0};
  std::vector<std::thread> flood;
  for (int c = 0; c < 70; ++c) {
    flood.emplace_back([&, c] {
      std::unique_ptr<client::connection> conn;
      try {
        conn = connect_from(node, "127.0.0.2");
      } catch (const std::exception&) {
        return;  // over limits.max_connections_per_address: refused at once
      }
      for (int i = 0; i < 200 && !stop; ++i) {
        conn->send(client::make_message("REGISTER_REQUEST", json::object{{"username", "f" + std::to_string(c) + "x" + std::to_string(i)},
                                                                        {"passwordHash", "x"}}));
        ++flood_sent;
        auto reply = conn->next(10s);
        if (!reply) return;
        if (code_of(*reply) == 9007) ++flood_refused;
      }
    });
  }
  // Meanwhile alice logs in and out 100 times from 127.0.0.1.
  int ok = 0;
  for (int i = 0; i < 100; ++i) {
    auto conn = node.connect();
    const auto r = login(*conn, "alice", password_of("alice"));
    if (code_of(r) == 0) {
      ++ok;
      logout_user(*conn, "alice");
    }
  }
  pair.check("during the flood");
  stop = true;
  for (auto& t : flood) t.join();
  std::cout << "[ info     ] legitimate logins during the flood: " << ok << "/100; flood requests " << flood_sent
            << ", refused with 9007: " << flood_refused << "\n";
  EXPECT_GE(ok, 99);
  EXPECT_GT(flood_refused, 0);
  EXPECT_LE(metric(node, "chatnode_registrations_total"), 3u + 10u);  // carol, dave, alice + one address's hour
}

TEST(IntegrationAbuse, ParallelGuessesAreCappedAndTheOwnerIsNotLockedOut) {
  node_process node(strict({{"max_connections_per_address", 64}}));
  node.start();
  chatting_pair pair(node);
  register_users(node, {"alice"});
  // 40 wrong passwords at once from 127.0.0.3, then more one at a time.
  std::vector<std::unique_ptr<client::connection>> guessers;
  for (int i = 0; i < 40; ++i) guessers.push_back(connect_from(node, "127.0.0.3"));
  for (auto& g : guessers) g->send(client::make_message("LOGIN_REQUEST", json::object{{"username", "alice"}, {"passwordHash", "guess"}}));
  int checked = 0, refused = 0;
  for (auto& g : guessers) {
    const auto r = expect_reply(*g, {"LOGIN_RESPONSE", "ERROR"});
    checked += code_of(r) == 2001;
    refused += code_of(r) == 9007;
  }
  EXPECT_LE(checked, 5);
  EXPECT_EQ(checked + refused, 40);
  for (int i = 0; i < 20; ++i) {
    const auto r = login(*guessers[0], "alice", "guess" + std::to_string(i));
    checked += code_of(r) == 2001;
  }
  EXPECT_EQ(checked, 5) << "limits.login_max_failures must hold whatever the guessing pattern";
  EXPECT_EQ(metric(node, "chatnode_login_failures_total"), 5u);
  // alice, from her own address, logs in at once.
  auto mine = node.connect();
  EXPECT_EQ(code_of(login(*mine, "alice", password_of("alice"))), 0);
  pair.check("after the guesses");
}

TEST(IntegrationAbuse, AMessageFloodIsRateLimited) {
  node_process node(strict({{"requests_per_second", 20}, {"requests_burst", 40}}));
  node.start();
  chatting_pair pair(node);
  register_users(node, {"mallory", "victim"});
  auto m = login_user(node, "mallory");
  auto v = login_user(node, "victim");
  make_friends(*m, "mallory", *v, "victim");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i)
    m->send(client::make_message("TEXT_MESSAGE", json::object{{"sender", "mallory"}, {"receiver", "victim"}, {"content", std::string(1000, 'x')}}));
  int stored = 0, limited = 0;
  for (int i = 0; i < 300; ++i) {
    const auto r = expect_reply(*m, {"TEXT_MESSAGE_ACK", "ERROR"});
    stored += code_of(r) == 0;
    limited += code_of(r) == 9007;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(stored + limited, 300);
  EXPECT_GT(limited, 0);
  EXPECT_LE(stored, 40 + static_cast<int>(20 * seconds) + 2);
  pair.check("during the flood");
}

TEST(IntegrationAbuse, AFullInboxRefusesTextWith7004) {
  node_process node(strict({{"max_inbox_messages", 5}}));
  node.start();
  register_users(node, {"alice", "bob"});
  auto a = login_user(node, "alice");
  {
    auto b = login_user(node, "bob");
    make_friends(*a, "alice", *b, "bob");
    logout_user(*b, "bob");
  }
  for (int i = 0; i < 5; ++i) send_text_ok(*a, "alice", "bob", "m" + std::to_string(i));
  const auto refused = send_text(*a, "alice", "bob", "one too many");
  EXPECT_TRUE(has_fields(refused, "TEXT_MESSAGE_ACK", json::object{{"code", 7004}})) << json::serialize(refused);
  EXPECT_FALSE(payload_of(refused).contains("messageId"));
  auto b = login_user(node, "bob");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(payload_string(expect_message(*b, "TEXT_MESSAGE"), "content"), "m" + std::to_string(i));
  EXPECT_FALSE(b->has_queued("TEXT_MESSAGE"));
  // Once bob has read his inbox, alice may write again.
  send_text_ok(*a, "alice", "bob", "now it fits");
}

TEST(IntegrationAbuse, FriendRequestAndRemovePairsAreBounded) {
  node_process node(strict());
  node.start();
  chatting_pair pair(node);
  register_users(node, {"mallory", "victim"});
  auto m = login_user(node, "mallory");
  int accepted = 0, limited = 0;
  for (int i = 0; i < 50; ++i) {
    send_request(*m, "FRIEND_REQUEST", {{"sender", "mallory"}, {"receiver", "victim"}});
    const auto ack = expect_message(*m, "FRIEND_REQUEST_ACK");
    accepted += code_of(ack) == 0;
    limited += code_of(ack) == 3009;
    if (code_of(ack) == 0) {
      send_request(*m, "FRIEND_REMOVE", {{"sender", "mallory"}, {"receiver", "victim"}});
      expect_message(*m, "FRIEND_REMOVE_ACK");
    }
  }
  EXPECT_EQ(accepted, 3);  // limits.friend_requests_per_pair_day
  EXPECT_EQ(limited, 47);
  auto v = login_user(node, "victim");
  int events = 0;
  while (auto e = v->next(1s)) events += type_of(*e) == "FRIEND_REQUEST" || type_of(*e) == "FRIEND_REMOVE";
  EXPECT_EQ(events, 6);
  pair.check("after the flood");
}

TEST(IntegrationAbuse, ConnectionsThatNeverLogInAreClosed) {
  node_process node(strict({{"login_timeout_seconds", 2}}));
  node.start();
  chatting_pair pair(node);
  std::vector<std::unique_ptr<client::connection>> idle;
  for (int i = 0; i < 10; ++i) idle.push_back(connect_from(node, "127.0.0.4"));
  for (auto& c : idle) {
    ASSERT_TRUE(c->wait_closed(10s));
    EXPECT_EQ(c->close_code(), 1008);
  }
  EXPECT_EQ(metric(node, "chatnode_login_timeouts_total"), 10u);
  pair.check("after the idle connections");  // logged-in users are not touched
}

TEST(IntegrationAbuse, AFrameThatNeverEndsIsClosed) {
  node_process node(strict({{"frame_read_timeout_seconds", 2}}));
  node.start();
  chatting_pair pair(node);
  tls_target t = target_of(node);
  const auto closed_after = stalled_fragment(t, 15s);
  ASSERT_TRUE(closed_after.has_value()) << "a message that never ended kept its connection";
  EXPECT_GE(*closed_after, 1500ms);
  EXPECT_EQ(metric(node, "chatnode_frame_timeouts_total"), 1u);
  pair.check("after the stalled frame");
}

TEST(IntegrationAbuse, ConnectionsPerAddressAreCapped) {
  node_process node(strict({{"max_connections_per_address", 5}}));
  node.start();
  std::vector<std::unique_ptr<client::connection>> held;
  for (int i = 0; i < 5; ++i) held.push_back(connect_from(node, "127.0.0.5"));
  EXPECT_THROW(connect_from(node, "127.0.0.5"), std::system_error);
  auto other = connect_from(node, "127.0.0.6");
  EXPECT_TRUE(other->is_open());
  held.pop_back();  // one closes: a place frees up
  EXPECT_TRUE(eventually([&] {
    try {
      held.push_back(connect_from(node, "127.0.0.5"));
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }));
}

TEST(IntegrationAbuse, Tls12OffersOnlyAeadCiphers) {
  node_process node(strict());
  node.start();
  tls_target t = target_of(node);
  t.tls12_ciphers = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:AES128-SHA";
  EXPECT_TRUE(tls_handshake(t, TLS1_2_VERSION, TLS1_2_VERSION)) << "a CBC-only TLS 1.2 client was accepted";
  t.tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  EXPECT_FALSE(tls_handshake(t, TLS1_2_VERSION, TLS1_2_VERSION));
  t.tls12_ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
  EXPECT_FALSE(tls_handshake(t, TLS1_2_VERSION, TLS1_2_VERSION));
}

TEST(IntegrationAbuse, MetricsArePrivate) {
  auto options = strict();
  options.edit_config = [](json::object& c) { c["metrics"] = json::object{{"allow", json::array{"127.0.0.1/32"}}, {"token", "s3cret"}}; };
  node_process node(options);
  node.start();
  tls_target t = target_of(node);
  EXPECT_EQ(https_get(t, "/metrics").status, 200u);
  t.local_address = "127.0.0.7";
  EXPECT_EQ(https_get(t, "/metrics").status, 403u);
  EXPECT_EQ(https_get(t, "/metrics", {{"Authorization", "Bearer wrong"}}).status, 403u);
  const auto with_token = https_get(t, "/metrics", {{"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(with_token.status, 200u);
  EXPECT_NE(with_token.body.find("chatnode_users_online"), std::string::npos);
  EXPECT_EQ(https_get(t, "/healthz").status, 200u);  // health stays public

  // What an operator graphs (docs/operations.md): messages by type, request latency, the
  // process, uptime and build. Two users befriend each other and exchange one text.
  chatting_pair pair(node);
  pair.check("metrics");
  const std::vector<std::string> series = {
      "\nchatnode_messages_total{type=\"text\"} 1\n",
      "\nchatnode_messages_total{type=\"group_text\"} 0\n",
      "\nchatnode_messages_total{type=\"media_chunk\"} 0\n",
      "\nchatnode_messages_total{type=\"friend_request\"} 1\n",
      "\n# TYPE chatnode_request_duration_seconds histogram\n",
      "\nchatnode_request_duration_seconds_bucket{type=\"text_message\",le=\"0.0005\"} ",
      "\nchatnode_request_duration_seconds_bucket{type=\"text_message\",le=\"+Inf\"} 1\n",
      "\nchatnode_request_duration_seconds_count{type=\"text_message\"} 1\n",
      "\nchatnode_request_duration_seconds_sum{type=\"text_message\"} ",
      "\nchatnode_request_duration_seconds_count{type=\"login_request\"} ",
      "\nchatnode_request_duration_seconds_count{type=\"register_request\"} ",
      "\nchatnode_request_duration_seconds_count{type=\"friend_request\"} 1\n",
      "\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
      "\nprocess_open_fds ",
      "\nprocess_max_fds ",
      "\nprocess_start_time_seconds ",
      "\nprocess_cpu_seconds_total ",
      "\n# TYPE chatnode_uptime_seconds gauge\nchatnode_uptime_seconds ",
      "\nchatnode_build_info{version=\"",
  };
  std::string text;
  const auto all_there = [&] {
    text = https_get(t, "/metrics", {{"Authorization", "Bearer s3cret"}}).body;
    for (const auto& s : series)
      if (text.find(s) == std::string::npos) return false;
    return true;
  };
  // The latency of a request is recorded just after its reply is queued: allow a moment.
  for (int i = 0; i < 50 && !all_there(); ++i) std::this_thread::sleep_for(100ms);
  for (const auto& s : series) EXPECT_NE(text.find(s), std::string::npos) << s << "missing from:\n" << text;
  const auto value_of = [&](const std::string& name) {
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size() + 2));
  };
  EXPECT_GT(value_of("process_resident_memory_bytes"), 1e6);
  EXPECT_GE(value_of("process_open_fds"), 5);  // stdio, listeners, the data dir, this connection
  EXPECT_GT(value_of("process_start_time_seconds"), 1.7e9);
  EXPECT_GT(value_of("chatnode_uptime_seconds"), 0);
  EXPECT_NE(text.find("\"} 1\n", text.find("chatnode_build_info{")), std::string::npos) << text;
}

}  // namespace
}  // namespace chatnode::testing
