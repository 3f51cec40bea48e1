// Resolving receivers and group names from a command's words.
#include "client/cli/targets.hpp"

#include "client/cli/command_line.hpp"

#include <algorithm>
#include <optional>
#include <sstream>

namespace chatnode::cli {

namespace {

constexpr std::int64_t code_ambiguous_group = 4003;

// A name with runs of whitespace folded to single spaces, as words joined compare to it.
std::string folded(std::string_view name) {
  std::istringstream in{std::string(name)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return join_words(words);
}

std::vector<const group_entry*> named(const std::vector<group_entry>& groups, const std::string& name) {
  std::vector<const group_entry*> found;
  for (const auto& g : groups) {
    if (folded(g.name) == name) found.push_back(&g);
  }
  return found;
}

[[noreturn]] void ambiguous(const std::string& name, const std::vector<const group_entry*>& found) {
  std::string ids;
  for (const auto* g : found) ids += " " + g->group_id;
  throw cli_error(exit_failure, "\"" + name + "\": " + code_text(code_ambiguous_group) + ":" + ids);
}

target group_target(const group_entry& g) { return {g.group_id, g.name, true}; }

// "#q7x" or "#q7x@domain" among the groups; as typed when not listed.
target id_target(const std::string& id, const std::vector<group_entry>& groups) {
  for (const auto& g : groups) {
    const std::string bare = g.group_id.substr(0, g.group_id.find('@'));
    if (g.group_id == id || (id.find('@') == std::string::npos && bare == id)) return group_target(g);
  }
  return {id, id, true};
}

}  // namespace

std::string join_words(const std::vector<std::string>& words, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < std::min(to, words.size()); ++i) out += (i > from ? " " : "") + words[i];
  return out;
}

receiver_split split_receiver(const std::vector<std::string>& words, const std::vector<group_entry>& groups,
                              std::size_t min_rest) {
  if (words.size() < 1 + min_rest) throw cli_error(exit_usage, "too few words: who is it for, and what?");
  receiver_split out;
  std::size_t used = 1;
  if (!words.front().empty() && words.front().front() == '#') {
    out.to = id_target(words.front(), groups);
  } else {
    out.to = {words.front(), words.front(), false};
    // The longest run of leading words that names a group wins over a shorter one.
    for (std::size_t n = words.size() - min_rest; n >= 1; --n) {
      const std::string name = join_words(words, 0, n);
      const auto found = named(groups, name);
      if (found.size() > 1) ambiguous(name, found);
      if (found.size() == 1) {
        out.to = group_target(*found.front());
        used = n;
        break;
      }
    }
  }
  out.rest.assign(words.begin() + static_cast<std::ptrdiff_t>(used), words.end());
  return out;
}

namespace {

// The group `words` name among `groups`, by id or by name; nullopt when none has the name.
std::optional<target> named_group(const std::vector<std::string>& words, const std::vector<group_entry>& groups) {
  const std::string name = join_words(words);
  if (!name.empty() && name.front() == '#' && words.size() == 1) return id_target(name, groups);
  const auto found = named(groups, name);
  if (found.size() > 1) ambiguous(name, found);
  if (found.size() == 1) return group_target(*found.front());
  return std::nullopt;
}

}  // namespace

target resolve_group(const std::vector<std::string>& words, const std::vector<group_entry>& groups) {
  if (auto group = named_group(words, groups)) return *group;
  const std::string name = join_words(words);
  return {name, name, true};  // not one of the known groups: the node decides (4002)
}

target resolve_receiver(const std::vector<std::string>& words, const std::vector<group_entry>& groups) {
  if (auto group = named_group(words, groups)) return *group;
  const std::string name = join_words(words);
  if (words.size() == 1) return {name, name, false};
  throw cli_error(exit_failure, "\"" + name + "\": " + code_text(4002));
}

group_create_split split_group_create(const std::vector<std::string>& words, const std::vector<friend_entry>& friends) {
  auto is_member = [&](const std::string& word) {
    if (word.find('@') != std::string::npos) return true;
    return std::any_of(friends.begin(), friends.end(), [&](const friend_entry& f) { return same_user(f.user, word); });
  };
  std::size_t first_member = words.size();
  while (first_member > 1 && is_member(words[first_member - 1])) --first_member;
  group_create_split out;
  out.name = join_words(words, 0, first_member);
  out.members.assign(words.begin() + static_cast<std::ptrdiff_t>(first_member), words.end());
  return out;
}

}  // namespace chatnode::cli
