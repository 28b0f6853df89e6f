// The charting bundles (vega, vega-lite, vega-embed from npm, pinned in
// report/web/package-lock.json) that index.html inlines so it renders offline.
#pragma once

#include <filesystem>
#include <string>

namespace normcheck::harness::report {

struct WebAssets {
  std::string vega, vega_lite, vega_embed;  // minified UMD bundles
};

// NORMCHECK_REPORT_WEB_DIR when set, else the source tree's report/web
// compiled in; the bundles are under its node_modules/.
std::filesystem::path web_assets_dir();

// Throws InputError naming the missing file and how to install it (`npm ci`).
WebAssets load_web_assets();

}  // namespace normcheck::harness::report
