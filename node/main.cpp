// chatnode: `init` a node directory, `serve` a node. A thin shell over the node library.
#include "config.hpp"
#include "init.hpp"
#include "log.hpp"
#include "server.hpp"

#include <boost/program_options.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace po = boost::program_options;
using namespace chatnode::node;

namespace {

constexpr const char* usage =
    "usage: chatnode <command> [options]\n"
    "\n"
    "commands:\n"
    "  init    make a config file, a data dir and a certificate for a domain\n"
    "  serve   run a node\n"
    "  version print the version\n"
    "\n"
    "`chatnode <command> --help` describes a command's options.\n";

int cmd_init(const std::vector<std::string>& args) {
  po::options_description desc("chatnode init --domain D --dir DIR [--ca CA_DIR]");
  init_options opts;
  std::string ca;
  desc.add_options()
      ("help,h", "show this help")
      ("domain", po::value(&opts.domain)->required(), "the domain this node serves (users are name@DOMAIN)")
      ("dir", po::value<std::string>()->required(), "directory for chatnode.json, data/, certs/ (and ca/ for a new dev CA)")
      ("ca", po::value(&ca), "directory with ca.crt and ca.key to sign the node certificate (default: make a dev CA in DIR/ca)")
      ("client-listen", po::value(&opts.client_listen)->default_value(opts.client_listen), "client.listen address")
      ("federation-listen", po::value(&opts.federation_listen)->default_value(opts.federation_listen), "federation.listen address")
      ("force", po::bool_switch(&opts.force), "overwrite an existing chatnode.json (the data dir is kept)");
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
  server srv(std::move(cfg));
  return srv.run(std::cout);
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
