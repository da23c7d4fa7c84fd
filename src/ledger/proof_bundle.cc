#include "rsf/ledger/proof_bundle.h"

#include <charconv>

#include <fmt/format.h>

#include "rsf/common/encoding.h"
#include "rsf/ledger/proof.h"

namespace rsf::ledger {
namespace {

constexpr std::string_view kProofHeader = "c2sp.org/tlog-proof@v1";
constexpr size_t kMaxConsistencyLines = 63;

// Splits off lines until the first empty line; the rest is the checkpoint.
struct Sections {
  std::vector<std::string_view> lines;
  std::string_view checkpoint;
};

Result<Sections> SplitSections(std::string_view text, std::string_view what) {
  Sections s;
  while (true) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return InvalidArgumentError(std::string(what) + ": missing the empty line before the checkpoint");
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.empty()) break;
    s.lines.push_back(line);
  }
  if (text.empty()) return InvalidArgumentError(std::string(what) + ": the checkpoint is missing");
  s.checkpoint = text;
  return s;
}

Result<uint64_t> ParseDecimal(std::string_view s, std::string_view what) {
  uint64_t v = 0;
  if (s.empty() || (s.size() > 1 && s[0] == '0')) {
    return InvalidArgumentError(std::string(what) + ": '" + std::string(s) +
                                "' is not a decimal without leading zeros");
  }
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    return InvalidArgumentError(std::string(what) + ": '" + std::string(s) + "' is not a number");
  }
  return v;
}

Result<std::vector<Hash>> ParseHashLines(std::span<const std::string_view> lines, size_t first_line,
                                         std::string_view what) {
  std::vector<Hash> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto h = ParseHashBase64(lines[i]);
    if (!h.ok()) {
      return InvalidArgumentError(fmt::format("{}: line {}: {}", what, first_line + i,
                                              h.status().message()));
    }
    out.push_back(*h);
  }
  return out;
}

}  // namespace

std::string FormatInclusionBundle(const InclusionBundle& b) {
  std::string out(kProofHeader);
  out += "\nextra " + Base64Encode(AsBytes(b.entry)) + "\n";
  out += fmt::format("index {}\n", b.index);
  for (const auto& h : b.path) out += HashBase64(h) + "\n";
  out += "\n";
  out += b.checkpoint;
  return out;
}

Result<InclusionBundle> ParseInclusionBundle(std::string_view text) {
  constexpr std::string_view kWhat = "proof file";
  if (text.substr(0, kProofHeader.size() + 1) != std::string(kProofHeader) + "\n") {
    return InvalidArgumentError("proof file: line 1 must be '" + std::string(kProofHeader) + "'");
  }
  RSF_ASSIGN_OR_RETURN(Sections s, SplitSections(text, kWhat));
  if (s.lines.empty() || s.lines[0] != kProofHeader) {
    return InvalidArgumentError("proof file: line 1 must be '" + std::string(kProofHeader) + "'");
  }
  InclusionBundle b;
  size_t i = 1;
  if (i < s.lines.size() && s.lines[i].substr(0, 6) == "extra ") {
    auto extra = Base64Decode(s.lines[i].substr(6));
    if (!extra.ok()) return extra.status().WithContext("proof file: line 2 (extra)");
    b.entry.assign(extra->begin(), extra->end());
    ++i;
  } else {
    return InvalidArgumentError("proof file: line 2 must carry the entry as 'extra <base64>'");
  }
  if (i >= s.lines.size() || s.lines[i].substr(0, 6) != "index ") {
    return InvalidArgumentError(fmt::format("proof file: line {} must be 'index <n>'", i + 1));
  }
  RSF_ASSIGN_OR_RETURN(b.index, ParseDecimal(s.lines[i].substr(6), fmt::format("proof file: line {}", i + 1)));
  ++i;
  RSF_ASSIGN_OR_RETURN(b.path, ParseHashLines(std::span(s.lines).subspan(i), i + 1, kWhat));
  if (b.path.size() > 64) return InvalidArgumentError("proof file: more than 64 path hashes");
  b.checkpoint = std::string(s.checkpoint);
  return b;
}

Result<VerifiedInclusion> VerifyInclusionBundle(const InclusionBundle& b,
                                                const NoteVerifier& verifier) {
  RSF_ASSIGN_OR_RETURN(SignedCheckpoint cp, OpenCheckpoint(b.checkpoint, verifier));
  if (b.index >= cp.checkpoint.size) {
    return InvalidArgumentError(fmt::format("proof names entry {} but the checkpoint covers {} entries",
                                            b.index, cp.checkpoint.size));
  }
  VerifiedInclusion out;
  out.leaf_hash = LeafHash(b.entry);
  RSF_RETURN_IF_ERROR(VerifyInclusion(b.index, cp.checkpoint.size, out.leaf_hash, b.path,
                                      cp.checkpoint.root));
  auto entry = DecodeEntry(b.entry);
  if (!entry.ok()) return DataLossError("the included entry is not a valid rsf entry: " + entry.status().message());
  out.entry = std::move(*entry);
  out.index = b.index;
  out.checkpoint = std::move(cp.checkpoint);
  return out;
}

std::string FormatConsistencyBundle(const ConsistencyBundle& b) {
  std::string out = fmt::format("old {}\n", b.old_size);
  for (const auto& h : b.proof) out += HashBase64(h) + "\n";
  out += "\n";
  out += b.checkpoint;
  return out;
}

Result<ConsistencyBundle> ParseConsistencyBundle(std::string_view text) {
  constexpr std::string_view kWhat = "consistency file";
  if (text.substr(0, 4) != "old ") {
    return InvalidArgumentError("consistency file: line 1 must be 'old <size>'");
  }
  RSF_ASSIGN_OR_RETURN(Sections s, SplitSections(text, kWhat));
  if (s.lines.empty() || s.lines[0].substr(0, 4) != "old ") {
    return InvalidArgumentError("consistency file: line 1 must be 'old <size>'");
  }
  ConsistencyBundle b;
  RSF_ASSIGN_OR_RETURN(b.old_size, ParseDecimal(s.lines[0].substr(4), "consistency file: line 1"));
  if (s.lines.size() - 1 > kMaxConsistencyLines) {
    return InvalidArgumentError("consistency file: more than 63 proof lines");
  }
  RSF_ASSIGN_OR_RETURN(b.proof, ParseHashLines(std::span(s.lines).subspan(1), 2, kWhat));
  b.checkpoint = std::string(s.checkpoint);
  return b;
}

Result<Checkpoint> VerifyConsistencyBundle(const ConsistencyBundle& b,
                                           std::string_view old_checkpoint,
                                           const NoteVerifier& verifier) {
  auto old_cp = OpenCheckpoint(old_checkpoint, verifier);
  if (!old_cp.ok()) return old_cp.status().WithContext("old checkpoint");
  auto new_cp = OpenCheckpoint(b.checkpoint, verifier);
  if (!new_cp.ok()) return new_cp.status().WithContext("new checkpoint");
  if (old_cp->checkpoint.size != b.old_size) {
    return InvalidArgumentError(fmt::format("consistency proof starts at size {} but the old checkpoint has size {}",
                                            b.old_size, old_cp->checkpoint.size));
  }
  if (b.old_size == 0) {
    if (!b.proof.empty()) return DataLossError("consistency proof from size 0 must be empty");
    if (old_cp->checkpoint.root != EmptyRoot()) return DataLossError("size-0 checkpoint has a non-empty root");
    return new_cp->checkpoint;
  }
  RSF_RETURN_IF_ERROR(VerifyConsistency(b.old_size, new_cp->checkpoint.size, b.proof,
                                        old_cp->checkpoint.root, new_cp->checkpoint.root));
  return new_cp->checkpoint;
}

}  // namespace rsf::ledger
