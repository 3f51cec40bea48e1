// Reading docs/vectors/ files in the audit tests (the directory comes from CMake).
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace chatnode::audit::test {

inline std::filesystem::path vector_dir() { return CHATNODE_VECTOR_DIR; }

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Vector files are strict JSON (docs/vectors/README.md §1).
inline boost::json::value read_json(const std::filesystem::path& p) { return boost::json::parse(read_text(p)); }

inline std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

}  // namespace chatnode::audit::test
