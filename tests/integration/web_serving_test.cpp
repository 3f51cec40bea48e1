// The web client served by a real node over real TLS (node/web_files.hpp): headers on the
// wire, HEAD, gzip, revalidation, path escapes refused as sent by a client (raw targets),
// `web.enabled: false`, and the default root of a build tree serving the built client.
#include "tests/integration/node_process.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace chatnode::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;

struct reply {
  unsigned status = 0;
  http::fields headers;
  std::string body;
};

// One HTTPS request with the target sent exactly as given (no client-side normalising).
reply request(const node_process& node, http::verb method, const std::string& target,
              const std::vector<std::pair<http::field, std::string>>& headers = {}) {
  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.load_verify_file(node.ca_file().string());
  ssl::stream<net::ip::tcp::socket> stream(ioc, ctx);
  stream.set_verify_callback(ssl::host_name_verification(node.domain()));
  SSL_set_tlsext_host_name(stream.native_handle(), node.domain().c_str());
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), node.client_port()});
  stream.handshake(ssl::stream_base::client);
  http::request<http::empty_body> req{method, target, 11};
  req.set(http::field::host, node.domain());
  for (const auto& [field, value] : headers) req.set(field, value);
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  if (method == http::verb::head) parser.skip(true);
  http::read(stream, buffer, parser);
  auto res = parser.release();
  reply out;
  out.status = res.result_int();
  for (const auto& f : res) out.headers.set(f.name_string(), f.value());
  out.body = res.body();
  boost::system::error_code ignored;
  stream.shutdown(ignored);
  return out;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class WebServing : public ::testing::Test {
 protected:
  void SetUp() override {
    node_options o;
    // Relative, so it resolves against the config file's directory (the node's --dir).
    o.edit_config = [](json::object& config) { config["web"] = json::object{{"root", "site"}}; };
    node_ = std::make_unique<node_process>(std::move(o));
    const fs::path root = node_->dir() / "site";
    write(root / "index.html", "<!doctype html><title>test client</title>");
    write(root / "assets" / "app-4BCDEFGH.js", std::string(3000, 'j'));
    write(root / "assets" / "app-4BCDEFGH.js.gz", "compressed");
    fs::create_symlink(node_->config_file(), root / "config-link.json");
    node_->start();
  }

  std::unique_ptr<node_process> node_;
};

TEST_F(WebServing, IndexWithStrictHeaders) {
  const auto r = request(*node_, http::verb::get, "/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "<!doctype html><title>test client</title>");
  EXPECT_EQ(r.headers[http::field::content_type], "text/html; charset=utf-8");
  const std::string csp(r.headers["Content-Security-Policy"]);
  for (const char* part : {"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                           "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"})
    EXPECT_NE(csp.find(part), std::string::npos) << part << " in " << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(r.headers["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(r.headers["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(r.headers[http::field::cache_control], "no-cache");
  EXPECT_EQ(request(*node_, http::verb::get, "/index.html").body, r.body);
}

TEST_F(WebServing, FingerprintedAssetsAreImmutableAndGzipped) {
  const auto plain = request(*node_, http::verb::get, "/assets/app-4BCDEFGH.js");
  EXPECT_EQ(plain.status, 200u);
  EXPECT_EQ(plain.headers[http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(plain.headers[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(plain.body, std::string(3000, 'j'));
  const auto packed = request(*node_, http::verb::get, "/assets/app-4BCDEFGH.js", {{http::field::accept_encoding, "gzip"}});
  EXPECT_EQ(packed.headers[http::field::content_encoding], "gzip");
  EXPECT_EQ(packed.body, "compressed");
  EXPECT_EQ(packed.headers[http::field::vary], "Accept-Encoding");
}

TEST_F(WebServing, HeadAndRevalidation) {
  const auto head = request(*node_, http::verb::head, "/");
  EXPECT_EQ(head.status, 200u);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.headers[http::field::content_length], "41");
  const std::string etag(head.headers[http::field::etag]);
  ASSERT_FALSE(etag.empty());
  const auto again = request(*node_, http::verb::get, "/", {{http::field::if_none_match, etag}});
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(WebServing, NoEscapesNoListingNoOtherMethods) {
  for (const char* target :
       {"/../chatnode.json", "/%2e%2e/chatnode.json", "/assets/../../chatnode.json", "/assets/%2e%2e/%2E%2E/chatnode.json",
        "/..%2fchatnode.json", "/index.html%00.js", "/config-link.json", "/assets/", "/assets", "/.", "/site/index.html",
        "/assets/app-4BCDEFGH.js.gz", "/nothing"}) {
    const auto r = request(*node_, http::verb::get, target);
    EXPECT_EQ(r.status, 404u) << target;
    EXPECT_EQ(r.body.find("domain"), std::string::npos) << target;
  }
  EXPECT_EQ(request(*node_, http::verb::post, "/").status, 405u);
  // The node's own paths keep working next to the client.
  EXPECT_EQ(request(*node_, http::verb::get, "/healthz").body, "ok\n");
}

TEST(WebServingOff, DisabledServesNothingAndReadsNothing) {
  node_options o;
  o.edit_config = [](json::object& config) {
    config["web"] = json::object{{"enabled", false}, {"root", "no-such-dir"}};
  };
  node_process node(std::move(o));
  node.start();  // a missing root does not matter: nothing is read
  EXPECT_EQ(request(node, http::verb::get, "/").status, 404u);
  EXPECT_EQ(node.log().find("serving the web client"), std::string::npos);
}

TEST(WebServingConfig, AMissingConfiguredRootStopsStartUp) {
  node_options o;
  o.edit_config = [](json::object& config) { config["web"] = json::object{{"root", "no-such-dir"}}; };
  node_process node(std::move(o));
  EXPECT_THROW(node.start(), std::runtime_error);
  EXPECT_NE(node.log().find("no-such-dir"), std::string::npos) << node.log();
}

#ifdef CHATNODE_WEB_BUILT
// The chatnode of this build tree finds the client built next to it (web.root's default).
TEST(WebServingDefault, TheBuildTreeServesTheBuiltClient) {
  node_process node;
  node.start();
  const auto index = request(node, http::verb::get, "/");
  ASSERT_EQ(index.status, 200u) << node.log();
  EXPECT_NE(index.body.find("<div id=\"app\">"), std::string::npos);
  std::smatch script, style;
  ASSERT_TRUE(std::regex_search(index.body, script, std::regex(R"(src="(/assets/app-[A-Z0-9]{8,}\.js)\")")));
  ASSERT_TRUE(std::regex_search(index.body, style, std::regex(R"(href="(/assets/app-[A-Z0-9]{8,}\.css)\")")));
  const auto js = request(node, http::verb::get, script[1].str(), {{http::field::accept_encoding, "gzip"}});
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.headers[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(js.headers[http::field::content_encoding], "gzip");
  EXPECT_EQ(js.headers[http::field::cache_control], "public, max-age=31536000, immutable");
  const auto css = request(node, http::verb::get, style[1].str());
  EXPECT_EQ(css.headers[http::field::content_type], "text/css; charset=utf-8");
}
#endif

}  // namespace
}  // namespace chatnode::testing
