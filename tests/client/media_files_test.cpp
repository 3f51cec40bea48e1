// The file name inside chatnode-client's media ids, safe names, and MIME types.
#include "client/cli/media_files.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace chatnode::cli {
namespace {

TEST(MediaFiles, IdsCarryTheFileNameAndAreStable) {
  const std::string id = media_id_for("alice", "bob", "ab12", "photo 1.jpg");
  EXPECT_TRUE(std::regex_match(id, std::regex("[A-Za-z0-9]{16}\\.photo_1\\.jpg"))) << id;
  EXPECT_EQ(id, media_id_for("alice", "bob", "ab12", "photo 1.jpg"));
  EXPECT_NE(id, media_id_for("alice", "carol", "ab12", "photo 1.jpg"));
  EXPECT_NE(id, media_id_for("alice", "bob", "cd34", "photo 1.jpg"));
  EXPECT_LE(media_id_for("a", "b", "c", std::string(300, 'n') + ".tar.gz").size(), 128U);
  EXPECT_TRUE(std::regex_match(media_id_for("a", "b", "c", "x"), std::regex("[A-Za-z0-9._~-]{1,128}")));
}

TEST(MediaFiles, NamesAreReadBackFromIds) {
  EXPECT_EQ(media_name("abcdefghijklMN12.photo.jpg"), "photo.jpg");
  EXPECT_EQ(media_name("abcdefghijklMN12.photo.jpg~x7k2"), "photo.jpg") << "a node's suffix for a taken id";
  EXPECT_EQ(media_name("some-other-clients-id"), "");
  EXPECT_EQ(media_name("abcdefghijkl-photo.jpg"), "");
  EXPECT_EQ(media_name("abcdefghijklMN1_.photo.jpg"), "");
  EXPECT_EQ(display_media_name("m1"), "m1");
}

TEST(MediaFiles, SafeNames) {
  EXPECT_EQ(safe_file_name("../../etc/passwd"), "file.._.._etc_passwd");
  EXPECT_EQ(safe_file_name(""), "file");
  EXPECT_EQ(safe_file_name("ümlaut.txt"), "__mlaut.txt");
  const std::string long_name = safe_file_name(std::string(200, 'a') + ".pdf");
  EXPECT_EQ(long_name.size(), 100U);
  EXPECT_TRUE(long_name.ends_with(".pdf"));
}

TEST(MediaFiles, SaveNamesFallBackToTheIdWithAnExtension) {
  EXPECT_EQ(save_name("abcdefghijklMN12.report.pdf", "application/pdf"), "report.pdf");
  EXPECT_EQ(save_name("upload-1", "image/png"), "upload-1.png");
  EXPECT_EQ(save_name("x/y", "application/octet-stream"), "x_y");
}

TEST(MediaFiles, MimeTypesByExtension) {
  EXPECT_EQ(guess_mime_type("a.JPG"), "image/jpeg");
  EXPECT_EQ(guess_mime_type("notes.txt"), "text/plain");
  EXPECT_EQ(guess_mime_type("archive.tar.gz"), "application/gzip");
  EXPECT_EQ(guess_mime_type("README"), "application/octet-stream");
  EXPECT_EQ(guess_mime_type(".bashrc"), "application/octet-stream");
}

}  // namespace
}  // namespace chatnode::cli
