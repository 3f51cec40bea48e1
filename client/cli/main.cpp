// chatnode-client: one command per run for scripts, or an interactive session on stdin.
#include "client/cli/command_line.hpp"
#include "client/cli/interactive.hpp"
#include "client/cli/one_shot.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  namespace cli = chatnode::cli;
  try {
    const auto parsed = cli::parse_command_line(argc, argv);
    if (parsed.help) {
      std::cout << parsed.help_text << std::flush;
      return cli::exit_ok;
    }
    auto conn = cli::connect(parsed.config);
    if (parsed.call.command.empty()) return cli::interactive(*conn, parsed.config).run();
    return cli::one_shot(*conn, parsed.config, parsed.call).run();
  } catch (const cli::cli_error& e) {
    std::cerr << "chatnode-client: " << e.what() << std::endl;
    return e.status();
  } catch (const std::exception& e) {
    std::cerr << "chatnode-client: " << e.what() << std::endl;
    return cli::exit_usage;
  }
}
