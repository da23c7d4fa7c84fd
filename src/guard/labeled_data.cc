#include "rsf/guard/labeled_data.h"

#include <algorithm>

#include <fmt/format.h>

#include "rsf/common/json.h"
#include "rsf/guard/taxonomy.h"

namespace rsf::guard {

Result<std::vector<LabeledText>> ParseLabeledJsonl(std::string_view content, std::string_view path) {
  std::vector<LabeledText> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) nl = content.size();
    std::string_view line = content.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto where = [&](std::string_view field) { return fmt::format("{}:{}: field '{}'", path, line_no, field); };
    auto parsed = ParseJson(line, fmt::format("{}:{}", path, line_no));
    if (!parsed.ok()) return parsed.status();
    const Json& j = *parsed;
    if (!j.is_object()) return InvalidArgumentError(fmt::format("{}:{}: expected a JSON object", path, line_no));
    LabeledText t;
    t.line = line_no;
    RSF_ASSIGN_OR_RETURN(t.text, RequireString(j, "text", fmt::format("{}:{}", path, line_no)));
    RSF_ASSIGN_OR_RETURN(std::string label, RequireString(j, "label", fmt::format("{}:{}", path, line_no)));
    if (label != "safe" && label != "unsafe") {
      return InvalidArgumentError(where("label") + ": expected \"safe\" or \"unsafe\", found \"" + label + "\"");
    }
    t.unsafe = label == "unsafe";
    if (auto it = j.find("id"); it != j.end()) {
      if (!it->is_string()) return InvalidArgumentError(where("id") + ": expected a string");
      t.id = it->get<std::string>();
    } else {
      t.id = fmt::format("line-{}", line_no);
    }
    if (auto it = j.find("source"); it != j.end()) {
      if (!it->is_string()) return InvalidArgumentError(where("source") + ": expected a string");
      t.source = it->get<std::string>();
    }
    if (auto it = j.find("categories"); it != j.end()) {
      if (!it->is_array()) return InvalidArgumentError(where("categories") + ": expected a list of strings");
      for (const Json& c : *it) {
        if (!c.is_string()) return InvalidArgumentError(where("categories") + ": expected a list of strings");
        t.raw_categories.push_back(c.get<std::string>());
        if (auto id = MapDatasetCategory(c.get<std::string>())) t.categories.push_back(*id);
      }
      std::sort(t.categories.begin(), t.categories.end());
      t.categories.erase(std::unique(t.categories.begin(), t.categories.end()), t.categories.end());
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<int8_t> HeadLabels(const LabeledText& t, const std::vector<std::string>& heads) {
  std::vector<int8_t> y(heads.size(), 0);
  for (size_t h = 0; h < heads.size(); ++h) {
    if (heads[h] == "unsafe") {
      y[h] = t.unsafe ? 1 : 0;
    } else if (t.unsafe) {
      if (t.categories.empty()) {
        y[h] = -1;
      } else {
        y[h] = std::binary_search(t.categories.begin(), t.categories.end(), heads[h]) ? 1 : 0;
      }
    }
  }
  return y;
}

}  // namespace rsf::guard
