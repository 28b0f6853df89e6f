// The regime-weighted problem generator. Every choice is a RapidCheck generator, so
// a failing case shrinks through this structure towards fewer rows, smaller n,
// the ordinary regime, absent parameters and simpler bit patterns.
#include "properties/problem_gen.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <tuple>
#include <utility>
#include <vector>

#include "harness/case.hpp"
#include "properties/choice_gen.hpp"
#include "properties/expanded_gen.hpp"
#include "properties/value_gen.hpp"

namespace normcheck::props {
namespace {

using Row = std::vector<double>;
using Params = std::pair<std::vector<double>, std::vector<double>>;  // gamma, beta

// Keeps a small case's cost bounded whatever rows and n were drawn; large batches and
// long rows go up to harness::kMaxGeneratedElements.
constexpr std::int64_t kMaxSmallElements = 16384;

// Rows of exactly n values. Also pads / truncates, because shrinking n re-runs the row
// generator with the old random state and we want the values it produced to survive.
Row fit(Row row, std::int64_t n) {
  row.resize(static_cast<std::size_t>(n), 0.0);
  return row;
}

rc::Gen<Row> values_row(ValueDistribution values, std::int64_t n) {
  return drawn_values(std::move(values), static_cast<std::size_t>(n));
}

rc::Gen<Row> large_mean_row(ref::Format format, std::int64_t n) {
  const auto& t = ref::traits(format);
  const int top = std::min(20, safe_exponent(format));
  // r: the spread is about 2^-r of the mean; capped where it drops below an ulp.
  const int max_ratio_log2 = std::min(27, t.precision + 3);
  return rc::gen::mapcat(
      rc::gen::tuple(rc::Gen<double>(finite_values(format, -2, top)), rc::gen::inRange(3, max_ratio_log2 + 1)),
      [format, n](const std::tuple<double, int>& header) {
        // Plain copies: clang 14 cannot capture structured bindings.
        const double mean = std::get<0>(header);
        const int ratio_log2 = std::get<1>(header);
        const int mean_exponent = std::ilogb(mean == 0.0 ? 1.0 : mean);
        return rc::gen::map(
            drawn_values(small_integers(16), static_cast<std::size_t>(n)),
            [=](const std::vector<double>& steps) {
              Row row;
              for (double step : steps) {
                // Exact in double: the step sits 2^(r+4) below the mean's leading bit.
                row.push_back(ref::round_to_format(
                    format, mean + std::ldexp(step, mean_exponent - ratio_log2 - 4)));
              }
              return row;
            });
      });
}

ValueDistribution constant_values(ref::Format format) {
  const auto& t = ref::traits(format);
  return ValueDistribution::mix({{6, finite_values(format, -6, 6)},
                                 {1, zero_values(format)},
                                 {1, subnormal_values(format)},
                                 {1, finite_values(format, t.emax - 1, t.emax)}});
}

// Steps of a near-constant row: mostly none, else one or two ulps either way.
ValueDistribution nudge_steps() {
  auto step = [](double v) { return ValueDistribution(ref::Format::f64, ConstantValue{v}); };
  return ValueDistribution::mix({{12, step(0)}, {2, step(1)}, {2, step(-1)}, {1, step(2)}, {1, step(-2)}});
}

rc::Gen<Row> constant_row(ref::Format format, std::int64_t n) {
  return rc::gen::map(rc::Gen<double>(constant_values(format)),
                      [n](double value) { return Row(static_cast<std::size_t>(n), value); });
}

rc::Gen<Row> near_constant_row(ref::Format format, std::int64_t n) {
  auto nudges = drawn_values(nudge_steps(), static_cast<std::size_t>(n));
  return rc::gen::map(rc::gen::tuple(rc::Gen<double>(constant_values(format)), nudges),
                      [format](const std::tuple<double, std::vector<double>>& drawn) {
                        const auto& [value, steps] = drawn;
                        Row row;
                        for (const double step : steps) {
                          double v = value;
                          for (int k = 0; k < step && std::isfinite(v); ++k) v = ref::next_up(format, v);
                          for (int k = 0; k > step && std::isfinite(v); --k) v = ref::next_down(format, v);
                          row.push_back(std::isfinite(v) ? v : value);
                        }
                        return row;
                      });
}

rc::Gen<Row> outlier_row(ref::Format format, std::int64_t n) {
  const int max_shift = std::max(5, safe_exponent(format));
  return rc::gen::map(
      rc::gen::tuple(values_row(ordinary_values(format), n),
                     rc::gen::inRange<std::int64_t>(0, n), rc::gen::inRange(4, max_shift + 1),
                     rc::gen::inRange(0, 2)),
      [format](const std::tuple<Row, std::int64_t, int, int>& drawn) {
        auto [row, position, shift, negative] = drawn;
        auto& value = row[static_cast<std::size_t>(position)];
        const double base = value == 0.0 ? 1.0 : value;
        value = ref::round_to_format(format, std::ldexp(negative != 0 ? -base : base, shift));
        return row;
      });
}

rc::Gen<Row> mixed_exponent_row(ref::Format format, std::int64_t n) {
  const auto& t = ref::traits(format);
  return values_row(ValueDistribution::mix({{3, finite_values(format, -20, 20)},
                                            {1, finite_values(format, t.emin - t.precision + 1, t.emax)}}),
                    n);
}

rc::Gen<Row> nonfinite_row(ref::Format format, std::int64_t n) {
  // Some rows of a batch stay clean, so "a non-finite value changes only its own row"
  // is exercised inside every batch.
  return rc::gen::map(
      rc::gen::tuple(values_row(ordinary_values(format), n),
                     rc::gen::weightedElement<int>({{3, 0}, {5, 1}, {2, 2}}),
                     rc::gen::container<std::vector<std::int64_t>>(2, rc::gen::inRange<std::int64_t>(0, n)),
                     rc::gen::container<std::vector<double>>(2, nonfinite_values())),
      [](const std::tuple<Row, int, std::vector<std::int64_t>, std::vector<double>>& drawn) {
        auto [row, count, positions, specials] = drawn;
        for (int k = 0; k < count; ++k) {
          row[static_cast<std::size_t>(positions[static_cast<std::size_t>(k)]) % row.size()] =
              specials[static_cast<std::size_t>(k)];
        }
        return row;
      });
}

rc::Gen<Row> row_for(Regime regime, ref::Format format, std::int64_t n) {
  const auto& t = ref::traits(format);
  switch (regime) {
    case Regime::ordinary: return values_row(ordinary_values(format), n);
    case Regime::large_mean_tiny_spread: return large_mean_row(format, n);
    case Regime::constant: return constant_row(format, n);
    case Regime::near_constant: return near_constant_row(format, n);
    case Regime::outlier: return outlier_row(format, n);
    case Regime::near_overflow: return values_row(finite_values(format, t.emax - 2, t.emax), n);
    case Regime::tiny_subnormal: return values_row(tiny_values(format), n);
    case Regime::mixed_exponents: return mixed_exponent_row(format, n);
    case Regime::nonfinite: return nonfinite_row(format, n);
    case Regime::small_integers: return values_row(small_integers(8), n);
  }
  return values_row(ordinary_values(format), n);
}

// The choices of regime and size shrink towards their first entry (choice_gen.hpp):
// ordinary data, small cases, fewer rows, shorter rows.
rc::Gen<Regime> regime_gen() {
  return weighted_element_towards_first<Regime>({{22, Regime::ordinary},
                                                 {12, Regime::large_mean_tiny_spread},
                                                 {5, Regime::constant},
                                                 {6, Regime::near_constant},
                                                 {7, Regime::outlier},
                                                 {7, Regime::near_overflow},
                                                 {7, Regime::tiny_subnormal},
                                                 {8, Regime::mixed_exponents},
                                                 {8, Regime::nonfinite},
                                                 {6, Regime::small_integers}});
}

rc::Gen<std::int64_t> n_gen() {
  // Mostly small (fast to check, fast to shrink), none a multiple of a vector width by
  // design beyond the few that are, and a tail of large rows for blocked reductions.
  using I = std::int64_t;
  return weighted_towards_first<I>({{40, element_towards_first<I>({1, 2, 3, 4, 5, 6, 7, 8})},
                                    {20, rc::gen::inRange<I>(9, 65)},
                                    {12, element_towards_first<I>({15, 17, 31, 33, 63, 65, 127, 129, 255, 257})},
                                    {4, element_towards_first<I>({511, 513, 1000, 1023, 1025})},
                                    {2, element_towards_first<I>({2049, 4095, 4097})}});
}

rc::Gen<std::int64_t> rows_gen() {
  using I = std::int64_t;
  return weighted_towards_first<I>(
      {{6, rc::gen::just<I>(1)}, {3, rc::gen::inRange<I>(2, 5)}, {1, rc::gen::inRange<I>(5, 9)}});
}

// 2^k - 1, 2^k, 2^k + 1 for k in [lo, hi], at most `limit`, ascending: where blocked
// code switches.
std::vector<std::int64_t> around_powers_of_two(int lo, int hi, std::int64_t limit) {
  std::vector<std::int64_t> out;
  for (int k = lo; k <= hi; ++k) {
    for (const std::int64_t d : {-1, 0, 1}) {
      const std::int64_t v = (std::int64_t{1} << k) + d;
      if (v <= limit) out.push_back(v);
    }
  }
  return out;
}

// Large batches: the strategy-switch sizes most, then the powers of two of tiles and
// blocks, then anything up to the largest batch.
rc::Gen<std::int64_t> batch_rows_gen() {
  using I = std::int64_t;
  const std::vector<I> switches(harness::kStrategySwitchBatchSizes.begin(), harness::kStrategySwitchBatchSizes.end());
  return weighted_towards_first<I>({{5, element_towards_first(switches)},
                                    {3, element_towards_first(around_powers_of_two(4, 12, harness::kMaxGeneratedRows))},
                                    {2, rc::gen::inRange<I>(9, harness::kMaxGeneratedRows + 1)}});
}

// The rows of a large batch are short, as in the token batches of a transformer's small
// hidden sizes: the batch, not the row, is what is large.
rc::Gen<std::int64_t> batch_n_gen() {
  using I = std::int64_t;
  return weighted_towards_first<I>({{6, rc::gen::inRange<I>(1, 9)},
                                    {3, rc::gen::inRange<I>(9, 65)},
                                    {1, element_towards_first<I>({127, 128, 129, 255, 256, 257, 1023, 1024, 1025})}});
}

// Long rows: around the powers of two from 2048 (fp16 holds every integer up to 2048
// only; blocked reductions change shape at each power) most, else anything up to 65,536.
rc::Gen<std::int64_t> long_n_gen() {
  using I = std::int64_t;
  return weighted_towards_first<I>({{6, element_towards_first(around_powers_of_two(11, 16, harness::kMaxGeneratedN))},
                                    {4, rc::gen::inRange<I>(2048, harness::kMaxGeneratedN + 1)}});
}

rc::Gen<double> positive(rc::Gen<double> values) {
  return rc::gen::map(std::move(values), [](double v) { return std::fabs(v); });
}

rc::Gen<double> eps_gen(const GeneratorOptions& options) {
  using F = ref::Format;
  auto fp32 = [](double v) { return ref::round_to_format(F::f32, v); };
  // Values below fp16's smallest subnormal (2^-24) vanish if a kernel narrows eps to f16.
  auto fp32_eps = rc::gen::weightedOneOf<double>(
      {{2, rc::gen::just(0.0)},
       {6, rc::gen::element(fp32(1e-5), fp32(1e-6), fp32(1e-12), fp32(1e-3), fp32(1e-2), fp32(1e-1))},
       {5, positive(finite_values(F::f32, -30, -4))},
       {2, positive(finite_values(F::f32, -40, -25))},
       {1, positive(subnormal_values(F::f32))}});
  if (options.eps_fp32_only) return fp32_eps;
  return rc::gen::weightedOneOf<double>(
      {{3, fp32_eps}, {2, positive(finite_values(F::f64, -30, -4))}});
}

rc::Gen<std::vector<double>> param_row(ValueDistribution values, std::int64_t n) {
  return long_vector(std::move(values), n);
}

rc::Gen<Params> params_gen(ref::Format format, std::int64_t n, Regime regime) {
  const auto& t = ref::traits(format);
  const auto ordinary = finite_values(format, -2, 1);
  const auto none = std::vector<double>{};
  auto pair_of = [](rc::Gen<std::vector<double>> gamma, rc::Gen<std::vector<double>> beta) {
    return rc::gen::map(rc::gen::tuple(std::move(gamma), std::move(beta)),
                        [](const std::tuple<std::vector<double>, std::vector<double>>& gb) {
                          return Params{std::get<0>(gb), std::get<1>(gb)};
                        });
  };
  auto absent = rc::gen::just(none);
  auto negative = rc::gen::map(param_row(ordinary, n), [](std::vector<double> v) {
    for (auto& g : v) g = -std::fabs(g);
    return v;
  });
  auto zeros = rc::gen::just(std::vector<double>(static_cast<std::size_t>(n), 0.0));
  auto huge = param_row(finite_values(format, std::min(8, t.emax - 1), t.emax - 1), n);
  // Non-finite parameters must poison only their column.
  auto poisoned = rc::gen::map(
      rc::gen::tuple(param_row(ordinary, n), rc::gen::inRange<std::int64_t>(0, n), nonfinite_values()),
      [](const std::tuple<std::vector<double>, std::int64_t, double>& drawn) {
        auto [v, position, special] = drawn;
        v[static_cast<std::size_t>(position)] = special;
        return v;
      });
  const std::size_t poison_weight = regime == Regime::nonfinite ? 4 : 0;
  return rc::gen::weightedOneOf<Params>(
      {{8, pair_of(absent, absent)},
       {3, pair_of(param_row(ordinary, n), absent)},  // gamma without beta
       {5, pair_of(param_row(ordinary, n), param_row(ordinary, n))},
       {1, pair_of(absent, param_row(ordinary, n))},
       {1, pair_of(zeros, param_row(ordinary, n))},
       {1, pair_of(huge, absent)},
       {1, pair_of(negative, param_row(ordinary, n))},
       {1, pair_of(param_row(ordinary, n), param_row(finite_values(format, 6, 12), n))},
       {poison_weight, pair_of(poisoned, absent)},
       {poison_weight, pair_of(param_row(ordinary, n), poisoned)}});
}

enum class ResidualKind : std::uint8_t { none, ordinary, cancelling, large };

rc::Gen<ResidualKind> residual_kind_gen(bool fused) {
  if (!fused) return rc::gen::just(ResidualKind::none);
  return rc::gen::weightedElement<ResidualKind>({{1, ResidualKind::none},
                                                 {6, ResidualKind::ordinary},
                                                 {2, ResidualKind::cancelling},
                                                 {1, ResidualKind::large}});
}

std::vector<double> make_residual(ResidualKind kind, ref::Format format, const std::vector<double>& x,
                                  const std::vector<double>& drawn) {
  switch (kind) {
    case ResidualKind::none: return {};
    case ResidualKind::ordinary: return drawn;
    case ResidualKind::large: {
      std::vector<double> r = drawn;
      for (auto& v : r) v = ref::round_to_format(format, std::ldexp(v, 10));
      return r;
    }
    case ResidualKind::cancelling: {
      // residual ~ -x: z = x + residual cancels, and RN(x + residual) differs from the
      // exact sum, which separates kernels that normalize the rounded sum from the rest.
      std::vector<double> r(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        const double small = std::ldexp(drawn[i], -12);
        r[i] = std::isfinite(x[i]) ? ref::round_to_format(format, -x[i] + small * std::fabs(x[i]))
                                   : drawn[i];
      }
      return r;
    }
  }
  return {};
}

}  // namespace

std::string_view scale_name(Scale scale) {
  switch (scale) {
    case Scale::small: return "small";
    case Scale::large_batch: return "large-batch";
    case Scale::long_row: return "long-row";
  }
  return "unknown";
}

std::string_view regime_name(Regime regime) {
  switch (regime) {
    case Regime::ordinary: return "ordinary";
    case Regime::large_mean_tiny_spread: return "large-mean-tiny-spread";
    case Regime::constant: return "constant";
    case Regime::near_constant: return "near-constant";
    case Regime::outlier: return "outlier";
    case Regime::near_overflow: return "near-overflow";
    case Regime::tiny_subnormal: return "tiny-subnormal";
    case Regime::mixed_exponents: return "mixed-exponents";
    case Regime::nonfinite: return "nonfinite";
    case Regime::small_integers: return "small-integers";
  }
  return "unknown";
}

rc::Gen<ProblemSize> problem_size_of(Scale scale, rc::Gen<std::int64_t> rows, rc::Gen<std::int64_t> n) {
  return rc::gen::map(rc::gen::tuple(std::move(rows), std::move(n)), [scale](const std::tuple<std::int64_t, std::int64_t>& s) {
    return ProblemSize{scale, std::get<0>(s), std::get<1>(s)};
  });
}

rc::Gen<ProblemSize> gen_problem_size() {
  // Small first, so a large case shrinks towards a small one. Weights: docs/checking.md,
  // "The generated cases".
  return weighted_towards_first<ProblemSize>({{88, problem_size_of(Scale::small, rows_gen(), n_gen())},
                                              {6, problem_size_of(Scale::large_batch, batch_rows_gen(), batch_n_gen())},
                                              {6, problem_size_of(Scale::long_row, rows_gen(), long_n_gen())}});
}

rc::Gen<GeneratedProblem> gen_problem(const ProblemShape& shape, const GeneratorOptions& options) {
  return gen_problem(shape, gen_problem_size(), options);
}

rc::Gen<GeneratedProblem> gen_problem(const ProblemShape& shape, const rc::Gen<ProblemSize>& sizes,
                                      const GeneratorOptions& options) {
  const auto header = rc::gen::tuple(regime_gen(), sizes);
  return rc::gen::mapcat(header, [shape, options](const std::tuple<Regime, ProblemSize>& h) {
    const Regime regime = std::get<0>(h);
    const ProblemSize size = std::get<1>(h);
    const bool small = size.scale == Scale::small;
    const std::int64_t max_elements = small ? kMaxSmallElements : harness::kMaxGeneratedElements;
    const std::int64_t n = std::clamp<std::int64_t>(size.n, 1, options.max_n);
    const std::int64_t rows = std::clamp<std::int64_t>(std::min(size.rows, max_elements / n), 1, options.max_rows);
    const RowGen regime_rows = [regime, format = shape.x_format](std::int64_t length) {
      return row_for(regime, format, length);
    };
    // Small cases draw every value; large ones a pool of rows or a motif, expanded.
    const auto x_values =
        small ? rc::gen::map(rc::gen::container<std::vector<Row>>(static_cast<std::size_t>(rows), regime_rows(n)),
                             [n](const std::vector<Row>& drawn) {
                               Row x;
                               for (const auto& row : drawn) {
                                 const Row fitted = fit(row, n);
                                 x.insert(x.end(), fitted.begin(), fitted.end());
                               }
                               return x;
                             })
              : expanded_rows(regime_rows, rows, n);
    const auto residual_values = long_vector(finite_values(shape.x_format, -4, 3), rows * n);
    using Drawn = std::tuple<Row, double, Params, ResidualKind, std::vector<double>>;
    return rc::gen::map(
        rc::gen::tuple(x_values, eps_gen(options), params_gen(shape.param_format, n, regime),
                       residual_kind_gen(shape.fused), residual_values),
        [shape, regime, scale = size.scale, rows, n](const Drawn& drawn) {
          const auto& [x_drawn, eps, params, residual_kind, residual_drawn] = drawn;
          GeneratedProblem out;
          out.regime = regime;
          out.scale = scale;
          auto& p = out.problem;
          p.op = shape.op;
          p.x_format = shape.x_format;
          p.param_format = shape.param_format;
          p.y_format = shape.y_format;
          p.residual_sum = shape.residual_sum;
          p.rows = rows;
          p.n = n;
          p.eps = eps;
          p.x = x_drawn;
          p.x.resize(static_cast<std::size_t>(rows * n), 0.0);
          auto fit_param = [n](std::vector<double> v) { return v.empty() ? v : fit(std::move(v), n); };
          p.gamma = fit_param(params.first);
          p.beta = fit_param(params.second);
          auto residual = residual_drawn;
          residual.resize(p.x.size(), 0.0);
          p.residual = make_residual(residual_kind, shape.x_format, p.x, residual);
          return out;
        });
  });
}

void showValue(const GeneratedProblem& generated, std::ostream& os) {
  harness::Case c;
  c.problem = generated.problem;
  c.note = std::string("regime ") + std::string(regime_name(generated.regime));
  os << harness::case_to_json(c);
}

}  // namespace normcheck::props
