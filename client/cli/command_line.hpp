// chatnode-client's command line: global options, the table of commands, and parsing of
// argv (one-shot) and of typed lines (interactive) into one `invocation` shape.
#pragma once

#include "client/cli/commands.hpp"
#include "client/connection.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::cli {

// Exit statuses (docs/cli.md, "Exit status").
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // the node refused (a failure code), or a transfer failed
inline constexpr int exit_usage = 2;    // bad usage, a file problem, connection or TLS failure, timeout
inline constexpr int exit_admin = 3;    // the account is locked (2005), or the administrator closed the session (4001)

// A failure that ends the program with `status` after printing the message.
class cli_error : public std::runtime_error {
 public:
  cli_error(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct settings {
  client::connect_options connect;
  std::string user;      // --user; empty: none
  std::string password;  // --password, CHATNODE_PASSWORD, or asked on the terminal
  // passwd: --new-password, CHATNODE_NEW_PASSWORD, asked on the terminal (twice), or a stdin line.
  std::string new_password;
  // delete-account: the password typed again (terminal or a stdin line), never an option.
  std::string confirm_password;
  bool json = false;     // print the node's messages as raw JSON lines
  bool verbose = false;  // message ids on message lines, progress lines for transfers
  bool reconnect = true; // listen, interactive, send-file and fetch reconnect by themselves
  std::chrono::milliseconds timeout{10000};
};

struct command_spec {
  std::string_view name;
  std::string_view arguments;  // e.g. "RECEIVER TEXT..."
  std::string_view summary;
  std::size_t min_args;
  std::size_t max_args;  // unbounded_args for "..."
  bool needs_login;      // one-shot mode logs in first
};
inline constexpr std::size_t unbounded_args = static_cast<std::size_t>(-1);

const std::vector<command_spec>& all_commands();
const command_spec* find_command(std::string_view name);

struct invocation {
  std::string command;  // empty: interactive mode
  std::vector<std::string> args;
  history_filter history;                   // history
  std::optional<std::int64_t> count;        // listen --count
  std::optional<double> seconds;            // listen --seconds
  std::string media_type;                   // send-file --type
  std::optional<std::uint64_t> limit_rate;  // send-file --limit-rate, bytes per second
  std::optional<std::string> new_password; // passwd --new-password
};

struct parsed_command_line {
  bool help = false;
  std::string help_text;  // what --help prints (set when help is true)
  settings config;
  invocation call;
};

// Parses argv. Throws cli_error(exit_usage) on a usage error; --help anywhere sets help
// (with the general or the command's help) and skips the other checks.
parsed_command_line parse_command_line(int argc, const char* const* argv);

// Parses a line typed in interactive mode (already split into words). Throws
// cli_error(exit_usage) on a usage error.
invocation parse_interactive(const std::vector<std::string>& words);

// Splits an interactive line into words; "double" or 'single' quotes group words.
std::vector<std::string> split_words(std::string_view line);

// "200K" → 204800 bytes per second (K, M, G are powers of 1024; an optional "B" or "/s").
std::optional<std::uint64_t> parse_rate(std::string_view text);
// "host", "host:port", "[v6]:port" → host and port (the default port when none).
struct server_address {
  std::string host;
  std::uint16_t port = 0;
};
server_address parse_server(std::string_view text, std::uint16_t default_port);

std::string general_help();
std::string command_help(const command_spec& command);
// The command list for interactive mode's `help`.
std::string interactive_help();

// Connects as `config` says; throws cli_error(exit_usage) naming the failed step.
std::unique_ptr<client::connection> connect(const settings& config);

}  // namespace chatnode::cli
