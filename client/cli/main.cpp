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

// The password when none was given: asked on the terminal, else a usage error.
void ensure_password(cli::parsed_command_line& parsed) {
  auto& config = parsed.config;
  const auto& call = parsed.call;
  const cli::command_spec* spec = call.command.empty() ? nullptr : cli::find_command(call.command);
  const bool logs_in = call.command.empty() ? !config.user.empty() : spec->needs_login || call.args.size() < 2;
  if (!logs_in || !config.password.empty()) return;
  const std::string user = !call.command.empty() && !spec->needs_login && !call.args.empty() ? call.args[0] : config.user;
  if (::isatty(STDIN_FILENO) == 1) config.password = cli::read_password("password for " + user + ": ");
  if (config.password.empty()) {
    throw cli::cli_error(cli::exit_usage, "a password is needed: --password PW or CHATNODE_PASSWORD");
  }
}

int run(cli::parsed_command_line& parsed) {
  ensure_password(parsed);
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
