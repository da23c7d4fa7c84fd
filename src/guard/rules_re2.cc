// RE2 engine: every pattern in one RE2::Set (used where Hyperscan is absent).
#include "guard/rule_engines.h"

#ifdef RSF_HAVE_RE2
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

#include <fmt/format.h>
#endif

namespace rsf::guard::internal {

#ifdef RSF_HAVE_RE2
namespace {

class Re2Matcher final : public RuleMatcher {
 public:
  explicit Re2Matcher(std::unique_ptr<RE2::Set> set) : set_(std::move(set)) {}
  std::vector<size_t> Match(std::string_view text) const override {
    std::vector<int> hits;
    set_->Match(re2::StringPiece(text.data(), text.size()), &hits);
    std::vector<size_t> out(hits.begin(), hits.end());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::unique_ptr<RE2::Set> set_;
};

}  // namespace

bool HaveRe2() { return true; }

Result<std::unique_ptr<RuleMatcher>> MakeRe2Matcher(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return InvalidArgumentError("no patterns");
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  options.set_max_mem(64 << 20);
  auto set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::string err;
    if (set->Add(re2::StringPiece(patterns[i]), &err) < 0) {
      return InvalidArgumentError(fmt::format("pattern {}: {}", i, err));
    }
  }
  if (!set->Compile()) return InvalidArgumentError("the rule set is too large for RE2's memory budget");
  return std::unique_ptr<RuleMatcher>(new Re2Matcher(std::move(set)));
}
#else
bool HaveRe2() { return false; }
Result<std::unique_ptr<RuleMatcher>> MakeRe2Matcher(const std::vector<std::string>&) {
  return UnimplementedError("this build of rsf has no RE2 (install libre2-dev and rebuild)");
}
#endif

}  // namespace rsf::guard::internal
