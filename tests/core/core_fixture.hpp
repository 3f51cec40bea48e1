// What the unit tests of core/ share: the in-memory store (a real backend of the storage
// interface), an online view kept in tables, and readers for the effects a rule returns.
// No sockets, no LMDB, no threads: a rule runs, commits, and its effects are inspected.
#pragma once

#include "core/context.hpp"

#include "store/accounts.hpp"
#include "store/memory.hpp"
#include "store/tables.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace chatnode::core::testing {

// A logged-in user's session as the online view hands it out.
struct fake_connection final : connection {
  explicit fake_connection(std::string u) : user(std::move(u)) {}
  std::string user;
};

// Who is online, in tables the test sets.
class table_view final : public online_view {
 public:
  // Logs `user` in (live unless `catching_up`) with `status`.
  void log_in(const std::string& user, const std::string& status = "online", bool still_catching_up = false) {
    sessions[user] = std::make_shared<fake_connection>(user);
    statuses[user] = status;
    if (still_catching_up) catching_up.insert(user);
  }
  void log_out(const std::string& user) {
    sessions.erase(user);
    statuses.erase(user);
    catching_up.erase(user);
  }

  connection_ptr find(const std::string& user) const override {
    auto it = sessions.find(user);
    return it == sessions.end() ? nullptr : it->second;
  }
  connection_ptr find_live(const std::string& user) const override {
    return catching_up.count(user) ? nullptr : find(user);
  }
  std::string visible_status(const std::string& user) const override {
    if (auto it = statuses.find(user); it != statuses.end()) return it->second;
    if (auto it = remote.find(user); it != remote.end()) return it->second;
    return "offline";
  }
  void set_remote_status(const std::string& user, const std::string& status) override {
    if (status == "offline") {
      remote.erase(user);
    } else {
      remote[user] = status;
    }
  }
  std::vector<std::string> forget_remote_domain(const std::string& domain) override {
    std::vector<std::string> gone;
    for (auto it = remote.begin(); it != remote.end();) {
      if (domain_of(it->first) == domain) {
        gone.push_back(it->first);
        it = remote.erase(it);
      } else {
        ++it;
      }
    }
    return gone;
  }
  std::vector<std::pair<std::string, std::string>> visible_users() const override {
    return {statuses.begin(), statuses.end()};
  }
  bool federated() const override { return federation; }
  bool reachable(const std::string& domain) const override { return federation && peers.count(domain) != 0; }
  bool take_friend_request(const std::string&, const std::string&) override {
    if (friend_request_budget == 0) return false;
    --friend_request_budget;
    return true;
  }

  std::map<std::string, std::shared_ptr<fake_connection>> sessions;
  std::set<std::string> catching_up;
  std::map<std::string, std::string> statuses;  // local users' chosen status
  std::map<std::string, std::string> remote;    // users of other nodes, as their nodes said
  std::set<std::string> peers{"beta.example"};
  bool federation = true;
  int friend_request_budget = 1000;
};

// Every row of every table, to check that a refusal changed nothing.
using snapshot = std::vector<std::vector<std::pair<std::string, std::string>>>;

// A frame as JSON, with who it went to.
struct sent_frame {
  std::string to;  // a user id, or "" for the requester
  boost::json::object frame;
};

class core_test : public ::testing::Test {
 protected:
  core_test() { cfg.domain = "alpha.example"; }

  // Runs `rule` in one write transaction as the node does (then flush_remote and commit).
  effects run(const std::function<void(context&)>& rule) {
    auto t = db.begin_write();
    effects fx;
    context c(t, fx, cfg, online, now);
    rule(c);
    c.flush_remote();
    t.commit();
    return fx;
  }
  // Reads in a fresh read transaction.
  template <class Fn>
  auto read(Fn fn) {
    auto t = db.begin_read();
    return fn(static_cast<const store::txn&>(t));
  }

  void add_user(const std::string& name) {
    auto t = db.begin_write();
    store::account_record r;
    r.credential = "x";
    r.created = now;
    store::create_account(t, name, r);
    t.commit();
  }
  void befriend(const std::string& a, const std::string& b) {
    auto t = db.begin_write();
    store::add_friendship(t, a, b, now);
    t.commit();
  }

  static boost::json::object parse(const frame_ptr& f) { return boost::json::parse(*f).as_object(); }
  // Every frame of `fx` sent to a connection, in order ("" for the requester).
  static std::vector<sent_frame> sends(const effects& fx) {
    std::vector<sent_frame> out;
    for (const auto& s : fx.sends) {
      auto* c = dynamic_cast<const fake_connection*>(s.to.get());
      out.push_back({c ? c->user : std::string(), parse(s.frame)});
    }
    return out;
  }
  // The frames of `fx` for the requester.
  static std::vector<boost::json::object> replies(const effects& fx) {
    std::vector<boost::json::object> out;
    for (auto& s : sends(fx))
      if (s.to.empty()) out.push_back(std::move(s.frame));
    return out;
  }
  // The frames of `fx` for `user`'s session.
  static std::vector<boost::json::object> sent_to(const effects& fx, const std::string& user) {
    std::vector<boost::json::object> out;
    for (auto& s : sends(fx))
      if (s.to == user) out.push_back(std::move(s.frame));
    return out;
  }
  // The frames waiting in `user`'s inbox.
  std::vector<boost::json::object> inbox(const std::string& user) {
    return read([&](const store::txn& t) {
      std::vector<boost::json::object> out;
      bool more = false;
      for (const auto& e : store::inbox_read(t, user, 0, 1000, 1 << 24, more)) out.push_back(boost::json::parse(e.frame).as_object());
      return out;
    });
  }
  // The events waiting in the outbox for `peer`, parsed.
  std::vector<boost::json::object> outbox(const std::string& peer) {
    return read([&](const store::txn& t) {
      std::vector<boost::json::object> out;
      for (const auto& e : store::outbox_read(t, peer, 0, 1000)) out.push_back(boost::json::parse(e.event).as_object());
      return out;
    });
  }
  // The message ids in `owner`'s history, ascending.
  std::vector<std::uint64_t> history(const std::string& owner) {
    return read([&](const store::txn& t) {
      std::vector<std::uint64_t> ids;
      store::history_up(t, owner, 0, [&](std::uint64_t mid) {
        ids.push_back(mid);
        return true;
      });
      return ids;
    });
  }
  std::optional<store::stored_message> message(std::uint64_t mid) {
    return read([&](const store::txn& t) { return store::load_message(t, mid); });
  }
  snapshot dump() {
    return read([](const store::txn& t) {
      snapshot s;
      for (std::size_t i = 0; i < store::table_names.size(); ++i) {
        auto& rows = s.emplace_back();
        auto cur = t.open_cursor(static_cast<store::table_id>(i));
        for (auto item = cur.first(); item; item = cur.next()) rows.emplace_back(item->first, item->second);
      }
      return s;
    });
  }
  // The names of the tables that differ between two snapshots.
  static std::string changed_tables(const snapshot& a, const snapshot& b) {
    std::string out;
    for (std::size_t i = 0; i < store::table_names.size(); ++i)
      if (a[i] != b[i]) out += std::string(store::table_names[i]) + " ";
    return out;
  }
  static std::string type_of(const boost::json::object& frame) { return std::string(frame.at("type").as_string()); }
  static const boost::json::object& payload(const boost::json::object& frame) { return frame.at("payload").as_object(); }

  store::memory_database db;
  table_view online;
  settings cfg;
  std::int64_t now = 1'800'000'000;
};

}  // namespace chatnode::core::testing
