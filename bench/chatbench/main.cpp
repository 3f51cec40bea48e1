// chatbench: load scenarios against a chatnode (or the echo server), spawned or running.
#include "process.hpp"
#include "scenarios.hpp"

#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace chatbench;

namespace {

constexpr const char* usage =
    "usage: chatbench SCENARIO [options]\n"
    "scenarios: relay, fanout, login, idle, media, echo, federation\n"
    "  relay  --pairs N [--rate MSGS_PER_S] [--window W]   pairs of friends texting each other\n"
    "         [--storm S]                                   … while S login attempts at a time hammer the node\n"
    "  fanout --members G --senders S                       one group, S members texting it\n"
    "  login  --connections C                               new TLS connections + LOGIN, C at a time\n"
    "  idle   --connections C                               C logged-in idle connections: node RSS\n"
    "  media  --size BYTES                                  uploads to an online friend who downloads\n"
    "  echo   --pairs N [--rate R]                          relay's load against chatbench_echo (the ceiling)\n"
    "  federation --pairs N [--rate R]                      relay's load, each pair's users on two federated nodes\n"
    "target: --spawn (a fresh node, two federated nodes, or the echo server) or --target HOST:PORT --ca FILE\n"
    "        --server-name NAME [--node-pid PID] (federation: also --peer-target HOST:PORT --peer-server-name NAME\n"
    "        [--peer-pid PID]; a node's server name must be its domain)\n";

// chatnode / chatbench_echo: given, else next to this executable, else the build tree's node/.
fs::path sibling(const std::string& given, const std::string& name) {
  if (!given.empty()) return given;
  const fs::path self = fs::read_symlink("/proc/self/exe").parent_path();
  for (const auto& p : {self / name, self.parent_path() / "node" / name}) {
    if (fs::exists(p)) return p;
  }
  throw std::runtime_error("cannot find " + name + " next to chatbench; pass its path");
}

std::string random_tag() {
  std::mt19937_64 rng(std::random_device{}());
  const char* digits = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string tag = "b";
  for (int i = 0; i < 5; ++i) tag += digits[rng() % 36];
  return tag + "-";
}

}  // namespace

int main(int argc, char** argv) {
  bench_options o;
  std::string scenario, target, peer_target, chatnode, echo_bin, json_file;
  double duration = 20;
  bool spawn = false;
  po::options_description desc("options");
  desc.add_options()
      ("help,h", "show this help")
      ("scenario", po::value(&scenario), "relay | fanout | login | idle | media | echo")
      ("spawn", po::bool_switch(&spawn), "start a node (or, for echo, the echo server) in a temp dir")
      ("chatnode", po::value(&chatnode), "the chatnode binary for --spawn (default: next to chatbench)")
      ("echo-server", po::value(&echo_bin), "the chatbench_echo binary (default: next to chatbench)")
      ("target", po::value(&target), "HOST:PORT of a running node or echo server")
      ("ca", po::value(&o.ca_file), "CA file the target's certificate chains to")
      ("server-name", po::value(&o.target.server_name)->default_value("localhost"), "name on the target's certificate")
      ("node-pid", po::value(&o.pid), "pid of the target, for its CPU time and RSS")
      ("peer-target", po::value(&peer_target), "federation: HOST:PORT of the second node")
      ("peer-server-name", po::value(&o.peer_target.server_name), "federation: the second node's domain (on its certificate)")
      ("peer-pid", po::value(&o.peer_pid), "federation: pid of the second node")
      ("duration", po::value(&duration)->default_value(duration), "seconds of measured load")
      ("threads", po::value(&o.threads)->default_value(o.threads), "chatbench I/O threads")
      ("json", po::value(&json_file), "also write the report as JSON to FILE")
      ("pairs", po::value(&o.pairs)->default_value(o.pairs), "relay/echo: pairs of users")
      ("rate", po::value(&o.rate)->default_value(0), "relay/echo/fanout: offered messages/s over all senders (0: full speed)")
      ("window", po::value(&o.window)->default_value(o.window), "unacknowledged messages per sender")
      ("storm", po::value(&o.storm)->default_value(o.storm), "relay: login attempts in flight during the load (0: none)")
      ("members", po::value(&o.members)->default_value(o.members), "fanout: group members")
      ("senders", po::value(&o.senders)->default_value(o.senders), "fanout: members sending")
      ("connections", po::value(&o.connections), "login: attempts in flight (32); idle: connections (10000)")
      ("size", po::value(&o.media_size)->default_value(o.media_size), "media: bytes per upload");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help") || scenario.empty()) {
      std::cout << usage << desc << "\n";
      return scenario.empty() && !vm.count("help") ? 2 : 0;
    }
    const bool echo = scenario == "echo";
    o.duration = std::chrono::duration<double>(duration);
    o.tag = random_tag();
    const auto fd_limit = raise_fd_limit();  // a spawned child inherits it
    std::optional<spawned> child;
    std::vector<spawned> federation;
    auto parse_target = [](const std::string& text) {
      const auto colon = text.rfind(':');
      if (colon == std::string::npos) throw po::error("expected HOST:PORT, got \"" + text + "\"");
      return boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address(text.substr(0, colon)),
                                            static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)))};
    };
    if (scenario == "federation" && spawn) {
      federation = spawned::federation(sibling(chatnode, "chatnode"), 2);
      o.target = {{boost::asio::ip::make_address("127.0.0.1"), federation[0].port()}, federation[0].server_name()};
      o.peer_target = {{boost::asio::ip::make_address("127.0.0.1"), federation[1].port()}, federation[1].server_name()};
      o.ca_file = federation[0].ca_file().string();
      o.pid = federation[0].pid();
      o.peer_pid = federation[1].pid();
    } else if (scenario == "federation") {
      if (target.empty() || peer_target.empty() || o.ca_file.empty())
        throw po::error("federation: give --spawn, or --target, --peer-target, --ca and both server names");
      o.target.address = parse_target(target);
      o.peer_target.address = parse_target(peer_target);
    } else if (spawn) {
      const fs::path node_bin = sibling(chatnode, "chatnode");
      child.emplace(echo ? spawned::echo(node_bin, sibling(echo_bin, "chatbench_echo"), 0) : spawned::node(node_bin));
      o.target.address = {boost::asio::ip::make_address("127.0.0.1"), child->port()};
      o.target.server_name = child->server_name();
      o.ca_file = child->ca_file().string();
      o.pid = child->pid();
    } else {
      const auto colon = target.rfind(':');
      if (colon == std::string::npos || o.ca_file.empty()) throw po::error("give --spawn, or --target HOST:PORT and --ca FILE");
      o.target.address = {boost::asio::ip::make_address(target.substr(0, colon)),
                          static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1)))};
    }
    report r;
    if (scenario == "relay" || echo) r = run_relay(o, echo);
    else if (scenario == "fanout") r = run_fanout(o);
    else if (scenario == "login") r = run_login(o);
    else if (scenario == "idle") r = run_idle(o);
    else if (scenario == "media") r = run_media(o);
    else if (scenario == "federation") r = run_federation(o);
    else throw po::error("unknown scenario \"" + scenario + "\"");
    r.params["fd_limit"] = fd_limit;
    r.params["threads"] = o.threads;
    r.params["spawned"] = spawn;
    r.print(std::cout);
    if (!json_file.empty()) std::ofstream(json_file) << boost::json::serialize(r.to_json()) << "\n";
    return r.failures.empty() ? 0 : 1;
  } catch (const po::error& e) {
    std::cerr << "chatbench: " << e.what() << "\n" << usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "chatbench: " << e.what() << "\n";
    return 1;
  }
}
