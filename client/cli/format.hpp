// Human output (docs/cli.md, "Output"): what chatnode-client prints for a person — local
// times, names without the own domain, groups by name, codes by meaning, media by name,
// type and size — as opposed to --json, which prints the node's messages as they came.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::cli {

// Who is looking: names of the user's own domain are shown without it.
struct viewer {
  std::string self;      // the logged-in user as typed, or the full id once known; "" before login
  bool verbose = false;  // message ids on every message line
  // Learns the full id of a bare `self` from a message that names it (e.g. as receiver),
  // or from one user id.
  void learn(const boost::json::object& message);
  void learn_id(std::string_view id);
  std::string domain() const;
};

// "12:04" for today (local time), else "2025-01-03 12:04".
std::string clock_time(std::int64_t seconds);
std::string clock_time(std::int64_t seconds, std::int64_t now_seconds);
// "alice" for alice@<own domain>, the full id otherwise.
std::string show_user(std::string_view user, const viewer& who);
// "512 B", "20.0 KiB", "2.5 MiB", "1.2 GiB".
std::string human_size(std::uint64_t bytes);
// "photo.jpg (image/jpeg, 2.5 MiB)".
std::string media_summary(std::string_view media_id, std::string_view media_type, std::uint64_t size);

// A text or media message, from a live message or a history item.
struct chat_item {
  std::int64_t timestamp = 0;
  std::string sender;
  std::string receiver;
  std::string content;
  std::string message_id;
  std::string group_id;
  std::string group;
  std::string media_id;  // set for media
  std::string media_type;
  std::uint64_t media_size = 0;
};
// From TEXT_MESSAGE / MEDIA_MESSAGE (payload fields, the envelope's timestamp).
chat_item chat_item_of_message(const boost::json::object& message);
// From a MESSAGE_HISTORY_DATA item.
chat_item chat_item_of_history(const boost::json::object& item);
// "12:04 alice: Hello", "12:05 [Book club] carol: hi", "12:06 bob -> alice: Hi" (sent by
// the viewer to a user), "12:07 alice sent photo.jpg (image/jpeg, 2.5 MiB)"; with
// `with_id` (or --verbose) the messageId first: "[17] 12:04 alice: Hello", and with
// `with_id` a media's id last ("...; media abcdefghijkl-photo.jpg").
std::string chat_line(const chat_item& item, const viewer& who, bool with_id);
// The chat line of a media offer plus how to download it.
std::string offer_line(const chat_item& item, const viewer& who);

// The lines a node message shows as; none for what a person need not see (history sync
// steps, acks of chunks).
std::vector<std::string> describe(const boost::json::object& message, const viewer& who);

}  // namespace chatnode::cli
