// Config parsing: every key is read through a small reader that records which keys it
// consumed, so whatever is left over is an unknown key and is refused by name.
#include "config.hpp"

#include "crypto/encoding.hpp"
#include "protocol/ids.hpp"

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
  c.log_level = top.get_string("log_level", "info");
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
    throw config_error("log_level: expected debug, info, warn or error");
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
    l.login_max_failures = static_cast<unsigned>(r.get_uint("login_max_failures", l.login_max_failures, 1, 1000));
    l.login_lockout = std::chrono::seconds(r.get_uint("login_lockout_seconds", l.login_lockout.count(), 1, 86400));
    l.max_pending_kdf = r.get_uint("max_pending_kdf", l.max_pending_kdf, 1, 100000);
    l.max_connections = r.get_uint("max_connections", l.max_connections, 1, 10000000);
    l.max_text_bytes = r.get_uint("max_text_bytes", l.max_text_bytes, 1, 64u << 20);
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
