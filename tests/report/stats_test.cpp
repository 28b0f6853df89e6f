// Tests of the report's error summaries: max / p99 / mean and the log2 histogram bins.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "report/stats.hpp"

namespace normcheck::harness::report {
namespace {

TEST(Summarize, EmptySampleIsAllZero) {
  std::vector<double> none;
  const ErrorStats s = summarize(none);
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.max, 0);
  EXPECT_EQ(s.p99, 0);
}

TEST(Summarize, NearestRankP99MaxAndMean) {
  std::vector<double> errors;
  for (int i = 200; i >= 1; --i) errors.push_back(i);  // 1..200, unsorted
  const ErrorStats s = summarize(errors);
  EXPECT_EQ(s.count, 200);
  EXPECT_EQ(s.max, 200);
  EXPECT_EQ(s.p99, 198);  // ceil(0.99 * 200) = 198th smallest
  EXPECT_DOUBLE_EQ(s.mean, 100.5);
}

TEST(Summarize, InfinityIsTheMax) {
  std::vector<double> errors = {0.5, std::numeric_limits<double>::infinity(), 1.0};
  const ErrorStats s = summarize(errors);
  EXPECT_TRUE(std::isinf(s.max));
  EXPECT_TRUE(std::isinf(s.p99));
}

TEST(Histogram, BinsAreLog2SpacedFromZeroToInfinity) {
  Histogram h = empty_ulp_histogram();
  ASSERT_EQ(h.edges.size(), h.counts.size() + 1);
  EXPECT_EQ(h.edges.front(), 0.0);
  EXPECT_TRUE(std::isinf(h.edges.back()));
  add_to_histogram(h, {0.0, 0x1p-9, 0.5, 0.75, 1.0, 3.0, 0x1p40, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(h.counts[0], 2);  // [0, 2^-8): 0 and 2^-9
  const auto bin_of = [&](double lower) {
    for (std::size_t i = 0; i < h.counts.size(); ++i)
      if (h.edges[i] == lower) return i;
    return h.counts.size();
  };
  EXPECT_EQ(h.counts[bin_of(0.5)], 2);  // 0.5 and 0.75
  EXPECT_EQ(h.counts[bin_of(1.0)], 1);
  EXPECT_EQ(h.counts[bin_of(2.0)], 1);  // 3
  EXPECT_EQ(h.counts.back(), 2);        // 2^40 and inf: the open last bin
}

}  // namespace
}  // namespace normcheck::harness::report
