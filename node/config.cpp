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
#include <type_traits>
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

config parse_config(const json::object& root, const std::filesystem::path& file) {
  config c;
  c.file = file;
  const auto base = file.has_parent_path() ? std::filesystem::absolute(file).parent_path()
                                           : std::filesystem::current_path();
  object_reader top(root, "");
  c.domain = protocol::fold_case(top.get_string("domain", "", true));
  if (!protocol::is_valid_domain(c.domain)) throw config_error("domain: \"" + c.domain + "\" is not a valid domain name");
  c.data_dir = resolve(base, top.get_string("data_dir", "", true));

  const json::object* client = top.get_object("client");
  if (!client) throw config_error("client: required (client.cert and client.key)");
  {
    object_reader r(*client, "client.");
    c.client.listen = parse_listen(r.get_string("listen", c.client.listen.to_string()), "client.listen");
    c.client.cert = resolve(base, r.get_string("cert", "", true));
    c.client.key = resolve(base, r.get_string("key", "", true));
    r.finish();
  }
  c.federation.cert = c.client.cert;
  c.federation.key = c.client.key;
  if (const json::object* fed = top.get_object("federation")) {
    object_reader r(*fed, "federation.");
    c.federation.listen = parse_listen(r.get_string("listen", c.federation.listen.to_string()), "federation.listen");
    if (auto s = r.get_string("cert", ""); !s.empty()) c.federation.cert = resolve(base, s);
    if (auto s = r.get_string("key", ""); !s.empty()) c.federation.key = resolve(base, s);
    c.federation.ca = resolve(base, r.get_string("ca", ""));
    if (const json::object* peers = r.get_object("peers")) {
      for (const auto& kv : *peers) {
        std::string domain = protocol::fold_case(kv.key());
        if (!protocol::is_valid_domain(domain))
          throw config_error("federation.peers: \"" + std::string(kv.key()) + "\" is not a valid domain");
        if (!kv.value().is_string())
          throw config_error("federation.peers." + domain + ": expected \"host:port\"");
        std::string addr(kv.value().as_string());
        parse_listen(addr, "federation.peers." + domain);  // syntax check
        c.federation.peers[domain] = addr;
      }
    }
    if (const json::object* pins = r.get_object("pins")) {
      for (const auto& kv : *pins) {
        std::string domain = protocol::fold_case(kv.key());
        if (!protocol::is_valid_domain(domain))
          throw config_error("federation.pins: \"" + std::string(kv.key()) + "\" is not a valid domain");
        const auto* pin = kv.value().if_string();
        // A pin is base64 of a SHA-256 digest: exactly 32 bytes once decoded.
        const auto bytes = pin ? crypto::base64_decode(*pin) : std::nullopt;
        if (!bytes || bytes->size() != 32)
          throw config_error("federation.pins." + domain +
                             ": expected a base64 SHA-256 SPKI pin (as printed by `chatnode certs pin`)");
        c.federation.pins[domain] = std::string(*pin);
      }
    }
    c.federation.allow = r.get_domain_list("allow");
    c.federation.deny = r.get_domain_list("deny");
    c.federation.dial_on_start = r.get_bool("dial_on_start", false);
    c.federation.max_clock_skew = std::chrono::seconds(
        r.get_uint("max_clock_skew_seconds", c.federation.max_clock_skew.count(), 0, 86400));
    c.federation.max_event_age = std::chrono::seconds(
        r.get_uint("max_event_age_seconds", c.federation.max_event_age.count(), 60, std::uint64_t{10} * 365 * 86400));
    r.finish();
  }
  if (const json::object* kdf = top.get_object("kdf")) {
    object_reader r(*kdf, "kdf.");
    c.kdf.n = r.get_uint("N", c.kdf.n, 2, std::uint64_t{1} << 30);
    c.kdf.r = static_cast<std::uint32_t>(r.get_uint("r", c.kdf.r, 1, 1024));
    c.kdf.p = static_cast<std::uint32_t>(r.get_uint("p", c.kdf.p, 1, 1024));
    r.finish();
    try {
      crypto::check_params(c.kdf);
    } catch (const std::exception& e) {
      throw config_error(std::string("kdf: ") + e.what());
    }
  }
  {
    std::string reg = top.get_string("registration", "open");
    if (reg != "open" && reg != "closed") throw config_error("registration: expected \"open\" or \"closed\"");
    c.registration_open = reg == "open";
  }
  c.threads = static_cast<unsigned>(top.get_uint("threads", 0, 0, 256));
  c.kdf_threads = static_cast<unsigned>(top.get_uint("kdf_threads", 0, 0, 256));
  {
    // log.level, or log_level as configs written before the "log" object have it.
    std::string level_key = "log_level";
    c.log_level = top.get_string("log_level", c.log_level);
    if (const json::object* log = top.get_object("log")) {
      object_reader r(*log, "log.");
      if (r.find("level")) {
        if (root.contains("log_level")) throw config_error("log.level: log_level is set too; keep one of them");
        level_key = "log.level";
        c.log_level = r.get_string("level", c.log_level);
      }
      c.log_format = r.get_string("format", c.log_format);
      r.finish();
    }
    log_level level{};
    if (!parse_log_level(c.log_level, level)) throw config_error(level_key + ": expected debug, info, warn or error");
    log_format format{};
    if (!parse_log_format(c.log_format, format)) throw config_error("log.format: expected \"text\" or \"json\"");
  }
  if (const json::object* store = top.get_object("store")) {
    object_reader r(*store, "store.");
    c.store_map_size_mb = r.get_uint("map_size_mb", c.store_map_size_mb, 1, std::uint64_t{1} << 24);
    c.store_max_map_size_mb = r.get_uint("max_map_size_mb", c.store_max_map_size_mb, 1, std::uint64_t{1} << 24);
    r.finish();
    if (c.store_max_map_size_mb < c.store_map_size_mb)
      throw config_error("store.max_map_size_mb: must not be below store.map_size_mb");
  }
  if (const json::object* limits = top.get_object("limits")) {
    object_reader r(*limits, "limits.");
    auto& l = c.limits;
    l.max_message_bytes = r.get_uint("max_message_bytes", l.max_message_bytes, 1024, 64u << 20);
    l.max_frame_bytes = r.get_uint("max_frame_bytes", l.max_frame_bytes, 1024, 256u << 20);
    l.write_queue_messages = r.get_uint("write_queue_messages", l.write_queue_messages, 1, 1u << 24);
    l.write_queue_bytes = r.get_uint("write_queue_bytes", l.write_queue_bytes, 1024, std::uint64_t{1} << 32);
    l.handshake_timeout = std::chrono::seconds(r.get_uint("handshake_timeout_seconds", l.handshake_timeout.count(), 1, 3600));
    l.idle_timeout = std::chrono::seconds(r.get_uint("idle_timeout_seconds", l.idle_timeout.count(), 2, 86400));
    auto count = [&](const char* key, auto& field, std::uint64_t min, std::uint64_t max) {
      field = static_cast<std::remove_reference_t<decltype(field)>>(r.get_uint(key, field, min, max));
    };
    auto seconds = [&](const char* key, std::chrono::seconds& field, std::uint64_t min, std::uint64_t max) {
      field = std::chrono::seconds(r.get_uint(key, static_cast<std::uint64_t>(field.count()), min, max));
    };
    count("login_max_failures", l.login_max_failures, 1, 1000);
    seconds("login_lockout_seconds", l.login_lockout, 1, 86400);
    count("address_max_failures", l.address_max_failures, 1, 1000000);
    count("kdf_per_address", l.kdf_per_address, 1, 1000);
    count("max_pending_kdf", l.max_pending_kdf, 1, 100000);
    count("max_pending_registrations", l.max_pending_registrations, 1, 100000);
    count("registrations_per_address_hour", l.registrations_per_address_hour, 1, 1000000);
    count("registrations_per_minute", l.registrations_per_minute, 1, 1000000);
    seconds("login_timeout_seconds", l.login_timeout, 1, 3600);
    seconds("frame_read_timeout_seconds", l.frame_read_timeout, 1, 3600);
    count("max_connections", l.max_connections, 1, 10000000);
    count("max_connections_per_address", l.max_connections_per_address, 1, 10000000);
    count("requests_per_second", l.requests_per_second, 1, 10000000);
    count("requests_burst", l.requests_burst, 1, 100000000);
    count("max_inbox_messages", l.max_inbox_messages, 1, 100000000);
    count("friend_requests_per_hour", l.friend_requests_per_hour, 1, 1000000);
    count("friend_requests_per_pair_day", l.friend_requests_per_pair_day, 1, 1000000);
    count("max_text_bytes", l.max_text_bytes, 1, 64u << 20);
    count("max_blocks", l.max_blocks, 1, 1000000);
    r.finish();
    if (l.max_frame_bytes < l.max_message_bytes)
      throw config_error("limits.max_frame_bytes: must not be below limits.max_message_bytes");
  }
  if (const json::object* media = top.get_object("media")) {
    object_reader r(*media, "media.");
    auto& m = c.media;
    m.max_bytes = r.get_uint("max_bytes", m.max_bytes, 1, std::uint64_t{1} << 40);
    m.max_chunk_bytes = r.get_uint("max_chunk_bytes", m.max_chunk_bytes, 1, 64 * 1024);
    m.max_concurrent_uploads = static_cast<unsigned>(r.get_uint("max_concurrent_uploads", m.max_concurrent_uploads, 1, 1000));
    m.quota_bytes = r.get_uint("quota_bytes", m.quota_bytes, 1, std::uint64_t{1} << 50);
    m.retention = std::chrono::seconds(r.get_uint("retention_seconds", m.retention.count(), 60, std::uint64_t{10} * 365 * 86400));
    m.delivery_window = static_cast<unsigned>(r.get_uint("delivery_window", m.delivery_window, 1, 64));
    r.finish();
  }
  if (const json::object* tokens = top.get_object("tokens")) {
    object_reader r(*tokens, "tokens.");
    c.tokens.lifetime = std::chrono::seconds(r.get_uint("lifetime_seconds", c.tokens.lifetime.count(), 60, std::uint64_t{10} * 365 * 86400));
    c.tokens.max_per_user = r.get_uint("max_per_user", c.tokens.max_per_user, 1, 10000);
    r.finish();
  }
  c.metrics.allow = {parse_cidr("127.0.0.0/8", "metrics.allow"), parse_cidr("::1", "metrics.allow")};
  if (const json::object* metrics = top.get_object("metrics")) {
    object_reader r(*metrics, "metrics.");
    if (auto listen = r.get_string("listen", ""); !listen.empty()) c.metrics.listen = parse_listen(listen, "metrics.listen");
    c.metrics.token = r.get_string("token", "");
    if (const json::value* allow = r.find("allow")) {
      if (!allow->is_array()) throw config_error("metrics.allow: expected an array of address ranges");
      c.metrics.allow.clear();
      for (const auto& item : allow->as_array()) {
        if (!item.is_string()) throw config_error("metrics.allow: expected an array of address ranges");
        c.metrics.allow.push_back(parse_cidr(std::string(item.as_string()), "metrics.allow"));
      }
    }
    r.finish();
  }
  c.admin_socket = c.data_dir / "admin.sock";
  if (const json::object* admin = top.get_object("admin")) {
    object_reader r(*admin, "admin.");
    if (auto path = r.get_string("socket", ""); !path.empty()) c.admin_socket = resolve(base, path);
    r.finish();
  }
  if (const json::object* web = top.get_object("web")) {
    object_reader r(*web, "web.");
    c.web.enabled = r.get_bool("enabled", c.web.enabled);
    if (auto root_text = r.get_string("root", ""); !root_text.empty()) {
      c.web.root = resolve(base, root_text);
      c.web.root_is_default = false;
    }
    r.finish();
  }
  if (c.web.root_is_default) c.web.root = default_web_root();
  top.finish();
  return c;
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
