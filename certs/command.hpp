// `chatnode certs`: a federation CA, node certificates and SPKI pins from the command line
// (docs/federation.md walks through it). node/main.cpp hands it everything after `certs`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace chatnode::certs {

// Runs `chatnode certs ARGS…`: results and --help on `out`, errors on `err` as
// "chatnode certs: REASON". Returns the exit status: 0 done, 1 failed, 2 usage.
int run_command(std::vector<std::string> args, std::ostream& out, std::ostream& err);

}  // namespace chatnode::certs
