// chatnode-client: one command per run for scripts, or an interactive session.
#include "client/cli/command_line.hpp"
#include "client/cli/console.hpp"
#include "client/cli/interactive.hpp"
#include "client/cli/live_command.hpp"
#include "client/cli/one_shot.hpp"
#include "client/cli/session.hpp"

#include <unistd.h>

#include <exception>
#include <iostream>

namespace {

namespace cli = chatnode::cli;

// send-file and fetch give up after this many failed reconnects in a row (about 4
// minutes with the backoff); listen and interactive mode never do.
constexpr std::size_t transfer_reconnect_attempts = 10;

bool follows_the_node(const std::string& command) {
  return command == "listen" || command == "send-file" || command == "fetch";
}

cli::session::retry_policy policy_for(const cli::parsed_command_line& parsed) {
  const std::string& command = parsed.call.command;
  cli::session::retry_policy policy;
  policy.reconnect = parsed.config.reconnect && (command.empty() || follows_the_node(command));
  if (command == "send-file" || command == "fetch") policy.max_attempts = transfer_reconnect_attempts;
  return policy;
}

bool on_terminal() { return ::isatty(STDIN_FILENO) == 1; }

// passwd and delete-account read the passwords they miss from stdin, one a line, when it
// is not a terminal (so a script need not put them on the command line).
bool reads_secret_lines(const std::string& command) { return command == "passwd" || command == "delete-account"; }

std::string read_secret_line() {
  std::string line;
  if (!std::getline(std::cin, line)) return {};
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The password when none was given: asked on the terminal (or, for passwd and
// delete-account, a line of stdin), else a usage error.
void ensure_password(cli::parsed_command_line& parsed) {
  auto& config = parsed.config;
  const auto& call = parsed.call;
  const cli::command_spec* spec = call.command.empty() ? nullptr : cli::find_command(call.command);
  const bool logs_in = call.command.empty() ? !config.user.empty() : spec->needs_login || call.args.size() < 2;
  if (!logs_in || !config.password.empty()) return;
  const std::string user = !call.command.empty() && !spec->needs_login && !call.args.empty() ? call.args[0] : config.user;
  if (on_terminal()) {
    config.password = cli::read_password("password for " + user + ": ");
  } else if (reads_secret_lines(call.command)) {
    config.password = read_secret_line();
  }
  if (config.password.empty()) {
    throw cli::cli_error(cli::exit_usage, "a password is needed: --password PW or CHATNODE_PASSWORD");
  }
}

// passwd's new password and delete-account's confirmation, before connecting (so no
// --timeout runs while someone types).
void ensure_account_secrets(cli::parsed_command_line& parsed) {
  auto& config = parsed.config;
  const std::string& command = parsed.call.command;
  if (command == "passwd" && config.new_password.empty()) {
    if (on_terminal()) {
      config.new_password = cli::read_password("new password for " + config.user + ": ");
      if (!config.new_password.empty() && cli::read_password("new password again: ") != config.new_password) {
        throw cli::cli_error(cli::exit_usage, "the new passwords differ; nothing was changed");
      }
    } else {
      config.new_password = read_secret_line();
    }
    if (config.new_password.empty()) {
      throw cli::cli_error(cli::exit_usage,
                           "passwd needs a new password: on the terminal, a line on stdin, --new-password PW or "
                           "CHATNODE_NEW_PASSWORD");
    }
  }
  if (command == "delete-account") {
    config.confirm_password =
        on_terminal() ? cli::read_password("to delete the account " + config.user +
                                           " and everything the node holds of it, type its password: ")
                      : read_secret_line();
    if (config.confirm_password.empty()) {
      throw cli::cli_error(cli::exit_usage,
                           "delete-account needs the password typed again to confirm (on the terminal, or a line "
                           "on stdin); nothing was deleted");
    }
  }
}

int run(cli::parsed_command_line& parsed) {
  ensure_password(parsed);
  ensure_account_secrets(parsed);
  cli::console out;
  cli::session session(parsed.config, out, policy_for(parsed));
  session.connect();
  if (parsed.call.command.empty()) return cli::interactive(session, out, parsed.config).run();
  if (follows_the_node(parsed.call.command)) return cli::live_command(session, out, parsed.config, parsed.call).run();
  return cli::one_shot(session, out, parsed.config, parsed.call).run();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto parsed = cli::parse_command_line(argc, argv);
    if (parsed.help) {
      std::cout << parsed.help_text << std::flush;
      return cli::exit_ok;
    }
    return run(parsed);
  } catch (const cli::cli_error& e) {
    std::cerr << "chatnode-client: " << e.what() << std::endl;
    return e.status();
  } catch (const std::exception& e) {
    std::cerr << "chatnode-client: " << e.what() << std::endl;
    return cli::exit_usage;
  }
}
