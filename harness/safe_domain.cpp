// The safe-domain measurement: a failing case scaled in half binades towards magnitude 1,
// a coarse grid to find the first failure, a bisection to pin it, and the intermediate
// whose range the boundary coincides with.
#include "harness/safe_domain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "harness/hex_float.hpp"

namespace normcheck::harness {
namespace {

constexpr double kNoMagnitude = -std::numeric_limits<double>::infinity();

// Beyond 2^(emax/4) or below 2^(-emax/4) of the compute format (f32: 2^32, 2^-32), where
// correct kernels start scaling rows; 0 is not a magnitude.
bool is_extreme(double abs_x, ref::Format compute) {
  if (abs_x == 0) return false;
  return std::fabs(std::log2(abs_x)) > ref::traits(compute).emax / 4.0;
}

// The largest finite |x| (and |residual|) of a problem, 0 when there is none.
double largest_abs_input(const ref::NormProblem& p) {
  double largest = 0;
  for (const auto* values : {&p.x, &p.residual}) {
    for (double v : *values) {
      if (std::isfinite(v)) largest = std::max(largest, std::fabs(v));
    }
  }
  return largest;
}

// v * 2^(h/2), computed in double and rounded once to the value's format. Even h is a
// power of two (exact unless the value leaves the format's normal range); odd h
// multiplies by sqrt(2) too, which rounds each value once.
double scale_half_binades(ref::Format format, double v, int h) {
  if (!std::isfinite(v) || v == 0) return v;
  const int whole = h >= 0 ? h / 2 : -((-h + 1) / 2);  // floor(h / 2)
  double scaled = std::ldexp(v, whole);
  if (h - 2 * whole == 1) scaled *= std::sqrt(2.0);
  return ref::round_to_format(format, scaled);
}

ref::NormProblem scaled_problem(const ref::NormProblem& p, int h) {
  ref::NormProblem out = p;
  for (double& v : out.x) v = scale_half_binades(p.x_format, v, h);
  for (double& v : out.residual) v = scale_half_binades(p.x_format, v, h);
  return out;
}

// The log2 of the intermediates a kernel forms from one row, computed from the row scaled
// by its largest |z| so that nothing overflows or underflows here. -inf where a quantity is 0.
struct RowRanges {
  double square = kNoMagnitude;         // the largest z^2
  double square_sum = kNoMagnitude;     // sum z^2
  double deviation_sum = kNoMagnitude;  // sum (z - mean)^2
  double abs_sum = kNoMagnitude;        // sum |z|
  double mean_square = kNoMagnitude;    // square_sum / n
  double variance = kNoMagnitude;       // deviation_sum / n
};

// Per row of z = x + residual, over the rows whose values are all finite and not all 0.
std::vector<RowRanges> row_ranges(const ref::NormProblem& p) {
  std::vector<RowRanges> out;
  const auto n = static_cast<std::size_t>(p.n);
  std::vector<double> z(n);
  for (std::int64_t r = 0; r < p.rows; ++r) {
    double largest = 0;
    bool finite = true;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = static_cast<std::size_t>(r) * n + i;
      z[i] = p.x[at] + (p.has_residual() ? p.residual[at] : 0.0);
      finite = finite && std::isfinite(z[i]);
      largest = std::max(largest, std::fabs(z[i]));
    }
    if (!finite || largest == 0) continue;
    double squares = 0, sum = 0, abs_sum = 0;
    for (double v : z) {
      const double u = v / largest;  // in [-1, 1]: only the log2 of the sums matters
      squares += u * u;
      sum += u;
      abs_sum += std::fabs(u);
    }
    const double mean = sum / static_cast<double>(n);
    double deviations = 0;
    for (double v : z) deviations += (v / largest - mean) * (v / largest - mean);
    const double log_largest = std::log2(largest);
    const double log_n = std::log2(static_cast<double>(n));
    RowRanges ranges;
    ranges.square = 2 * log_largest;
    ranges.square_sum = 2 * log_largest + std::log2(squares);
    ranges.deviation_sum = deviations > 0 ? 2 * log_largest + std::log2(deviations) : kNoMagnitude;
    ranges.abs_sum = log_largest + std::log2(abs_sum);
    ranges.mean_square = ranges.square_sum - log_n;
    ranges.variance = ranges.deviation_sum - log_n;
    out.push_back(ranges);
  }
  return out;
}

// The extreme of one quantity over the rows: the largest for an overflow (the row that
// overflows first), the smallest nonzero for an underflow.
double extreme(const std::vector<RowRanges>& rows, double RowRanges::*quantity, DomainSide side) {
  double best = side == DomainSide::upper ? kNoMagnitude : std::numeric_limits<double>::infinity();
  for (const auto& r : rows) {
    const double q = r.*quantity;
    if (side == DomainSide::upper)
      best = std::max(best, q);
    else if (std::isfinite(q))
      best = std::min(best, q);
  }
  return best;
}

// Rounding in the kernel may reach inf (or lose the last normal bit) a little before the
// exact quantity crosses; half binade steps move a square by 1 in log2.
constexpr double kCrossingSlack = 0.25;

struct Candidate {
  double RowRanges::*quantity;
  DomainCause cause;
  bool layernorm_only;
};

// Sets domain.cause (the first candidate that crosses its limit between the two cases),
// its log2 on both sides, and domain.also_cause (the next one that crosses: in a row of
// equal magnitudes and mean 0, sum x^2 and sum (x - mean)^2 are one number).
void infer_cause(const ref::NormProblem& within, const ref::NormProblem& beyond, ref::Op op,
                 SafeDomain& domain) {
  const DomainSide side = domain.side;
  const auto& t = ref::traits(domain.compute);
  const auto in = row_ranges(within), out = row_ranges(beyond);
  // log2 of the largest finite value, (2 - 2^(1-p)) 2^emax; below the smallest normal a
  // quantity keeps fewer bits, below the smallest subnormal none.
  const double largest = t.emax + std::log2(2 - std::ldexp(1.0, 1 - t.precision));
  const double normal = t.emin, subnormal = t.emin - t.precision + 1;
  const auto crosses = [&](double at_bound, double past) {
    if (side == DomainSide::upper)
      return at_bound <= largest + kCrossingSlack && past > largest - kCrossingSlack;
    return past < normal + kCrossingSlack && at_bound >= subnormal - kCrossingSlack;
  };
  const std::vector<Candidate> candidates =
      side == DomainSide::upper
          ? std::vector<Candidate>{{&RowRanges::square, DomainCause::square_overflow, false},
                                   {&RowRanges::square_sum, DomainCause::square_sum_overflow,
                                    false},
                                   {&RowRanges::deviation_sum,
                                    DomainCause::deviation_square_sum_overflow, true},
                                   {&RowRanges::abs_sum, DomainCause::sum_overflow, false}}
          : std::vector<Candidate>{
                {&RowRanges::square, DomainCause::square_underflow, false},
                {&RowRanges::mean_square, DomainCause::mean_square_underflow, false},
                {&RowRanges::variance, DomainCause::variance_underflow, true}};
  for (const Candidate& c : candidates) {
    if (c.layernorm_only && op != ref::Op::layernorm) continue;
    const double at_bound = extreme(in, c.quantity, side), past = extreme(out, c.quantity, side);
    if (!crosses(at_bound, past)) continue;
    if (domain.cause != DomainCause::not_inferred) {
      // A row of one element: its sum (or mean) of x^2 is x^2, not another intermediate.
      if (within.n > 1) domain.also_cause = c.cause;
      return;
    }
    domain.cause = c.cause;
    domain.cause_log2_within = at_bound;
    domain.cause_log2_beyond = past;
  }
}

// "fp32" for f32 and so on: the spelling of the domain line ("overflows in fp32").
std::string_view arithmetic_name(ref::Format format) {
  switch (format) {
    case ref::Format::f16:
      return "fp16";
    case ref::Format::bf16:
      return "bf16";
    case ref::Format::f32:
      return "fp32";
    case ref::Format::f64:
      return "fp64";
  }
  return "fp32";
}

// "2^63.5", "2^64", "2^127.97": log2 to `decimals` places, trailing zeros dropped.
std::string power_of_two(double log2_value, int decimals = 1) {
  std::string text = fmt::format("{:.{}f}", log2_value, decimals);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return "2^" + text;
}

// What overflows or underflows, named as the kernel would form it.
std::string_view quantity_name(DomainCause cause) {
  switch (cause) {
    case DomainCause::square_overflow:
    case DomainCause::square_underflow:
      return "x^2";
    case DomainCause::square_sum_overflow:
      return "the row's sum of x^2";
    case DomainCause::deviation_square_sum_overflow:
      return "the row's sum of (x - mean)^2";
    case DomainCause::sum_overflow:
      return "the row's sum of x";
    case DomainCause::mean_square_underflow:
      return "the row's mean of x^2";
    case DomainCause::variance_underflow:
      return "the row's variance";
    case DomainCause::not_inferred:
      break;
  }
  return "";
}

std::string cause_text(const SafeDomain& d) {
  if (d.cause == DomainCause::not_inferred)
    return fmt::format(
        "the kernel fails ({}); no overflow or underflow of x^2, its sums or the variance "
        "explains the boundary{}",
        class_name(d.failing_class),
        d.eps_given ? " (eps is not scaled: the failure may depend on eps / var)" : "");
  const std::string_view quantity = quantity_name(d.cause);
  const std::string also =
      d.also_cause ? fmt::format("; {} crosses there too", quantity_name(*d.also_cause)) : "";
  return fmt::format("{} {} in {} (likely: {} is {} at the bound, {} beyond{})", quantity,
                     d.side == DomainSide::upper ? "overflows" : "underflows",
                     arithmetic_name(d.compute), quantity, power_of_two(d.cause_log2_within, 2),
                     power_of_two(d.cause_log2_beyond, 2), also);
}

}  // namespace

std::string_view domain_cause_name(DomainCause cause) {
  switch (cause) {
    case DomainCause::square_overflow:
      return "square-overflow";
    case DomainCause::square_sum_overflow:
      return "square-sum-overflow";
    case DomainCause::deviation_square_sum_overflow:
      return "deviation-square-sum-overflow";
    case DomainCause::sum_overflow:
      return "sum-overflow";
    case DomainCause::square_underflow:
      return "square-underflow";
    case DomainCause::mean_square_underflow:
      return "mean-square-underflow";
    case DomainCause::variance_underflow:
      return "variance-underflow";
    case DomainCause::not_inferred:
      return "not-inferred";
  }
  return "not-inferred";
}

double SafeDomain::log2_abs_x() const {
  return std::log2(abs_x);
}

void DomainBounds::add(const SafeDomain& domain) {
  if (domain.side == DomainSide::upper)
    max_abs_x = max_abs_x ? std::min(*max_abs_x, domain.abs_x) : domain.abs_x;
  else
    min_abs_x = min_abs_x ? std::max(*min_abs_x, domain.abs_x) : domain.abs_x;
}

bool has_extreme_magnitude(const ref::NormProblem& failing, ref::Format compute) {
  return is_extreme(largest_abs_input(failing), compute);
}

ref::NormProblem equal_magnitude_row(const ref::NormProblem& failing, std::int64_t n) {
  const double magnitude = largest_abs_input(failing);  // a value of x_format (the residual's too)
  ref::NormProblem row = failing;                       // op, formats, eps
  row.rows = 1;
  row.n = n;
  row.residual.clear();
  row.gamma.clear();
  row.beta.clear();
  row.x.assign(static_cast<std::size_t>(n), 0.0);
  for (std::size_t i = 0; i < row.x.size(); ++i) row.x[i] = i % 2 == 0 ? magnitude : -magnitude;
  return row;
}

std::optional<SafeDomain> measure_safe_domain(const ref::NormProblem& failing, ref::Format compute,
                                              const DomainJudge& judge) {
  const double largest = largest_abs_input(failing);
  if (largest == 0) return std::nullopt;
  // The anchor: the case scaled by a whole power of two to a largest |x| near 1.
  const int anchor = -2 * static_cast<int>(std::lround(std::log2(largest)));
  if (anchor == 0) return std::nullopt;
  SafeDomain domain;
  domain.side = anchor < 0 ? DomainSide::upper : DomainSide::lower;
  domain.n = failing.n;
  domain.rows = failing.rows;
  domain.compute = compute;
  domain.eps_given = failing.eps > 0;
  // Position t half binades from the anchor towards the case (t = span is the case itself).
  const int span = std::abs(anchor);
  const int toward_case = anchor < 0 ? 1 : -1;
  const auto at = [&](int t) { return scaled_problem(failing, anchor + toward_case * t); };
  std::optional<Violation> last;  // the verdict of the latest run
  const auto fails = [&](int t) {
    ++domain.evaluations;
    last = judge(at(t));
    return last.has_value();
  };
  if (fails(0)) return std::nullopt;  // it fails at ordinary magnitudes too: not a failure of range

  // The first failure on a grid of at most kDomainGridPoints steps from the anchor; the
  // grid points before it are within budget.
  const int step = std::max(1, (span + kDomainGridPoints - 1) / kDomainGridPoints);
  int within = 0, beyond = span;
  bool found = false;
  for (int t = step; t < span; t += step) {
    if (fails(t)) {
      beyond = t;
      found = true;
      break;
    }
    within = t;
  }
  if (!found && !fails(span)) return std::nullopt;  // the case no longer fails: nothing to bound
  Violation beyond_violation = *last;
  // Bisection in half binades between the last grid point within budget and the first beyond.
  while (beyond - within > 1) {
    const int middle = within + (beyond - within) / 2;
    if (fails(middle)) {
      beyond = middle;
      beyond_violation = *last;
    } else {
      within = middle;
    }
  }
  const ref::NormProblem within_case = at(within), beyond_case = at(beyond);
  domain.abs_x = largest_abs_input(within_case);
  domain.failing_abs_x = largest_abs_input(beyond_case);
  // A failure that begins at ordinary magnitudes (a cancellation that eps masks near 1,
  // say) is not one of range, even though the case that showed it was huge or tiny.
  if (!is_extreme(domain.failing_abs_x, compute)) return std::nullopt;
  domain.failing_class = beyond_violation.klass;
  domain.failing_message = beyond_violation.message;
  infer_cause(within_case, beyond_case, failing.op, domain);
  return domain;
}

std::string describe_domain(const SafeDomain& d) {
  const bool upper = d.side == DomainSide::upper;
  const std::string shape =
      d.rows == 1 ? fmt::format("n = {}", d.n) : fmt::format("n = {}, {} rows", d.n, d.rows);
  return fmt::format("within budget for |x| {} {} ({}); {}, {}",
                     upper ? "<=" : ">=", power_of_two(d.log2_abs_x()), shape,
                     upper ? "beyond" : "below", cause_text(d));
}

std::string describe_domain_evidence(const SafeDomain& d) {
  return fmt::format(
      "measured by scaling the case in half binades, {} runs: within budget at largest |x| = {}, "
      "a {} violation at {}",
      d.evaluations, hex_float(d.abs_x), class_name(d.failing_class), hex_float(d.failing_abs_x));
}

}  // namespace normcheck::harness
