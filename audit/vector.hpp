// A vector file of docs/vectors/ as the runner sees it: its kind, and for protocol vectors
// the actors (users on named nodes) and the steps (docs/vectors/README.md §2–§5).
#pragma once

#include <boost/json/array.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace chatnode::audit {

struct actor_spec {
  std::string name;         // symbolic, as the steps say it: "alice"
  std::string node;         // "n1", "n2", …
  std::string user;         // the user this actor logs in as (itself unless "as" says otherwise)
  bool registered = true;   // the runner registers the user before the first step
};

struct vector_file {
  std::filesystem::path file;
  std::string name;
  std::string kind;                  // "protocol", "wire" or "crypto"
  std::vector<std::string> requires_;  // features the node must have (README §2)
  std::vector<actor_spec> actors;
  boost::json::array steps;
  int nodes_needed = 0;              // highest node number any actor is on
};

// Reads and checks one file; throws vector_error (pattern.hpp) when it is not a valid vector.
vector_file load_vector(const std::filesystem::path& file);

// Every *.json file under the given files and directories (recursively), in path order.
// Throws std::runtime_error for a path that does not exist.
std::vector<std::filesystem::path> collect_files(const std::vector<std::string>& paths);

}  // namespace chatnode::audit
