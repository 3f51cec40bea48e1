// Loading the web client's files at start-up and answering GET/HEAD for them from memory.
// The file map is built from what is on disk under the root, so a request can only ever
// name one of those files: path checks here are a second fence, not the only one.
#include "web_files.hpp"

#include "log.hpp"

#include "crypto/encoding.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

namespace chatnode::node {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t etag_hex_chars = 32;  // 128 bits of the SHA-256: plenty for a cache key
constexpr std::size_t min_hash_chars = 8;

struct mime_entry {
  std::string_view extension;
  std::string_view type;
};
constexpr std::array<mime_entry, 20> mime_types{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".avif", "image/avif"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".wasm", "application/wasm"},
    {".pdf", "application/pdf"},
}};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string read_file(const fs::path& path, std::size_t limit) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw web_files_error("web.root: cannot read " + path.string() + ": " + ec.message());
  if (size > limit)
    throw web_files_error("web.root: " + path.string() + " is larger than " + std::to_string(limit) + " bytes");
  std::ifstream in(path, std::ios::binary);
  std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) throw web_files_error("web.root: cannot read " + path.string());
  return body;
}

std::string etag_of(const std::string& body) {
  const auto digest = crypto::sha256_digest(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  return "\"" + crypto::to_hex(digest).substr(0, etag_hex_chars) + "\"";
}

bool inside(const fs::path& root, const fs::path& canonical_path) {
  const auto rel = canonical_path.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && rel.is_relative();
}

// The files found under the root: what is served, and `.gz` variants keyed by the path
// they compress.
struct scan_result {
  std::vector<std::pair<std::string, fs::path>> files;
  std::unordered_map<std::string, fs::path> gzip_variants;
};

scan_result scan(const fs::path& root) {
  scan_result out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) throw web_files_error("web.root: cannot list " + root.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw web_files_error("web.root: cannot list " + root.string() + ": " + ec.message());
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    const bool is_dir = entry.is_directory(ec) && !entry.is_symlink(ec);
    if (name.empty() || name.front() == '.' || (is_dir && it.depth() >= web_files::max_depth)) {
      if (is_dir) it.disable_recursion_pending();
      continue;
    }
    if (is_dir) continue;
    const fs::path real = fs::weakly_canonical(entry.path(), ec);
    if (ec || !inside(root, real) || !fs::is_regular_file(real, ec)) {
      log(log_level::warn, "web", "not serving ", entry.path().string(), ": not a regular file inside ", root.string());
      continue;
    }
    const std::string rel = entry.path().lexically_relative(root).generic_string();
    if (rel.size() > 3 && rel.ends_with(".gz")) out.gzip_variants.emplace(rel.substr(0, rel.size() - 3), real);
    else out.files.emplace_back(rel, real);
    if (out.files.size() + out.gzip_variants.size() > web_files::max_files)
      throw web_files_error("web.root: more than " + std::to_string(web_files::max_files) + " files under " + root.string());
  }
  return out;
}

}  // namespace

web_files web_files::load(const fs::path& root_in) {
  std::error_code ec;
  const fs::path root = fs::canonical(root_in, ec);
  if (ec || !fs::is_directory(root, ec))
    throw web_files_error("web.root: " + root_in.string() + " is not a readable directory");
  scan_result found = scan(root);
  web_files out;
  for (auto& [rel, path] : found.files) {
    file f;
    f.body = read_file(path, max_file_bytes);
    out.bytes_ += f.body.size();
    if (auto gz = found.gzip_variants.find(rel); gz != found.gzip_variants.end()) {
      std::string packed = read_file(gz->second, max_file_bytes);
      // A variant that is not smaller only costs bandwidth and memory.
      if (packed.size() < f.body.size()) {
        out.bytes_ += packed.size();
        f.gzip_body = std::move(packed);
      }
    }
    if (out.bytes_ > max_total_bytes)
      throw web_files_error("web.root: more than " + std::to_string(max_total_bytes) + " bytes under " + root.string());
    f.content_type = std::string(mime_type(rel));
    f.etag = etag_of(f.body);
    f.fingerprinted = is_fingerprinted(rel);
    out.files_.emplace(rel, std::move(f));
  }
  return out;
}

web_files web_files::from_config(const web_config& cfg) {
  if (!cfg.enabled) return {};
  std::error_code ec;
  if (cfg.root_is_default && !fs::is_directory(cfg.root, ec)) {
    log(log_level::warn, "web", "no web client at ", cfg.root.string(),
        " (build it, set web.root, or set web.enabled to false); / answers 404");
    return {};
  }
  web_files files = load(cfg.root);
  if (!files.find("/")) log(log_level::warn, "web", cfg.root.string(), " has no index.html; / answers 404");
  log(log_level::info, "web", "serving the web client from ", cfg.root.string(), " (", files.file_count(), " files, ",
      files.byte_count(), " bytes)");
  return files;
}

std::optional<std::string> web_files::file_path(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target.front() != '/') return std::nullopt;
  if (target == "/") return std::string("index.html");
  auto decoded = percent_decode(target.substr(1));
  if (!decoded || decoded->empty() || decoded->back() == '/') return std::nullopt;
  if (decoded->find('\0') != std::string::npos || decoded->find('\\') != std::string::npos) return std::nullopt;
  std::string_view rest(*decoded);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    // Empty, ".", ".." and every other dot-name: none of them is ever loaded.
    if (segment.empty() || segment.front() == '.') return std::nullopt;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return decoded;
}

std::string_view web_files::mime_type(std::string_view path) {
  const auto slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  const std::string ext = lower(name.substr(dot));
  for (const auto& m : mime_types)
    if (m.extension == ext) return m.type;
  return "application/octet-stream";
}

bool web_files::is_fingerprinted(std::string_view path) {
  const auto slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view stem = name.substr(0, dot);
  const auto dash = stem.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  const std::string_view hash = stem.substr(dash + 1);
  return hash.size() >= min_hash_chars && std::all_of(hash.begin(), hash.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

bool web_files::accepts_gzip(std::string_view header) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string coding = lower(trim(item.substr(0, semi)));
    if (coding != "gzip" && coding != "x-gzip") continue;
    if (semi == std::string_view::npos) return true;
    std::string param = lower(trim(item.substr(semi + 1)));
    param.erase(std::remove(param.begin(), param.end(), ' '), param.end());
    if (!param.starts_with("q=")) return true;
    // q=0, q=0.0, q=0.000 refuse; any other weight accepts.
    const std::string weight = param.substr(2);
    return weight.find_first_not_of("0.") != std::string::npos;
  }
  return false;
}

const web_files::file* web_files::find(std::string_view target) const {
  const auto path = file_path(target);
  if (!path) return nullptr;
  const auto it = files_.find(*path);
  return it == files_.end() ? nullptr : &it->second;
}

bool web_files::answer(const http::request<http::string_body>& req, http::response<http::string_body>& res) const {
  const file* f = find(req.target());
  if (!f) return false;
  const bool gzip = !f->gzip_body.empty() && accepts_gzip(req[http::field::accept_encoding]);
  const std::string etag = gzip ? f->etag.substr(0, f->etag.size() - 1) + "-gz\"" : f->etag;
  res.set(http::field::content_type, f->content_type);
  res.set("Content-Security-Policy", content_security_policy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set(http::field::cache_control, f->fingerprinted ? immutable_cache : revalidate_cache);
  res.set(http::field::etag, etag);
  if (!f->gzip_body.empty()) res.set(http::field::vary, "Accept-Encoding");
  const std::string_view if_none_match = req[http::field::if_none_match];
  if (!if_none_match.empty() && (if_none_match == "*" || if_none_match.find(etag) != std::string_view::npos)) {
    res.result(http::status::not_modified);
    res.body().clear();
    return true;
  }
  res.result(http::status::ok);
  if (gzip) res.set(http::field::content_encoding, "gzip");
  res.body() = gzip ? f->gzip_body : f->body;
  return true;
}

}  // namespace chatnode::node
