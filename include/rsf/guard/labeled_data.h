// include/rsf/guard/labeled_data.h
//
// Labelled texts for training and evaluating the guard: JSON Lines, one object per line,
//   {"id": "...", "text": "...", "label": "safe" | "unsafe", "categories": ["hate", ...],
//    "source": "..."}
// ("id", "categories" and "source" optional). Categories are mapped to taxonomy ids with
// MapDatasetCategory(); names that carry no harm type are kept in `raw_categories` only.
//
// Errors name the file, the line and the field (kInvalidArgument); blank lines are skipped.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::guard {

struct LabeledText {
  std::string id;
  std::string text;
  bool unsafe = false;
  std::vector<std::string> categories;      // taxonomy ids, sorted, unique
  std::vector<std::string> raw_categories;  // as written in the file
  std::string source;
  int line = 0;
};

Result<std::vector<LabeledText>> ParseLabeledJsonl(std::string_view content, std::string_view path);

// Per-head training labels for `heads` ("unsafe" first, then taxonomy ids): safe texts are
// negatives for every head; an unsafe text is a positive for the categories it names and a
// negative for the others, or unknown (-1) for every category head when it names none.
std::vector<int8_t> HeadLabels(const LabeledText& t, const std::vector<std::string>& heads);

}  // namespace rsf::guard
