// The report page's own script and style: draws the charts (vega-lite specs built
// from the embedded report.json) with the inlined vega-embed.
#pragma once

#include <string_view>

namespace normcheck::harness::report {

extern const std::string_view kPageStyle;
extern const std::string_view kPageScript;

}  // namespace normcheck::harness::report
