// include/rsf/curate/pii.h
//
// Personal data in text, found by scanners written for the shapes (no regular-expression
// engine): e-mail addresses; phone numbers (10 to 15 digits with separators or a leading
// '+'); IPv4 addresses (four octets up to 255); payment card numbers (13 to 19 digits, spaces
// or dashes allowed, valid Luhn check digit); national identifiers (US SSN ddd-dd-dddd with
// the invalid areas 000, 666 and 9xx excluded; UK National Insurance numbers). Each kind is
// redacted (replaced by "[EMAIL]", "[PHONE]", "[IP]", "[CARD]", "[NATIONAL_ID]"), makes
// the document removed, is only counted, or is not looked for.
//
// Thread safety: a PiiScanner is immutable; Scan is safe from many threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::curate {

enum class PiiKind { kEmail, kPhone, kIp, kCard, kNationalId };
inline constexpr size_t kPiiKinds = 5;
std::string_view PiiKindName(PiiKind k);  // "email", "phone", "ip", "card", "national_id"

enum class PiiAction { kRedact, kRemove, kCount, kOff };
Result<PiiAction> ParsePiiAction(std::string_view s);  // redact | remove | count | off
std::string_view PiiActionName(PiiAction a);

struct PiiSpan {
  size_t begin, end;
  PiiKind kind;
};

// The Luhn check over the digits of `s` (other characters ignored).
bool LuhnValid(std::string_view s);

struct PiiResult {
  std::array<int64_t, kPiiKinds> found{};  // spans per kind
  bool remove = false;                     // a kind whose action is kRemove was found
  std::string text;                        // redacted text (set only when something was redacted)
  bool redacted = false;
};

class PiiScanner {
 public:
  // Default: redact everything.
  PiiScanner();
  explicit PiiScanner(std::array<PiiAction, kPiiKinds> actions) : actions_(actions) {}

  // The spans, in order, not overlapping.
  std::vector<PiiSpan> Find(std::string_view text) const;
  PiiResult Scan(std::string_view text) const;
  PiiAction action(PiiKind k) const { return actions_[static_cast<size_t>(k)]; }

 private:
  std::array<PiiAction, kPiiKinds> actions_;
};

}  // namespace rsf::curate
