// How the words of a command name who it is for (docs/cli.md, "Naming users and groups"):
// a group by "#id", by a quoted name, or by its name written out (the longest name of one
// of your groups that the words start with); anything else is a user. Pure functions over
// the user's group and friend lists.
#pragma once

#include "client/cli/commands.hpp"

#include <string>
#include <vector>

namespace chatnode::cli {

struct target {
  std::string receiver;  // what the request carries: a user as typed, or a group id
  std::string label;     // how to show it: "bob", "Book club"
  bool is_group = false;
};

struct receiver_split {
  target to;
  std::vector<std::string> rest;  // the words after the receiver
};

// `words` = RECEIVER WORDS...: the receiver is "#id" (one word), else the longest run of
// leading words that is the name of one of `groups`, else the first word (a user). At
// least `min_rest` words must remain. Throws cli_error(exit_failure) with code 4003 when
// the name fits several groups (listing their ids), cli_error(exit_usage) when too few
// words remain.
receiver_split split_receiver(const std::vector<std::string>& words, const std::vector<group_entry>& groups,
                              std::size_t min_rest);
// All of `words` name one group, by id or name. A name that fits none of `groups` is
// passed on as written (the node answers 4002); one that fits several: 4003.
target resolve_group(const std::vector<std::string>& words, const std::vector<group_entry>& groups);
// All of `words` name a group (as above) or, as one word, a user; several words that fit
// no group: cli_error(exit_failure) with 4002.
target resolve_receiver(const std::vector<std::string>& words, const std::vector<group_entry>& groups);

// group-create NAME... [MEMBER...]: the members are the longest run of trailing words
// that are friends (or full user ids); the name is the rest (at least its first word).
struct group_create_split {
  std::string name;
  std::vector<std::string> members;
};
group_create_split split_group_create(const std::vector<std::string>& words, const std::vector<friend_entry>& friends);

// The words joined by single spaces ("Book club").
std::string join_words(const std::vector<std::string>& words, std::size_t from = 0, std::size_t to = std::string::npos);

}  // namespace chatnode::cli
