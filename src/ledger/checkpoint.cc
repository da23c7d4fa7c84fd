#include "rsf/ledger/checkpoint.h"

#include <charconv>

#include <fmt/format.h>

namespace rsf::ledger {

std::string FormatCheckpointText(const Checkpoint& cp) {
  std::string out = fmt::format("{}\n{}\n{}\n", cp.origin, cp.size, HashBase64(cp.root));
  for (const auto& e : cp.extensions) out += e + "\n";
  return out;
}

Result<Checkpoint> ParseCheckpointText(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return InvalidArgumentError("checkpoint text does not end in a newline");
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) {
    return InvalidArgumentError("checkpoint needs origin, size and root lines, got " +
                                std::to_string(lines.size()) + " lines");
  }
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  if (cp.origin.empty()) return InvalidArgumentError("checkpoint line 1: origin is empty");
  std::string_view size = lines[1];
  if (size.empty() || (size.size() > 1 && size[0] == '0')) {
    return InvalidArgumentError("checkpoint line 2: size must be a decimal without leading zeros");
  }
  auto res = std::from_chars(size.data(), size.data() + size.size(), cp.size);
  if (res.ec != std::errc() || res.ptr != size.data() + size.size()) {
    return InvalidArgumentError("checkpoint line 2: '" + std::string(size) +
                                "' is not a tree size");
  }
  auto root = ParseHashBase64(lines[2]);
  if (!root.ok()) return root.status().WithContext("checkpoint line 3 (root hash)");
  cp.root = *root;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return InvalidArgumentError(fmt::format("checkpoint line {}: empty extension line", i + 1));
    }
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

Result<SignedCheckpoint> SignCheckpoint(const Checkpoint& cp, const NoteSigner& signer) {
  if (cp.origin != signer.name()) {
    return InvalidArgumentError("checkpoint origin '" + cp.origin + "' differs from key name '" +
                                signer.name() + "'");
  }
  RSF_ASSIGN_OR_RETURN(std::string note, SignNote(FormatCheckpointText(cp), signer));
  return SignedCheckpoint{cp, std::move(note)};
}

Result<SignedCheckpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& verifier) {
  RSF_ASSIGN_OR_RETURN(SignedNote parsed, ParseNote(note));
  RSF_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointText(parsed.text));
  if (cp.origin != verifier.name()) {
    return InvalidArgumentError("checkpoint is for log '" + cp.origin +
                                "' but the verifier key is for '" + verifier.name() + "'");
  }
  RSF_RETURN_IF_ERROR(VerifyNote(parsed, verifier).WithContext("checkpoint"));
  return SignedCheckpoint{std::move(cp), std::string(note)};
}

}  // namespace rsf::ledger
