// chatnode-client's argument parsing: --server and its default TLS name, rates, words.
#include "client/cli/command_line.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace chatnode::cli {
namespace {

parsed_command_line parse(std::vector<const char*> args) {
  args.insert(args.begin(), "chatnode-client");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(CommandLine, ServerNameDefaultsToTheHost) {
  const auto plain = parse({"--server", "chat.example.org", "--user", "a", "friends"});
  EXPECT_EQ(plain.config.connect.host, "chat.example.org");
  EXPECT_EQ(plain.config.connect.port, 7443);
  EXPECT_EQ(plain.config.connect.server_name, "chat.example.org");

  const auto with_port = parse({"--server", "127.0.0.1:7451", "--server-name", "alpha.localhost"});
  EXPECT_EQ(with_port.config.connect.host, "127.0.0.1");
  EXPECT_EQ(with_port.config.connect.port, 7451);
  EXPECT_EQ(with_port.config.connect.server_name, "alpha.localhost");

  const auto defaults = parse({});
  EXPECT_EQ(defaults.config.connect.host, "localhost");
  EXPECT_EQ(defaults.config.connect.server_name, "localhost");
  EXPECT_TRUE(defaults.config.connect.ca_file.empty()) << "no --ca: the system trust store";

  const auto overridden = parse({"--server", "a.example:1", "--port", "2", "--host", "b.example"});
  EXPECT_EQ(overridden.config.connect.host, "b.example");
  EXPECT_EQ(overridden.config.connect.port, 2);
  EXPECT_EQ(overridden.config.connect.server_name, "b.example");
}

TEST(CommandLine, ServerAddresses) {
  EXPECT_EQ(parse_server("[::1]:7000", 7443).host, "::1");
  EXPECT_EQ(parse_server("[::1]:7000", 7443).port, 7000);
  EXPECT_EQ(parse_server("[::1]", 7443).port, 7443);
  EXPECT_THROW(parse_server("host:0", 7443), cli_error);
  EXPECT_THROW(parse_server("host:99999", 7443), cli_error);
  EXPECT_THROW(parse_server("[::1", 7443), cli_error);
}

TEST(CommandLine, Rates) {
  EXPECT_EQ(parse_rate("1000"), 1000U);
  EXPECT_EQ(parse_rate("200K"), 200U * 1024);
  EXPECT_EQ(parse_rate("1MiB/s"), 1024U * 1024);
  EXPECT_EQ(parse_rate("2g"), 2ULL * 1024 * 1024 * 1024);
  EXPECT_FALSE(parse_rate("0"));
  EXPECT_FALSE(parse_rate("fast"));
  EXPECT_FALSE(parse_rate("10X"));
}

TEST(CommandLine, SendFileAndFetchTakeTheirOptions) {
  const auto send = parse({"--user", "a", "send-file", "Book", "club", "photo.jpg", "--limit-rate", "64K",
                           "--type", "image/png"});
  EXPECT_EQ(send.call.command, "send-file");
  EXPECT_EQ(send.call.args, (std::vector<std::string>{"Book", "club", "photo.jpg"}));
  EXPECT_EQ(send.call.limit_rate, 64U * 1024);
  EXPECT_EQ(send.call.media_type, "image/png");
  EXPECT_THROW(parse({"--user", "a", "fetch"}), cli_error);
  EXPECT_THROW(parse({"--user", "a", "fetch", "a", "b", "c"}), cli_error);
  EXPECT_THROW(parse({"--user", "a", "send-file", "bob", "x", "--limit-rate", "soon"}), cli_error);
}

TEST(CommandLine, InteractiveWordsKeepQuotedNamesTogether) {
  EXPECT_EQ(split_words("send \"Book club\" hi  there"),
            (std::vector<std::string>{"send", "Book club", "hi", "there"}));
  const auto call = parse_interactive(split_words("history --with bob --limit 5"));
  EXPECT_EQ(call.history.with, "bob");
  EXPECT_EQ(call.history.limit, 5);
  EXPECT_THROW(parse_interactive(split_words("frobnicate")), cli_error);
}

}  // namespace
}  // namespace chatnode::cli
