// Media naming: the file name inside the mediaId, and MIME types by extension.
#include "client/cli/media_files.hpp"

#include "crypto/encoding.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace chatnode::cli {

namespace {

// The id part: 16 letters and digits, then '.', then the name — the form the web client
// uses too (web/src/protocol/ids.ts), so each shows the other's file names.
constexpr std::string_view id_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t id_letters = 16;
constexpr char id_separator = '.';
constexpr std::size_t max_name_bytes = 100;
constexpr std::size_t max_extension_bytes = 16;

constexpr std::array<std::pair<std::string_view, std::string_view>, 36> mime_types{{
    {"txt", "text/plain"},         {"md", "text/markdown"},        {"csv", "text/csv"},
    {"html", "text/html"},         {"htm", "text/html"},           {"css", "text/css"},
    {"json", "application/json"},  {"xml", "application/xml"},     {"pdf", "application/pdf"},
    {"zip", "application/zip"},    {"gz", "application/gzip"},     {"tar", "application/x-tar"},
    {"7z", "application/x-7z-compressed"}, {"odt", "application/vnd.oasis.opendocument.text"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"png", "image/png"},          {"jpg", "image/jpeg"},          {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},          {"webp", "image/webp"},         {"svg", "image/svg+xml"},
    {"bmp", "image/bmp"},          {"heic", "image/heic"},         {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},          {"opus", "audio/opus"},         {"wav", "audio/wav"},
    {"flac", "audio/flac"},        {"m4a", "audio/mp4"},           {"mp4", "video/mp4"},
    {"webm", "video/webm"},        {"mov", "video/quicktime"},     {"mkv", "video/x-matroska"},
    {"avi", "video/x-msvideo"},    {"bin", "application/octet-stream"},
}};

bool safe_byte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string extension_of(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() - dot - 1 > max_extension_bytes) return {};
  return lower(name.substr(dot + 1));
}

}  // namespace

std::string safe_file_name(std::string_view name) {
  std::string out;
  for (const char c : name) out += safe_byte(c) ? c : '_';
  if (out.empty()) out = "file";
  if (out.front() == '.') out.insert(0, "file");
  if (out.size() > max_name_bytes) {
    const auto dot = out.rfind('.');
    const std::size_t keep_tail = dot != std::string::npos && out.size() - dot <= max_extension_bytes + 1
                                      ? out.size() - dot
                                      : 0;
    out = out.substr(0, max_name_bytes - keep_tail) + out.substr(out.size() - keep_tail);
  }
  return out;
}

std::string media_id_for(std::string_view self, std::string_view receiver, std::string_view content_sha256,
                         std::string_view file_name) {
  crypto::sha256 hash;
  for (const std::string_view part : {std::string_view("chatnode-cli-media-v1"), self, receiver, content_sha256}) {
    hash.update(part);
    hash.update(std::string_view("\n"));
  }
  hash.update(file_name);
  const auto digest = hash.finish();
  std::string id;
  for (std::size_t i = 0; i < id_letters; ++i) id += id_alphabet[digest[i] % id_alphabet.size()];
  return id + id_separator + safe_file_name(file_name);
}

std::string media_name(std::string_view media_id) {
  if (media_id.size() <= id_letters + 1 || media_id[id_letters] != id_separator) return {};
  if (!std::all_of(media_id.begin(), media_id.begin() + id_letters,
                   [](char c) { return id_alphabet.find(c) != std::string_view::npos; })) {
    return {};
  }
  std::string_view name = media_id.substr(id_letters + 1);
  name = name.substr(0, name.find('~'));
  if (name.empty() || !std::all_of(name.begin(), name.end(), safe_byte) || name.front() == '.') return {};
  return std::string(name);
}

std::string display_media_name(std::string_view media_id) {
  std::string name = media_name(media_id);
  return name.empty() ? std::string(media_id) : name;
}

std::string save_name(std::string_view media_id, std::string_view media_type) {
  std::string name = media_name(media_id);
  if (!name.empty()) return name;
  name = safe_file_name(media_id);
  if (!extension_of(name).empty()) return name;
  for (const auto& [extension, type] : mime_types) {
    if (type == media_type && type != "application/octet-stream") return name + "." + std::string(extension);
  }
  return name;
}

std::string guess_mime_type(std::string_view file_name) {
  const std::string extension = extension_of(file_name);
  for (const auto& [ext, type] : mime_types) {
    if (ext == extension) return std::string(type);
  }
  return "application/octet-stream";
}

}  // namespace chatnode::cli
