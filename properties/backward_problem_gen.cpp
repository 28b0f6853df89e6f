// The backward problem generator: x, gamma and eps from the forward generator for a shape
// without residual (beta dropped), dy from its own regime, sizes biased towards the batches
// where the column reductions of dgamma / dbeta change shape.
#include "properties/backward_problem_gen.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "harness/case.hpp"
#include "harness/case_scale.hpp"
#include "harness/orthogonal_dy.hpp"
#include "properties/choice_gen.hpp"
#include "properties/expanded_gen.hpp"
#include "properties/value_gen.hpp"

namespace normcheck::props {
namespace {

using Values = std::vector<double>;
using I = std::int64_t;

rc::Gen<DyRegime> dy_regime_gen() {
  return weighted_element_towards_first<DyRegime>({{40, DyRegime::ordinary},
                                                   {8, DyRegime::huge},
                                                   {8, DyRegime::tiny},
                                                   {10, DyRegime::sparse},
                                                   {10, DyRegime::constant},
                                                   {14, DyRegime::orthogonal_to_xhat},
                                                   {10, DyRegime::nonfinite}});
}

// Batches for the column reductions: any of 9 to 4096 first (so a failure that needs many
// rows shrinks to the fewest), then around the block sizes 32, 64, 128 and 256, then
// thousands. Rows are short, as in the token batches the reductions run over.
rc::Gen<ProblemSize> reduction_size_gen() {
  const auto rows = weighted_towards_first<I>(
      {{2, rc::gen::inRange<I>(9, harness::kMaxGeneratedRows + 1)},
       {5, element_towards_first<I>({31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257})},
       {3, rc::gen::inRange<I>(1000, harness::kMaxGeneratedRows + 1)}});
  const auto n = weighted_towards_first<I>({{5, rc::gen::inRange<I>(1, 9)},
                                            {4, rc::gen::inRange<I>(9, 65)},
                                            {1, element_towards_first<I>({127, 128, 129, 255, 256, 257, 1023, 1024, 1025})}});
  return problem_size_of(Scale::large_batch, rows, n);
}

rc::Gen<ProblemSize> backward_size_gen() {
  return weighted_towards_first<ProblemSize>({{84, gen_problem_size()}, {16, reduction_size_gen()}});
}

// dy for the regime; x is the forward problem's (rows * n, row-major).
rc::Gen<Values> dy_gen(DyRegime regime, const BackwardShape& shape, const std::shared_ptr<const Values>& x,
                       std::int64_t rows, std::int64_t n) {
  const auto format = shape.dy_format;
  const auto& t = ref::traits(format);
  const std::int64_t count = rows * n;
  const auto ordinary = long_vector(ordinary_values(format), count);
  switch (regime) {
    case DyRegime::ordinary: return ordinary;
    case DyRegime::huge: return long_vector(finite_values(format, t.emax - 2, t.emax), count);
    case DyRegime::tiny: return long_vector(tiny_values(format), count);
    case DyRegime::sparse:
      return long_vector(ValueDistribution::mix({{7, zero_values(format)}, {1, finite_values(format, -4, 3)}}), count);
    case DyRegime::constant:
      return rc::gen::map(long_vector(ordinary_values(format), rows), [n](const Values& per_row) {
        Values dy;
        dy.reserve(per_row.size() * static_cast<std::size_t>(n));
        for (double v : per_row) dy.insert(dy.end(), static_cast<std::size_t>(n), v);
        return dy;
      });
    case DyRegime::orthogonal_to_xhat:
      return rc::gen::map(rc::gen::tuple(ordinary, rc::gen::inRange(0, 3), rc::gen::inRange(0, 2)),
                          [shape, x, n](const std::tuple<Values, int, int>& drawn) {
                            auto dy = harness::orthogonal_dy(shape.op, shape.dy_format, *x, n, std::get<0>(drawn),
                                                             std::get<1>(drawn));
                            if (std::get<2>(drawn) != 0)
                              for (auto& v : dy) v = -v;
                            return dy;
                          });
    case DyRegime::nonfinite:
      // One or two positions of the whole batch: the other rows of dx and the other
      // columns of dgamma / dbeta stay finite.
      return rc::gen::map(
          rc::gen::tuple(ordinary, rc::gen::inRange(1, 3),
                         rc::gen::container<std::vector<I>>(2, rc::gen::inRange<I>(0, count)),
                         rc::gen::container<Values>(2, nonfinite_values())),
          [](const std::tuple<Values, int, std::vector<I>, Values>& drawn) {
            auto [dy, specials, positions, values] = drawn;
            for (std::size_t k = 0; k < static_cast<std::size_t>(specials); ++k)
              dy[static_cast<std::size_t>(positions[k]) % dy.size()] = values[k];
            return dy;
          });
  }
  return ordinary;
}

}  // namespace

BackwardShape backward_shape_of(const normcheck_backward_kernel& kernel) {
  return BackwardShape{harness::op_of(kernel.op), harness::format_of(kernel.x_dtype),
                       harness::format_of(kernel.param_dtype), harness::format_of(kernel.y_dtype)};
}

std::string backward_case_regime(const GeneratedBackwardProblem& generated) {
  return std::string(regime_name(generated.x_regime)) + "-dy-" + std::string(backward_regime_name(generated.dy_regime));
}

std::string_view backward_regime_name(DyRegime regime) {
  switch (regime) {
    case DyRegime::ordinary: return "ordinary";
    case DyRegime::huge: return "huge";
    case DyRegime::tiny: return "tiny";
    case DyRegime::sparse: return "sparse";
    case DyRegime::constant: return "constant";
    case DyRegime::orthogonal_to_xhat: return "orthogonal-to-xhat";
    case DyRegime::nonfinite: return "nonfinite";
  }
  return "unknown";
}

rc::Gen<GeneratedBackwardProblem> gen_backward_problem(const BackwardShape& shape,
                                                       const BackwardGeneratorOptions& options) {
  ProblemShape forward_shape;
  forward_shape.op = shape.op;
  forward_shape.x_format = shape.x_format;
  forward_shape.param_format = shape.param_format;
  forward_shape.y_format = shape.dy_format;
  forward_shape.fused = false;
  const auto header = rc::gen::tuple(dy_regime_gen(), gen_problem(forward_shape, backward_size_gen(), options.forward));
  return rc::gen::mapcat(header, [shape](const std::tuple<DyRegime, GeneratedProblem>& h) {
    const DyRegime dy_regime = std::get<0>(h);
    const GeneratedProblem& forward = std::get<1>(h);
    const auto& f = forward.problem;
    // Shared, not copied into every shrink of dy: x may hold 2^18 values.
    const auto x = std::make_shared<const Values>(f.x);
    GeneratedBackwardProblem base;
    base.x_regime = forward.regime;
    base.dy_regime = dy_regime;
    base.scale = forward.scale;
    auto& p = base.problem;
    p.op = shape.op;
    p.x_format = shape.x_format;
    p.param_format = shape.param_format;
    p.dy_format = shape.dy_format;
    p.rows = f.rows;
    p.n = f.n;
    p.eps = f.eps;
    p.gamma = f.gamma;
    return rc::gen::map(dy_gen(dy_regime, shape, x, f.rows, f.n), [base, x](Values dy) {
      GeneratedBackwardProblem out = base;
      out.problem.x = *x;
      dy.resize(out.problem.x.size(), 0.0);
      out.problem.dy = std::move(dy);
      return out;
    });
  });
}

void showValue(const GeneratedBackwardProblem& generated, std::ostream& os) {
  harness::Case c = harness::backward_case(generated.problem);
  c.note = std::string("x regime ") + std::string(regime_name(generated.x_regime)) + ", dy regime " +
           std::string(backward_regime_name(generated.dy_regime));
  os << harness::case_to_json(c);
}

}  // namespace normcheck::props
