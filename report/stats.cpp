// Summaries of error samples: max / p99 / mean and log2-spaced histograms.
#include "report/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace normcheck::harness::report {

ErrorStats summarize(std::vector<double>& errors) {
  ErrorStats stats;
  stats.count = static_cast<std::int64_t>(errors.size());
  if (errors.empty()) return stats;
  // Sorted, the sum does not depend on the order in which threads delivered the samples.
  std::sort(errors.begin(), errors.end());
  // Nearest rank: the smallest value with at least 99% of the sample at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(errors.size())));
  stats.p99 = errors[std::max<std::size_t>(rank, 1) - 1];
  stats.max = errors.back();
  long double sum = 0;
  for (double e : errors) sum += e;
  stats.mean = static_cast<double>(sum / static_cast<long double>(errors.size()));
  return stats;
}

namespace {
constexpr int kFirstEdgeExponent = -8;
constexpr int kLastEdgeExponent = 32;
}  // namespace

Histogram empty_ulp_histogram() {
  Histogram h;
  h.edges.push_back(0.0);
  for (int e = kFirstEdgeExponent; e <= kLastEdgeExponent; ++e) h.edges.push_back(std::ldexp(1.0, e));
  h.edges.push_back(std::numeric_limits<double>::infinity());
  h.counts.assign(h.edges.size() - 1, 0);
  return h;
}

void add_to_histogram(Histogram& histogram, const std::vector<double>& errors) {
  for (double e : errors) {
    // upper_bound finds the first edge above e; the bin starts one edge before it.
    auto it = std::upper_bound(histogram.edges.begin(), histogram.edges.end() - 1, e);
    auto bin = static_cast<std::size_t>(it - histogram.edges.begin()) - 1;
    bin = std::min(bin, histogram.counts.size() - 1);
    ++histogram.counts[bin];
  }
}

}  // namespace normcheck::harness::report
