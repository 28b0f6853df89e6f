// The RapidCheck generator of normalization problems for a kernel's op, dtypes and flags:
// a weighted mix of numerical regimes aimed at classes of kernel bugs (cancellation,
// overflow, underflow, odd widths, special values, epsilon handling, parameters).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>

#include <rapidcheck.h>

#include "impls/registry.hpp"
#include "harness/case_scale.hpp"
#include "harness/kernel_shape.hpp"
#include "reference/oracle.hpp"

namespace normcheck::props {

// What a kernel computes, as far as the generator cares.
using ProblemShape = harness::KernelShape;
inline ProblemShape shape_of(const normcheck_kernel& kernel) { return harness::kernel_shape(kernel); }

// The regime a case's rows were drawn from; reported through RC_CLASSIFY and the checker.
enum class Regime : std::uint8_t {
  ordinary,
  large_mean_tiny_spread,  // |mean| / std up to ~1e8: cancellation in x - mean and in var
  constant,                // every element equal: var = 0, the output must be exactly beta
  near_constant,           // a few elements one or two ulps away from the rest
  outlier,                 // one element many binades above the rest
  near_overflow,           // magnitudes in the format's top binades: x^2 and sums overflow
  tiny_subnormal,          // subnormal and barely normal values: x^2 underflows
  mixed_exponents,         // binades across the whole format in one row
  nonfinite,               // NaN / inf at random positions (in x, and sometimes gamma, beta)
  small_integers,          // exact sums, exactly representable results, rounding ties
};
inline constexpr int kRegimeCount = 10;
std::string_view regime_name(Regime regime);

// The size of a case, drawn beside its regime. Most cases are small (fast to check and
// to shrink); a few are large batches (up to 4096 rows, weighted to the batch sizes where
// kernels switch strategy) or long rows (up to 65,536, around the powers of two from
// 2048), bounded by harness::kMaxGeneratedElements and drawn compactly (expanded_gen.hpp).
enum class Scale : std::uint8_t { small, large_batch, long_row };
std::string_view scale_name(Scale scale);

struct GeneratorOptions {
  // Draw eps exactly representable in fp32 (docs/oracle.md); false also draws f64-only eps,
  // which a kernel that narrows eps to float gets wrong.
  bool eps_fp32_only = true;
  std::int64_t max_n = harness::kMaxGeneratedN;
  std::int64_t max_rows = harness::kMaxGeneratedRows;
};

struct GeneratedProblem {
  ref::NormProblem problem;
  Regime regime = Regime::ordinary;
  Scale scale = Scale::small;
};

// Problems in the shape's formats (values representable, lengths consistent). Shrinking
// goes through the structure: to the small scale, fewer rows, smaller n, simpler values,
// parameters removed.
rc::Gen<GeneratedProblem> gen_problem(const ProblemShape& shape, const GeneratorOptions& options = {});

// The size of a case as drawn, before rows are cut to the element bound (the small scale
// to 16,384 elements, the others to harness::kMaxGeneratedElements) and to the options.
// Small cases draw every value; large ones are drawn compactly (expanded_gen.hpp).
struct ProblemSize {
  Scale scale = Scale::small;
  std::int64_t rows = 1, n = 1;
};
// The sizes gen_problem draws (the mix of docs/checking.md, "The generated cases"),
// shrinking towards the small scale, one row and short rows.
rc::Gen<ProblemSize> gen_problem_size();
// ProblemSizes of one scale from generators of rows and n.
rc::Gen<ProblemSize> problem_size_of(Scale scale, rc::Gen<std::int64_t> rows, rc::Gen<std::int64_t> n);
// gen_problem with the sizes drawn from `sizes` (the backward generator's mix, say): the
// same regimes, values and parameters. gen_problem(shape, options) is
// gen_problem(shape, gen_problem_size(), options).
rc::Gen<GeneratedProblem> gen_problem(const ProblemShape& shape, const rc::Gen<ProblemSize>& sizes,
                                      const GeneratorOptions& options = {});

// RapidCheck prints counterexamples with this: the case file JSON.
void showValue(const GeneratedProblem& generated, std::ostream& os);

}  // namespace normcheck::props
