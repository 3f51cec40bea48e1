// chatnode-client's command line: global options, the table of commands, and parsing of
// argv (one-shot) and of typed lines (interactive) into one `invocation` shape.
#pragma once

#include "client/cli/commands.hpp"
#include "client/connection.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chatnode::cli {

// Exit statuses of one-shot commands.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // the node answered with a failure code
inline constexpr int exit_usage = 2;    // bad usage, connection or TLS failure, timeout

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
  std::string password;  // --password or CHATNODE_PASSWORD
  bool json = false;     // print received messages as raw JSON lines
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

std::string general_help();
std::string command_help(const command_spec& command);
// The command list for interactive mode's `help`.
std::string interactive_help();

// Connects as `config` says; throws cli_error(exit_usage) naming the failed step.
std::unique_ptr<client::connection> connect(const settings& config);

}  // namespace chatnode::cli
