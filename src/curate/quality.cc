#include "rsf/curate/quality.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <vector>

#include <xxhash.h>

namespace rsf::curate {
namespace {

struct Word {
  size_t begin, len;
  uint64_t hash;
};

bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive (ASCII) search for a lower-case needle.
bool ContainsFolded(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (LowerAscii(hay[i]) != needle[0]) continue;
    size_t k = 1;
    while (k < needle.size() && LowerAscii(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

bool IsStopWord(std::string_view w) {
  if (w.size() < 2 || w.size() > 4) return false;
  char b[4];
  for (size_t i = 0; i < w.size(); ++i) b[i] = LowerAscii(w[i]);
  const std::string_view l(b, w.size());
  return l == "the" || l == "be" || l == "to" || l == "of" || l == "and" || l == "that" || l == "have" || l == "with";
}

// An open-addressing hash table of 64-bit keys with two counters, emptied in O(1) by
// advancing a stamp; one per thread, reused across documents (no allocation per n-gram).
class FlatTable {
 public:
  struct Slot {
    uint64_t key = 0;
    uint32_t stamp = 0;
    uint32_t count = 0;
    uint64_t value = 0;
  };
  void Reset(size_t n) {
    size_t cap = 64;
    while (cap < 2 * n) cap <<= 1;
    if (slots_.size() < cap) {
      slots_.assign(cap, Slot{});
      stamp_ = 0;
    }
    if (++stamp_ == 0) {
      std::fill(slots_.begin(), slots_.end(), Slot{});
      stamp_ = 1;
    }
    mask_ = cap - 1;  // use only what this document needs: fewer cache misses
  }
  // The slot for `key`; `fresh` says whether it was empty.
  Slot& Find(uint64_t key, bool* fresh) {
    for (size_t i = (key * 0x9E3779B97F4A7C15ull) >> 40 & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.stamp != stamp_) {
        s = Slot{key, stamp_, 0, 0};
        *fresh = true;
        return s;
      }
      if (s.key == key) {
        *fresh = false;
        return s;
      }
    }
  }

 private:
  std::vector<Slot> slots_;
  uint32_t stamp_ = 0;
  size_t mask_ = 0;
};

// Hashes and character counts of every run of g words, rolled along the text: a polynomial
// in the words' own hashes (odd multiplier, arithmetic mod 2^64), O(1) per position.
class NgramRoller {
 public:
  NgramRoller(const std::vector<Word>& w, size_t g) : w_(w), g_(g) {
    constexpr uint64_t kP = 0x100000001B3ull;
    top_ = 1;
    for (size_t k = 1; k < g; ++k) top_ *= kP;
    for (size_t k = 0; k < g && k < w.size(); ++k) {
      hash_ = hash_ * kP + w[k].hash;
      chars_ += w[k].len;
    }
  }
  uint64_t hash() const { return hash_ ^ (g_ * 0x9E3779B97F4A7C15ull); }
  size_t chars() const { return chars_; }
  // Moves from position i to i + 1. REQUIRES: i + g < words.
  void Advance(size_t i) {
    constexpr uint64_t kP = 0x100000001B3ull;
    hash_ = (hash_ - w_[i].hash * top_) * kP + w_[i + g_].hash;
    chars_ += w_[i + g_].len - w_[i].len;
  }

 private:
  const std::vector<Word>& w_;
  size_t g_;
  uint64_t top_ = 1, hash_ = 0;
  size_t chars_ = 0;
};

}  // namespace

const std::vector<std::string>& QualityRuleNames() {
  static const std::vector<std::string> kNames = {
      "c4.lorem_ipsum",       "c4.curly_bracket",      "gopher.word_count",    "gopher.mean_word_length",
      "gopher.symbol_ratio",  "gopher.bullet_lines",   "gopher.ellipsis_lines", "gopher.alpha_words",
      "gopher.stop_words",    "gopher.dup_lines",      "gopher.dup_line_chars", "gopher.top_2gram",
      "gopher.top_3gram",     "gopher.top_4gram",      "gopher.dup_5gram",     "gopher.dup_6gram",
      "gopher.dup_7gram",     "gopher.dup_8gram",      "gopher.dup_9gram",     "gopher.dup_10gram",
      "fineweb.line_punct",   "fineweb.short_lines"};
  return kNames;
}

std::optional<std::string> QualityFilter::Check(std::string_view text) const {
  const QualityRules& r = rules_;
  if (On("c4.lorem_ipsum") && ContainsFolded(text, "lorem ipsum")) return "c4.lorem_ipsum";
  if (On("c4.curly_bracket") && text.find('{') != std::string_view::npos) return "c4.curly_bracket";

  // Words (split on white space) and their hashes.
  std::vector<Word> words;
  size_t alpha_words = 0, symbols = 0, word_chars = 0;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && IsSpace(static_cast<unsigned char>(text[i]))) ++i;
    const size_t b = i;
    bool alpha = false;
    while (i < text.size() && !IsSpace(static_cast<unsigned char>(text[i]))) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      alpha = alpha || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
      ++i;
    }
    if (i == b) break;
    const std::string_view w = text.substr(b, i - b);
    words.push_back({b, w.size(), XXH3_64bits(w.data(), w.size())});
    alpha_words += alpha;
    word_chars += w.size();
    if (w == "#" || w.starts_with("#")) ++symbols;
    if (w.find("...") != std::string_view::npos || w.find("\xE2\x80\xA6") != std::string_view::npos) ++symbols;
  }
  const size_t n = words.size();
  if (On("gopher.word_count") && (n < static_cast<size_t>(r.min_words) || n > static_cast<size_t>(r.max_words))) {
    return "gopher.word_count";
  }
  if (n == 0) return std::nullopt;
  const double mean_len = static_cast<double>(word_chars) / static_cast<double>(n);
  if (On("gopher.mean_word_length") && (mean_len < r.min_mean_word_length || mean_len > r.max_mean_word_length)) {
    return "gopher.mean_word_length";
  }
  if (On("gopher.symbol_ratio") && static_cast<double>(symbols) / static_cast<double>(n) > r.max_symbol_word_ratio) {
    return "gopher.symbol_ratio";
  }

  // Lines.
  std::vector<std::string_view> lines;
  for (size_t i = 0; i <= text.size();) {
    size_t e = text.find('\n', i);
    if (e == std::string_view::npos) e = text.size();
    std::string_view line = text.substr(i, e - i);
    while (!line.empty() && IsSpace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    while (!line.empty() && IsSpace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (!line.empty()) lines.push_back(line);
    i = e + 1;
  }
  const double nl = std::max<double>(1, static_cast<double>(lines.size()));
  size_t bullets = 0, ellipsis = 0, punct = 0, short_lines = 0;
  for (std::string_view l : lines) {
    if (l.starts_with("\xE2\x80\xA2") || l.starts_with("-") || l.starts_with("*")) ++bullets;
    if (l.ends_with("...") || l.ends_with("\xE2\x80\xA6")) ++ellipsis;
    const char last = l.back();
    if (last == '.' || last == '!' || last == '?' || last == '"' || last == '\'') ++punct;
    if (l.size() <= static_cast<size_t>(r.short_line_chars)) ++short_lines;
  }
  if (On("gopher.bullet_lines") && static_cast<double>(bullets) / nl > r.max_bullet_lines) return "gopher.bullet_lines";
  if (On("gopher.ellipsis_lines") && static_cast<double>(ellipsis) / nl > r.max_ellipsis_lines) return "gopher.ellipsis_lines";
  if (On("gopher.alpha_words") && static_cast<double>(alpha_words) / static_cast<double>(n) < r.min_alpha_words) {
    return "gopher.alpha_words";
  }
  if (On("gopher.stop_words")) {
    int stops = 0;
    for (const Word& w : words) {
      if (IsStopWord(text.substr(w.begin, w.len)) && ++stops >= r.min_stop_words) break;
    }
    if (stops < r.min_stop_words) return "gopher.stop_words";
  }

  thread_local FlatTable table;
  // Repetition: lines.
  {
    table.Reset(lines.size());
    size_t dup = 0, dup_chars = 0, chars = 0;
    for (std::string_view l : lines) {
      chars += l.size();
      bool fresh;
      FlatTable::Slot& slot = table.Find(XXH3_64bits(l.data(), l.size()), &fresh);
      if (!fresh) {
        ++dup;
        dup_chars += l.size();
      }
      ++slot.count;
    }
    if (On("gopher.dup_lines") && static_cast<double>(dup) / nl > r.max_dup_lines) return "gopher.dup_lines";
    if (On("gopher.dup_line_chars") && chars > 0 && static_cast<double>(dup_chars) / static_cast<double>(chars) > r.max_dup_line_chars) {
      return "gopher.dup_line_chars";
    }
  }
  // Repetition: n-grams, as shares of the words' characters.
  const double total = static_cast<double>(word_chars);
  static const char* kTop[] = {"gopher.top_2gram", "gopher.top_3gram", "gopher.top_4gram"};
  for (size_t g = 2; g <= 4; ++g) {
    if (!On(kTop[g - 2]) || n < g) continue;
    table.Reset(n);
    size_t best = 0;
    NgramRoller roll(words, g);
    for (size_t i = 0; i + g <= n; ++i) {
      if (i > 0) roll.Advance(i - 1);
      bool fresh;
      FlatTable::Slot& c = table.Find(roll.hash(), &fresh);
      if (fresh) c.value = roll.chars();
      if (++c.count > 1) best = std::max(best, static_cast<size_t>(c.count) * c.value);
    }
    if (static_cast<double>(best) / total > r.max_top_ngram[g - 2]) return kTop[g - 2];
  }
  static const char* kDup[] = {"gopher.dup_5gram", "gopher.dup_6gram", "gopher.dup_7gram",
                               "gopher.dup_8gram", "gopher.dup_9gram", "gopher.dup_10gram"};
  thread_local std::vector<char> covered;
  // Every repeated g-gram (g > 5) lies inside repeated 5-grams, so its share of characters is
  // at most the 5-grams' share: when that is within the lowest longer threshold in force,
  // the longer passes cannot fail and are skipped.
  double dup5_share = 1;
  double lowest_longer = 1;
  for (size_t g = 6; g <= 10; ++g) {
    if (On(kDup[g - 5])) lowest_longer = std::min(lowest_longer, r.max_dup_ngram[g - 5]);
  }
  for (size_t g = 5; g <= 10; ++g) {
    if (!On(kDup[g - 5]) || n < g) continue;
    if (g > 5 && dup5_share <= lowest_longer) break;
    table.Reset(n);
    covered.assign(n, 0);
    size_t dup_chars = 0;
    auto cover = [&](size_t at) {
      for (size_t k = 0; k < g; ++k) {
        if (!covered[at + k]) {
          covered[at + k] = 1;
          dup_chars += words[at + k].len;
        }
      }
    };
    NgramRoller roll(words, g);
    for (size_t i = 0; i + g <= n; ++i) {
      if (i > 0) roll.Advance(i - 1);
      bool fresh;
      FlatTable::Slot& first = table.Find(roll.hash(), &fresh);
      if (fresh) {
        first.value = i;
        continue;
      }
      if (first.count++ == 0) cover(first.value);
      cover(i);
    }
    if (static_cast<double>(dup_chars) / total > r.max_dup_ngram[g - 5]) return kDup[g - 5];
    if (g == 5) dup5_share = static_cast<double>(dup_chars) / total;
  }
  if (On("fineweb.line_punct") && static_cast<double>(punct) / nl < r.min_line_punct) return "fineweb.line_punct";
  if (On("fineweb.short_lines") && static_cast<double>(short_lines) / nl > r.max_short_lines) return "fineweb.short_lines";
  return std::nullopt;
}

}  // namespace rsf::curate
