#include "rsf/guard/taxonomy.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace rsf::guard {

const std::vector<Category>& DefaultTaxonomy() {
  static const auto* t = new std::vector<Category>{
      {"violent_crimes", "Violent crimes",
       "Enabling, encouraging or endorsing violence against people or animals: murder, assault, terrorism, "
       "kidnapping, weapons aimed at people.",
       "AILuminate vcr; Llama Guard S1"},
      {"nonviolent_crimes", "Non-violent crimes",
       "Fraud, theft, drug production and trafficking, trafficking of people, other illegal activity.",
       "AILuminate ncr; Llama Guard S2"},
      {"sexual_content", "Sexual content and sex crimes",
       "Sexually explicit material, sexual exploitation or assault of adults.", "AILuminate sxc, ssc; Llama Guard S3, S12"},
      {"child_exploitation", "Child sexual exploitation",
       "Any sexual content involving minors, grooming, or abuse of children.", "AILuminate cse; Llama Guard S4"},
      {"cbrn", "Weapons of mass destruction (CBRN)",
       "Uplift for chemical, biological, radiological or nuclear weapons and high-yield explosives.",
       "AILuminate iwp; Llama Guard S9"},
      {"cyber", "Cyber attacks",
       "Malware, intrusion, exploitation of vulnerabilities, attacks on critical infrastructure.",
       "AILuminate ncr (cyber); MITRE ATT&CK"},
      {"hate", "Hate", "Demeaning or dehumanising people for protected characteristics; stereotypes and slurs.",
       "AILuminate hte; Llama Guard S10"},
      {"harassment", "Harassment and abuse", "Insults, threats and abuse aimed at a person.",
       "OpenAI moderation harassment"},
      {"self_harm", "Suicide and self-harm", "Encouraging or instructing suicide, self-injury or disordered eating.",
       "AILuminate ssh; Llama Guard S11"},
      {"privacy", "Privacy", "Revealing or inferring sensitive information about a person or an organisation.",
       "AILuminate prv; Llama Guard S7"},
      {"specialized_advice", "Specialised advice",
       "Unqualified or harmful medical, legal or financial advice presented as authoritative.",
       "AILuminate spc; Llama Guard S6"},
      {"elections", "Elections", "False information about electoral processes; voter suppression.",
       "AILuminate (elections); Llama Guard S13"},
      {"manipulation", "Manipulation and disinformation",
       "Producing or scaling disinformation, propaganda, deceptive persuasion.", "Do-Not-Answer misinformation harms"},
      {"jailbreak", "Jailbreak", "Attempts to make the model drop its safety behaviour (role-play, 'developer mode').",
       "Llama Guard Prompt Guard: jailbreak"},
      {"prompt_injection", "Prompt injection",
       "Instructions smuggled into content to override the operator's or user's intent.",
       "Llama Guard Prompt Guard: injection"},
  };
  return *t;
}

std::optional<std::string> MapDatasetCategory(std::string_view name) {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const Category& c : DefaultTaxonomy()) {
    if (c.id == key) return c.id;
  }
  // Harm types of Do-Not-Answer (Wang et al., 2023) and other public sets. Risk areas (which
  // group several harm types) and target-group tags are deliberately not mapped.
  static const auto* m = new std::map<std::string, std::string, std::less<>>{
      {"toxic language (hate speech)", "hate"},
      {"social stereotypes and unfair discrimination", "hate"},
      {"adult content", "sexual_content"},
      {"compromise privacy by leaking or inferring private information (person/individual)", "privacy"},
      {"risks from leaking or inferring sensitive information (organization/gov)", "privacy"},
      {"assisting illegal activities", "nonviolent_crimes"},
      {"reducing the cost of disinformation campaigns", "manipulation"},
      {"disseminating false or misleading information", "manipulation"},
      {"causing material harm by disseminating misinformation e.g. in medicine or law", "specialized_advice"},
      {"mental health or overreliance crisis", "self_harm"},
      {"offensive", "harassment"},
      {"injection", "prompt_injection"},
  };
  if (auto it = m->find(key); it != m->end()) return it->second;
  return std::nullopt;
}

}  // namespace rsf::guard
