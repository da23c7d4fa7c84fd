// Hyperscan engine: every pattern compiled into one block-mode database.
#include "guard/rule_engines.h"

#ifdef RSF_HAVE_HYPERSCAN
#include <hs/hs.h>

#include <algorithm>
#include <atomic>

#include <fmt/format.h>
#endif

namespace rsf::guard::internal {

#ifdef RSF_HAVE_HYPERSCAN
namespace {

// One scratch space per thread, grown for whichever database the thread last used.
struct ThreadScratch {
  hs_scratch_t* scratch = nullptr;
  uint64_t generation = 0;
  ~ThreadScratch() {
    if (scratch) hs_free_scratch(scratch);
  }
};

std::atomic<uint64_t> next_generation{1};

class HyperscanMatcher final : public RuleMatcher {
 public:
  explicit HyperscanMatcher(hs_database_t* db) : db_(db), generation_(next_generation++) {}
  ~HyperscanMatcher() override { hs_free_database(db_); }

  std::vector<size_t> Match(std::string_view text) const override {
    thread_local ThreadScratch ts;
    if (ts.generation != generation_) {
      if (hs_alloc_scratch(db_, &ts.scratch) != HS_SUCCESS) return {};  // out of memory
      ts.generation = generation_;
    }
    std::vector<size_t> hits;
    auto on_match = [](unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) -> int {
      static_cast<std::vector<size_t>*>(ctx)->push_back(id);
      return 0;
    };
    hs_scan(db_, text.data(), static_cast<unsigned int>(text.size()), 0, ts.scratch, on_match, &hits);
    std::sort(hits.begin(), hits.end());
    hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
    return hits;
  }

 private:
  hs_database_t* db_;
  uint64_t generation_;
};

}  // namespace

bool HaveHyperscan() { return true; }

Result<std::unique_ptr<RuleMatcher>> MakeHyperscanMatcher(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return InvalidArgumentError("no patterns");
  std::vector<const char*> exprs;
  std::vector<unsigned int> flags, ids;
  for (size_t i = 0; i < patterns.size(); ++i) {
    exprs.push_back(patterns[i].c_str());
    flags.push_back(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8);
    ids.push_back(static_cast<unsigned int>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned int>(exprs.size()), HS_MODE_BLOCK,
                       nullptr, &db, &err) != HS_SUCCESS) {
    std::string what = fmt::format("pattern {}: {}", err->expression < 0 ? 0 : err->expression, err->message);
    hs_free_compile_error(err);
    return InvalidArgumentError(what);
  }
  return std::unique_ptr<RuleMatcher>(new HyperscanMatcher(db));
}
#else
bool HaveHyperscan() { return false; }
Result<std::unique_ptr<RuleMatcher>> MakeHyperscanMatcher(const std::vector<std::string>&) {
  return UnimplementedError("this build of rsf has no Hyperscan (install libhyperscan-dev and rebuild)");
}
#endif

}  // namespace rsf::guard::internal
