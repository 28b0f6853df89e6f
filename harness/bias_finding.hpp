// The finding of the rounding-bias test (harness/bias_statistics.hpp). No single case fails
// alone, so it is neither shrunk nor saved: its case is a representative row (the row with
// the most misroundings in one direction, cut from its case, since a row alone gives the
// same outputs), shown inline for `normcheck oracle`, and its replay command is the check
// run that found it (docs/checking.md, "Statistical findings").
#pragma once

#include <cstdint>

#include "harness/bias_statistics.hpp"
#include "harness/checker.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness {

// figures.finding must be set; cases_run is how many case indices the kernel's loop went through.
Finding bias_finding(const impls::KernelInfo& kernel, const BiasFigures& figures, const CaseSource& source,
                     const CheckOptions& options, std::int64_t cases_run);

}  // namespace normcheck::harness
