// The RapidCheck generator of backward problems (ref::BackwardProblem) for a backward
// kernel's op and dtypes: x, gamma and eps from the forward generator (every forward regime),
// dy from a regime of its own aimed at the bugs of the gradient (overflow of g * xhat and of
// the sums, underflow, sparse and constant gradients, the cancellation of mean(g * xhat),
// special values), and batches up to thousands of rows for the dgamma / dbeta reductions.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include <rapidcheck.h>

#include "harness/kernel_shape.hpp"
#include "properties/problem_gen.hpp"
#include "reference/backward_problem.hpp"

namespace normcheck::props {

// What a backward kernel computes, as far as the generator cares.
struct BackwardShape {
  ref::Op op = ref::Op::layernorm;
  ref::Format x_format = ref::Format::f32;
  ref::Format param_format = ref::Format::f32;
  ref::Format dy_format = ref::Format::f32;  // the kernel's y_dtype
};
BackwardShape backward_shape_of(const normcheck_backward_kernel& kernel);

// The regime dy was drawn from; reported through RC_CLASSIFY.
enum class DyRegime : std::uint8_t {
  ordinary,            // mostly 2^-4 to 2^4, sometimes zero
  huge,                // dy's top binades: g * xhat, sum g and the column sums overflow
  tiny,                // subnormal and barely normal: g and g * xhat underflow
  sparse,              // mostly zeros, a few ordinary values
  constant,            // one value a row: g - mean(g) cancels exactly when gamma is ones
  orthogonal_to_xhat,  // sum_i dy_i xhat_i = 0 exactly where dy can hold it: mean(g * xhat) cancels
  nonfinite,           // NaN / inf at one or two positions of the batch
};
inline constexpr int kDyRegimeCount = 7;
std::string_view backward_regime_name(DyRegime regime);

struct BackwardGeneratorOptions {
  // eps and the bounds on rows and n, as for the forward generator.
  GeneratorOptions forward;
};

struct GeneratedBackwardProblem {
  ref::BackwardProblem problem;
  Regime x_regime = Regime::ordinary;  // the forward regime x (and gamma) were drawn from
  DyRegime dy_regime = DyRegime::ordinary;
  Scale scale = Scale::small;
};

// Problems in the shape's formats: x in x_format, dy in dy_format, gamma (empty or n) in
// param_format, eps >= 0 as the forward generator draws it, rows * n <= kMaxGeneratedElements.
// Sizes: the forward generator's mix (84 %), else a batch for the column reductions (16 %:
// rows around 32, 64, 128 and 256, 1000 to 4096, or any of 9 to 4096, with rows of 1 to 64
// values, sometimes 127 to 1025). Shrinking goes through the structure: to the ordinary dy
// regime, the forward generator's small sizes, fewer rows, smaller n, simpler values.
rc::Gen<GeneratedBackwardProblem> gen_backward_problem(const BackwardShape& shape,
                                                       const BackwardGeneratorOptions& options = {});

// The regime label of a backward case in check's mix and signatures: "<x regime>-dy-<dy regime>".
std::string backward_case_regime(const GeneratedBackwardProblem& generated);

// RapidCheck prints counterexamples with this: the backward case file JSON.
void showValue(const GeneratedBackwardProblem& generated, std::ostream& os);

}  // namespace normcheck::props
