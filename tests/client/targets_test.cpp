// Naming receivers and groups from a command's words: #id, the longest group name the
// words start with, ambiguous names, users, and group-create's trailing members.
#include "client/cli/targets.hpp"

#include "client/cli/command_line.hpp"

#include <gtest/gtest.h>

namespace chatnode::cli {
namespace {

const std::vector<group_entry> groups = {
    {"#q7@alpha.example", "Book club", "alice@alpha.example", {}, {}},
    {"#r8@alpha.example", "Book club weekly", "alice@alpha.example", {}, {}},
    {"#s9@alpha.example", "Team", "bob@alpha.example", {}, {}},
    {"#t1@alpha.example", "Team", "carol@alpha.example", {}, {}},
};

std::vector<std::string> words(std::string_view line) { return split_words(line); }

TEST(Targets, FirstWordIsAUserWhenNoGroupNameFits) {
  const auto split = split_receiver(words("bob hello there"), groups, 1);
  EXPECT_FALSE(split.to.is_group);
  EXPECT_EQ(split.to.receiver, "bob");
  EXPECT_EQ(join_words(split.rest), "hello there");
}

TEST(Targets, TheLongestGroupNameWins) {
  const auto club = split_receiver(words("Book club hello"), groups, 1);
  EXPECT_TRUE(club.to.is_group);
  EXPECT_EQ(club.to.receiver, "#q7@alpha.example");
  EXPECT_EQ(club.to.label, "Book club");
  EXPECT_EQ(join_words(club.rest), "hello");

  const auto weekly = split_receiver(words("Book club weekly see you"), groups, 1);
  EXPECT_EQ(weekly.to.receiver, "#r8@alpha.example");
  EXPECT_EQ(join_words(weekly.rest), "see you");

  // The text must keep at least one word: "Book club weekly" alone is name + text.
  const auto short_text = split_receiver(words("Book club weekly"), groups, 1);
  EXPECT_EQ(short_text.to.receiver, "#q7@alpha.example");
  EXPECT_EQ(join_words(short_text.rest), "weekly");
}

TEST(Targets, QuotedNamesAndIdsNameGroups) {
  const auto quoted = split_receiver(words("\"Book club\" hi"), groups, 1);
  EXPECT_EQ(quoted.to.receiver, "#q7@alpha.example");
  const auto by_id = split_receiver(words("#r8 hi"), groups, 1);
  EXPECT_EQ(by_id.to.receiver, "#r8@alpha.example");
  EXPECT_EQ(by_id.to.label, "Book club weekly");
  const auto unknown_id = split_receiver(words("#zz@beta.example hi"), groups, 1);
  EXPECT_TRUE(unknown_id.to.is_group);
  EXPECT_EQ(unknown_id.to.receiver, "#zz@beta.example");
}

TEST(Targets, AmbiguousNamesAreRefusedWithTheIds) {
  try {
    split_receiver(words("Team hi"), groups, 1);
    FAIL() << "no error";
  } catch (const cli_error& e) {
    EXPECT_EQ(e.status(), exit_failure);
    EXPECT_NE(std::string(e.what()).find("4003"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("#s9@alpha.example"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("#t1@alpha.example"), std::string::npos);
  }
}

TEST(Targets, WholeWordsNameAGroupOrAUser) {
  EXPECT_EQ(resolve_group(words("Book club weekly"), groups).receiver, "#r8@alpha.example");
  EXPECT_EQ(resolve_group(words("Unknown group"), groups).receiver, "Unknown group");
  EXPECT_EQ(resolve_receiver(words("Book club"), groups).receiver, "#q7@alpha.example");
  EXPECT_FALSE(resolve_receiver(words("carol"), groups).is_group);
  EXPECT_THROW(resolve_receiver(words("no such group"), groups), cli_error);
}

TEST(Targets, GroupCreateTakesTrailingFriendsAsMembers) {
  const std::vector<friend_entry> friends = {{"bob@alpha.example", "online"}, {"carol@alpha.example", "away"}};
  const auto split = split_group_create(words("Book club bob carol"), friends);
  EXPECT_EQ(split.name, "Book club");
  EXPECT_EQ(split.members, (std::vector<std::string>{"bob", "carol"}));
  const auto remote = split_group_create(words("Hike dave@beta.example"), friends);
  EXPECT_EQ(remote.name, "Hike");
  EXPECT_EQ(remote.members, std::vector<std::string>{"dave@beta.example"});
  const auto named_like_a_friend = split_group_create(words("bob"), friends);
  EXPECT_EQ(named_like_a_friend.name, "bob") << "the first word is always the name";
  EXPECT_TRUE(named_like_a_friend.members.empty());
}

}  // namespace
}  // namespace chatnode::cli
