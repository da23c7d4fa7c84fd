// tests/testing/rsf_cli.h — running the built `rsf` binary in command-line tests. The test
// target defines RSF_BINARY (its path).
#pragma once

#include <string>
#include <vector>

#include "testing/subprocess.h"

namespace rsf::testing {

inline ProcessResult Rsf(std::vector<std::string> args, const std::string& stdin_data = "") {
  args.insert(args.begin(), RSF_BINARY);
  return RunProcess(args, stdin_data);
}

// Exit code and both streams, for assertion messages.
inline std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

}  // namespace rsf::testing
