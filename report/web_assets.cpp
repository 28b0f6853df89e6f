// Finds and reads the charting bundles that index.html inlines.
#include "report/web_assets.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "harness/input_error.hpp"

namespace normcheck::harness::report {

std::filesystem::path web_assets_dir() {
  if (const char* dir = std::getenv("NORMCHECK_REPORT_WEB_DIR"); dir != nullptr && *dir != '\0') return dir;
  return NORMCHECK_REPORT_WEB_DIR_DEFAULT;
}

namespace {

std::string read_bundle(const std::filesystem::path& dir, const char* relative) {
  const std::filesystem::path path = dir / "node_modules" / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(fmt::format(
        "report: charting bundle {} is missing; run `npm ci` in {} (scripts/install-deps.sh does), "
        "or point NORMCHECK_REPORT_WEB_DIR at a folder whose node_modules/ holds vega, vega-lite and vega-embed",
        path.string(), dir.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

WebAssets load_web_assets() {
  const std::filesystem::path dir = web_assets_dir();
  return {read_bundle(dir, "vega/build/vega.min.js"), read_bundle(dir, "vega-lite/build/vega-lite.min.js"),
          read_bundle(dir, "vega-embed/build/vega-embed.min.js")};
}

}  // namespace normcheck::harness::report
