// src/gateway/ledger_inbox.h — rows of the shared ledger's inbox
// (include/rsf/gateway/shared_ledger.h).
//
// Each row is one ledger entry on its way in, as JSON in the store's "ledger.inbox" collection:
//   {"state":"pending","entry":{...},"wait":true}
//   {"state":"claimed","entry":{...},"wait":true,"index":41,"leaf":"<hex>"}
//   {"state":"done","entry":{...},"wait":true,"index":41,"leaf":"<hex>","at_ms":...}
//   {"state":"rejected","entry":...,"error":"...","at_ms":...}
//   {"state":"withdrawn","entry":{...}}
// Keys are "<13-digit wall-clock ms>-<writer instance>-<8-digit sequence>", so rows list in
// roughly the order they were written, and one audit log's rows exactly in its order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/ledger/hash.h"

namespace rsf::gateway::internal {

enum class InboxState { kPending, kClaimed, kDone, kRejected, kWithdrawn };

struct InboxRow {
  InboxState state = InboxState::kPending;
  Json entry;           // rsf::ledger::EntryToJson
  bool wait = false;    // someone waits for the index: keep the row when done
  uint64_t index = 0;   // claimed, done
  ledger::Hash leaf{};  // claimed, done
  std::string error;    // rejected
  int64_t at_ms = 0;    // done, rejected: when (the writer's clock), for clean-up
};

std::string EncodeInboxRow(const InboxRow& row);
// kDataLoss naming `key` when the value is not a row.
Result<InboxRow> DecodeInboxRow(std::string_view value, std::string_view key);

}  // namespace rsf::gateway::internal
