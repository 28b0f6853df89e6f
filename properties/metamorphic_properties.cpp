// Metamorphic relations (permutation, sign flip, power-of-two scaling). The oracle obeys
// them exactly; a kernel only within its budget unless it promises bitwise behaviour,
// so each transformed run is judged against the oracle on its own.
#include <cmath>
#include <fmt/format.h>
#include <functional>

#include "harness/kernel_shape.hpp"
#include "reference/rounding.hpp"
#include "properties/properties.hpp"
#include "properties/property_support.hpp"

namespace normcheck::props {
namespace {

using harness::ViolationClass;
using support::add_violation;

// Maps an output index of the original problem to its index in the transformed one, and
// an original output value to the value the relation predicts.
struct Relation {
  std::function<std::size_t(std::size_t)> index;
  std::function<double(double)> value;
};

void compare_outputs(PropertyResult& result, ViolationClass klass, std::string_view name,
                     const std::vector<double>& original, const std::vector<double>& transformed,
                     const Relation& relation) {
  for (std::size_t i = 0; i < original.size(); ++i) {
    const double predicted = relation.value(original[i]);
    const double got = transformed[relation.index(i)];
    // Values, not bits: the sign of a zero result is free (0 * -1 is -0, the oracle's 0 is +0).
    const bool equal = (std::isnan(predicted) && std::isnan(got)) || predicted == got;
    if (!equal) {
      add_violation(result, klass,
                    fmt::format("{}: output {} is {} after the transform, relation predicts {}", name, i, got,
                                predicted));
      return;
    }
  }
}

PropertyResult check_relation(const impls::KernelInfo& kernel, const ref::NormProblem& original,
                              const ref::NormProblem& transformed, const harness::Budget& budget,
                              const Relation& relation, std::string_view name, bool require_bitwise) {
  PropertyResult result;
  harness::EvaluateOptions options;
  options.check_contracts = false;
  support::merge(result, harness::evaluate_case(kernel, original, budget, options), "original");
  if (result.skipped) return result;
  support::merge(result, harness::evaluate_case(kernel, transformed, budget, options), name);
  if (result.skipped) return result;
  compare_outputs(result, ViolationClass::oracle_relation, name, ref::compute_oracle(original).y,
                  ref::compute_oracle(transformed).y, relation);
  if (require_bitwise) {
    const auto a = support::run_or_record(kernel, original, result);
    const auto b = a ? support::run_or_record(kernel, transformed, result) : std::nullopt;
    if (a && b) compare_outputs(result, ViolationClass::metamorphic, name, a->y, b->y, relation);
  }
  return result;
}

std::vector<double> permute_columns(const std::vector<double>& values, std::int64_t n,
                                    const std::vector<std::int64_t>& permutation) {
  // Column j of the result is column permutation[j] of the input, in every row.
  std::vector<double> out(values.size());
  for (std::size_t row_start = 0; row_start < values.size(); row_start += static_cast<std::size_t>(n))
    for (std::int64_t j = 0; j < n; ++j)
      out[row_start + static_cast<std::size_t>(j)] = values[row_start + static_cast<std::size_t>(permutation[static_cast<std::size_t>(j)])];
  return out;
}

PropertyResult skipped(std::string reason) {
  PropertyResult result;
  result.skipped = true;
  result.skip_reason = std::move(reason);
  return result;
}

}  // namespace

PropertyResult permutation_relation(const impls::KernelInfo& kernel, const ref::NormProblem& original,
                                    const harness::Budget& budget,
                                    const std::vector<std::int64_t>& permutation, bool require_bitwise) {
  const auto p = harness::adapt_problem(*kernel.kernel, original);
  if (permutation.size() != static_cast<std::size_t>(p.n)) return skipped("permutation length is not n");
  auto t = p;
  t.x = permute_columns(p.x, p.n, permutation);
  if (p.has_residual()) t.residual = permute_columns(p.residual, p.n, permutation);
  if (!p.gamma.empty()) t.gamma = permute_columns(p.gamma, p.n, permutation);
  if (!p.beta.empty()) t.beta = permute_columns(p.beta, p.n, permutation);
  std::vector<std::size_t> inverse(permutation.size());
  for (std::size_t j = 0; j < permutation.size(); ++j) inverse[static_cast<std::size_t>(permutation[j])] = j;
  const auto n = static_cast<std::size_t>(p.n);
  const Relation relation{[inverse, n](std::size_t i) { return (i / n) * n + inverse[i % n]; },
                          [](double v) { return v; }};
  return check_relation(kernel, p, t, budget, relation, "permuted", require_bitwise);
}

PropertyResult sign_flip_relation(const impls::KernelInfo& kernel, const ref::NormProblem& original,
                                  const harness::Budget& budget, bool require_bitwise) {
  auto p = harness::adapt_problem(*kernel.kernel, original);
  p.beta.clear();  // LN(-x) = -LN(x) only without a shift
  auto t = p;
  for (auto& v : t.x) v = -v;
  for (auto& v : t.residual) v = -v;
  const Relation relation{[](std::size_t i) { return i; }, [](double v) { return -v; }};
  return check_relation(kernel, p, t, budget, relation, "negated", require_bitwise);
}

PropertyResult power_of_two_scaling_relation(const impls::KernelInfo& kernel,
                                             const ref::NormProblem& original,
                                             const harness::Budget& budget, int k, bool require_bitwise) {
  const auto p = harness::adapt_problem(*kernel.kernel, original);
  auto t = p;
  auto scale_exactly = [&](std::vector<double>& values) {
    for (auto& v : values) {
      const double scaled = std::ldexp(v, k);
      if (std::isfinite(v) && ref::round_to_format(p.x_format, scaled) != scaled) return false;
      if (std::isfinite(v) && v != 0.0 && std::ldexp(scaled, -k) != v) return false;
      v = scaled;
    }
    return true;
  };
  if (!scale_exactly(t.x) || !scale_exactly(t.residual))
    return skipped("a scaled value is not exact in its format");
  // A kernel that normalizes RN_x(x + residual) sees the rounded sums: they must scale
  // exactly too (a sum that overflowed to inf, or rounded in the subnormals, does not).
  if (p.has_residual() && p.residual_sum == ref::ResidualSum::rounded) {
    for (std::size_t i = 0; i < p.x.size(); ++i) {
      const double sum = ref::round_sum_to_format(p.x_format, p.x[i], p.residual[i]);
      const double scaled_sum = ref::round_sum_to_format(p.x_format, t.x[i], t.residual[i]);
      const bool same_class = std::isnan(sum) == std::isnan(scaled_sum);
      if (!same_class || (!std::isnan(sum) && std::ldexp(sum, k) != scaled_sum)) {
        return skipped("a rounded sum x + residual does not scale exactly");
      }
    }
  }
  t.eps = std::ldexp(p.eps, 2 * k);
  if (t.eps != 0.0 && (ref::round_to_format(ref::Format::f32, t.eps) != t.eps ||
                       std::ldexp(t.eps, -2 * k) != p.eps))
    return skipped("scaled eps is not exact in fp32");
  const Relation relation{[](std::size_t i) { return i; }, [](double v) { return v; }};
  return check_relation(kernel, p, t, budget, relation, fmt::format("scaled by 2^{}", k), require_bitwise);
}

}  // namespace normcheck::props
