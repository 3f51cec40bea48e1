// The web client's static files (`web.root`), read into memory once at start-up and answered
// from there on the client port: MIME types by extension, a strict Content-Security-Policy,
// immutable caching for fingerprinted names, pre-compressed `.gz` variants, no directory
// listing, and no way out of the root (docs/web-client.md "How the node serves it").
#pragma once

#include "beast.hpp"
#include "config.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace chatnode::node {

class web_files_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class web_files {
 public:
  // Bounds on what start-up reads, so a mistaken web.root (say "/") fails fast instead of
  // loading a disk into memory.
  static constexpr std::size_t max_files = 2048;
  static constexpr std::size_t max_file_bytes = 16u << 20;
  static constexpr std::size_t max_total_bytes = 64u << 20;
  static constexpr int max_depth = 8;

  static constexpr std::string_view content_security_policy =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
      "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
      "frame-ancestors 'none'; form-action 'self'";
  static constexpr std::string_view immutable_cache = "public, max-age=31536000, immutable";
  static constexpr std::string_view revalidate_cache = "no-cache";

  struct file {
    std::string body;
    std::string gzip_body;  // empty: no smaller `.gz` variant was found next to it
    std::string content_type;
    std::string etag;       // strong, of the identity body; the gzip variant's adds "-gz"
    bool fingerprinted = false;
  };

  web_files() = default;  // serves nothing: every path is 404

  // Every regular file under `root` (not dotfiles; symlinks only when they resolve to a
  // regular file inside the root). Throws web_files_error when root is not a readable
  // directory or a bound is exceeded.
  static web_files load(const std::filesystem::path& root);
  // What `serve` uses: nothing when web.enabled is false (nothing is read); a missing
  // default root is logged and serves nothing; a missing configured root throws.
  static web_files from_config(const web_config& cfg);

  // Answers a GET or HEAD of the client port that no other handler took. False when no
  // file matches (the caller answers 404); else `res` is complete but for prepare_payload.
  bool answer(const http::request<http::string_body>& req, http::response<http::string_body>& res) const;

  const file* find(std::string_view target) const;
  std::size_t file_count() const noexcept { return files_.size(); }
  std::size_t byte_count() const noexcept { return bytes_; }

  // The root-relative path a request target names ("/" -> "index.html"), or nothing when it
  // cannot name a served file: no leading "/", bad %-escapes, NUL or backslash, empty, "."
  // or ".." segments (decoded or not), dot-names, a trailing "/".
  static std::optional<std::string> file_path(std::string_view target);
  static std::string_view mime_type(std::string_view path);
  // `name-HASH.ext` with HASH of 8 or more upper-case letters and digits (esbuild's [hash]).
  static bool is_fingerprinted(std::string_view path);
  // Whether an Accept-Encoding header value admits gzip (q > 0).
  static bool accepts_gzip(std::string_view accept_encoding);

 private:
  std::unordered_map<std::string, file> files_;
  std::size_t bytes_ = 0;
};

}  // namespace chatnode::node
