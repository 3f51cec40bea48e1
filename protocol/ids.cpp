// Syntax and case folding of user ids, domains and group ids (DESIGN §3). Validation
// folds on the fly so that checking a frame's fields never allocates.
#include "protocol/ids.hpp"

#include <algorithm>

namespace chatnode::protocol {
namespace {

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
constexpr bool is_name_char(char c) noexcept {
  return is_alnum(c) || c == '.' || c == '_' || c == '-';
}

constexpr bool is_valid_label(std::string_view label) noexcept {
  constexpr std::size_t max_label_length = 63;
  if (label.empty() || label.size() > max_label_length) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    const char l = lower(c);
    if (!is_alnum(l) && l != '-') return false;
  }
  return true;
}

// The random part of a group id: [a-z0-9]{1,64} after folding.
constexpr bool is_valid_group_local(std::string_view local) noexcept {
  if (local.empty() || local.size() > max_name_length) return false;
  for (char c : local) {
    if (!is_alnum(lower(c))) return false;
  }
  return true;
}

struct split_id {
  std::string_view local;
  std::string_view domain;
};

// "#local@domain" → parts, or nothing when the shape is wrong.
std::optional<split_id> split_group_id(std::string_view s) noexcept {
  if (s.empty() || s.front() != '#') return std::nullopt;
  const auto at = s.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  split_id parts{s.substr(1, at - 1), s.substr(at + 1)};
  if (!is_valid_group_local(parts.local) || !is_valid_domain(parts.domain)) return std::nullopt;
  return parts;
}

}  // namespace

bool is_valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_name_length) return false;
  for (char c : name) {
    if (!is_name_char(lower(c))) return false;
  }
  return true;
}

bool is_valid_domain(std::string_view domain) noexcept {
  if (domain.empty() || domain.size() > max_domain_length) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = domain.find('.', start);
    const auto label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_valid_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string fold_case(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::optional<user_id> parse_user_id(std::string_view s, std::string_view local_domain) {
  const auto at = s.find('@');
  const auto name = s.substr(0, at);
  // A bare name belongs to local_domain, which must itself be a domain so that the
  // result always has a usable full() form.
  const auto domain = at == std::string_view::npos ? local_domain : s.substr(at + 1);
  if (!is_valid_name(name) || !is_valid_domain(domain)) return std::nullopt;
  return user_id{fold_case(name), fold_case(domain)};
}

bool is_user_id_syntax(std::string_view s) noexcept {
  const auto at = s.find('@');
  if (at == std::string_view::npos) return is_valid_name(s);
  return is_valid_name(s.substr(0, at)) && is_valid_domain(s.substr(at + 1));
}

std::optional<group_id> parse_group_id(std::string_view s) {
  const auto parts = split_group_id(s);
  if (!parts) return std::nullopt;
  return group_id{fold_case(parts->local), fold_case(parts->domain)};
}

bool is_group_id_syntax(std::string_view s) noexcept { return split_group_id(s).has_value(); }

bool is_media_id_syntax(std::string_view s) noexcept {
  const auto allowed = [](char c) { return is_name_char(lower(c)) || c == '~'; };
  return !s.empty() && s.size() <= max_media_id_length && std::all_of(s.begin(), s.end(), allowed);
}

}  // namespace chatnode::protocol
