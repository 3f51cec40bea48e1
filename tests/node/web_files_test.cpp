// The web client's serving rules (node/web_files.hpp): which request targets can name a
// file, MIME types, fingerprinted names, gzip negotiation, what start-up loads from a real
// directory (no dotfiles, no symlinks out, bounds), the headers of an answer, and the
// `web` config keys.
#include "node/config.hpp"
#include "node/web_files.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace chatnode::node {
namespace {
namespace fs = std::filesystem;

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "chatnode-web-files-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

TEST(WebFilesPath, RootIsIndexAndQueriesAreIgnored) {
  EXPECT_EQ(web_files::file_path("/"), "index.html");
  EXPECT_EQ(web_files::file_path("/?x=1"), "index.html");
  EXPECT_EQ(web_files::file_path("/assets/app-2KWLYPIA.js?v=3#top"), "assets/app-2KWLYPIA.js");
  EXPECT_EQ(web_files::file_path("/favicon.svg"), "favicon.svg");
  EXPECT_EQ(web_files::file_path("/a%20b.txt"), "a b.txt");
}

TEST(WebFilesPath, NothingOutsideTheRootCanBeNamed) {
  for (const char* target :
       {"", "x", "index.html", "/..", "/../etc/passwd", "/assets/../index.html", "/assets/./app.js", "/%2e%2e/x",
        "/%2E%2E/%2E%2E/etc/passwd", "/assets/%2e%2e/%2e%2e/x", "/a%00b", "/a%5c..%5cb", "/a\\b", "/a//b", "/.hidden",
        "/assets/.git/config", "/assets/", "//etc/passwd", "/%", "/%2", "/%zz", "/..%2f..%2fetc%2fpasswd"}) {
    EXPECT_FALSE(web_files::file_path(target).has_value()) << target;
  }
}

TEST(WebFilesMime, ByExtension) {
  EXPECT_EQ(web_files::mime_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(web_files::mime_type("assets/app-2KWLYPIA.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(web_files::mime_type("assets/app-2KWLYPIA.css"), "text/css; charset=utf-8");
  EXPECT_EQ(web_files::mime_type("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(web_files::mime_type("a/LOGO.PNG"), "image/png");
  EXPECT_EQ(web_files::mime_type("font.woff2"), "font/woff2");
  EXPECT_EQ(web_files::mime_type("README"), "application/octet-stream");
  EXPECT_EQ(web_files::mime_type("data.bin"), "application/octet-stream");
  EXPECT_EQ(web_files::mime_type("dir.js/file"), "application/octet-stream");
}

TEST(WebFilesCache, FingerprintedNames) {
  EXPECT_TRUE(web_files::is_fingerprinted("assets/app-2KWLYPIA.js"));
  EXPECT_TRUE(web_files::is_fingerprinted("assets/chunk-ABCDEFGH12.css"));
  EXPECT_FALSE(web_files::is_fingerprinted("index.html"));
  EXPECT_FALSE(web_files::is_fingerprinted("chatnode-logo.svg"));
  EXPECT_FALSE(web_files::is_fingerprinted("app-2kwlypia.js"));
  EXPECT_FALSE(web_files::is_fingerprinted("app-2KWLY.js"));
  EXPECT_FALSE(web_files::is_fingerprinted("app-2KWLYPIA"));
  EXPECT_FALSE(web_files::is_fingerprinted("-2KWLYPIA.js"));
}

TEST(WebFilesGzip, AcceptEncoding) {
  EXPECT_TRUE(web_files::accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(web_files::accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(web_files::accepts_gzip("x-gzip"));
  EXPECT_FALSE(web_files::accepts_gzip(""));
  EXPECT_FALSE(web_files::accepts_gzip("br, deflate"));
  EXPECT_FALSE(web_files::accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(web_files::accepts_gzip("gzip; q=0.000, br"));
  EXPECT_FALSE(web_files::accepts_gzip("gzipx"));
}

class WebFilesLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "web";
    write(root_ / "index.html", "<!doctype html><title>chatnode</title>");
    write(root_ / "assets" / "app-2KWLYPIA.js", std::string(4000, 'a'));
    write(root_ / "assets" / "app-2KWLYPIA.js.gz", "GZIP-BYTES");
    write(root_ / "favicon.svg", "<svg/>");
    write(root_ / "favicon.svg.gz", "this variant is larger than the file itself");
    write(root_ / ".secret", "dotfile");
    write(root_ / ".git" / "config", "dot directory");
    write(dir_.path() / "outside.txt", "outside the root");
    fs::create_directories(dir_.path() / "outside-dir");
    write(dir_.path() / "outside-dir" / "x.txt", "outside");
    fs::create_symlink(dir_.path() / "outside.txt", root_ / "link-out.txt");
    fs::create_directory_symlink(dir_.path() / "outside-dir", root_ / "dir-out");
    fs::create_symlink(root_ / "favicon.svg", root_ / "link-in.svg");
  }

  http::response<http::string_body> get(const web_files& files, const std::string& target, const std::string& accept = "",
                                        const std::string& if_none_match = "") {
    http::request<http::string_body> req{http::verb::get, target, 11};
    if (!accept.empty()) req.set(http::field::accept_encoding, accept);
    if (!if_none_match.empty()) req.set(http::field::if_none_match, if_none_match);
    http::response<http::string_body> res;
    answered_ = files.answer(req, res);
    return res;
  }

  temp_dir dir_;
  fs::path root_;
  bool answered_ = false;
};

TEST_F(WebFilesLoad, LoadsRegularFilesOnlyFromInsideTheRoot) {
  const web_files files = web_files::load(root_);
  EXPECT_NE(files.find("/"), nullptr);
  EXPECT_NE(files.find("/assets/app-2KWLYPIA.js"), nullptr);
  EXPECT_NE(files.find("/link-in.svg"), nullptr);  // a symlink that stays inside is fine
  EXPECT_EQ(files.find("/link-out.txt"), nullptr);
  EXPECT_EQ(files.find("/dir-out/x.txt"), nullptr);
  EXPECT_EQ(files.find("/assets/app-2KWLYPIA.js.gz"), nullptr);  // variants are not paths
  EXPECT_EQ(files.find("/.secret"), nullptr);
  EXPECT_EQ(files.find("/.git/config"), nullptr);
  EXPECT_EQ(files.find("/assets"), nullptr);
  EXPECT_EQ(files.file_count(), 4u);
}

TEST_F(WebFilesLoad, AnswersWithStrictHeadersAndTheRightCaching) {
  const web_files files = web_files::load(root_);
  auto index = get(files, "/");
  ASSERT_TRUE(answered_);
  EXPECT_EQ(index.result(), http::status::ok);
  EXPECT_EQ(index[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(index["Content-Security-Policy"], web_files::content_security_policy);
  EXPECT_NE(index["Content-Security-Policy"].find("script-src 'self';"), std::string::npos);
  EXPECT_NE(index["Content-Security-Policy"].find("connect-src 'self';"), std::string::npos);
  EXPECT_EQ(index["Content-Security-Policy"].find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(index["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(index["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(index[http::field::cache_control], "no-cache");
  EXPECT_EQ(index.body(), "<!doctype html><title>chatnode</title>");

  auto js = get(files, "/assets/app-2KWLYPIA.js");
  EXPECT_EQ(js[http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(js[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(js[http::field::vary], "Accept-Encoding");
  EXPECT_EQ(js.body(), std::string(4000, 'a'));
  EXPECT_TRUE(js[http::field::content_encoding].empty());

  get(files, "/nothing-here.js");
  EXPECT_FALSE(answered_);
}

TEST_F(WebFilesLoad, GzipVariantOnlyWhenAcceptedAndSmaller) {
  const web_files files = web_files::load(root_);
  auto packed = get(files, "/assets/app-2KWLYPIA.js", "gzip, br");
  EXPECT_EQ(packed[http::field::content_encoding], "gzip");
  EXPECT_EQ(packed.body(), "GZIP-BYTES");
  EXPECT_NE(packed[http::field::etag], get(files, "/assets/app-2KWLYPIA.js")[http::field::etag]);
  auto refused = get(files, "/assets/app-2KWLYPIA.js", "gzip;q=0");
  EXPECT_TRUE(refused[http::field::content_encoding].empty());
  auto svg = get(files, "/favicon.svg", "gzip");  // its .gz is larger: never used
  EXPECT_TRUE(svg[http::field::content_encoding].empty());
  EXPECT_EQ(svg.body(), "<svg/>");
}

TEST_F(WebFilesLoad, RevalidationByEtag) {
  const web_files files = web_files::load(root_);
  const std::string etag(get(files, "/")[http::field::etag]);
  ASSERT_EQ(etag.size(), 34u);
  auto again = get(files, "/", "", etag);
  EXPECT_EQ(again.result(), http::status::not_modified);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(get(files, "/", "", "\"something-else\"").result(), http::status::ok);
}

TEST_F(WebFilesLoad, BoundsRefuseAMistakenRoot) {
  write(root_ / "big.bin", std::string(web_files::max_file_bytes + 1, 'x'));
  EXPECT_THROW(web_files::load(root_), web_files_error);
  fs::remove(root_ / "big.bin");
  for (std::size_t i = 0; i <= web_files::max_files; ++i) write(root_ / "many" / (std::to_string(i) + ".txt"), "x");
  EXPECT_THROW(web_files::load(root_), web_files_error);
}

TEST_F(WebFilesLoad, ConfigDecidesWhatIsRead) {
  web_config off;
  off.enabled = false;
  off.root = dir_.path() / "does-not-exist";
  off.root_is_default = false;
  EXPECT_EQ(web_files::from_config(off).file_count(), 0u);  // nothing read, nothing refused

  web_config missing_default;
  missing_default.root = dir_.path() / "does-not-exist";
  EXPECT_EQ(web_files::from_config(missing_default).file_count(), 0u);

  web_config missing_configured = missing_default;
  missing_configured.root_is_default = false;
  EXPECT_THROW(web_files::from_config(missing_configured), web_files_error);

  web_config on;
  on.root = root_;
  on.root_is_default = false;
  EXPECT_EQ(web_files::from_config(on).file_count(), 4u);
}

boost::json::object parse(std::string_view text) { return boost::json::parse(text).as_object(); }
const char* base_config = R"("domain":"a.example","data_dir":"data","client":{"cert":"c.pem","key":"k.pem"})";

TEST(WebConfig, DefaultsAndKeys) {
  const auto defaults = parse_config(parse(std::string("{") + base_config + "}"), "/etc/chatnode/chatnode.json");
  EXPECT_TRUE(defaults.web.enabled);
  EXPECT_TRUE(defaults.web.root_is_default);
  EXPECT_EQ(defaults.web.root, default_web_root());
  const auto exe = fs::read_symlink("/proc/self/exe");
  EXPECT_EQ(default_web_root(), (exe.parent_path().parent_path() / "share" / "chatnode" / "web").lexically_normal());

  const auto set = parse_config(parse(std::string("{") + base_config + R"(,"web":{"enabled":false,"root":"client"}})"),
                                "/etc/chatnode/chatnode.json");
  EXPECT_FALSE(set.web.enabled);
  EXPECT_FALSE(set.web.root_is_default);
  EXPECT_EQ(set.web.root, "/etc/chatnode/client");

  EXPECT_THROW(parse_config(parse(std::string("{") + base_config + R"(,"web":{"enabled":"yes"}})"), "/x/c.json"),
               config_error);
  EXPECT_THROW(parse_config(parse(std::string("{") + base_config + R"(,"web":{"rot":"x"}})"), "/x/c.json"),
               config_error);
}

}  // namespace
}  // namespace chatnode::node
