// src/gateway/ledger_inbox.cc — inbox rows as JSON (ledger_inbox.h).
#include "gateway/ledger_inbox.h"

#include <fmt/format.h>

#include <array>

namespace rsf::gateway::internal {
namespace {

constexpr std::array<std::string_view, 5> kStateNames = {"pending", "claimed", "done", "rejected",
                                                         "withdrawn"};

}  // namespace

std::string EncodeInboxRow(const InboxRow& row) {
  Json j = {{"state", kStateNames[static_cast<size_t>(row.state)]}, {"entry", row.entry}};
  if (row.wait) j["wait"] = true;
  if (row.state == InboxState::kClaimed || row.state == InboxState::kDone) {
    j["index"] = row.index;
    j["leaf"] = ledger::HashHex(row.leaf);
  }
  if (row.state == InboxState::kRejected) j["error"] = row.error;
  if (row.state == InboxState::kDone || row.state == InboxState::kRejected) j["at_ms"] = row.at_ms;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<InboxRow> DecodeInboxRow(std::string_view value, std::string_view key) {
  auto bad = [&](std::string_view what) {
    return DataLossError(fmt::format("ledger inbox row {}: {}", key, what));
  };
  Json j = Json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains("state") || !j["state"].is_string() || !j.contains("entry")) {
    return bad("not a row (want an object with 'state' and 'entry')");
  }
  InboxRow row;
  const std::string state = j["state"].get<std::string>();
  size_t i = 0;
  while (i < kStateNames.size() && kStateNames[i] != state) ++i;
  if (i == kStateNames.size()) return bad(fmt::format("unknown state '{}'", state));
  row.state = static_cast<InboxState>(i);
  row.entry = std::move(j["entry"]);
  if (j.contains("wait")) {
    if (!j["wait"].is_boolean()) return bad("'wait' must be true or false");
    row.wait = j["wait"].get<bool>();
  }
  if (row.state == InboxState::kClaimed || row.state == InboxState::kDone) {
    if (!j.contains("index") || !j["index"].is_number_unsigned() || !j.contains("leaf") ||
        !j["leaf"].is_string()) {
      return bad("a claimed or done row needs 'index' and 'leaf'");
    }
    row.index = j["index"].get<uint64_t>();
    auto leaf = ledger::ParseHashHex(j["leaf"].get<std::string>());
    if (!leaf.ok()) return bad("'leaf' is not a hex hash");
    row.leaf = *leaf;
  }
  if (j.contains("error") && j["error"].is_string()) row.error = j["error"].get<std::string>();
  if (j.contains("at_ms") && j["at_ms"].is_number_integer()) row.at_ms = j["at_ms"].get<int64_t>();
  return row;
}

}  // namespace rsf::gateway::internal
