#include "rsf/curate/pii.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace rsf::curate {
namespace {

bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Alnum(char c) { return Digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }
bool LocalChar(char c) { return Alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool DomainChar(char c) { return Alnum(c) || c == '.' || c == '-'; }

const char* kTags[kPiiKinds] = {"[EMAIL]", "[PHONE]", "[IP]", "[CARD]", "[NATIONAL_ID]"};

// An e-mail address around the '@' at `at`: [begin, end), or false.
bool EmailAt(std::string_view t, size_t at, size_t* begin, size_t* end) {
  size_t b = at;
  while (b > 0 && LocalChar(t[b - 1])) --b;
  while (b < at && !Alnum(t[b])) ++b;  // no leading dot or dash
  if (b == at) return false;
  size_t e = at + 1;
  while (e < t.size() && DomainChar(t[e])) ++e;
  while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) --e;  // trailing punctuation
  const std::string_view domain = t.substr(at + 1, e - at - 1);
  const size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const std::string_view tld = domain.substr(dot + 1);
  if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
    return false;
  }
  *begin = b;
  *end = e;
  return true;
}

bool Ipv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = i;
    int v = 0;
    while (j < s.size() && Digit(s[j]) && j - i < 3) v = v * 10 + (s[j++] - '0');
    if (j == i || v > 255 || (j - i > 1 && s[i] == '0')) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

bool Ssn(std::string_view s) {
  if (s.size() != 11 || s[3] != '-' || s[6] != '-') return false;
  for (size_t i : {0, 1, 2, 4, 5, 7, 8, 9, 10}) {
    if (!Digit(s[i])) return false;
  }
  const std::string_view area = s.substr(0, 3), group = s.substr(4, 2), serial = s.substr(7, 4);
  return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000";
}

// UK National Insurance number: two letters, six digits, A-D (spaces allowed between pairs).
bool NinoAt(std::string_view t, size_t b, size_t* end) {
  std::string compact;
  size_t i = b;
  while (i < t.size() && compact.size() < 9) {
    const char c = t[i];
    if (c == ' ' && compact.size() >= 2 && compact.size() % 2 == 0 && compact.size() <= 8) {
      ++i;
      continue;
    }
    if (!Alnum(c)) break;
    compact += c;
    ++i;
  }
  if (compact.size() != 9) return false;
  auto up = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (!up(compact[0]) || !up(compact[1]) || compact[8] < 'A' || compact[8] > 'D') return false;
  for (size_t k = 2; k < 8; ++k) {
    if (!Digit(compact[k])) return false;
  }
  static constexpr std::string_view kBadFirst = "DFIQUV", kBadSecond = "DFIOQUV";
  if (kBadFirst.find(compact[0]) != std::string_view::npos || kBadSecond.find(compact[1]) != std::string_view::npos) return false;
  if (i < t.size() && Alnum(t[i])) return false;
  *end = i;
  return true;
}

// Digit groups as phone numbers write them: none longer than 4 digits, except that an
// unseparated tail may hold the whole subscriber number (up to 8), and at least three groups
// when dots separate them (so decimals and version numbers are not phones).
bool PhoneGroups(std::string_view run) {
  int groups = 0;
  size_t longest = 0, len = 0;
  for (char c : run) {
    if (Digit(c)) {
      ++len;
      continue;
    }
    if (len > 0) {
      ++groups;
      longest = std::max(longest, len);
    }
    len = 0;
  }
  if (len > 0) {
    ++groups;
    if (len > 8) return false;
  }
  const bool dotted = run.find('.') != std::string_view::npos;
  return longest <= 4 && groups >= (dotted ? 3 : 2);
}

}  // namespace

std::string_view PiiKindName(PiiKind k) {
  static const char* kNames[kPiiKinds] = {"email", "phone", "ip", "card", "national_id"};
  return kNames[static_cast<size_t>(k)];
}

Result<PiiAction> ParsePiiAction(std::string_view s) {
  if (s == "redact") return PiiAction::kRedact;
  if (s == "remove") return PiiAction::kRemove;
  if (s == "count") return PiiAction::kCount;
  if (s == "off") return PiiAction::kOff;
  return InvalidArgumentError(fmt::format("expected redact, remove, count or off, not '{}'", s));
}

std::string_view PiiActionName(PiiAction a) {
  switch (a) {
    case PiiAction::kRedact: return "redact";
    case PiiAction::kRemove: return "remove";
    case PiiAction::kCount: return "count";
    case PiiAction::kOff: return "off";
  }
  return "off";
}

bool LuhnValid(std::string_view s) {
  int sum = 0, n = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (!Digit(s[i])) continue;
    int d = s[i] - '0';
    if (n++ % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return n > 0 && sum % 10 == 0;
}

PiiScanner::PiiScanner() { actions_.fill(PiiAction::kRedact); }

std::vector<PiiSpan> PiiScanner::Find(std::string_view t) const {
  std::vector<PiiSpan> out;
  auto on = [&](PiiKind k) { return action(k) != PiiAction::kOff; };
  // Characters that can start (or, for '@', anchor) a match; everything else is skipped.
  static const auto kTrigger = [] {
    std::array<bool, 256> a{};
    for (int c = '0'; c <= '9'; ++c) a[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) a[c] = true;
    a['@'] = a['+'] = a['('] = true;
    return a;
  }();
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && !kTrigger[static_cast<unsigned char>(t[i])]) ++i;
    if (i >= t.size()) break;
    const char c = t[i];
    if (c == '@' && on(PiiKind::kEmail)) {
      size_t b, e;
      if (EmailAt(t, i, &b, &e)) {
        while (!out.empty() && out.back().end > b) out.pop_back();  // a number inside the local part
        out.push_back({b, e, PiiKind::kEmail});
        i = e;
        continue;
      }
    }
    const bool boundary = i == 0 || !Alnum(t[i - 1]);
    if (boundary && (c >= 'A' && c <= 'Z') && i + 1 < t.size() && t[i + 1] >= 'A' && t[i + 1] <= 'Z' &&
        on(PiiKind::kNationalId)) {
      size_t e;
      if (NinoAt(t, i, &e)) {
        out.push_back({i, e, PiiKind::kNationalId});
        i = e;
        continue;
      }
    }
    if (boundary && (Digit(c) || ((c == '+' || c == '(') && i + 1 < t.size() && Digit(t[i + 1])))) {
      // A number-like run: digits with single separators between them.
      size_t e = i + 1, digits = Digit(c) ? 1 : 0;
      bool separated = c == '+' || c == '(';
      while (e < t.size()) {
        if (Digit(t[e])) {
          ++digits;
          ++e;
        } else {
          // Up to two separators (" (", ") ", "-", ".") between digits.
          size_t k = e;
          while (k < t.size() && k - e < 2 && (t[k] == ' ' || t[k] == '-' || t[k] == '.' || t[k] == '(' || t[k] == ')')) ++k;
          if (k == e || k >= t.size() || !Digit(t[k])) break;
          separated = true;
          e = k;
        }
      }
      if (e < t.size() && Alnum(t[e])) {  // part of a word: not a number on its own
        i = e;
        continue;
      }
      const std::string_view run = t.substr(i, e - i);
      const bool only_digits_spaces_dashes =
          std::all_of(run.begin(), run.end(), [](char x) { return Digit(x) || x == ' ' || x == '-'; });
      if (on(PiiKind::kIp) && Ipv4(run)) {
        out.push_back({i, e, PiiKind::kIp});
      } else if (on(PiiKind::kNationalId) && Ssn(run)) {
        out.push_back({i, e, PiiKind::kNationalId});
      } else if (on(PiiKind::kCard) && only_digits_spaces_dashes && digits >= 13 && digits <= 19 && LuhnValid(run)) {
        out.push_back({i, e, PiiKind::kCard});
      } else if (on(PiiKind::kPhone) && digits >= 10 && digits <= 15 && separated && PhoneGroups(run)) {
        out.push_back({i, e, PiiKind::kPhone});
      }
      i = e;
      continue;
    }
    ++i;
  }
  return out;
}

PiiResult PiiScanner::Scan(std::string_view t) const {
  PiiResult r;
  const std::vector<PiiSpan> spans = Find(t);
  size_t at = 0;
  for (const PiiSpan& s : spans) {
    ++r.found[static_cast<size_t>(s.kind)];
    const PiiAction a = action(s.kind);
    if (a == PiiAction::kRemove) r.remove = true;
    if (a != PiiAction::kRedact) continue;
    if (!r.redacted) r.text.reserve(t.size());
    r.redacted = true;
    r.text.append(t.substr(at, s.begin - at));
    r.text.append(kTags[static_cast<size_t>(s.kind)]);
    at = s.end;
  }
  if (r.redacted) r.text.append(t.substr(at));
  return r;
}

}  // namespace rsf::curate
