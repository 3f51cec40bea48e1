// Helpers of the audit tests: `chatnode` subcommands through tests/integration's
// run_chatnode (bounded in time, output captured), and a temp dir.
#pragma once

#include "tests/integration/node_process.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace chatnode::audit::test {

using chatnode::testing::command_result;
using chatnode::testing::run_chatnode;

// A fresh temporary directory, removed by the destructor unless the test failed.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace chatnode::audit::test
