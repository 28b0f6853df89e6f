// Shared pieces of evaluate_case and its contract checks: the violation log, the
// evaluation context, and exact views of a row. Internal to harness/evaluate*.cpp.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "harness/evaluate.hpp"
#include "harness/kernel_runner.hpp"
#include "harness/violation.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness::detail {

// Keeps one violation per class (the first, or the worst by severity) and how many
// outputs broke it, so a bad kernel yields a short report instead of n lines.
class ViolationLog {
 public:
  void add(ViolationClass klass, std::string message, double severity = 0) {
    add_at(klass, OutputLocation{}, [&message] { return std::move(message); }, severity);
  }
  template <class MakeMessage>
    requires std::is_invocable_r_v<std::string, MakeMessage&>
  void add(ViolationClass klass, MakeMessage&& make_message, double severity = 0) {
    add_at(klass, OutputLocation{}, make_message, severity);
  }
  // The same for a violation about one output, whose location the outputs show.
  void add_at(ViolationClass klass, OutputLocation location, std::string message, double severity = 0) {
    add_at(klass, location, [&message] { return std::move(message); }, severity);
  }
  // The message is made only when it is kept: a batch of 2^18 wrong outputs formats one
  // or a few messages, not 2^18 (that took ~400 ns an output).
  template <class MakeMessage>
    requires std::is_invocable_r_v<std::string, MakeMessage&>
  void add_at(ViolationClass klass, OutputLocation location, MakeMessage&& make_message, double severity = 0) {
    auto [it, inserted] = entries_.try_emplace(klass);
    Entry& entry = it->second;
    if (inserted) order_.emplace_back(klass);
    ++entry.count;
    if (inserted || severity > entry.severity) {
      entry.message = make_message();
      entry.location = location;
      entry.severity = severity;
    }
  }
  std::vector<Violation> take() const {
    std::vector<Violation> out;
    for (const auto& klass : order_) {
      const Entry& entry = entries_.at(klass);
      std::string message = entry.message;
      if (entry.count > 1) message += fmt::format(" [{} outputs in all]", entry.count);
      out.push_back({klass, std::move(message), entry.location});
    }
    return out;
  }

 private:
  struct Entry {
    std::string message;
    OutputLocation location;
    double severity = 0;
    std::int64_t count = 0;
  };
  std::map<ViolationClass, Entry> entries_;
  std::vector<ViolationClass> order_;
};

inline std::size_t at(std::int64_t row, std::int64_t n, std::int64_t col) {
  return static_cast<std::size_t>(row * n + col);
}

// Bitwise equality in the format of two values decoded from it (NaNs compare by class,
// payloads are not kept). A value of the format is one double and its bits one pattern,
// so equal doubles of equal sign are equal bits: no encoding needed, which matters when
// a contract compares every output of a batch of 2^18.
inline bool same_bits(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

inline bool row_is_finite(const ref::NormProblem& p, std::int64_t row) {
  for (std::int64_t c = 0; c < p.n; ++c) {
    if (!std::isfinite(p.x[at(row, p.n, c)])) return false;
    if (p.has_residual() && !std::isfinite(p.residual[at(row, p.n, c)])) return false;
  }
  return true;
}

// z = x + residual as an exact pair (rounded sum, its error): TwoSum's pair is unique
// for each exact sum, so pairs compare exactly.
struct ExactSum {
  double hi, lo;
  bool operator==(const ExactSum&) const = default;
};
inline ExactSum two_sum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}

// Element k of the row that is normalized, as an exact pair (x alone, the exact sum, or
// RN_x of it).
inline ExactSum z_at(const ref::NormProblem& p, const ref::OracleResult& oracle, std::size_t k) {
  if (!p.has_residual()) return {p.x[k], 0};
  if (p.residual_sum == ref::ResidualSum::rounded) return {oracle.residual_out[k], 0};
  return two_sum(p.x[k], p.residual[k]);
}

// The whole row into `z` (resized): callers reuse one buffer across rows, since an
// allocation per row dominated batches of thousands of short rows.
inline void row_z_into(const ref::NormProblem& p, const ref::OracleResult& oracle, std::int64_t row,
                       std::vector<ExactSum>& z) {
  z.resize(static_cast<std::size_t>(p.n));
  for (std::int64_t c = 0; c < p.n; ++c) z[static_cast<std::size_t>(c)] = z_at(p, oracle, at(row, p.n, c));
}

// Whether every element of the row is the same exact z (every z zero when zero_only).
inline bool row_z_constant(const ref::NormProblem& p, const ref::OracleResult& oracle, std::int64_t row,
                           bool zero_only = false) {
  const ExactSum first = zero_only ? ExactSum{0, 0} : z_at(p, oracle, at(row, p.n, 0));
  for (std::int64_t c = 0; c < p.n; ++c) {
    const ExactSum v = z_at(p, oracle, at(row, p.n, c));
    if (!(v.hi == first.hi && v.lo == first.lo)) return false;
  }
  return true;
}

// Rows where IEEE arithmetic legitimately turns outputs into NaN: the normalized z holds a
// non-finite value (x, residual, or the rounded sum that is normalized), or var + eps = 0
// (rstd = +inf). There NaN is accepted for y, mean and rstd whatever their extended-real
// value (docs/error-measures.md, "Special values"); every non-NaN result is still judged.
inline bool row_admits_nan(const ref::NormProblem& p, const ref::OracleResult& oracle, std::int64_t row) {
  if (!row_is_finite(p, row)) return true;
  if (p.has_residual() && p.residual_sum == ref::ResidualSum::rounded) {
    for (std::int64_t c = 0; c < p.n; ++c) {
      if (!std::isfinite(oracle.residual_out[at(row, p.n, c)])) return true;
    }
  }
  // var + eps = 0 exactly (not an f64 rstd that merely overflowed): eps = 0 and every z
  // equal (LayerNorm) or zero (RMSNorm). The exact pairs compare exactly.
  if (p.eps != 0) return false;
  return row_z_constant(p, oracle, row, p.op != ref::Op::layernorm);
}

// mean(|z|) of a row: the scale of its sums, against which their rounding errors are measured.
inline double mean_abs(const ref::NormProblem& p, const ref::OracleResult& oracle, std::int64_t row) {
  double sum = 0;
  for (std::int64_t c = 0; c < p.n; ++c) sum += std::fabs(z_at(p, oracle, at(row, p.n, c)).hi);
  return sum / static_cast<double>(p.n);
}

// The contracts of the call itself, the same for the forward and the backward judge: what
// the kernel did to memory it does not own, the FP state it left changed, a status other
// than OK. Returns false when the status ends the judging (no output is trusted).
inline bool log_call_contracts(ViolationLog& log, const std::string& memory_violation,
                               const std::string& fp_state_change, normcheck_status status, int raw_status) {
  if (!memory_violation.empty()) log.add(ViolationClass::memory, "kernel " + memory_violation);
  if (!fp_state_change.empty()) {
    log.add(ViolationClass::fp_state, "the kernel left the floating-point control state changed (" + fp_state_change +
                                          "); normcheck restored it after the call");
  }
  if (status == NORMCHECK_OK) return true;
  log.add(ViolationClass::status, fmt::format("the kernel returned status {}", raw_status));
  return false;
}

inline std::string where(std::int64_t row, std::int64_t col) { return fmt::format("row {}, col {}", row, col); }

inline double param_or(const std::vector<double>& values, std::int64_t col, double absent) {
  return values.empty() ? absent : values[static_cast<std::size_t>(col)];
}

struct Context {
  const impls::KernelInfo& kernel;
  const ref::NormProblem& problem;  // adapted to the kernel
  const Budget& budget;
  const ref::OracleResult& oracle;
  const KernelRun& run;
  CaseEvaluation& result;
  ViolationLog& log;
  bool collect_errors;
};

// The contract checks (harness/evaluate_contracts.cpp), each adding its violations to ctx.log.
void check_constant_rows(const Context& ctx);
void check_residual_out(const Context& ctx);
void check_stats(const Context& ctx);
void check_row_isolation(const Context& ctx);
void check_batch_invariance(const Context& ctx);

// The rows of a batch of `rows` that check_batch_invariance computes alone, ascending.
std::vector<std::int64_t> batch_invariance_rows(std::int64_t rows);

}  // namespace normcheck::harness::detail
