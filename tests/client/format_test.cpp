// Human output: local times, own-domain names, groups by name, codes by meaning, media
// by name/type/size, and a sentence for every kind of event.
#include "client/cli/format.hpp"

#include "client/connection.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace chatnode::cli {
namespace {

namespace json = boost::json;

// 2024-05-01 12:04:05 UTC.
constexpr std::int64_t t0 = 1714565045;

class Format : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz == nullptr ? std::nullopt : std::optional<std::string>(tz);
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("TZ", saved_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  viewer bob{"bob@alpha.example", false};

  static json::object at(json::object message) {
    message["timestamp"] = t0;
    return message;
  }
  std::string one(const json::object& message) const {
    const auto lines = describe(message, bob);
    return lines.size() == 1 ? lines.front() : "(" + std::to_string(lines.size()) + " lines)";
  }

 private:
  std::optional<std::string> saved_;
};

TEST_F(Format, TimesAreLocalWithTheDateWhenNotToday) {
  EXPECT_EQ(clock_time(t0, t0 + 3600), "12:04");
  EXPECT_EQ(clock_time(t0, t0 + 86400), "2024-05-01 12:04");
}

TEST_F(Format, NamesOfTheOwnDomainAreShort) {
  EXPECT_EQ(show_user("alice@alpha.example", bob), "alice");
  EXPECT_EQ(show_user("carol@beta.example", bob), "carol@beta.example");
  viewer bare{"bob", false};
  bare.learn(client::make_message("TEXT_MESSAGE", {{"receiver", "bob@alpha.example"}}));
  EXPECT_EQ(bare.self, "bob@alpha.example");
}

TEST_F(Format, SizesAreHuman) {
  EXPECT_EQ(human_size(512), "512 B");
  EXPECT_EQ(human_size(20 * 1024), "20.0 KiB");
  EXPECT_EQ(human_size(5 * 1024 * 1024 / 2), "2.5 MiB");
}

TEST_F(Format, ChatLines) {
  chat_item direct{t0, "alice@alpha.example", "bob@alpha.example", "Hello Bob", "17", "", "", "", "", 0};
  EXPECT_EQ(chat_line(direct, bob, false), "2024-05-01 12:04 alice: Hello Bob");
  EXPECT_EQ(chat_line(direct, bob, true), "[17] 2024-05-01 12:04 alice: Hello Bob");
  chat_item sent{t0, "bob@alpha.example", "alice@alpha.example", "Hi", "18", "", "", "", "", 0};
  EXPECT_TRUE(chat_line(sent, bob, false).ends_with(" bob -> alice: Hi"));
  chat_item group{t0, "carol@alpha.example", "#q7@alpha.example", "hi", "19", "#q7@alpha.example", "Book club",
                  "", "", 0};
  EXPECT_TRUE(chat_line(group, bob, false).ends_with(" [Book club] carol: hi"));
  chat_item media{t0, "alice@alpha.example", "bob@alpha.example", "", "20", "", "",
                  "abcdefghijklMN12.photo.jpg", "image/jpeg", 2621440};
  EXPECT_TRUE(chat_line(media, bob, false).ends_with(" alice sent photo.jpg (image/jpeg, 2.5 MiB)"));
  EXPECT_TRUE(offer_line(media, bob).ends_with("; to download: fetch abcdefghijklMN12.photo.jpg"));
}

TEST_F(Format, EventsAreSentences) {
  EXPECT_TRUE(one(at(client::make_message("FRIEND_REQUEST", {{"sender", "alice@alpha.example"},
                                                               {"receiver", "bob@alpha.example"}})))
                  .ends_with("alice wants to be your friend (accept alice / reject alice)"));
  EXPECT_TRUE(one(at(client::make_message("FRIEND_REQUEST_RESPONSE", {{"sender", "bob@alpha.example"},
                                                                        {"receiver", "alice@alpha.example"},
                                                                        {"code", 0}})))
                  .ends_with("alice accepted your friend request"));
  EXPECT_TRUE(one(at(client::make_message("USER_STATUS_UPDATE", {{"username", "alice@alpha.example"},
                                                                   {"status", "away"}})))
                  .ends_with("alice is away"));
  EXPECT_TRUE(one(at(client::make_message("USER_STATUS_UPDATE", {{"username", "alice@alpha.example"},
                                                                   {"status", "offline"}})))
                  .ends_with("alice went offline"));
  EXPECT_TRUE(one(at(client::make_message("GROUP_INVITE", {{"sender", "alice@alpha.example"},
                                                             {"receiver", "bob@alpha.example"},
                                                             {"group", "Book club"},
                                                             {"groupId", "#q7@alpha.example"}})))
                  .ends_with("alice invites you to the group Book club (group-accept Book club / group-reject "
                             "Book club)"));
  EXPECT_TRUE(one(at(client::make_message("GROUP_LEADER_CHANGE", {{"sender", "alice@alpha.example"},
                                                                    {"group", "Book club"},
                                                                    {"newLeader", "bob@alpha.example"}})))
                  .ends_with("bob now leads Book club (was alice)"));
}

TEST_F(Format, FailuresSayTheMeaningAndTheCode) {
  EXPECT_EQ(one(client::make_message("TEXT_MESSAGE_ACK", {{"receiver", "carol"}, {"code", 7002}})),
            "message to carol not sent: not friends (7002)");
  EXPECT_EQ(one(client::make_message("ERROR", {{"code", 9003}, {"message", "payload.x: missing"},
                                               {"inReplyTo", "FRIEND_REQUEST"}})),
            "error: missing or invalid field (9003): payload.x: missing (in reply to FRIEND_REQUEST)");
  EXPECT_EQ(one(client::make_message("GROUP_CREATE_ACK", {{"name", "Club"}, {"code", 4001},
                                                          {"not-friends", json::array{"dave@alpha.example"}}})),
            "group Club not created: not all members are friends (4001): not friends: dave@alpha.example");
}

TEST_F(Format, ListsAreOneLinePerEntry) {
  const auto friends = describe(
      client::make_message("FRIEND_LIST_RESPONSE",
                           {{"friends", json::array{json::object{{"user", "alice@alpha.example"}, {"status", "online"}}}},
                            {"incoming", json::array{"dave@alpha.example"}},
                            {"outgoing", json::array{"erin@beta.example"}},
                            {"code", 0}}),
      bob);
  ASSERT_EQ(friends.size(), 3U);
  EXPECT_EQ(friends[0], "alice: online");
  EXPECT_EQ(friends[1], "dave: asks to be your friend (accept dave / reject dave)");
  EXPECT_EQ(friends[2], "erin@beta.example: friend request sent, no answer yet");
  const auto groups = describe(
      client::make_message(
          "GROUP_LIST_RESPONSE",
          {{"groups", json::array{json::object{{"groupId", "#q7@alpha.example"}, {"name", "Book club"},
                                               {"leader", "alice@alpha.example"},
                                               {"members", json::array{"alice@alpha.example", "bob@alpha.example"}},
                                               {"invited", json::array{"carol@alpha.example"}}}}},
           {"invitations", json::array{}},
           {"code", 0}}),
      bob);
  ASSERT_EQ(groups.size(), 1U);
  EXPECT_EQ(groups[0], "Book club: led by alice; members alice, bob; invited carol; id #q7@alpha.example");
}

TEST_F(Format, NothingForProtocolSteps) {
  EXPECT_TRUE(describe(client::make_message("MEDIA_MESSAGE_DATA_ACK", {}), bob).empty());
  EXPECT_TRUE(describe(client::make_message("MESSAGE_HISTORY_BEGIN", {}), bob).empty());
}

}  // namespace
}  // namespace chatnode::cli
