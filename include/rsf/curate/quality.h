// include/rsf/curate/quality.h
//
// Document quality heuristics from the published pipelines, each with its published default:
//   Gopher quality (Rae et al. 2021): word count, mean word length, symbol-to-word ratio,
//     bullet and ellipsis lines, words with a letter, stop words;
//   Gopher repetition: duplicated lines (by count and by characters), the most frequent
//     2/3/4-gram's share of characters, characters inside duplicated 5..10-grams;
//   C4 (Raffel et al. 2020): "lorem ipsum", curly brackets (off by default: code);
//   FineWeb (Penedo et al. 2024): lines ending in terminal punctuation, short lines.
// Check returns the first rule a document fails, by its name ("gopher.word_count", ...), or
// nothing. Rules can be switched off by name.
//
// Thread safety: a QualityFilter is immutable; Check is safe from many threads.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rsf::curate {

struct QualityRules {
  int min_words = 50, max_words = 100000;
  double min_mean_word_length = 3, max_mean_word_length = 10;
  double max_symbol_word_ratio = 0.1;
  double max_bullet_lines = 0.9, max_ellipsis_lines = 0.3;
  double min_alpha_words = 0.8;
  int min_stop_words = 2;
  double max_dup_lines = 0.3, max_dup_line_chars = 0.2;
  double max_top_ngram[3] = {0.20, 0.18, 0.16};                         // n = 2, 3, 4
  double max_dup_ngram[6] = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};       // n = 5 .. 10
  double min_line_punct = 0.12, max_short_lines = 0.67;
  int short_line_chars = 30;
  std::set<std::string> disabled = {"c4.curly_bracket"};
};

// Every rule's name, in the order Check applies them.
const std::vector<std::string>& QualityRuleNames();

class QualityFilter {
 public:
  explicit QualityFilter(QualityRules rules) : rules_(std::move(rules)) {}
  std::optional<std::string> Check(std::string_view text) const;
  const QualityRules& rules() const { return rules_; }

 private:
  bool On(std::string_view rule) const { return !rules_.disabled.contains(std::string(rule)); }
  QualityRules rules_;
};

}  // namespace rsf::curate
