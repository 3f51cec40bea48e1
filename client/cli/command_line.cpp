// Parsing chatnode-client's command line with Boost.Program_options. argv is read twice:
// once to find the command (unknown options allowed), then strictly with the global
// options plus that command's own, so every option may come before or after the command.
#include "client/cli/command_line.hpp"

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <boost/program_options/variables_map.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <system_error>

namespace chatnode::cli {

namespace po = boost::program_options;

namespace {

// How long the connect step and each wait for a reply may take, unless --timeout says.
constexpr double default_timeout_seconds = 10.0;
constexpr std::uint16_t default_port = 7443;
constexpr const char* default_server = "localhost";
// The node accepts history limits in this range (docs/protocol.md §12).
constexpr std::int64_t max_history_limit = 100000;

const std::vector<command_spec> commands = {
    {"register", "[NAME [PASSWORD]]", "create an account (default: --user, --password)", 0, 2, false},
    {"login", "[NAME [PASSWORD]]", "check that the credentials log in (default: --user, --password)", 0, 2, false},
    {"friend-request", "USER", "ask USER to be your friend", 1, 1, true},
    {"accept", "USER", "accept USER's friend request", 1, 1, true},
    {"reject", "USER", "reject USER's friend request", 1, 1, true},
    {"unfriend", "USER", "remove USER from your friends (or cancel a pending request)", 1, 1, true},
    {"friends", "", "list friends with their status, and friend requests", 0, 0, true},
    {"send", "RECEIVER TEXT...", "send a text to a user or a group (a #id, or one of your group names)", 2,
     unbounded_args, true},
    {"send-file", "RECEIVER PATH [--type MIME] [--limit-rate RATE]", "send a file to a user or a group, with progress; resumes after a reconnect", 2,
     unbounded_args, true},
    {"fetch", "MEDIA_ID [PATH] [--limit-rate RATE]", "download a media offered to you, check its SHA-256, write it to PATH",
     1, 2, true},
    {"group-create", "NAME [MEMBER...]", "create a group and invite friends to it", 1, unbounded_args, true},
    {"group-accept", "GROUP", "accept the invitation to GROUP (a name or #id)", 1, unbounded_args, true},
    {"group-reject", "GROUP", "decline the invitation to GROUP (a name or #id)", 1, unbounded_args, true},
    {"group-leave", "GROUP", "leave GROUP (a name or #id)", 1, unbounded_args, true},
    {"group-remove", "GROUP", "delete GROUP (leader only)", 1, unbounded_args, true},
    {"group-leader", "GROUP USER", "make USER the leader of GROUP (leader only)", 2, unbounded_args, true},
    {"groups", "", "list your groups and your invitations", 0, 0, true},
    {"block", "USER", "block USER: ends a friendship; no texts, requests or invitations from them", 1, 1, true},
    {"unblock", "USER", "stop blocking USER", 1, 1, true},
    {"blocks", "", "list the users you block", 0, 0, true},
    {"passwd", "[--new-password PW]", "change your password (asked without echo, or a line on stdin)", 0, 0, true},
    {"delete-account", "", "delete your account and all the node holds of it (asks for the password again)", 0,
     0, true},
    {"status", "STATUS", "set your status: online, away, busy or offline (appear offline)", 1, 1, true},
    {"history", "[--with X] [--after ID] [--before ID] [--limit N]",
     "print your message history, with message ids", 0, 0, true},
    {"listen", "[--count N] [--seconds S]", "print what the node sends (the inbox first); reconnects", 0, 0, true},
};

po::options_description global_options() {
  po::options_description options("Global options");
  options.add_options()
      ("help,h", po::bool_switch(), "show help (for a command: COMMAND --help)")
      ("server", po::value<std::string>()->value_name("HOST[:PORT]"),
       "the node (default localhost:7443); [IPv6]:PORT for an IPv6 address")
      ("host", po::value<std::string>()->value_name("HOST"), "the node's host (overrides --server's)")
      ("port", po::value<unsigned>()->value_name("PORT"), "the node's client port (overrides --server's)")
      ("server-name", po::value<std::string>()->value_name("NAME"),
       "TLS name (SNI) the node certificate must carry; default: the host")
      ("ca", po::value<std::string>()->value_name("FILE"),
       "PEM CA certificate(s) to trust instead of the system's (e.g. run/localhost/ca/ca.crt)")
      ("user", po::value<std::string>()->value_name("NAME"), "user to log in as")
      ("password", po::value<std::string>()->value_name("PW"),
       "password (or set CHATNODE_PASSWORD; asked on the terminal when neither is given)")
      ("json", po::bool_switch(), "print the node's messages as raw JSON lines")
      ("verbose,v", po::bool_switch(), "message ids on message lines; progress lines without a terminal")
      ("no-reconnect", po::bool_switch(), "end instead of reconnecting when the connection is lost")
      ("timeout", po::value<double>()->default_value(default_timeout_seconds)->value_name("SECONDS"),
       "limit for connecting and for each reply");
  return options;
}

po::options_description command_options(std::string_view command) {
  po::options_description options(std::string(command) + " options");
  if (command == "history") {
    options.add_options()
        ("with", po::value<std::string>()->value_name("X"), "only the conversation with a user or group")
        ("after", po::value<std::string>()->value_name("ID"), "only messages after this messageId")
        ("before", po::value<std::string>()->value_name("ID"), "only messages before this messageId")
        ("limit", po::value<std::int64_t>()->value_name("N"),
         "at most N messages (the latest, or the first after --after)");
  } else if (command == "listen") {
    options.add_options()
        ("count", po::value<std::int64_t>()->value_name("N"), "stop after N messages")
        ("seconds", po::value<double>()->value_name("S"), "stop after S seconds");
  } else if (command == "send-file") {
    options.add_options()
        ("type", po::value<std::string>()->value_name("MIME"), "the media type (default: from the extension)")
        ("limit-rate", po::value<std::string>()->value_name("RATE"),
         "send at most RATE bytes per second (K, M, G: powers of 1024)");
  } else if (command == "passwd") {
    options.add_options()
        ("new-password", po::value<std::string>()->value_name("PW"),
         "the new password (or set CHATNODE_NEW_PASSWORD; asked on the terminal when neither is given)");
  } else if (command == "fetch") {
    options.add_options()
        ("limit-rate", po::value<std::string>()->value_name("RATE"),
         "receive at most RATE bytes per second (K, M, G: powers of 1024)");
  }
  return options;
}

po::options_description positional_holders() {
  po::options_description hidden;
  hidden.add_options()
      ("command", po::value<std::string>())
      ("args", po::value<std::vector<std::string>>());
  return hidden;
}

po::positional_options_description positional_layout() {
  po::positional_options_description layout;
  layout.add("command", 1).add("args", -1);
  return layout;
}

template <class T>
std::optional<T> optional_value(const po::variables_map& vm, const char* name) {
  if (vm.count(name) == 0) return std::nullopt;
  return vm[name].as<T>();
}

// Reads the command's own options into `call`, checking their ranges.
void read_command_options(const po::variables_map& vm, invocation& call) {
  call.history.with = optional_value<std::string>(vm, "with");
  call.history.after = optional_value<std::string>(vm, "after");
  call.history.before = optional_value<std::string>(vm, "before");
  call.history.limit = optional_value<std::int64_t>(vm, "limit");
  if (call.history.limit && (*call.history.limit < 1 || *call.history.limit > max_history_limit)) {
    throw cli_error(exit_usage, "--limit must be between 1 and " + std::to_string(max_history_limit));
  }
  call.count = optional_value<std::int64_t>(vm, "count");
  if (call.count && *call.count < 1) throw cli_error(exit_usage, "--count must be at least 1");
  call.seconds = optional_value<double>(vm, "seconds");
  if (call.seconds && !(*call.seconds > 0 && std::isfinite(*call.seconds))) {
    throw cli_error(exit_usage, "--seconds must be a positive number");
  }
  call.new_password = optional_value<std::string>(vm, "new-password");
  call.media_type = optional_value<std::string>(vm, "type").value_or("");
  if (const auto rate = optional_value<std::string>(vm, "limit-rate")) {
    call.limit_rate = parse_rate(*rate);
    if (!call.limit_rate) throw cli_error(exit_usage, "--limit-rate: a number of bytes per second, e.g. 200K");
  }
}

void check_arity(const command_spec& spec, const std::vector<std::string>& args) {
  if (args.size() < spec.min_args || args.size() > spec.max_args) {
    throw cli_error(exit_usage, "usage: " + std::string(spec.name) +
                                    (spec.arguments.empty() ? "" : " " + std::string(spec.arguments)) +
                                    (args.size() > spec.max_args ? " (too many arguments)" : ""));
  }
}

const command_spec& known_command(const std::string& name) {
  const command_spec* spec = find_command(name);
  if (spec == nullptr) throw cli_error(exit_usage, "unknown command \"" + name + "\"");
  return *spec;
}

// --server, --host, --port, --server-name, --ca and --timeout into `config`.
void read_connection_options(const po::variables_map& vm, settings& config) {
  server_address server = parse_server(optional_value<std::string>(vm, "server").value_or(default_server), default_port);
  if (const auto host = optional_value<std::string>(vm, "host")) server.host = *host;
  if (const auto port = optional_value<unsigned>(vm, "port")) {
    if (*port == 0 || *port > std::numeric_limits<std::uint16_t>::max()) {
      throw cli_error(exit_usage, "--port must be between 1 and 65535");
    }
    server.port = static_cast<std::uint16_t>(*port);
  }
  if (server.host.empty()) throw cli_error(exit_usage, "--server: no host");
  config.connect.host = server.host;
  config.connect.port = server.port;
  config.connect.server_name = optional_value<std::string>(vm, "server-name").value_or(server.host);
  config.connect.ca_file = optional_value<std::string>(vm, "ca").value_or("");
  const double timeout = vm["timeout"].as<double>();
  if (!(timeout > 0 && std::isfinite(timeout) && timeout < 1e6)) {
    throw cli_error(exit_usage, "--timeout must be a positive number of seconds");
  }
  config.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(timeout * 1000.0)));
  config.connect.timeout = config.timeout;
}

void read_settings(const po::variables_map& vm, settings& config) {
  read_connection_options(vm, config);
  config.user = optional_value<std::string>(vm, "user").value_or("");
  if (auto password = optional_value<std::string>(vm, "password")) {
    config.password = *password;
  } else if (const char* env = std::getenv("CHATNODE_PASSWORD"); env != nullptr) {
    config.password = env;
  }
  if (const char* env = std::getenv("CHATNODE_NEW_PASSWORD"); env != nullptr) config.new_password = env;
  config.json = vm["json"].as<bool>();
  config.verbose = vm["verbose"].as<bool>();
  config.reconnect = !vm["no-reconnect"].as<bool>();
}

}  // namespace

const std::vector<command_spec>& all_commands() { return commands; }

const command_spec* find_command(std::string_view name) {
  for (const auto& c : commands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

parsed_command_line parse_command_line(int argc, const char* const* argv) {
  parsed_command_line result;
  try {
    // Pass 1: which command, and is --help asked?
    po::options_description first;
    first.add(global_options()).add(positional_holders());
    po::variables_map vm1;
    po::store(po::command_line_parser(argc, argv)
                  .options(first)
                  .positional(positional_layout())
                  .allow_unregistered()
                  .run(),
              vm1);
    const auto command = optional_value<std::string>(vm1, "command");
    const command_spec* spec = command ? find_command(*command) : nullptr;
    if (vm1["help"].as<bool>()) {
      result.help = true;
      result.help_text = spec != nullptr ? command_help(*spec) : general_help();
      return result;
    }
    if (command && spec == nullptr) throw cli_error(exit_usage, "unknown command \"" + *command + "\" (see --help)");

    // Pass 2: strictly, with the command's own options.
    po::options_description second;
    second.add(global_options()).add(positional_holders());
    if (spec != nullptr) second.add(command_options(spec->name));
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(second).positional(positional_layout()).run(), vm);
    po::notify(vm);
    read_settings(vm, result.config);
    if (spec == nullptr) return result;

    auto& call = result.call;
    call.command = std::string(spec->name);
    call.args = optional_value<std::vector<std::string>>(vm, "args").value_or(std::vector<std::string>{});
    check_arity(*spec, call.args);
    read_command_options(vm, call);
    if (call.new_password) result.config.new_password = *call.new_password;
    if (spec->needs_login && result.config.user.empty()) {
      throw cli_error(exit_usage, call.command + " needs --user NAME (and --password or CHATNODE_PASSWORD)");
    }
    if (!spec->needs_login && call.args.empty() && result.config.user.empty()) {
      throw cli_error(exit_usage, call.command + " needs a user name");
    }
    return result;
  } catch (const po::error& e) {
    throw cli_error(exit_usage, std::string(e.what()) + " (see --help)");
  }
}

invocation parse_interactive(const std::vector<std::string>& words) {
  invocation call;
  if (words.empty()) return call;
  const command_spec& spec = known_command(words.front());
  call.command = std::string(spec.name);
  const std::vector<std::string> rest(words.begin() + 1, words.end());
  auto own = command_options(spec.name);
  if (own.options().empty()) {
    // No options to parse: every word is an argument, even one starting with '-'.
    call.args = rest;
  } else {
    try {
      po::options_description all;
      all.add(own);
      all.add_options()("args", po::value<std::vector<std::string>>());
      po::positional_options_description layout;
      layout.add("args", -1);
      po::variables_map vm;
      po::store(po::command_line_parser(rest).options(all).positional(layout).run(), vm);
      po::notify(vm);
      call.args = optional_value<std::vector<std::string>>(vm, "args").value_or(std::vector<std::string>{});
      read_command_options(vm, call);
    } catch (const po::error& e) {
      throw cli_error(exit_usage, e.what());
    }
  }
  check_arity(spec, call.args);
  return call;
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (const char c : line) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value == 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit.ends_with("/s")) unit.remove_suffix(2);
  if (unit.ends_with("iB")) unit.remove_suffix(2);
  if (unit.ends_with("B") && unit.size() > 0) unit.remove_suffix(1);
  std::uint64_t scale = 1;
  if (unit == "K" || unit == "k") scale = 1024;
  else if (unit == "M" || unit == "m") scale = 1024 * 1024;
  else if (unit == "G" || unit == "g") scale = 1024 * 1024 * 1024;
  else if (!unit.empty()) return std::nullopt;
  if (value > std::numeric_limits<std::uint64_t>::max() / scale) return std::nullopt;
  return value * scale;
}

server_address parse_server(std::string_view text, std::uint16_t port) {
  server_address out{std::string(text), port};
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) throw cli_error(exit_usage, "--server: missing ] in " + std::string(text));
    out.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') throw cli_error(exit_usage, "--server: expected :PORT after ]");
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(text.substr(0, colon));
    rest = text.substr(colon);
  }
  if (!rest.empty()) {
    unsigned value = 0;
    const auto digits = rest.substr(1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535) {
      throw cli_error(exit_usage, "--server: the port must be 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

std::string general_help() {
  std::ostringstream out;
  out << "chatnode-client: talk to a chatnode over wss.\n\n"
         "usage: chatnode-client [options] COMMAND [ARGS...]   one command, then exit\n"
         "       chatnode-client [options]                     interactive (line editing, history)\n\n"
         "Commands (they log in with --user first, except register and login):\n";
  for (const auto& c : commands) {
    std::string head = "  " + std::string(c.name) + (c.arguments.empty() ? "" : " " + std::string(c.arguments));
    out << head;
    if (head.size() < 34) {
      out << std::string(34 - head.size(), ' ');
    } else {
      out << "\n" << std::string(34, ' ');
    }
    out << c.summary << "\n";
  }
  out << "\nA group is named by #id, by its name in quotes, or by its name written out (the\n"
         "longest name of one of your groups that the words start with); else a word is a user.\n"
         "Exit status: 0 success, 1 the node refused (the reason is printed) or a transfer\n"
         "failed, 2 usage, file, connection or TLS error, or no reply in time, 3 the account\n"
         "is locked by the administrator or the administrator closed the session.\n"
         "Put -- before a TEXT that starts with '-'. docs/cli.md has the details.\n\n"
      << global_options();
  return out.str();
}

std::string command_help(const command_spec& command) {
  std::ostringstream out;
  out << "usage: chatnode-client [options] " << command.name
      << (command.arguments.empty() ? "" : " " + std::string(command.arguments)) << "\n  " << command.summary << "\n";
  if (command.name == "history") out << "  exit status 1 with code 6001 when no message matches\n";
  const auto own = command_options(command.name);
  if (!own.options().empty()) out << "\n" << own;
  out << "\n" << global_options();
  return out.str();
}

std::string interactive_help() {
  std::ostringstream out;
  out << "commands (what the node answers is printed as it arrives):\n"
         "  register NAME [PASSWORD]   create an account (the password is asked when left out)\n"
         "  login NAME [PASSWORD]      log in\n";
  for (const auto& c : commands) {
    if (!c.needs_login || c.name == "listen") continue;
    std::string head = "  " + std::string(c.name) + (c.arguments.empty() ? "" : " " + std::string(c.arguments));
    out << head << (head.size() < 29 ? std::string(29 - head.size(), ' ') : " ") << c.summary << "\n";
  }
  out << "  help [COMMAND]\n"
         "  quit                       log out and leave (so does Ctrl-D on an empty line)\n"
         "keys: arrows, Home/End, Ctrl-A/E (start/end), Ctrl-U/K (cut before/after), Ctrl-W\n"
         "(cut word), Up/Down (history), Tab (complete), Ctrl-C (drop the line), Ctrl-L (clear)";
  return out.str();
}

std::unique_ptr<client::connection> connect(const settings& config) {
  try {
    return client::connection::connect(config.connect);
  } catch (const std::exception& e) {
    // std::system_error from the library; anything else (bad_alloc, Boost errors) alike.
    std::string hint;
    const std::string what = e.what();
    if (what.find("TLS handshake") != std::string::npos && config.connect.server_name == config.connect.host) {
      hint = " (does the node's certificate name " + config.connect.host + "? see --server-name and --ca)";
    }
    throw cli_error(exit_usage, "cannot connect to " + config.connect.host + ":" +
                                    std::to_string(config.connect.port) + ": " + what + hint);
  }
}

}  // namespace chatnode::cli
