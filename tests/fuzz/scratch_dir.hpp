// A private directory for fuzz targets that need files (LMDB data dirs, config files): on
// /dev/shm when it is writable, where fsync costs nothing, else under $TMPDIR or /tmp.
// Removed when the object goes away.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include <unistd.h>

namespace chatnode::fuzz {

class scratch_dir {
 public:
  scratch_dir() {
    std::string base = "/dev/shm";
    if (::access(base.c_str(), W_OK) != 0) {
      const char* tmp = std::getenv("TMPDIR");
      base = tmp && *tmp ? tmp : "/tmp";
    }
    std::string tmpl = base + "/chatnode-fuzz-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("scratch_dir: mkdtemp in " + base + " failed");
    path_ = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace chatnode::fuzz
