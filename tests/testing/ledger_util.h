// tests/testing/ledger_util.h: deterministic ledger entries for tests and benchmarks.
#pragma once

#include <string>

#include "rsf/ledger/entry.h"

namespace rsf::testing {

// Entry number `i`: about 300 bytes of canonical JSON, like a gateway audit record.
inline ledger::Entry MakeTestEntry(uint64_t i) {
  ledger::Entry e;
  e.type = "gateway.request";
  e.time = "2026-11-22T08:16:00.000Z";
  e.subject = "request:" + std::to_string(i);
  e.body = Json{{"key_id", "key_7f3a9c"},
                {"tier", "vetted-researcher"},
                {"model", "frontier-1"},
                {"guard", {{"prompt", "allow"}, {"response", "allow"}}},
                {"prompt_sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
                {"tokens", {{"in", 412}, {"out", 96}}}};
  return e;
}

}  // namespace rsf::testing
