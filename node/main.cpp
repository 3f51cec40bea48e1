// chatnode: `init` a node directory, `serve` a node, `certs` for the federation CA and node
// certificates (certs/command.hpp). A thin shell over the node library.
#include "admin.hpp"
#include "admin_socket.hpp"
#include "config.hpp"
#include "init.hpp"
#include "log.hpp"
#include "server.hpp"

#include "audit/runner.hpp"
#include "certs/command.hpp"
#include "store/backup.hpp"

#include <boost/program_options.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <unistd.h>
#include <string>
#include <vector>

namespace po = boost::program_options;
namespace store = chatnode::store;
using namespace chatnode::node;

namespace {

constexpr const char* usage =
    "usage: chatnode <command> [options]\n"
    "\n"
    "commands:\n"
    "  init    make a config file, a data dir and a certificate for a domain\n"
    "  serve   run a node\n"
    "  certs   make a federation CA, issue node certificates, print SPKI pins\n"
    "  backup  copy the data dir of a node, running or not, into a new directory\n"
    "  restore put a backup in place of a stopped node's data\n"
    "  admin   manage users and sessions, federation status, reload (docs/operations.md)\n"
    "  audit   run the test vectors of docs/vectors against running nodes\n"
    "  version print the version\n"
    "\n"
    "`chatnode <command> --help` describes a command's options.\n"
    "\n"
    "a new node:\n"
    "  chatnode init --domain chat.example --dir /srv/chatnode\n"
    "  chatnode serve --config /srv/chatnode/chatnode.json\n"
    "then open the web client at https://chat.example:7443/ (apps connect to wss://chat.example:7443/ws);\n"
    "init prints the exact address and where its config and certificates are.\n"
    "More in docs/self-hosting.md, every config key in docs/config.md.\n";

int cmd_init(const std::vector<std::string>& args) {
  po::options_description desc(
      "chatnode init --domain D --dir DIR [--ca CA_DIR]\n"
      "Writes DIR/chatnode.json, DIR/data/, a certificate for D in DIR/certs/ (and a development CA\n"
      "in DIR/ca/ without --ca), then prints how to start the node and the address of its web client");
  init_options opts;
  std::string ca;
  desc.add_options()
      ("help,h", "show this help")
      ("domain", po::value(&opts.domain)->required(), "the domain this node serves (users are name@DOMAIN)")
      ("dir", po::value<std::string>()->required(), "directory for chatnode.json, data/, certs/ (and ca/ for a new dev CA)")
      ("ca", po::value(&ca), "directory with ca.crt and ca.key to sign the node certificate (default: make a dev CA in DIR/ca)")
      ("client-listen", po::value(&opts.client_listen)->default_value(opts.client_listen), "client.listen address")
      ("federation-listen", po::value(&opts.federation_listen)->default_value(opts.federation_listen), "federation.listen address")
      ("peer", po::value(&opts.peers)->composing(), "a federation peer DOMAIN=HOST:PORT (repeatable)")
      ("force", po::bool_switch(&opts.force),
       "overwrite an existing chatnode.json and re-issue the certificate (the data dir and the node key are kept)")
      ("new-key", po::bool_switch(&opts.new_key),
       "make a new node key even if DIR/certs/node.key exists (its SPKI pin changes: update federation.pins at peers)")
      ("test-limits", po::bool_switch(&opts.test_limits),
       "relax the abuse limits (registration, login, request rates) for test suites, audits and benchmarks;"
       " never for a public node");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(vm);
  opts.dir = vm["dir"].as<std::string>();
  if (!ca.empty()) opts.ca_dir = ca;
  init_node(opts, std::cout);
  return 0;
}

int cmd_serve(const std::vector<std::string>& args) {
  po::options_description desc("chatnode serve --config FILE");
  std::string file;
  desc.add_options()
      ("help,h", "show this help")
      ("config,c", po::value(&file)->required(), "the node's config file (docs/config.md)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(vm);
  config cfg = load_config(file);
  log_level level{};
  parse_log_level(cfg.log_level, level);
  set_log_level(level);
  log_format format{};
  parse_log_format(cfg.log_format, format);
  set_log_format(format);
  server srv(std::move(cfg));
  return srv.run(std::cout);
}

constexpr const char* admin_usage_text =
    "usage: chatnode admin --config FILE [--json] [--generate] COMMAND\n"
    "\n"
    "  user add NAME            the password is read from stdin (one line), or with --generate\n"
    "                           or a terminal on stdin made up and printed\n"
    "  user passwd NAME         likewise; the user's resumption tokens are revoked\n"
    "  user delete NAME         as ACCOUNT_DELETE: friends and groups are told, data erased\n"
    "  user list [--online]     one user per line (--json: an array)\n"
    "  user lock NAME           logins refused (2005), session closed, tokens revoked\n"
    "  user unlock NAME\n"
    "  user export NAME         everything the node holds about the user, as JSON\n"
    "  session list             who is logged in, from where\n"
    "  session kick NAME        closes the user's session (WebSocket close 4001)\n"
    "  federation status        per peer: link state, outbox depth, last error\n"
    "  reload                   as SIGHUP: re-reads the config and the certificates\n"
    "\n"
    "It talks to the running node on its admin socket (admin.socket); with the node stopped,\n"
    "the user commands work on the data dir directly. Exit codes: 0 done, 1 failed, 2 usage,\n"
    "3 no such user or session, 4 the user exists, 5 needs the running node.\n";

// `chatnode admin`'s command line: options anywhere, the rest is the command.
struct admin_invocation {
  bool help = false;
  std::string config_file;
  bool generate = false;  // a made-up password, not one read from stdin
  admin_request req;
};

admin_invocation parse_admin_args(const std::vector<std::string>& args) {
  admin_invocation inv;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      inv.help = true;
      break;
    }
    if ((a == "--config" || a == "-c") && i + 1 < args.size()) {
      inv.config_file = args[++i];
    } else if (a.starts_with("--config=")) {
      inv.config_file = a.substr(9);
    } else if (a == "--json") {
      inv.req.json = true;
    } else if (a == "--generate") {
      inv.generate = true;
    } else {
      inv.req.args.push_back(a);
    }
  }
  return inv;
}

// `user add` and `user passwd` take the password as one line on stdin, unless --generate or
// a terminal there asks the command to make one up. False (and said why) for an empty line.
bool read_password(admin_request& req, bool generate) {
  const bool sets_password = req.args.size() == 3 && req.args[0] == "user" && (req.args[1] == "add" || req.args[1] == "passwd");
  if (!sets_password || generate || ::isatty(STDIN_FILENO)) return true;
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    std::cerr << "chatnode admin: an empty password on stdin (use --generate for a random one)\n";
    return false;
  }
  req.password = line;
  return true;
}

int print_reply(const admin_reply& r) {
  (r.exit == admin_ok ? std::cout : std::cerr) << r.output;
  return r.exit;
}

// No node answers: run the command here, on the data dir, holding it as the node would.
int run_admin_offline(const config& cfg, const admin_request& req) {
  std::optional<store::serve_lock> lock;
  try {
    lock.emplace(cfg.data_dir);
  } catch (const std::exception& e) {
    std::cerr << "chatnode admin: the node seems to run but does not answer on " << cfg.admin_socket.string()
              << " (" << e.what() << ")\n";
    return admin_failed;
  }
  log_level level{};
  parse_log_level(cfg.log_level, level);
  set_log_level(level == log_level::debug ? level : log_level::warn);  // the command's own output is enough
  store::options so;
  so.dir = cfg.data_dir;
  so.map_size = cfg.store_map_size_mb << 20;
  so.max_map_size = cfg.store_max_map_size_mb << 20;
  store::database db(so);
  store::writer writer(db);
  registry online;
  router route(cfg, db, writer, online, [](std::function<void()> fn) { fn(); });
  admin_commands commands(route, db, writer, online, std::nullopt);
  const int exit = print_reply(commands.run(req));
  writer.stop();
  return exit;
}

// `chatnode admin`: to the running node over its admin socket, or on the data dir when the
// node is stopped (user commands only).
int cmd_admin(const std::vector<std::string>& args) {
  admin_invocation inv = parse_admin_args(args);
  if (inv.help) {
    std::cout << admin_usage_text;
    return 0;
  }
  if (inv.config_file.empty() || inv.req.args.empty()) {
    std::cerr << admin_usage_text;
    return admin_usage;
  }
  const config cfg = load_config(inv.config_file);
  if (!read_password(inv.req, inv.generate)) return admin_usage;
  if (auto r = admin_call(cfg.admin_socket, inv.req)) return print_reply(*r);
  return run_admin_offline(cfg, inv.req);
}

// Parses `args` into `vm`; true when --help was asked for (and printed).
bool parse_args(const std::vector<std::string>& args, const po::options_description& desc,
                po::variables_map& vm, const po::positional_options_description* positional = nullptr) {
  auto parser = po::command_line_parser(args).options(desc);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return true;
  }
  po::notify(vm);
  return false;
}

// backup / restore (docs/operations.md "Backup and restore").
int cmd_backup_restore(const std::string& command, const std::vector<std::string>& args) {
  const bool backup = command == "backup";
  po::options_description desc(backup ? "chatnode backup --config FILE DEST\n"
                                        "Writes a consistent, compacted copy of the node's data dir into the new\n"
                                        "directory DEST (mode 0700, data.mdb 0600), also while the node runs."
                                      : "chatnode restore --config FILE SRC\n"
                                        "Replaces the data of a stopped node with the backup in SRC. Everything the\n"
                                        "node stored after the backup is lost (docs/operations.md says what exactly).");
  std::string file, path;
  desc.add_options()
      ("help,h", "show this help")
      ("config,c", po::value(&file)->required(), "the node's config file")
      ("path", po::value(&path)->required(), backup ? "the directory to make" : "the backup directory");
  po::positional_options_description positional;
  positional.add("path", 1);
  po::variables_map vm;
  if (parse_args(args, desc, vm, &positional)) return 0;
  const config cfg = load_config(file);
  if (backup) {
    chatnode::store::backup(cfg.data_dir, path);
    std::cout << "backed up " << cfg.data_dir.string() << " to " << path << "\n";
  } else {
    chatnode::store::restore(path, cfg.data_dir);
    std::cout << "restored " << cfg.data_dir.string() << " from " << path
              << "; start the node: it federates again at once (new streams)\n";
  }
  return 0;
}

// Exit status: 0 every vector passed (or was skipped), 1 one failed, 2 usage error.
int cmd_audit(const std::vector<std::string>& args) {
  po::options_description desc(
      "chatnode audit --ca CA_FILE --target DOMAIN=HOST:PORT [--target ...] PATH...\n"
      "Runs the vectors under each PATH (files or directories, docs/vectors/README.md);\n"
      "the first --target is node n1 of the vectors, the second n2, ...");
  chatnode::audit::options opts;
  std::vector<std::string> targets, features;
  long timeout_ms = 5000, quiet_ms = 500;
  desc.add_options()
      ("help,h", "show this help")
      ("ca", po::value(&opts.ca_file)->required(), "PEM file the nodes' client certificates chain to")
      ("target", po::value(&targets)->required(), "DOMAIN=HOST:PORT of a node's client port (repeat: n1, n2, ...)")
      ("timeout", po::value(&timeout_ms)->default_value(timeout_ms), "ms to wait for each expected message or close")
      ("quiet", po::value(&quiet_ms)->default_value(quiet_ms), "ms a \"receive_none\" step waits by default")
      ("feature", po::value(&features), "the nodes have this optional feature (vectors' \"requires\"), e.g. registration-closed")
      ("json", po::value(&opts.json_report), "also write a JSON report to this file")
      ("path", po::value(&opts.paths)->required(), "vector files or directories");
  po::positional_options_description positional;
  positional.add("path", -1);
  po::variables_map vm;
  if (parse_args(args, desc, vm, &positional)) return 0;
  for (const auto& t : targets) {
    auto parsed = chatnode::audit::parse_target(t);
    if (!parsed) throw po::error("--target \"" + t + "\": expected DOMAIN=HOST:PORT");
    opts.targets.push_back(std::move(*parsed));
  }
  if (timeout_ms <= 0 || quiet_ms < 0) throw po::error("--timeout must be positive and --quiet not negative");
  opts.timeout = std::chrono::milliseconds(timeout_ms);
  opts.quiet = std::chrono::milliseconds(quiet_ms);
  opts.features.insert(features.begin(), features.end());
  for (const auto& p : opts.paths)
    if (!std::filesystem::exists(p)) throw po::error("no such file or directory: " + p);
  return chatnode::audit::exit_status(chatnode::audit::run(opts, std::cout));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "init") return cmd_init(args);
    if (command == "serve") return cmd_serve(args);
    if (command == "certs") return chatnode::certs::run_command(args, std::cout, std::cerr);
    if (command == "audit") return cmd_audit(args);
    if (command == "backup" || command == "restore") return cmd_backup_restore(command, args);
    if (command == "admin") return cmd_admin(args);
    if (command == "version" || command == "--version") {
      std::cout << "chatnode " << CHATNODE_VERSION << "\n";
      return 0;
    }
    std::cerr << "chatnode: unknown command \"" << command << "\"\n" << usage;
    return 2;
  } catch (const po::error& e) {
    std::cerr << "chatnode " << command << ": " << e.what() << " (see chatnode " << command << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "chatnode " << command << ": " << e.what() << "\n";
    return 1;
  }
}
