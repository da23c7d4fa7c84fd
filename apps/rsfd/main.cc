// rsfd: thin entry point of the gateway daemon. Builds the process's Env and Clock and hands
// over to src/cli (gateway_cmd.cc), which `rsf gateway serve` shares.
#include <exception>
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  rsf::cli::CliContext ctx{rsf::Env::Default(), rsf::SystemClock::Default(), std::cout,
                           std::cerr, rsf::OkStatus(), false};
  try {
    return rsf::cli::RunDaemon(argc, argv, ctx);
  } catch (const std::exception& e) {
    std::cerr << "rsfd: internal error: " << e.what() << "\n";
    return rsf::cli::kExitInternal;
  }
}
