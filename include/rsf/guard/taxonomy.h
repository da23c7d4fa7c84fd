// include/rsf/guard/taxonomy.h
//
// The harms the guard names. The defaults follow the public hazard taxonomies (MLCommons
// AILuminate v1.0 and Llama Guard 3's S1-S14) and add the two attacks on the model itself,
// jailbreaks and prompt injection. A guard configuration (config.h) can rename, disable or
// add categories; ids are stable strings used in verdicts, policies and the ledger.
//
// Labelled data names harms in its own words (Do-Not-Answer's harm types, a dataset's
// "hate"/"harassment"); MapDatasetCategory() translates those to taxonomy ids so training and
// evaluation speak one language.
//
// Thread safety: immutable data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rsf::guard {

struct Category {
  std::string id;           // e.g. "cbrn"
  std::string name;         // e.g. "Weapons of mass destruction (CBRN)"
  std::string description;
  std::string aligned;      // the public taxonomies' names for it
};

// The default taxonomy, in display order.
const std::vector<Category>& DefaultTaxonomy();

// The taxonomy id for a dataset's category name (case-insensitive; taxonomy ids map to
// themselves), or nullopt for names that carry no harm type (risk areas, target groups,
// "borderline" markers).
std::optional<std::string> MapDatasetCategory(std::string_view name);

}  // namespace rsf::guard
