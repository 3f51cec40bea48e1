// Config parsing: every key is read through a small reader that records which keys it
// consumed, so whatever is left over is an unknown key and is refused by name.
#include "config.hpp"

#include "log.hpp"

#include "crypto/encoding.hpp"
#include "protocol/ids.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace chatnode::node {
namespace json = boost::json;

std::string listen_address::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

listen_address parse_listen(const std::string& text, const std::string& key) {
  listen_address out;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw config_error(key + ": expected \"[IPv6]:PORT\", got \"" + text + "\"");
    out.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw config_error(key + ": expected \"HOST:PORT\", got \"" + text + "\"");
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos)
    throw config_error(key + ": bad port in \"" + text + "\"");
  unsigned long port = std::stoul(port_text);
  if (port > 65535) throw config_error(key + ": port out of range in \"" + text + "\"");
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

bool cidr::contains(const std::array<std::uint8_t, 16>& address) const noexcept {
  for (unsigned bit = 0; bit < prefix; ++bit) {
    const unsigned byte = bit / 8, mask = 0x80u >> (bit % 8);
    if ((address[byte] & mask) != (network[byte] & mask)) return false;
  }
  return true;
}

cidr parse_cidr(const std::string& text, const std::string& key) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(text.substr(0, slash), ec);
  if (ec) throw config_error(key + ": \"" + text + "\" is not an address or address/prefix");
  cidr out;
  const bool v4 = address.is_v4();
  out.network = v4 ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4()).to_bytes()
                   : address.to_v6().to_bytes();
  const unsigned max = v4 ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string::npos) {
    const std::string p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos || std::stoul(p) > max)
      throw config_error(key + ": bad prefix length in \"" + text + "\"");
    prefix = static_cast<unsigned>(std::stoul(p));
  }
  out.prefix = v4 ? prefix + 96 : prefix;
  return out;
}

namespace {

// Reads keys of one JSON object and remembers them; finish() refuses the rest.
class object_reader {
 public:
  object_reader(const json::object& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  const json::value* find(const char* key) {
    seen_.insert(key);
    return obj_.if_contains(key);
  }
  std::string name(const char* key) const { return prefix_ + key; }

  std::string get_string(const char* key, std::string fallback, bool required = false) {
    const json::value* v = find(key);
    if (!v) {
      if (required) throw config_error(name(key) + ": required");
      return fallback;
    }
    if (!v->is_string()) throw config_error(name(key) + ": expected a string");
    // A required path or name that is there but empty would name nothing.
    if (required && v->as_string().empty()) throw config_error(name(key) + ": must not be empty");
    return std::string(v->as_string());
  }
  std::uint64_t get_uint(const char* key, std::uint64_t fallback, std::uint64_t min, std::uint64_t max) {
    const json::value* v = find(key);
    if (!v) return fallback;
    std::uint64_t out = 0;
    if (v->is_uint64()) out = v->as_uint64();
    else if (v->is_int64() && v->as_int64() >= 0) out = static_cast<std::uint64_t>(v->as_int64());
    else throw config_error(name(key) + ": expected a non-negative integer");
    if (out < min || out > max)
      throw config_error(name(key) + ": must be between " + std::to_string(min) + " and " + std::to_string(max));
    return out;
  }
  // get_uint into a field; the field's current value is the default.
  template <class Field>
  void get_count(const char* key, Field& field, std::uint64_t min, std::uint64_t max) {
    field = static_cast<Field>(get_uint(key, field, min, max));
  }
  void get_seconds(const char* key, std::chrono::seconds& field, std::uint64_t min, std::uint64_t max) {
    field = std::chrono::seconds(get_uint(key, static_cast<std::uint64_t>(field.count()), min, max));
  }
  bool get_bool(const char* key, bool fallback) {
    const json::value* v = find(key);
    if (!v) return fallback;
    if (!v->is_bool()) throw config_error(name(key) + ": expected true or false");
    return v->as_bool();
  }
  const json::object* get_object(const char* key) {
    const json::value* v = find(key);
    if (!v) return nullptr;
    if (!v->is_object()) throw config_error(name(key) + ": expected an object");
    return &v->as_object();
  }
  // An array of domain names, case-folded; empty when absent.
  std::vector<std::string> get_domain_list(const char* key) {
    const json::value* v = find(key);
    std::vector<std::string> out;
    if (!v) return out;
    if (!v->is_array()) throw config_error(name(key) + ": expected an array of domains");
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) throw config_error(name(key) + ": expected an array of domains");
      std::string domain = protocol::fold_case(item.as_string());
      if (!protocol::is_valid_domain(domain))
        throw config_error(name(key) + ": \"" + std::string(item.as_string()) + "\" is not a valid domain");
      out.push_back(std::move(domain));
    }
    return out;
  }
  void finish() const {
    for (const auto& kv : obj_) {
      std::string k(kv.key());
      if (!seen_.count(k)) throw config_error("unknown key \"" + prefix_ + k + "\" (see docs/config.md)");
    }
  }

 private:
  const json::object& obj_;
  std::string prefix_;
  std::set<std::string> seen_;
};

std::filesystem::path resolve(const std::filesystem::path& base_dir, const std::string& p) {
  if (p.empty()) return {};
  std::filesystem::path path(p);
  return path.is_absolute() ? path : (base_dir / path).lexically_normal();
}

}  // namespace

std::filesystem::path default_web_root() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::filesystem::path("/usr/share/chatnode/web");
  return (exe.parent_path() / ".." / "share" / "chatnode" / "web").lexically_normal();
}

namespace {

// Reads a config file's JSON object one section at a time, always in the same order, so a
// file with several faults is refused for the same one each time; a section's unknown keys
// are refused before the next section is read, the top level's last.
class config_reader {
 public:
  config_reader(const json::object& root, const std::filesystem::path& file)
      : root_(root),
        base_(file.has_parent_path() ? std::filesystem::absolute(file).parent_path() : std::filesystem::current_path()),
        top_(root, "") {
    c_.file = file;
  }

  config read() {
    read_identity();
    if (!section("client", &config_reader::read_client))
      throw config_error("client: required (client.cert and client.key)");
    c_.federation.cert = c_.client.cert;
    c_.federation.key = c_.client.key;
    section("federation", &config_reader::read_federation);
    if (section("kdf", &config_reader::read_kdf)) check_kdf();
    read_registration();
    c_.threads = static_cast<unsigned>(top_.get_uint("threads", 0, 0, 256));
    c_.kdf_threads = static_cast<unsigned>(top_.get_uint("kdf_threads", 0, 0, 256));
    read_log();
    if (section("store", &config_reader::read_store)) check_store();
    if (section("limits", &config_reader::read_limits)) check_limits();
    section("media", &config_reader::read_media);
    section("tokens", &config_reader::read_tokens);
    c_.metrics.allow = {parse_cidr("127.0.0.0/8", "metrics.allow"), parse_cidr("::1", "metrics.allow")};
    section("metrics", &config_reader::read_metrics);
    c_.admin_socket = c_.data_dir / "admin.sock";
    section("admin", &config_reader::read_admin);
    section("web", &config_reader::read_web);
    if (c_.web.root_is_default) c_.web.root = default_web_root();
    top_.finish();
    return std::move(c_);
  }

 private:
  using section_reader = void (config_reader::*)(object_reader&);

  // The object under KEY, if there is one, read by `reader`; then its unknown keys are refused.
  bool section(const char* key, section_reader reader) {
    const json::object* obj = top_.get_object(key);
    if (!obj) return false;
    object_reader r(*obj, top_.name(key) + ".");
    (this->*reader)(r);
    r.finish();
    return true;
  }

  // A path from the file, relative to the file's directory.
  std::filesystem::path resolved(const std::string& p) const { return resolve(base_, p); }

  void read_identity() {
    c_.domain = protocol::fold_case(top_.get_string("domain", "", true));
    if (!protocol::is_valid_domain(c_.domain))
      throw config_error("domain: \"" + c_.domain + "\" is not a valid domain name");
    c_.data_dir = resolved(top_.get_string("data_dir", "", true));
  }

  void read_client(object_reader& r) {
    c_.client.listen = parse_listen(r.get_string("listen", c_.client.listen.to_string()), "client.listen");
    c_.client.cert = resolved(r.get_string("cert", "", true));
    c_.client.key = resolved(r.get_string("key", "", true));
  }

  void read_federation(object_reader& r) {
    auto& f = c_.federation;
    f.listen = parse_listen(r.get_string("listen", f.listen.to_string()), "federation.listen");
    if (auto s = r.get_string("cert", ""); !s.empty()) f.cert = resolved(s);
    if (auto s = r.get_string("key", ""); !s.empty()) f.key = resolved(s);
    f.ca = resolved(r.get_string("ca", ""));
    if (const json::object* peers = r.get_object("peers")) read_peers(*peers);
    if (const json::object* pins = r.get_object("pins")) read_pins(*pins);
    f.allow = r.get_domain_list("allow");
    f.deny = r.get_domain_list("deny");
    f.dial_on_start = r.get_bool("dial_on_start", false);
    r.get_seconds("max_clock_skew_seconds", f.max_clock_skew, 0, 86400);
    r.get_seconds("max_event_age_seconds", f.max_event_age, 60, std::uint64_t{10} * 365 * 86400);
  }

  // A key of federation.peers or federation.pins, case-folded.
  static std::string peer_domain(std::string_view key, const char* section_name) {
    std::string domain = protocol::fold_case(key);
    if (!protocol::is_valid_domain(domain))
      throw config_error(std::string(section_name) + ": \"" + std::string(key) + "\" is not a valid domain");
    return domain;
  }

  void read_peers(const json::object& peers) {
    for (const auto& kv : peers) {
      std::string domain = peer_domain(kv.key(), "federation.peers");
      if (!kv.value().is_string()) throw config_error("federation.peers." + domain + ": expected \"host:port\"");
      std::string addr(kv.value().as_string());
      parse_listen(addr, "federation.peers." + domain);  // syntax check
      c_.federation.peers[domain] = addr;
    }
  }

  void read_pins(const json::object& pins) {
    for (const auto& kv : pins) {
      std::string domain = peer_domain(kv.key(), "federation.pins");
      const auto* pin = kv.value().if_string();
      // A pin is base64 of a SHA-256 digest: exactly 32 bytes once decoded.
      const auto bytes = pin ? crypto::base64_decode(*pin) : std::nullopt;
      if (!bytes || bytes->size() != 32)
        throw config_error("federation.pins." + domain +
                           ": expected a base64 SHA-256 SPKI pin (as printed by `chatnode certs pin`)");
      c_.federation.pins[domain] = std::string(*pin);
    }
  }

  void read_kdf(object_reader& r) {
    r.get_count("N", c_.kdf.n, 2, std::uint64_t{1} << 30);
    r.get_count("r", c_.kdf.r, 1, 1024);
    r.get_count("p", c_.kdf.p, 1, 1024);
  }

  void check_kdf() const {
    try {
      crypto::check_params(c_.kdf);
    } catch (const std::exception& e) {
      throw config_error(std::string("kdf: ") + e.what());
    }
  }

  void read_registration() {
    std::string reg = top_.get_string("registration", "open");
    if (reg != "open" && reg != "closed") throw config_error("registration: expected \"open\" or \"closed\"");
    c_.registration_open = reg == "open";
  }

  // log.level, or log_level as configs written before the "log" object have it.
  void read_log() {
    std::string level_key = "log_level";
    c_.log_level = top_.get_string("log_level", c_.log_level);
    if (const json::object* log = top_.get_object("log")) {
      object_reader r(*log, "log.");
      if (r.find("level")) {
        if (root_.contains("log_level")) throw config_error("log.level: log_level is set too; keep one of them");
        level_key = "log.level";
        c_.log_level = r.get_string("level", c_.log_level);
      }
      c_.log_format = r.get_string("format", c_.log_format);
      r.finish();
    }
    log_level level{};
    if (!parse_log_level(c_.log_level, level)) throw config_error(level_key + ": expected debug, info, warn or error");
    log_format format{};
    if (!parse_log_format(c_.log_format, format)) throw config_error("log.format: expected \"text\" or \"json\"");
  }

  void read_store(object_reader& r) {
    c_.store_map_size_mb = r.get_uint("map_size_mb", c_.store_map_size_mb, 1, std::uint64_t{1} << 24);
    c_.store_max_map_size_mb = r.get_uint("max_map_size_mb", c_.store_max_map_size_mb, 1, std::uint64_t{1} << 24);
  }

  void check_store() const {
    if (c_.store_max_map_size_mb < c_.store_map_size_mb)
      throw config_error("store.max_map_size_mb: must not be below store.map_size_mb");
  }

  void read_limits(object_reader& r) {
    auto& l = c_.limits;
    r.get_count("max_message_bytes", l.max_message_bytes, 1024, 64u << 20);
    r.get_count("max_frame_bytes", l.max_frame_bytes, 1024, 256u << 20);
    r.get_count("write_queue_messages", l.write_queue_messages, 1, 1u << 24);
    r.get_count("write_queue_bytes", l.write_queue_bytes, 1024, std::uint64_t{1} << 32);
    r.get_seconds("handshake_timeout_seconds", l.handshake_timeout, 1, 3600);
    r.get_seconds("idle_timeout_seconds", l.idle_timeout, 2, 86400);
    r.get_count("login_max_failures", l.login_max_failures, 1, 1000);
    r.get_seconds("login_lockout_seconds", l.login_lockout, 1, 86400);
    r.get_count("address_max_failures", l.address_max_failures, 1, 1000000);
    r.get_count("kdf_per_address", l.kdf_per_address, 1, 1000);
    r.get_count("max_pending_kdf", l.max_pending_kdf, 1, 100000);
    r.get_count("max_pending_registrations", l.max_pending_registrations, 1, 100000);
    r.get_count("registrations_per_address_hour", l.registrations_per_address_hour, 1, 1000000);
    r.get_count("registrations_per_minute", l.registrations_per_minute, 1, 1000000);
    r.get_seconds("login_timeout_seconds", l.login_timeout, 1, 3600);
    r.get_seconds("frame_read_timeout_seconds", l.frame_read_timeout, 1, 3600);
    r.get_count("max_connections", l.max_connections, 1, 10000000);
    r.get_count("max_connections_per_address", l.max_connections_per_address, 1, 10000000);
    r.get_count("requests_per_second", l.requests_per_second, 1, 10000000);
    r.get_count("requests_burst", l.requests_burst, 1, 100000000);
    r.get_count("max_inbox_messages", l.max_inbox_messages, 1, 100000000);
    r.get_count("friend_requests_per_hour", l.friend_requests_per_hour, 1, 1000000);
    r.get_count("friend_requests_per_pair_day", l.friend_requests_per_pair_day, 1, 1000000);
    r.get_count("max_text_bytes", l.max_text_bytes, 1, 64u << 20);
    r.get_count("max_blocks", l.max_blocks, 1, 1000000);
  }

  void check_limits() const {
    if (c_.limits.max_frame_bytes < c_.limits.max_message_bytes)
      throw config_error("limits.max_frame_bytes: must not be below limits.max_message_bytes");
  }

  void read_media(object_reader& r) {
    auto& m = c_.media;
    r.get_count("max_bytes", m.max_bytes, 1, std::uint64_t{1} << 40);
    r.get_count("max_chunk_bytes", m.max_chunk_bytes, 1, 64 * 1024);
    r.get_count("max_concurrent_uploads", m.max_concurrent_uploads, 1, 1000);
    r.get_count("quota_bytes", m.quota_bytes, 1, std::uint64_t{1} << 50);
    r.get_seconds("retention_seconds", m.retention, 60, std::uint64_t{10} * 365 * 86400);
    r.get_count("delivery_window", m.delivery_window, 1, 64);
  }

  void read_tokens(object_reader& r) {
    r.get_seconds("lifetime_seconds", c_.tokens.lifetime, 60, std::uint64_t{10} * 365 * 86400);
    r.get_count("max_per_user", c_.tokens.max_per_user, 1, 10000);
  }

  void read_metrics(object_reader& r) {
    if (auto listen = r.get_string("listen", ""); !listen.empty()) c_.metrics.listen = parse_listen(listen, "metrics.listen");
    c_.metrics.token = r.get_string("token", "");
    if (const json::value* allow = r.find("allow")) {
      if (!allow->is_array()) throw config_error("metrics.allow: expected an array of address ranges");
      c_.metrics.allow.clear();
      for (const auto& item : allow->as_array()) {
        if (!item.is_string()) throw config_error("metrics.allow: expected an array of address ranges");
        c_.metrics.allow.push_back(parse_cidr(std::string(item.as_string()), "metrics.allow"));
      }
    }
  }

  void read_admin(object_reader& r) {
    if (auto path = r.get_string("socket", ""); !path.empty()) c_.admin_socket = resolved(path);
  }

  void read_web(object_reader& r) {
    c_.web.enabled = r.get_bool("enabled", c_.web.enabled);
    if (auto root_text = r.get_string("root", ""); !root_text.empty()) {
      c_.web.root = resolved(root_text);
      c_.web.root_is_default = false;
    }
  }

  const json::object& root_;
  const std::filesystem::path base_;  // relative paths in the file resolve against this
  object_reader top_;
  config c_;
};

}  // namespace

config parse_config(const json::object& root, const std::filesystem::path& file) {
  return config_reader(root, file).read();
}

config load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw config_error("cannot read config file " + file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  boost::system::error_code ec;
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  json::value v = json::parse(buffer.str(), ec, {}, opts);
  if (ec) throw config_error(file.string() + ": not valid JSON: " + ec.message());
  if (!v.is_object()) throw config_error(file.string() + ": expected a JSON object");
  try {
    return parse_config(v.as_object(), file);
  } catch (const config_error& e) {
    throw config_error(file.string() + ": " + e.what());
  }
}

}  // namespace chatnode::node
