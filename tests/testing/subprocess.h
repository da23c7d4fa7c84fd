// tests/testing/subprocess.h: runs a program and captures its exit code, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace rsf::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal if killed
  std::string out;
  std::string err;
};

// Runs `argv[0]` with `argv` and `stdin_data` on standard input; CI is set so that no
// progress lines are drawn.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "");

}  // namespace rsf::testing
