// The audit tests' temp dir.
#include "tests/audit/audit_helpers.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <system_error>

namespace chatnode::audit::test {

namespace fs = std::filesystem;

temp_dir::temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "chatnode-audit-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  if (!::testing::Test::HasFailure()) fs::remove_all(path_, ignored);
}

}  // namespace chatnode::audit::test
