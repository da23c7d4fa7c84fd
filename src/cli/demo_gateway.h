// src/cli/demo_gateway.h — the gateway step of `rsf demo` (demo_gateway.cc).
#pragma once

#include <string>

#include "cli.h"
#include "rsf/ledger/ledger.h"
#include "rsf/policy/assess.h"

namespace rsf::cli {

// Signs the demo's assessment as a decision (two generated officers' keys, added to a copy of
// the policy), serves the reference model under it with rsfd's filter chain on 127.0.0.1,
// sends requests from each tier and prints how each was treated; audit and admin actions go
// to `lg`. Then, with the gateway in drill mode, runs the shipped drill scenarios against it
// and leaves their printed results in `drills` (the demo's last section). Files go to
// <dir>/gateway/.
Status DemoGateway(CliContext& ctx, const std::string& dir, ledger::Ledger& lg, std::string_view policy_yaml,
                   const policy::Assessment& as, const std::string& assessment_json, std::string& drills);

}  // namespace rsf::cli
