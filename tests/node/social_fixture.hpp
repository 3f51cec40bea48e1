// router_fixture plus what the account and block tests need: users logged in on fake
// sessions, friends, groups, federation events from a pretend peer (beta.example, always
// reachable) and a look at the store.
#pragma once

#include "router_fixture.hpp"

#include "federation/inbox.hpp"
#include "store/tables.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <future>
#include <map>
#include <string>
#include <vector>

namespace chatnode::node::testing {

class social_fixture : public router_fixture {
 protected:
  explicit social_fixture(const std::function<void(config&)>& tweak = {}) : router_fixture(tweak) {
    router_->set_federation(&federation_);
  }
  ~social_fixture() override { router_->set_federation(nullptr); }

  // Registers (unless `fresh` is false) and logs in `name` on a new session; the login reply
  // is taken, what follows it stays queued.
  std::shared_ptr<fake_session> user(const std::string& name, bool fresh = true, const std::string& pw = "pw") {
    auto s = session();
    if (fresh) {
      EXPECT_EQ(code(reg(s, name, pw)), 0);
    }
    auto r = login(s, name, pw);
    EXPECT_EQ(r.at("type"), "LOGIN_RESPONSE");
    EXPECT_EQ(code(r), 0);
    return s;
  }
  // Takes frames until one of `type` arrives (others are dropped); empty after 20 frames or
  // a timeout.
  static boost::json::object next_of(const std::shared_ptr<fake_session>& s, std::string_view type) {
    for (int i = 0; i < 20; ++i) {
      auto m = s->next();
      if (m.empty()) break;
      if (m.at("type").as_string() == type) return m;
    }
    ADD_FAILURE() << "no " << type;
    return {};
  }
  // Every frame queued for `s` after a request of its own was answered (so earlier effects
  // of every rule have been applied), the answer excluded.
  std::vector<boost::json::object> drain(const std::shared_ptr<fake_session>& s, const std::string& name) {
    send(s, R"({"type":"BLOCK_LIST_REQUEST","id":"drain","payload":{"username":")" + name + R"("}})");
    std::vector<boost::json::object> out;
    for (int i = 0; i < 100; ++i) {
      auto m = s->next();
      if (m.empty()) break;
      if (m.at("type") == "BLOCK_LIST_RESPONSE" && m.contains("id") && m.at("id") == "drain") return out;
      out.push_back(std::move(m));
    }
    ADD_FAILURE() << "no answer to the drain request";
    return out;
  }
  static std::vector<std::string> types_of(const std::vector<boost::json::object>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames) out.emplace_back(f.at("type").as_string());
    return out;
  }
  static std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
    return out;
  }
  void befriend(const std::shared_ptr<fake_session>& a, const std::string& an, const std::shared_ptr<fake_session>& b,
                const std::string& bn) {
    send(a, R"({"type":"FRIEND_REQUEST","payload":{"sender":")" + an + R"(","receiver":")" + bn + R"("}})");
    EXPECT_EQ(code(next_of(a, "FRIEND_REQUEST_ACK")), 0);
    next_of(b, "FRIEND_REQUEST");
    send(b, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":")" + an + R"(","receiver":")" + bn + R"(","code":0}})");
    EXPECT_EQ(code(next_of(a, "FRIEND_REQUEST_RESPONSE")), 0);
    next_of(a, "USER_STATUS_UPDATE");
    next_of(b, "USER_STATUS_UPDATE");
  }
  // `leader` makes group `name` of `members` (friends of theirs, who accept); returns its id.
  std::string group(const std::shared_ptr<fake_session>& leader, const std::string& leader_name, const std::string& name,
                    const std::vector<std::pair<std::shared_ptr<fake_session>, std::string>>& members) {
    boost::json::array names;
    for (const auto& m : members) names.emplace_back(m.second);
    send(leader, R"({"type":"GROUP_CREATE","payload":{"sender":")" + leader_name + R"(","members":)" +
                     boost::json::serialize(names) + R"(,"name":")" + name + R"("}})");
    auto ack = next_of(leader, "GROUP_CREATE_ACK");
    EXPECT_EQ(code(ack), 0);
    const std::string gid(ack.at("payload").at("groupId").as_string());
    for (const auto& [s, n] : members) {
      next_of(s, "GROUP_INVITE");
      send(s, R"({"type":"GROUP_INVITE_RESPONSE","payload":{"sender":")" + leader_name + R"(","receiver":")" + n +
                  R"(","group":")" + name + R"(","groupId":")" + gid + R"(","code":0}})");
      EXPECT_EQ(code(next_of(leader, "GROUP_INVITE_RESPONSE")), 0);
    }
    return gid;
  }

  void run(std::function<void(store::txn&)> job) {
    std::promise<std::error_code> done;
    writer_->submit(std::move(job), [&done](std::error_code ec) { done.set_value(ec); });
    ASSERT_FALSE(done.get_future().get());
  }
  // A federation event from `origin` (the next in its stream).
  remote_result receive(const std::string& origin, const boost::json::object& event) {
    std::promise<remote_result> done;
    federation::receive_event(*writer_, *router_, origin, "stream-" + origin, ++seq_[origin], 0, event,
                               [&done](federation::received& r) { done.set_value(r.result); });
    return done.get_future().get();
  }
  // A "deliver" event carrying a client frame to users of this node.
  static boost::json::object deliver_event(std::vector<std::string> to, const std::string& frame) {
    boost::json::array users;
    for (auto& u : to) users.emplace_back(u);
    return boost::json::object{{"kind", "deliver"}, {"to", std::move(users)}, {"message", boost::json::parse(frame)}};
  }
  // The events waiting for `peer`, parsed.
  std::vector<boost::json::object> outbox(const std::string& peer) {
    std::vector<boost::json::object> out;
    auto t = db_->begin_read();
    for (const auto& e : store::outbox_read(t, peer, 0, 1000)) out.push_back(boost::json::parse(e.event).as_object());
    return out;
  }
  // The client frames of the "deliver" events waiting for `peer`, parsed.
  std::vector<boost::json::object> delivered_to(const std::string& peer) {
    std::vector<boost::json::object> out;
    for (const auto& e : outbox(peer))
      if (e.at("kind") == "deliver") out.push_back(e.at("message").as_object());
    return out;
  }

  struct always_reachable final : federation_port {
    bool reachable(const std::string&) const override { return true; }
    void poke(const std::string&) override {}
  };
  always_reachable federation_;
  std::map<std::string, std::uint64_t> seq_;
};

}  // namespace chatnode::node::testing
