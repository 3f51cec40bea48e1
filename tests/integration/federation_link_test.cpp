// Federation links between real node processes on 127.0.0.1, with a federation CA and node
// certificates made at test time by `chatnode certs`: links come up in either direction
// (one link per pair), and the handshake refuses a missing client certificate, another
// CA, a certificate for another domain, a pinned key mismatch and a denied domain. A
// node whose certificate does not name its domain refuses to start.
#include "tests/integration/federation_helpers.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/tls_probe.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

// GCC 12 false positive on Asio's coroutine frame allocator when a coroutine is inlined
// into its caller (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace chatnode::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr auto link_timeout = 20s;  // a link comes up within the first backoff steps
constexpr auto probe_timeout = 15s;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}



// A free loopback port (bound and released; good enough on a test machine).
std::uint16_t free_port() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// ---- a raw federation client: TLS (with or without a client certificate), the upgrade,
// our FED_HELLO, and whatever the node answers ----

struct probe_options {
  std::uint16_t port = 0;
  fs::path ca;           // to verify the node
  std::string server_name;
  fs::path cert, key;    // empty: no client certificate
  std::string hello_origin;
};

struct probe_result {
  std::string stage;     // the step that failed, or "answered"
  beast::error_code ec;
  unsigned close_code = 0;
  std::string close_reason;
  std::string answer;    // the node's FED_HELLO
};

std::ostream& operator<<(std::ostream& os, const probe_result& r) {
  return os << "stage=" << r.stage << " ec=" << r.ec.message() << " close=" << r.close_code << " (" << r.close_reason
            << ") answer=" << r.answer;
}

asio::awaitable<probe_result> run_probe(probe_options o, ssl::context& ctx) {
  probe_result r;
  auto ex = co_await asio::this_coro::executor;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ex, ctx);
  auto& tcp = beast::get_lowest_layer(ws);
  tcp.expires_after(probe_timeout - 2s);
  auto step = [&](const char* name) {
    r.stage = name;
    return asio::redirect_error(asio::use_awaitable, r.ec);
  };
  co_await tcp.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), o.port), step("connect"));
  if (r.ec) co_return r;
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), o.server_name.c_str());
  co_await ws.next_layer().async_handshake(ssl::stream_base::client, step("tls"));
  if (r.ec) co_return r;
  co_await ws.async_handshake(o.server_name, "/federation", step("upgrade"));
  if (r.ec) co_return r;
  const std::string hello = json::serialize(json::object{{"type", "FED_HELLO"}, {"origin", o.hello_origin}, {"version", 1}});
  ws.text(true);
  co_await ws.async_write(asio::buffer(hello), step("hello"));
  if (r.ec) co_return r;
  beast::flat_buffer buffer;
  co_await ws.async_read(buffer, step("answer"));
  if (r.ec) {
    r.close_code = ws.reason().code;
    r.close_reason = std::string(ws.reason().reason.c_str());
    co_return r;
  }
  r.stage = "answered";
  r.answer = beast::buffers_to_string(buffer.data());
  beast::error_code ignored;
  co_await ws.async_close(websocket::close_code::normal, asio::redirect_error(asio::use_awaitable, ignored));
  co_return r;
}

probe_result probe(const probe_options& o) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.load_verify_file(o.ca.string());
  if (!o.cert.empty()) {
    ctx.use_certificate_chain_file(o.cert.string());
    ctx.use_private_key_file(o.key.string(), ssl::context::pem);
  }
  asio::io_context ioc;
  auto future = asio::co_spawn(ioc, run_probe(o, ctx), asio::use_future);
  ioc.run_for(probe_timeout);
  if (future.wait_for(0s) != std::future_status::ready) {
    probe_result r;
    r.stage = "timeout";
    return r;
  }
  return future.get();
}

// ---- fixture: one federation CA, certificates for the test domains, nodes on demand ----

class federation_link : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "chatnode-fed-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    certs({"ca", "--dir", (root_ / "ca").string(), "--name", "test federation CA"});
    certs({"ca", "--dir", (root_ / "other-ca").string(), "--name", "some other CA"});
  }
  void TearDown() override {
    std::error_code ignored;
    if (!HasFailure()) fs::remove_all(root_, ignored);
  }

  void certs(std::vector<std::string> args) {
    args.insert(args.begin(), "certs");
    const auto r = run_chatnode(args, root_ / "certs.log");
    ASSERT_EQ(r.status, 0) << r.output;
  }
  // OUT/node.crt + node.key for `domain`, from the federation CA (or `ca`).
  fs::path issue(const std::string& domain, const std::string& ca = "ca") {
    const fs::path out = root_ / (ca + "-" + domain);
    certs({"issue", "--ca", (root_ / ca).string(), "--domain", domain, "--out", out.string()});
    return out;
  }

  node_options node(const std::string& domain, std::function<void(json::object&)> edit = {}) {
    node_options o;
    o.domain = domain;
    o.ca_dir = root_ / "ca";
    o.edit_config = [edit = std::move(edit)](json::object& config) {
      if (edit) edit(config["federation"].as_object());
    };
    return o;
  }

  probe_options probe_to(const node_process& target, const fs::path& cert_dir, const std::string& origin) {
    probe_options o;
    o.port = target.federation_port();
    o.ca = root_ / "ca" / "ca.crt";
    o.server_name = target.domain();
    if (!cert_dir.empty()) {
      o.cert = cert_dir / "node.crt";
      o.key = cert_dir / "node.key";
    }
    o.hello_origin = origin;
    return o;
  }

  fs::path root_;
};

std::string at(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

TEST_F(federation_link, ready_line_names_the_federation_port) {
  node_process alpha(node("alpha.example"));
  alpha.start();
  EXPECT_NE(alpha.federation_port(), 0);
  EXPECT_NE(alpha.federation_port(), alpha.client_port());
  // A node without federation.ca keeps federation off.
  node_process plain(node("plain.example", [](json::object& fed) { fed.erase("ca"); }));
  plain.start();
  EXPECT_EQ(plain.federation_port(), 0);
}

TEST_F(federation_link, link_comes_up_both_ways) {
  node_process alpha(node("alpha.example"));
  alpha.start();
  const auto alpha_port = alpha.federation_port();
  node_process beta(node("beta.example", [&](json::object& fed) {
    fed["peers"] = json::object{{"alpha.example", at(alpha_port)}};
    fed["dial_on_start"] = true;
  }));
  beta.start();

  // beta dials alpha.
  EXPECT_TRUE(eventually([&] { return link_up(beta, "alpha.example") && link_up(alpha, "beta.example"); }))
      << metrics(alpha) << metrics(beta);
  EXPECT_TRUE(contains(beta.log(), "federation: link up with alpha.example (outbound to")) << beta.log();
  EXPECT_TRUE(contains(alpha.log(), "federation: link up with beta.example (inbound from")) << alpha.log();
  EXPECT_EQ(metric_value(metrics(alpha), "chatnode_federation_links_up"), 1u);

  // alpha restarts knowing beta and dials it.
  ASSERT_EQ(alpha.stop(), 0);
  EXPECT_TRUE(eventually([&] { return !link_up(beta, "alpha.example"); })) << metrics(beta);
  const auto beta_port = beta.federation_port();
  {
    std::string text = read_text(alpha.config_file());
    json::object config = json::parse(text).as_object();
    auto& fed = config["federation"].as_object();
    fed["peers"] = json::object{{"beta.example", at(beta_port)}};
    fed["dial_on_start"] = true;
    std::ofstream(alpha.config_file(), std::ios::trunc) << json::serialize(config);
  }
  alpha.start();
  EXPECT_TRUE(eventually([&] { return link_up(alpha, "beta.example") && link_up(beta, "alpha.example"); }))
      << metrics(alpha) << metrics(beta);
  EXPECT_TRUE(contains(alpha.log(), "federation: link up with beta.example (outbound to")) << alpha.log();
  // beta's redials of alpha's old address are counted.
  EXPECT_TRUE(contains(metrics(beta), "chatnode_federation_dial_retries_total{peer=\"alpha.example\"}"));
}

TEST_F(federation_link, simultaneous_dials_leave_one_link) {
  const auto alpha_port = free_port();
  const auto beta_port = free_port();
  node_process alpha(node("alpha.example", [&](json::object& fed) {
    fed["listen"] = at(alpha_port);
    fed["peers"] = json::object{{"beta.example", at(beta_port)}};
    fed["dial_on_start"] = true;
  }));
  node_process beta(node("beta.example", [&](json::object& fed) {
    fed["listen"] = at(beta_port);
    fed["peers"] = json::object{{"alpha.example", at(alpha_port)}};
    fed["dial_on_start"] = true;
  }));
  alpha.start();
  beta.start();
  EXPECT_TRUE(eventually([&] { return link_up(alpha, "beta.example") && link_up(beta, "alpha.example"); }))
      << metrics(alpha) << metrics(beta);
  // Let any duplicate settle, then exactly one link on each side, and it stays up.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(metric_value(metrics(alpha), "chatnode_federation_links_up"), 1u) << metrics(alpha);
  EXPECT_EQ(metric_value(metrics(beta), "chatnode_federation_links_up"), 1u) << metrics(beta);
  EXPECT_TRUE(link_up(alpha, "beta.example"));
  EXPECT_TRUE(link_up(beta, "alpha.example"));
}

TEST_F(federation_link, well_formed_peer_gets_the_hello_back) {
  node_process alpha(node("alpha.example"));
  alpha.start();
  const auto r = probe(probe_to(alpha, issue("beta.example"), "beta.example"));
  ASSERT_EQ(r.stage, "answered") << r;
  EXPECT_EQ(r.answer, R"({"type":"FED_HELLO","origin":"alpha.example","version":1})");
}

TEST_F(federation_link, refused_without_client_certificate) {
  node_process alpha(node("alpha.example"));
  alpha.start();
  const auto r = probe(probe_to(alpha, {}, "beta.example"));
  EXPECT_NE(r.stage, "answered") << r;
  EXPECT_TRUE(r.answer.empty()) << r;
  EXPECT_TRUE(eventually([&] { return contains(alpha.log(), "federation: refused 127.0.0.1:"); }, 5s)) << alpha.log();
  EXPECT_TRUE(contains(metrics(alpha), "chatnode_federation_refused_total{reason=\"tls\"} 1")) << metrics(alpha);
}

TEST_F(federation_link, refused_certificate_from_another_ca) {
  node_process alpha(node("alpha.example"));
  alpha.start();
  const auto r = probe(probe_to(alpha, issue("beta.example", "other-ca"), "beta.example"));
  EXPECT_NE(r.stage, "answered") << r;
  EXPECT_TRUE(eventually([&] { return contains(alpha.log(), "federation: refused 127.0.0.1:"); }, 5s)) << alpha.log();
  EXPECT_TRUE(contains(metrics(alpha), "chatnode_federation_refused_total{reason=\"tls\"} 1")) << metrics(alpha);
}

TEST_F(federation_link, refused_certificate_for_another_domain) {
  node_process alpha(node("alpha.example"));
  alpha.start();
  // A valid certificate for gamma.example whose FED_HELLO claims beta.example.
  const auto r = probe(probe_to(alpha, issue("gamma.example"), "beta.example"));
  EXPECT_EQ(r.stage, "answer") << r;
  EXPECT_EQ(r.close_code, 1008u) << r;
  EXPECT_TRUE(r.answer.empty());
  EXPECT_TRUE(eventually([&] { return contains(alpha.log(), "federation: refused beta.example: certificate does not name"); }, 5s))
      << alpha.log();
  EXPECT_TRUE(contains(metrics(alpha), "chatnode_federation_refused_total{reason=\"name_mismatch\"} 1"));
}

TEST_F(federation_link, refused_pin_mismatch) {
  const fs::path beta_certs = issue("beta.example");
  const fs::path gamma_certs = issue("gamma.example");
  const std::string wrong_pin = [&] {
    const auto r = run_chatnode({"certs", "pin", (gamma_certs / "node.crt").string()}, root_ / "pin.log");
    EXPECT_EQ(r.status, 0) << r.output;
    return r.output.substr(0, r.output.find('\n'));
  }();
  node_process alpha(node("alpha.example", [&](json::object& fed) {
    fed["pins"] = json::object{{"beta.example", wrong_pin}};
  }));
  alpha.start();
  const auto r = probe(probe_to(alpha, beta_certs, "beta.example"));
  EXPECT_EQ(r.close_code, 1008u) << r;
  EXPECT_TRUE(eventually([&] { return contains(alpha.log(), "federation: refused beta.example: certificate key does not match"); }, 5s))
      << alpha.log();
  EXPECT_TRUE(contains(metrics(alpha), "chatnode_federation_refused_total{reason=\"pin_mismatch\"} 1"));
}

TEST_F(federation_link, refused_denied_domain) {
  node_process alpha(node("alpha.example", [](json::object& fed) { fed["deny"] = json::array{"beta.example"}; }));
  alpha.start();
  // A real node dialling: refused each time, and it keeps backing off.
  node_process beta(node("beta.example", [&](json::object& fed) {
    fed["peers"] = json::object{{"alpha.example", at(alpha.federation_port())}};
    fed["dial_on_start"] = true;
  }));
  beta.start();
  EXPECT_TRUE(eventually([&] { return contains(alpha.log(), "federation: refused beta.example: domain in federation.deny"); }))
      << alpha.log();
  EXPECT_TRUE(contains(metrics(alpha), "chatnode_federation_refused_total{reason=\"denied\"}"));
  EXPECT_FALSE(link_up(beta, "alpha.example"));
  EXPECT_FALSE(link_up(alpha, "beta.example"));
  // And the raw client with a perfectly good beta certificate gets the policy close code.
  const auto r = probe(probe_to(alpha, issue("beta.example"), "beta.example"));
  EXPECT_EQ(r.close_code, 1008u) << r;
}

TEST_F(federation_link, node_with_certificate_for_another_domain_refuses_to_start) {
  const fs::path other = issue("other.example");
  node_process alpha(node("alpha.example", [&](json::object& fed) {
    fed["cert"] = (other / "node.crt").string();
    fed["key"] = (other / "node.key").string();
  }));
  try {
    alpha.start();
    FAIL() << "a node whose certificate names other.example started as alpha.example";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_TRUE(contains(what, "exited with 1")) << what;
    EXPECT_TRUE(contains(what, "does not name this node's domain \"alpha.example\"")) << what;
  }
}

TEST_F(federation_link, certs_subcommands) {
  const fs::path out = issue("delta.example");
  EXPECT_TRUE(fs::exists(out / "node.crt"));
  EXPECT_EQ(fs::status(out / "node.key").permissions() & fs::perms::group_all, fs::perms::none);
  const auto pin = run_chatnode({"certs", "pin", (out / "node.crt").string()}, root_ / "pin.log");
  ASSERT_EQ(pin.status, 0) << pin.output;
  EXPECT_EQ(pin.output.size(), 45u) << pin.output;  // 44 base64 characters and a newline
  const auto again = run_chatnode({"certs", "issue", "--ca", (root_ / "ca").string(), "--domain", "delta.example",
                                   "--out", out.string()},
                                  root_ / "again.log");
  EXPECT_NE(again.status, 0) << "must not overwrite a key without --force";
  EXPECT_TRUE(contains(again.output, "--force")) << again.output;
  for (const char* sub : {"ca", "issue", "pin"}) {
    const auto help = run_chatnode({"certs", sub, "--help"}, root_ / "help.log");
    EXPECT_EQ(help.status, 0) << help.output;
    EXPECT_TRUE(contains(help.output, std::string("chatnode certs ") + sub)) << help.output;
  }
}

// `chatnode init --peer DOMAIN=HOST:PORT` (repeatable) fills federation.peers; a malformed
// one is refused by name and no config is written.
TEST_F(federation_link, init_peer_option_fills_federation_peers) {
  const fs::path dir = root_ / "epsilon";
  const auto made = run_chatnode({"init", "--domain", "epsilon.example", "--dir", dir.string(), "--ca", (root_ / "ca").string(),
                                  "--peer", "alpha.example=127.0.0.1:7444", "--peer", "Beta.Example=beta.example:7445"},
                                 root_ / "init.log");
  ASSERT_EQ(made.status, 0) << made.output;
  const auto config = json::parse(read_text(dir / "chatnode.json")).as_object();
  const auto& peers = config.at("federation").as_object().at("peers").as_object();
  EXPECT_EQ(peers.size(), 2u) << json::serialize(peers);
  EXPECT_EQ(peers.at("alpha.example").as_string(), "127.0.0.1:7444");
  EXPECT_EQ(peers.at("beta.example").as_string(), "beta.example:7445");  // the domain is folded

  const fs::path bad_dir = root_ / "zeta";
  const auto bad = run_chatnode({"init", "--domain", "zeta.example", "--dir", bad_dir.string(), "--peer", "no-address"},
                                root_ / "bad.log");
  EXPECT_NE(bad.status, 0);
  EXPECT_TRUE(contains(bad.output, "--peer")) << bad.output;
  EXPECT_FALSE(fs::exists(bad_dir / "chatnode.json"));
}

}  // namespace
}  // namespace chatnode::testing
