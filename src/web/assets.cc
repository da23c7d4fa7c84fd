// src/web/assets.cc — finding the console's embedded files (include/rsf/web/assets.h).
#include "rsf/web/assets.h"

#include <algorithm>

namespace rsf::web {

const Asset* FindConsoleAsset(std::string_view path) {
  if (path.empty()) path = "index.html";
  const auto assets = ConsoleAssets();
  const auto it = std::lower_bound(assets.begin(), assets.end(), path,
                                   [](const Asset& a, std::string_view p) { return a.path < p; });
  return it != assets.end() && it->path == path ? &*it : nullptr;
}

}  // namespace rsf::web
