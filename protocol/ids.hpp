// User ids (`name@domain`), domains, group ids (`#<random>@<home-domain>`), media ids:
// syntax and normalisation (DESIGN §3). Case is folded to lower case ASCII.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chatnode::protocol {

inline constexpr std::size_t max_name_length = 64;
inline constexpr std::size_t max_domain_length = 253;
inline constexpr std::size_t max_media_id_length = 128;

// `[a-z0-9._-]{1,64}` after case folding.
bool is_valid_name(std::string_view name) noexcept;
// A DNS name: dot-separated labels of [a-z0-9-] (1..63, not starting/ending with '-'),
// at most 253 characters in all, after case folding. "localhost" is valid.
bool is_valid_domain(std::string_view domain) noexcept;

std::string fold_case(std::string_view s);

struct user_id {
  std::string name;    // folded
  std::string domain;  // folded
  std::string full() const { return name + "@" + domain; }
  friend bool operator==(const user_id&, const user_id&) = default;
};

// Accepts "name" (a user of local_domain) or "name@domain"; folds case.
std::optional<user_id> parse_user_id(std::string_view s, std::string_view local_domain);
// Syntax only, bare or full form, case-insensitive.
bool is_user_id_syntax(std::string_view s) noexcept;

struct group_id {
  std::string local;   // the random part after '#'
  std::string domain;  // the home domain
  std::string full() const { return "#" + local + "@" + domain; }
  friend bool operator==(const group_id&, const group_id&) = default;
};
// "#<local>@<domain>" with local = [a-z0-9]{1,64}; folds case.
std::optional<group_id> parse_group_id(std::string_view s);
// Syntax only, case-insensitive; what parse_group_id accepts, without allocating.
bool is_group_id_syntax(std::string_view s) noexcept;

// A media id: `[A-Za-z0-9._~-]{1,128}`, case kept (docs/protocol.md §2).
bool is_media_id_syntax(std::string_view s) noexcept;

}  // namespace chatnode::protocol
