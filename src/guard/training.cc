#include "rsf/guard/training.h"

#include <map>

#include <fmt/format.h>

#include "rsf/guard/features.h"
#include "rsf/guard/normalize.h"
#include "rsf/guard/taxonomy.h"

namespace rsf::guard {

Result<LinearModel> TrainGuardModel(const std::vector<LabeledText>& texts, const GuardTrainOptions& o) {
  size_t unsafe = 0;
  std::map<std::string, size_t> positives;
  for (const auto& t : texts) {
    unsafe += t.unsafe;
    if (t.unsafe) {
      for (const auto& c : t.categories) ++positives[c];
    }
  }
  if (texts.empty() || unsafe == 0 || unsafe == texts.size()) {
    return InvalidArgumentError(fmt::format(
        "guard training needs both safe and unsafe texts ({} texts, {} unsafe)", texts.size(), unsafe));
  }
  // Heads in taxonomy order, then categories outside the default taxonomy by name.
  std::vector<std::string> heads = {"unsafe"};
  for (const Category& c : DefaultTaxonomy()) {
    if (auto it = positives.find(c.id); it != positives.end() && static_cast<int>(it->second) >= o.min_positives) {
      heads.push_back(c.id);
    }
  }
  if (heads.size() > LinearModel::kMaxHeads) heads.resize(LinearModel::kMaxHeads);
  std::vector<TrainExample> examples;
  examples.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const Normalized n = Normalize(texts[i].text, {.max_bytes = o.max_bytes});
    examples.push_back({ExtractFeatures(n.text, o.features), HeadLabels(texts[i], heads)});
    if (o.progress && (i % 256 == 0 || i + 1 == texts.size())) o.progress(i + 1, texts.size());
  }
  RSF_ASSIGN_OR_RETURN(LinearModel m, TrainLinearModel(examples, heads, o.features, o.train));
  Json pos = Json::object();
  for (const auto& [c, n] : positives) pos[c] = n;
  m.training["texts"] = texts.size();
  m.training["unsafe_texts"] = unsafe;
  m.training["category_positives"] = pos;
  m.training["min_positives"] = o.min_positives;
  m.training["max_bytes"] = o.max_bytes;
  if (!o.data_files.empty()) {
    Json files = Json::array();
    for (const auto& [name, digest] : o.data_files) files.push_back({{"file", name}, {"sha256", digest}});
    m.training["data"] = files;
  }
  return m;
}

}  // namespace rsf::guard
