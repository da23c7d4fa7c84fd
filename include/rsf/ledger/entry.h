// include/rsf/ledger/entry.h
//
// A ledger entry: what one step of the rsf chain did, as RFC 8785 canonical JSON of at most
// 65,535 bytes (the tlog-tiles limit):
//
//   {"body":<any JSON>,"refs":["<hex leaf hash>",...],"subject":"...","time":"...","type":"..."}
//
// or, for large or hazardous content, "body_digest":"sha256:<hex>" in place of "body"
// (selective disclosure: the content is shown to an auditor later and checked against the
// digest with CheckDisclosure()). Exactly one of body and body_digest is present; no other
// members are allowed. See docs/formats/ledger.md.
//
// Thread safety: values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/ledger/hash.h"

namespace rsf::ledger {

struct Entry {
  std::string type;     // [a-z0-9][a-z0-9._-]*, at most 64 characters, e.g. "eval.result"
  std::string time;     // RFC 3339 UTC, e.g. "2026-11-22T08:16:00.123Z"
  std::string subject;  // what the entry is about, 1–1024 bytes, e.g. "model:sha256:ab12..."
  std::vector<Hash> refs;            // leaf hashes of the entries this one depends on
  std::optional<Json> body;          // the content itself, or
  std::optional<Hash> body_digest;   // SHA-256 of content kept elsewhere
};

// Canonical bytes of `entry`. kInvalidArgument names the field that is wrong, or says how
// far over 65,535 bytes the entry is.
Result<std::string> EncodeEntry(const Entry& entry);

// Builds an Entry from parsed JSON; `where` prefixes errors ("entries.jsonl:3").
Result<Entry> EntryFromJson(const Json& json, std::string_view where);

// Parses stored entry bytes and checks they are exactly the canonical encoding.
// kInvalidArgument if they are not.
Result<Entry> DecodeEntry(std::string_view bytes);

Json EntryToJson(const Entry& entry);

// kOk if SHA-256(content) equals entry.body_digest; kDataLoss if not; kFailedPrecondition if
// the entry carries its body rather than a digest.
Status CheckDisclosure(const Entry& entry, std::string_view content);

}  // namespace rsf::ledger
