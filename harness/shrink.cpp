// Delta-debugging minimizer: each pass proposes simpler candidates in a fixed order and
// keeps the first that still fails the same way.
#include "harness/shrink.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace normcheck::harness {
namespace {

class Minimizer {
 public:
  Minimizer(ref::NormProblem problem, const StillFails& still_fails, const ShrinkLimits& limits)
      : current_(std::move(problem)), still_fails_(still_fails), limits_(limits) {}

  ShrinkResult run() {
    bool progress = true;
    while (progress && budget_left()) {
      progress = false;
      progress |= shrink_rows();
      progress |= shrink_columns();
      progress |= drop_optional_parts();
      progress |= simplify_eps();
      progress |= simplify_values();
    }
    return ShrinkResult{current_, evaluations_, accepted_};
  }

 private:
  bool budget_left() const {
    return evaluations_ < limits_.max_evaluations && elements_evaluated_ < limits_.max_elements_evaluated;
  }

  bool try_candidate(const ref::NormProblem& candidate) {
    if (!budget_left()) return false;
    ++evaluations_;
    elements_evaluated_ += problem_elements(candidate);
    if (!still_fails_(candidate)) return false;
    current_ = candidate;
    ++accepted_;
    return true;
  }

  // Rows [first, first + count) of the current problem as a new problem.
  ref::NormProblem keep_rows(std::int64_t first, std::int64_t count, bool remove) const {
    ref::NormProblem c = current_;
    const auto n = static_cast<std::size_t>(c.n);
    auto select = [&](const std::vector<double>& values) {
      if (values.empty()) return values;
      std::vector<double> out;
      for (std::int64_t r = 0; r < c.rows; ++r) {
        const bool inside = r >= first && r < first + count;
        if (inside != remove)
          out.insert(out.end(), values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r) * n),
                     values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r + 1) * n));
      }
      return out;
    };
    c.x = select(current_.x);
    c.residual = select(current_.residual);
    c.rows = remove ? c.rows - count : count;
    return c;
  }

  bool shrink_rows() {
    bool progress = false;
    // A single row first (most findings live in one row), then remove chunks of rows
    // (row-isolation and batch findings need two). A large batch tries only its first,
    // middle and last rows alone: halving finds one bad row among 4096 in ~2 log2(rows)
    // evaluations, while a finding that needs many rows (a bug from row 24 on) would
    // spend the whole budget on rows that pass alone.
    constexpr std::int64_t kEveryRowAloneUpTo = 16;
    if (current_.rows <= kEveryRowAloneUpTo) {
      for (std::int64_t r = 0; current_.rows > 1 && r < current_.rows; ++r) {
        if (try_candidate(keep_rows(r, 1, false))) return true;
      }
    } else {
      for (const std::int64_t r : {std::int64_t{0}, current_.rows / 2, current_.rows - 1}) {
        if (try_candidate(keep_rows(r, 1, false))) return true;
      }
    }
    for (std::int64_t chunk = current_.rows / 2; chunk >= 1; chunk /= 2) {
      for (std::int64_t first = 0; current_.rows > chunk && first + chunk <= current_.rows;) {
        if (try_candidate(keep_rows(first, chunk, true))) {
          progress = true;
        } else {
          first += chunk;
        }
      }
    }
    return progress;
  }

  ref::NormProblem remove_columns(std::int64_t first, std::int64_t count) const {
    ref::NormProblem c = current_;
    auto drop = [&](const std::vector<double>& values, std::int64_t rows) {
      if (values.empty()) return values;
      std::vector<double> out;
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < current_.n; ++j)
          if (j < first || j >= first + count) out.push_back(values[static_cast<std::size_t>(r * current_.n + j)]);
      return out;
    };
    c.x = drop(current_.x, current_.rows);
    c.residual = drop(current_.residual, current_.rows);
    c.gamma = drop(current_.gamma, 1);
    c.beta = drop(current_.beta, 1);
    c.n = current_.n - count;
    return c;
  }

  bool shrink_columns() {
    // A long row is cut in chunks of at least 1/64 of it: one by one, each candidate costs
    // a judgement of the whole row, and the thousands of single columns of a finding that
    // needs the length (n > 2048) would take seconds; once the row is short every column
    // is tried.
    constexpr std::int64_t kEveryColumnUpTo = 4096;
    constexpr std::int64_t kChunksOfALongRow = 64;
    bool progress = false;
    for (std::int64_t chunk = current_.n / 2; chunk >= 1; chunk = chunk > 1 ? chunk / 2 : 0) {
      if (current_.n > kEveryColumnUpTo && chunk < current_.n / kChunksOfALongRow) break;
      for (std::int64_t first = 0; current_.n > chunk && first + chunk <= current_.n;) {
        if (try_candidate(remove_columns(first, chunk))) {
          progress = true;
          chunk = std::min(chunk, current_.n / 2 > 0 ? current_.n / 2 : 1);
        } else {
          first += chunk;
        }
      }
    }
    return progress;
  }

  bool drop_optional_parts() {
    bool progress = false;
    auto try_clear = [&](std::vector<double> ref::NormProblem::*member) {
      if ((current_.*member).empty()) return;
      ref::NormProblem c = current_;
      (c.*member).clear();
      progress |= try_candidate(c);
    };
    try_clear(&ref::NormProblem::gamma);
    try_clear(&ref::NormProblem::beta);
    try_clear(&ref::NormProblem::residual);
    return progress;
  }

  bool simplify_eps() {
    if (current_.eps == 0.0) return false;
    ref::NormProblem c = current_;
    c.eps = 0.0;
    if (try_candidate(c)) return true;
    const double power = std::exp2(std::floor(std::log2(current_.eps)));
    if (power != current_.eps) {
      c.eps = power;
      if (try_candidate(c)) return true;
    }
    return false;
  }

  // Simpler replacements for one value, simplest first: 0, +-1, the power of two of its
  // binade, its significand with half the bits, one binade nearer to 1.
  static std::vector<double> simpler_values(ref::Format format, double v) {
    std::vector<double> out;
    if (!std::isfinite(v) || v == 0.0) return out;
    const double sign = std::signbit(v) ? -1.0 : 1.0;
    out.push_back(0.0);
    out.push_back(sign);
    if (sign < 0) out.push_back(1.0);
    int exponent = 0;
    const double fraction = std::frexp(std::fabs(v), &exponent);  // v = fraction * 2^exponent
    out.push_back(sign * std::ldexp(1.0, exponent - 1));
    // Keep the leading half of the significant bits: fewer bits, same binade.
    const auto& t = ref::traits(format);
    for (int bits = t.precision / 2; bits >= 2; bits /= 2)
      out.push_back(sign * std::ldexp(std::trunc(std::ldexp(fraction, bits)), exponent - bits));
    if (exponent - 1 != 0) {
      const int step = (exponent - 1) / 2 != 0 ? (exponent - 1) / 2 : (exponent - 1);
      out.push_back(sign * std::ldexp(std::fabs(v), -step));
    }
    std::vector<double> valid;
    for (double c : out)
      if (c != v && ref::is_representable(format, c) &&
          std::find(valid.begin(), valid.end(), c) == valid.end())
        valid.push_back(c);
    return valid;
  }

  bool simplify_vector(std::vector<double> ref::NormProblem::*member, ref::Format format) {
    bool progress = false;
    const std::size_t count = (current_.*member).size();
    if (count == 0) return false;
    if (count > limits_.max_values_for_pointwise) {
      // Whole-vector steps only: every value to its binade's power of two.
      ref::NormProblem c = current_;
      for (auto& v : c.*member)
        if (std::isfinite(v) && v != 0.0) {
          int e = 0;
          std::frexp(v, &e);
          v = std::copysign(std::ldexp(1.0, e - 1), v);
        }
      if (c.*member != current_.*member) progress |= try_candidate(c);
      return progress;
    }
    for (std::size_t i = 0; i < count && budget_left(); ++i) {
      for (double simpler : simpler_values(format, (current_.*member)[i])) {
        ref::NormProblem c = current_;
        (c.*member)[i] = simpler;
        if (try_candidate(c)) {
          progress = true;
          break;  // later candidates are not simpler than an accepted earlier one
        }
      }
    }
    return progress;
  }

  bool simplify_values() {
    bool progress = false;
    progress |= simplify_vector(&ref::NormProblem::x, current_.x_format);
    progress |= simplify_vector(&ref::NormProblem::residual, current_.x_format);
    progress |= simplify_vector(&ref::NormProblem::gamma, current_.param_format);
    progress |= simplify_vector(&ref::NormProblem::beta, current_.param_format);
    return progress;
  }

  ref::NormProblem current_;
  const StillFails& still_fails_;
  ShrinkLimits limits_;
  int evaluations_ = 0;
  std::int64_t elements_evaluated_ = 0;
  int accepted_ = 0;
};

}  // namespace

ShrinkResult minimize_problem(const ref::NormProblem& failing, const StillFails& still_fails,
                              const ShrinkLimits& limits) {
  return Minimizer(failing, still_fails, limits).run();
}

}  // namespace normcheck::harness
