#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "rsf/common/json.h"
#include "rsf/common/sha256.h"
#include "rsf/eval/dataset.h"

namespace rsf::eval {
namespace {

Status Bad(std::string_view path, int line, const std::string& what) {
  return InvalidArgumentError(fmt::format("{}:{}: {}", path, line, what));
}

// "A".."Z" -> 0..25, or -1.
int LetterIndex(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '(')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == ')')) s.remove_suffix(1);
  if (s.size() == 1 && s[0] >= 'A' && s[0] <= 'Z') return s[0] - 'A';
  return -1;
}

Result<std::string> Str(const Json& row, const char* field, std::string_view path, int line) {
  auto it = row.find(field);
  if (it == row.end()) return Bad(path, line, fmt::format("missing field '{}'", field));
  if (!it->is_string()) return Bad(path, line, fmt::format("field '{}': expected a string", field));
  return it->get<std::string>();
}

std::string OptStr(const Json& row, const char* field) {
  auto it = row.find(field);
  if (it == row.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

Status Mcq(const Json& row, Sample& s, std::string_view path) {
  RSF_ASSIGN_OR_RETURN(s.input, Str(row, "question", path, s.line));
  auto choices = row.find("choices");
  if (choices == row.end()) return Bad(path, s.line, "missing field 'choices'");
  if (!choices->is_array() || choices->size() < 2) {
    return Bad(path, s.line, "field 'choices': expected an array of at least 2 strings");
  }
  for (const auto& c : *choices) {
    if (!c.is_string()) return Bad(path, s.line, "field 'choices': expected strings");
    s.choices.push_back(c.get<std::string>());
  }
  auto answer = row.find("answer");
  if (answer == row.end()) return Bad(path, s.line, "missing field 'answer'");
  if (answer->is_number_integer()) {
    s.target = static_cast<int>(answer->get<int64_t>());
  } else if (answer->is_string()) {
    s.target = LetterIndex(answer->get<std::string>());
  } else {
    return Bad(path, s.line, "field 'answer': expected a choice index or letter");
  }
  if (s.target < 0 || s.target >= static_cast<int>(s.choices.size())) {
    return Bad(path, s.line, fmt::format("field 'answer': {} is not one of the {} choices (0-based index or letter A-{})",
                                         answer->dump(), s.choices.size(),
                                         static_cast<char>('A' + s.choices.size() - 1)));
  }
  return OkStatus();
}

// The question carries its choices as lines " (A) text" after "Choices:".
Status AnthropicBehavior(const Json& row, Sample& s, std::string_view path) {
  RSF_ASSIGN_OR_RETURN(std::string q, Str(row, "question", path, s.line));
  RSF_ASSIGN_OR_RETURN(std::string matching, Str(row, "answer_matching_behavior", path, s.line));
  size_t at = q.find("Choices:");
  if (at == std::string::npos) return Bad(path, s.line, "field 'question': no 'Choices:' section");
  std::string body = q.substr(at + 8);
  size_t pos = 0;
  while ((pos = body.find('(', pos)) != std::string::npos) {
    if (pos + 2 < body.size() && body[pos + 2] == ')' && body[pos + 1] == 'A' + static_cast<char>(s.choices.size())) {
      size_t end = body.find("\n (", pos + 3);
      std::string text = body.substr(pos + 3, end == std::string::npos ? std::string::npos : end - pos - 3);
      while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.erase(0, 1);
      while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
      s.choices.push_back(text);
      pos += 3;
    } else {
      ++pos;
    }
  }
  if (s.choices.size() < 2) return Bad(path, s.line, "field 'question': expected at least choices (A) and (B)");
  s.input = q.substr(0, at);
  while (!s.input.empty() && (s.input.back() == '\n' || s.input.back() == ' ')) s.input.pop_back();
  s.target = LetterIndex(matching);
  if (s.target < 0 || s.target >= static_cast<int>(s.choices.size())) {
    return Bad(path, s.line, fmt::format("field 'answer_matching_behavior': '{}' is not one of the choices", matching));
  }
  return OkStatus();
}

Status Prompts(const Json& row, Sample& s, std::string_view path, Expect default_expect) {
  RSF_ASSIGN_OR_RETURN(s.input, Str(row, "prompt", path, s.line));
  std::string e = OptStr(row, "expect");
  if (e == "refuse") {
    s.expect = Expect::kRefuse;
  } else if (e == "comply") {
    s.expect = Expect::kComply;
  } else if (e.empty()) {
    s.expect = default_expect;
  } else {
    return Bad(path, s.line, fmt::format("field 'expect': '{}' is not 'refuse' or 'comply'", e));
  }
  if (std::string c = OptStr(row, "category"); !c.empty()) s.metadata["category"] = c;
  return OkStatus();
}

Result<std::vector<Sample>> LoadJsonl(std::string_view bytes, const DatasetSpec& spec) {
  std::vector<Sample> out;
  int line = 0;
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view text = bytes.substr(start, end - start);
    start = end + 1;
    ++line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (!IsValidUtf8(text)) return Bad(spec.path, line, "invalid UTF-8 (datasets must be UTF-8)");
    auto row = ParseJson(text);
    if (!row.ok()) return Bad(spec.path, line, row.status().message());
    if (!row->is_object()) return Bad(spec.path, line, "expected a JSON object");
    Sample s;
    s.line = line;
    s.id = OptStr(*row, "id");
    if (spec.format == "mcq") {
      RSF_RETURN_IF_ERROR(Mcq(*row, s, spec.path));
      s.expect = Expect::kNone;
    } else if (spec.format == "anthropic_behavior") {
      RSF_RETURN_IF_ERROR(AnthropicBehavior(*row, s, spec.path));
    } else {
      RSF_RETURN_IF_ERROR(Prompts(*row, s, spec.path, spec.expect));
    }
    out.push_back(std::move(s));
  }
  return out;
}

struct Columns {
  std::map<std::string, size_t> index;
  std::optional<size_t> Find(std::initializer_list<const char*> names) const {
    for (const char* n : names) {
      if (auto it = index.find(n); it != index.end()) return it->second;
    }
    return std::nullopt;
  }
};

Result<std::vector<Sample>> LoadCsv(std::string_view bytes, const DatasetSpec& spec) {
  if (!IsValidUtf8(bytes)) {
    // Find the line for the message.
    int line = 1;
    size_t start = 0;
    while (start < bytes.size()) {
      size_t end = bytes.find('\n', start);
      if (end == std::string_view::npos) end = bytes.size();
      if (!IsValidUtf8(bytes.substr(start, end - start))) break;
      start = end + 1;
      ++line;
    }
    return Bad(spec.path, line, "invalid UTF-8 (datasets must be UTF-8)");
  }
  RSF_ASSIGN_OR_RETURN(auto records, ParseCsv(bytes, spec.path));
  if (records.empty()) return Bad(spec.path, 1, "empty CSV file (expected a header row)");
  Columns cols;
  for (size_t i = 0; i < records[0].fields.size(); ++i) cols.index[records[0].fields[i]] = i;
  auto need = [&](std::initializer_list<const char*> names) -> Result<size_t> {
    if (auto c = cols.Find(names); c) return *c;
    return Bad(spec.path, 1, fmt::format("header: missing column '{}' (format {})", *names.begin(), spec.format));
  };
  std::optional<size_t> input, id, category, context, label, type;
  Expect fixed = Expect::kRefuse;
  if (spec.format == "harmbench") {
    RSF_ASSIGN_OR_RETURN(input, need({"Behavior"}));
    id = cols.Find({"BehaviorID"});
    category = cols.Find({"SemanticCategory", "Category"});
    context = cols.Find({"ContextString"});
  } else if (spec.format == "advbench") {
    RSF_ASSIGN_OR_RETURN(input, need({"goal", "Behavior"}));
    id = cols.Find({"BehaviorID"});
    category = cols.Find({"Category"});
  } else if (spec.format == "jailbreakbench") {
    RSF_ASSIGN_OR_RETURN(input, need({"Goal"}));
    id = cols.Find({"Behavior", "Index"});
    category = cols.Find({"Category"});
    fixed = spec.expect == Expect::kNone ? Expect::kRefuse : spec.expect;
  } else {  // xstest
    RSF_ASSIGN_OR_RETURN(input, need({"prompt"}));
    RSF_ASSIGN_OR_RETURN(label, need({"label"}));
    id = cols.Find({"id"});
    type = cols.Find({"type"});
    category = cols.Find({"focus"});
  }
  std::vector<Sample> out;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    if (rec.fields.size() != records[0].fields.size()) {
      return Bad(spec.path, rec.line, fmt::format("expected {} fields as in the header, found {}",
                                                  records[0].fields.size(), rec.fields.size()));
    }
    Sample s;
    s.line = rec.line;
    s.input = rec.fields[*input];
    if (s.input.empty()) return Bad(spec.path, rec.line, fmt::format("empty '{}'", records[0].fields[*input]));
    if (context && !rec.fields[*context].empty()) s.input = rec.fields[*context] + "\n\n---\n\n" + s.input;
    s.id = id ? rec.fields[*id] : "";
    if (category && !rec.fields[*category].empty()) s.metadata["category"] = rec.fields[*category];
    if (type) s.metadata["type"] = rec.fields[*type];
    s.expect = fixed;
    if (label) {
      const std::string& l = rec.fields[*label];
      if (l == "safe") {
        s.expect = Expect::kComply;
      } else if (l == "unsafe") {
        s.expect = Expect::kRefuse;
      } else {
        return Bad(spec.path, rec.line, fmt::format("column 'label': '{}' is not 'safe' or 'unsafe'", l));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Result<Dataset> ParseDataset(std::string_view bytes, const DatasetSpec& spec) {
  static const std::set<std::string> kJsonl = {"mcq", "anthropic_behavior", "prompts"};
  static const std::set<std::string> kCsv = {"harmbench", "advbench", "jailbreakbench", "xstest"};
  Dataset d;
  d.path = spec.path;
  d.sha256 = Sha256Hex(bytes);
  if (!spec.sha256.empty() && spec.sha256 != d.sha256) {
    return DataLossError(fmt::format("{}: content sha256 {} differs from the pinned {}", spec.path, d.sha256, spec.sha256));
  }
  if (kJsonl.count(spec.format)) {
    RSF_ASSIGN_OR_RETURN(d.samples, LoadJsonl(bytes, spec));
  } else if (kCsv.count(spec.format)) {
    RSF_ASSIGN_OR_RETURN(d.samples, LoadCsv(bytes, spec));
  } else {
    return InvalidArgumentError(fmt::format(
        "{}: unknown dataset format '{}' (expected mcq, anthropic_behavior, prompts, harmbench, "
        "advbench, jailbreakbench or xstest)", spec.path, spec.format));
  }
  // Ids: given ones must be unique; missing ones are the line number.
  std::set<std::string> seen;
  for (auto& s : d.samples) {
    if (s.id.empty()) s.id = fmt::format("line-{}", s.line);
    if (!seen.insert(s.id).second) return Bad(spec.path, s.line, fmt::format("duplicate id '{}'", s.id));
  }
  if (d.samples.empty()) return InvalidArgumentError(fmt::format("{}: no samples", spec.path));
  if (spec.limit > 0 && static_cast<int64_t>(d.samples.size()) > spec.limit) {
    d.samples.resize(static_cast<size_t>(spec.limit));
  }
  return d;
}

Result<Dataset> LoadDataset(Env& env, const DatasetSpec& spec) {
  if (!env.FileExists(spec.path)) return NotFoundError(fmt::format("{}: dataset file not found", spec.path));
  RSF_ASSIGN_OR_RETURN(std::string bytes, env.ReadFile(spec.path));
  return ParseDataset(bytes, spec);
}

}  // namespace rsf::eval
