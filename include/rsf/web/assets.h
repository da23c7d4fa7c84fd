// include/rsf/web/assets.h
//
// The web console's files (src/web/console/), compiled into the binary so that rsfd serves
// the console with no files to install and no network access: the pages load nothing from
// elsewhere. The gateway serves them under /console/; the data comes from its admin API with
// an admin or auditor key (docs/console.md).
//
// Thread safety: immutable data.
#pragma once

#include <span>
#include <string_view>

namespace rsf::web {

struct Asset {
  std::string_view path;          // relative to /console/, e.g. "app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view etag;          // "\"<first 16 hex digits of its SHA-256>\""
};

// Every console file, sorted by path.
std::span<const Asset> ConsoleAssets();

// The file for `path` ("" and "index.html" are the page itself), or nullptr.
const Asset* FindConsoleAsset(std::string_view path);

}  // namespace rsf::web
