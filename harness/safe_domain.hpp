// The safe input domain of a kernel that fails only at extreme magnitudes: the largest
// (or smallest) |x| at which a failing case, scaled, is still within budget, and the
// intermediate that likely overflows (or underflows) beyond it. A finding then carries
// the boundary, so that a budget's max_abs_x is a decision made knowingly
// (docs/checking.md, "Safe input domain").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "harness/violation.hpp"
#include "reference/format.hpp"
#include "reference/problem.hpp"

namespace normcheck::harness {

// Which way the failing case lies from ordinary magnitudes.
enum class DomainSide {
  upper,  // the case is huge: the kernel is within budget up to max_abs_x
  lower,  // the case is tiny: the kernel is within budget down to min_abs_x
};

// The intermediate whose range the boundary coincides with: inferred by computing its
// log2 (in double, from the row divided by its largest |x|, so nothing overflows here) at
// the last magnitude within budget and the first beyond. The kernel's arithmetic is not
// observed, so a cause is "likely", never proven. In the order they are tested.
enum class DomainCause {
  square_overflow,      // the largest x^2 passes the compute format's largest finite value
  square_sum_overflow,  // the row's sum of x^2 does
  deviation_square_sum_overflow,  // the row's sum of (x - mean)^2 does (LayerNorm)
  sum_overflow,                   // the row's sum of |x| does
  square_underflow,       // the largest x^2 falls below the compute format's smallest normal
  mean_square_underflow,  // the row's mean of x^2 does
  variance_underflow,     // the row's variance does (LayerNorm)
  not_inferred,           // none of these crosses its limit at the boundary
};

// The stable name ("square-overflow", ..., "not-inferred") used in JSON.
std::string_view domain_cause_name(DomainCause cause);

struct SafeDomain {
  DomainSide side = DomainSide::upper;
  double abs_x = 0;              // the largest finite |x| of the last scaled case within budget
  double failing_abs_x = 0;      // that of the nearest scaled case beyond it that fails
  std::int64_t n = 0, rows = 0;  // the measured case's shape
  ref::Format compute = ref::Format::f32;
  DomainCause cause = DomainCause::not_inferred;
  // log2 of the cause's quantity (over the case's rows) at the bound and just beyond it.
  double cause_log2_within = 0, cause_log2_beyond = 0;
  // Another intermediate that crosses at the same boundary (nullopt when none): the
  // evidence cannot tell them apart (in a row of mean 0, sum x^2 = sum (x - mean)^2).
  std::optional<DomainCause> also_cause;
  bool eps_given = false;  // the case has eps > 0, which scaling leaves as it is
  ViolationClass failing_class = ViolationClass::score;  // the first violation beyond the boundary
  std::string failing_message;
  int evaluations = 0;  // kernel runs the measurement took

  // log2(abs_x), as printed: "2^63.5".
  double log2_abs_x() const;
};

// A kernel's domain over all its measured findings: the tightest bound of each side,
// nullopt where no finding bounded it (JSON "domain": {"max_abs_x", "min_abs_x"}).
struct DomainBounds {
  std::optional<double> max_abs_x, min_abs_x;
  void add(const SafeDomain& domain);
};

// The most kernel runs one measurement takes: the anchor, a grid of at most
// kDomainGridPoints magnitudes, then a bisection of one grid step in half binades.
inline constexpr int kDomainGridPoints = 32;
inline constexpr int kMaxDomainEvaluations = 1 + kDomainGridPoints + 16;

// Judges one scaled case as check does (the same evaluate_case, in the isolated worker
// when isolation is on): nullopt when it is within budget, else its first violation.
using DomainJudge = std::function<std::optional<Violation>(const ref::NormProblem&)>;

// Whether a failing case's magnitude is extreme enough for its failure to be one of
// range: its largest finite |x| (or residual) beyond 2^(emax/4) or below 2^(-emax/4) of the
// compute format, where correct kernels start scaling rows (f32: 2^32 and 2^-32).
bool has_extreme_magnitude(const ref::NormProblem& failing, ref::Format compute);

// Measures the domain around a failing case. Returns nullopt when the case is not a
// failure of range: its magnitude is ordinary, scaled to magnitude 1 it still fails, or the
// first failure from 1 outward is at an ordinary magnitude (has_extreme_magnitude's limits).
// Scaling multiplies x (and the residual) by 2^(h/2) for whole h, each value rounded to
// its format once: whole binades (even h) are exact, so the row's shape is kept bit for
// bit where no value leaves the format's normal range; eps, gamma and beta are unchanged.
std::optional<SafeDomain> measure_safe_domain(const ref::NormProblem& failing, ref::Format compute,
                                              const DomainJudge& judge);

// The worst row of length n for sums of squares at the failing case's largest |x|: every
// value at that magnitude, signs alternating (so a LayerNorm's deviations are as large as
// its values). The case's op, formats and eps; no gamma, beta or residual. A minimized case
// is often one element; measured on this row, an overflow's boundary shows its
// dependence on the row length (2^64 / sqrt(n) for fp32 sums of squares).
ref::NormProblem equal_magnitude_row(const ref::NormProblem& failing, std::int64_t n);

// "within budget for |x| <= 2^63.5 (n = 1); beyond, x^2 overflows in fp32 (likely: x^2 is
// 2^127 at the bound, 2^128 beyond)".
std::string describe_domain(const SafeDomain& domain);
// The measurement behind it: the magnitudes that passed and failed, and the failure.
std::string describe_domain_evidence(const SafeDomain& domain);

}  // namespace normcheck::harness
