// rsf: thin entry point. Builds the process's Env and Clock and hands over to src/cli.
#include <exception>
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  rsf::cli::CliContext ctx{rsf::Env::Default(), rsf::SystemClock::Default(), std::cout,
                           std::cerr, rsf::OkStatus(), false};
  try {
    return rsf::cli::RunCli(argc, argv, ctx);
  } catch (const std::exception& e) {
    std::cerr << "rsf: internal error: " << e.what() << "\n";
    return rsf::cli::kExitInternal;
  }
}
