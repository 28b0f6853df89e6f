// Summaries of error samples: max / p99 / mean and log2-spaced histograms.
#pragma once

#include <vector>

#include "report/report_model.hpp"

namespace normcheck::harness::report {

// Summary of errors (reorders the vector). p99 is the nearest-rank 99th percentile.
// Infinite errors count towards max and p99; the mean is then infinite too.
ErrorStats summarize(std::vector<double>& errors);

// Bins [0, 2^-8), [2^-8, 2^-7), ..., [2^31, 2^32), [2^32, inf]: from "correctly
// rounded" (error <= 0.5) through "a few ulps" to "garbage".
Histogram empty_ulp_histogram();
void add_to_histogram(Histogram& histogram, const std::vector<double>& errors);

}  // namespace normcheck::harness::report
