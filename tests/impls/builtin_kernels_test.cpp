// Every correct built-in kernel against the long double reference, on ordinary and edge inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string_view>

#include "impls/abi_names.hpp"
#include "impls/registry.hpp"
#include "kernel_test_support.hpp"

namespace normcheck::impls {
// GoogleTest names a parameter by printing it: the kernel's name, not its address (which
// changes from build to build, and so did the listed test names).
void PrintTo(const KernelInfo* kernel, std::ostream* out) { *out << kernel->kernel->name; }
}  // namespace normcheck::impls

namespace normcheck::impls::testing {
namespace {

// Allowed error beyond one ulp of the output, in units of u_compute * scale_i (see
// kernel_test_support.hpp). Measured maxima on these inputs are 0.3-2.2 for every kernel
// (printed by each test); pairwise sums and per-lane Welford both grow like log2(n), so 8 keeps
// margin for other seeds without hiding a bug (every mutant misses it by orders of magnitude).
const std::map<std::string, double, std::less<>> kTolerance = {
    {"layernorm.f32.two_pass", 8},     {"layernorm.f32.welford", 8},
    {"layernorm.f16.f32_params", 8},   {"layernorm.f16.f16_params", 8},
    {"layernorm.bf16.f32_params", 8},  {"layernorm.bf16.bf16_params", 8},
    {"layernorm.f64.two_pass", 8},     {"layernorm.f16.pure_half", 8},  // in units of fp16's u
    {"rmsnorm.f32", 8},                {"rmsnorm.bf16", 8},
    {"fused_add_layernorm.f16", 8},    {"fused_add_layernorm.bf16", 8},
    {"fused_add_rmsnorm.bf16", 8},     {"onednn.layernorm.f32", 8},
    {"onednn.layernorm.bf16", 8},
};

double tolerance_for(const KernelInfo& info) {
  const auto it = kTolerance.find(info.kernel->name);
  return it == kTolerance.end() ? 8 : it->second;
}

std::vector<const KernelInfo*> correct_kernels(bool include_third_party) {
  std::vector<const KernelInfo*> out;
  for (const KernelInfo& info : builtin_kernels()) {
    if (!info.mutant && (include_third_party || info.origin == KernelOrigin::builtin)) out.push_back(&info);
  }
  return out;
}

std::string test_name(const ::testing::TestParamInfo<const KernelInfo*>& param) {
  std::string name = param.param->kernel->name;
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

class CorrectKernel : public ::testing::TestWithParam<const KernelInfo*> {
 protected:
  const KernelInfo& info() const { return *GetParam(); }
  const normcheck_kernel& kernel() const { return *GetParam()->kernel; }
  void expect_within_tolerance(const Case& c, const char* what) {
    double worst = 0;
    const auto mismatch = first_mismatch(info(), c, tolerance_for(info()), &worst);
    EXPECT_FALSE(mismatch) << what << " n=" << c.n << ": " << mismatch.value_or("");
    max_ratio_ = std::max(max_ratio_, worst);
    measured_ = true;
  }
  void TearDown() override {
    if (measured_) std::printf("  %s: max error %.3g u_c*scale\n", kernel().name, max_ratio_);
  }
  double max_ratio_ = 0;
  bool measured_ = false;
};

class BuiltinKernel : public CorrectKernel {};

TEST_P(CorrectKernel, OrdinaryRowsOfOddLengths) {
  std::mt19937_64 rng(1234);
  // A third-party kernel may have no implementation for this CPU (oneDNN's bf16 layer
  // normalization needs AVX-512 or AMX): an unsupported status is its honest answer, not an
  // error to judge. Built-in kernels run everywhere.
  if (info().origin != KernelOrigin::builtin) {
    std::mt19937_64 probe_rng(1);
    if (run_kernel(kernel(), random_case(kernel(), probe_rng, 1, 8)).status == NORMCHECK_UNSUPPORTED)
      GTEST_SKIP() << kernel().name << " is unsupported on this CPU";
  }
  for (int64_t n : {1, 2, 3, 7, 17, 127, 513, 4097}) {
    expect_within_tolerance(random_case(kernel(), rng, 3, n), "centered");
    expect_within_tolerance(random_case(kernel(), rng, 2, n, 40, 0.5), "offset mean");
    Case no_params = random_case(kernel(), rng, 2, n);
    no_params.gamma.clear();
    no_params.beta.clear();
    expect_within_tolerance(no_params, "no gamma/beta");
  }
}

TEST_P(BuiltinKernel, LargeMagnitudesNearTheFormatMaximum) {
  std::mt19937_64 rng(99);
  const long double max = format_spec(kernel().x_dtype).max;
  for (int64_t n : {2, 7, 513}) {
    Case c = random_case(kernel(), rng, 2, n);
    std::uniform_real_distribution<double> magnitude(0.25, 1.0);
    for (size_t i = 0; i < c.x.size(); ++i) {
      const long double sign = i % 2 ? -1 : 1;
      c.x[i] = round_to(kernel().x_dtype, sign * max * magnitude(rng));
      if (!c.residual.empty()) c.residual[i] = round_to(kernel().x_dtype, -c.x[i] / 8);
    }
    expect_within_tolerance(c, "near max");
  }
}

TEST_P(BuiltinKernel, SubnormalRows) {
  std::mt19937_64 rng(7);
  const FormatSpec f = format_spec(kernel().x_dtype);
  const long double smallest = std::ldexp(1.0L, f.emin - f.precision + 1);
  std::uniform_int_distribution<int64_t> multiple(-(int64_t{1} << (f.precision - 1)) + 1,
                                                  (int64_t{1} << (f.precision - 1)) - 1);
  for (int64_t n : {3, 17, 513}) {
    Case c = random_case(kernel(), rng, 2, n);
    for (auto& v : c.x) v = static_cast<long double>(multiple(rng)) * smallest;
    for (auto& v : c.residual) v = static_cast<long double>(multiple(rng)) * smallest;
    c.eps = 0;  // eps would swamp the variance of a subnormal row
    expect_within_tolerance(c, "subnormal");
  }
}

// One element near the format maximum and the rest so small that their RMSNorm outputs are
// subnormal: a kernel that normalizes a copy scaled down to max ~ 1 turns those elements into
// subnormals of the compute format and loses up to sqrt(n)/2 output ulps (16 for n = 1000).
TEST_P(BuiltinKernel, HugeRowKeepsOutputsNearUnderflowExact) {
  if (kernel().op != NORMCHECK_RMSNORM) GTEST_SKIP() << "LayerNorm outputs of such rows are ~mean*rstd, not subnormal";
  std::mt19937_64 rng(17);
  const FormatSpec x_format = format_spec(kernel().x_dtype);
  const FormatSpec y_format = format_spec(kernel().y_dtype);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int64_t n : {7, 129, 1000}) {
    Case c = random_case(kernel(), rng, 1, n);
    c.beta.clear();
    std::fill(c.residual.begin(), c.residual.end(), 0.0L);
    const long double big = round_to(kernel().x_dtype, 0.75L * x_format.max);
    // |y_i| ~ |x_i| * sqrt(n) / big ~ 2^(emin_y - 2): below the output's normal range.
    const long double small = std::ldexp(big, y_format.emin - 2) / std::sqrt(static_cast<long double>(n));
    c.x[0] = big;
    for (int64_t i = 1; i < n; ++i) c.x[static_cast<size_t>(i)] = round_to(kernel().x_dtype, small * normal(rng));
    c.eps = 0;
    expect_within_tolerance(c, "huge row, subnormal outputs");
  }
}

// gamma near the parameter format's maximum times a normalized value above 1 overflows as a
// product, while beta of the other sign brings the exact result back into range.
TEST_P(BuiltinKernel, HugeGammaOffsetByBetaStaysFinite) {
  std::mt19937_64 rng(23);
  const FormatSpec p_format = format_spec(kernel().param_dtype);
  const FormatSpec y_format = format_spec(kernel().y_dtype);
  if (y_format.max < p_format.max) GTEST_SKIP() << "y cannot hold results of gamma's magnitude";
  Case c = random_case(kernel(), rng, 1, 3);
  // Normalized values: LayerNorm -sqrt(2), sqrt(2)/2, sqrt(2)/2; RMSNorm -sqrt(3), 0, 0.
  c.x = {-1.0L, 0.0L, 0.0L};
  std::fill(c.residual.begin(), c.residual.end(), 0.0L);
  c.eps = 0;
  const long double gamma = round_to(kernel().param_dtype, -0.75L * p_format.max);
  const long double half = round_to(kernel().param_dtype, 0.5L * p_format.max);
  c.gamma = {gamma, gamma, gamma};
  c.beta = {-half, half, half};  // column 0: product 1.06 (LN) or 1.3 (RMS) x max, result below max
  expect_within_tolerance(c, "product overflows, result does not");
}

TEST_P(BuiltinKernel, ConstantRowsGiveExactlyBeta) {
  if (kernel().op != NORMCHECK_LAYERNORM) GTEST_SKIP() << "RMSNorm of a constant row is sign(x)*gamma + beta";
  std::mt19937_64 rng(3);
  const long double max = format_spec(kernel().x_dtype).max;
  for (long double value : {0.1L, -3.0L, 1e-3L, max / 3, max}) {
    for (int64_t n : {1, 5, 127, 4097}) {
      Case c = random_case(kernel(), rng, 1, n);
      const long double v = round_to(kernel().x_dtype, value);
      std::fill(c.x.begin(), c.x.end(), v);
      std::fill(c.residual.begin(), c.residual.end(), 0.0L);
      const Outputs out = run_kernel(kernel(), c);
      ASSERT_EQ(out.status, NORMCHECK_OK);
      for (size_t i = 0; i < out.y.size(); ++i) {
        ASSERT_EQ(out.y[i], round_to(kernel().y_dtype, c.beta[i]))
            << "x = " << static_cast<double>(v) << ", n = " << n << ", i = " << i;
      }
    }
  }
}

TEST_P(BuiltinKernel, NonFiniteValueLeavesOtherRowsUnchanged) {
  std::mt19937_64 rng(11);
  for (long double poison : {static_cast<long double>(NAN), static_cast<long double>(INFINITY)}) {
    Case batch = random_case(kernel(), rng, 3, 33);
    batch.x[33 + 5] = poison;
    const Outputs all = run_kernel(kernel(), batch);
    ASSERT_EQ(all.status, NORMCHECK_OK);
    for (int64_t r = 0; r < 3; ++r) {
      Case single = batch;
      single.rows = 1;
      single.x.assign(batch.x.begin() + r * 33, batch.x.begin() + (r + 1) * 33);
      if (!batch.residual.empty()) {
        single.residual.assign(batch.residual.begin() + r * 33, batch.residual.begin() + (r + 1) * 33);
      }
      const Outputs alone = run_kernel(kernel(), single);
      for (size_t i = 0; i < 33; ++i) {
        const long double y = all.y[static_cast<size_t>(r) * 33 + i];
        if (r == 1) {
          EXPECT_TRUE(std::isnan(y)) << "poisoned row, i = " << i;
        } else {
          EXPECT_EQ(y, alone.y[i]) << "row " << r << " differs from the same row run alone";
        }
      }
    }
  }
}

TEST_P(BuiltinKernel, RejectsWhatItDoesNotSupport) {
  std::mt19937_64 rng(5);
  Case c = random_case(kernel(), rng, 1, 8);
  if (!(kernel().flags & NORMCHECK_FUSED_RESIDUAL)) {
    c.residual = c.x;  // residual given to a kernel without FUSED_RESIDUAL
    EXPECT_EQ(run_kernel(kernel(), c).status, NORMCHECK_UNSUPPORTED);
    c.residual.clear();
  }
  c.eps = -1;
  EXPECT_EQ(run_kernel(kernel(), c).status, NORMCHECK_UNSUPPORTED);
  normcheck_problem empty{};
  EXPECT_EQ(kernel().run(&kernel(), &empty), NORMCHECK_ERROR);  // n = 0, no buffers
}

const KernelInfo& pure_half() {
  for (const KernelInfo& info : builtin_kernels()) {
    if (std::string_view(info.kernel->name) == "layernorm.f16.pure_half") return info;
  }
  throw std::logic_error("layernorm.f16.pure_half is not registered");
}

// A tiny row with a large eps: the fp16 kernel scales the row up by 2^s for its statistics, so
// its rstd is 1/sqrt(eps) * 2^-s, below fp16's smallest subnormal, while the outputs are not.
TEST(PureHalfKernel, TinyRowWithLargeEpsKeepsItsOutputs) {
  const KernelInfo& info = pure_half();
  Case found;  // fuzzing's case: the kernel gave 0 for +-0x1.fp-20
  found.n = 2;
  found.x = {-0x1.fp-18L, 0.0L};
  found.eps = 4;
  const Outputs out = run_kernel(*info.kernel, found);
  ASSERT_EQ(out.status, NORMCHECK_OK);
  EXPECT_EQ(out.y[0], -0x1.fp-20L);
  EXPECT_EQ(out.y[1], 0x1.fp-20L);
  std::mt19937_64 rng(31);
  for (int64_t n : {3, 17, 130}) {
    Case c;
    c.n = n;
    c.x = normal_values(rng, NORMCHECK_F16, n, 0, 0x1p-19L);
    c.eps = 4;
    const auto mismatch = first_mismatch(info, c, tolerance_for(info));
    EXPECT_FALSE(mismatch) << "n=" << n << ": " << mismatch.value_or("");
  }
}

// Nearly constant rows with eps = 0. An fp16 sum of the row is off by a few ulps of the data, so
// an uncorrected fp16 mean can lie outside most of the row (fuzzing's case gave inf for -67.6);
// and the variance of a long row with one outlier, ~2^13 / n^2 after scaling, underflows fp16.
// The unavoidable error is the fp16 mean's rounding: |dmean| * rstd with |dmean| <= ulp(mean) / 2
// (the tolerance's scale, |x| * rstd, would accept any finite output here).
TEST(PureHalfKernel, NearlyConstantRowsWithoutEps) {
  const KernelInfo& info = pure_half();
  std::mt19937_64 rng(37);
  std::uniform_int_distribution<int> ulps(-2, 2);
  const long double u = unit_roundoff(NORMCHECK_F16);
  for (long double level : {0x1.cdcp-2L, -3.0L, 1000.0L}) {
    for (int64_t n : {112, 1000, 4097}) {
      Case c;
      c.n = n;
      for (int64_t i = 0; i < n; ++i) {
        c.x.push_back(level + ulps(rng) * ulp_at(NORMCHECK_F16, level));
      }
      c.eps = 0;
      const Outputs out = run_kernel(*info.kernel, c);
      const Reference ref = reference(*info.kernel, c);
      ASSERT_EQ(out.status, NORMCHECK_OK);
      const long double mean_rounding = ulp_at(NORMCHECK_F16, ref.mean[0]) * ref.rstd[0];
      size_t i = 0;
      for (; i < out.y.size(); ++i) {
        const long double bound =
            mean_rounding + 8 * u * std::fabs(ref.y[i]) + ulp_at(NORMCHECK_F16, ref.y[i]);
        if (!(std::fabs(out.y[i] - ref.y[i]) <= bound)) break;
      }
      EXPECT_EQ(i, out.y.size()) << "level " << static_cast<double>(level) << ", n = " << n
                                 << ": first error beyond the mean's rounding at this index, got "
                                 << static_cast<double>(out.y[std::min(i, out.y.size() - 1)]);
    }
  }
  for (long double rest : {0.0L, 0.5L}) {
    Case outlier;
    outlier.n = int64_t{1} << 18;
    outlier.x.assign(static_cast<size_t>(outlier.n), rest);
    outlier.x[0] = rest + 0x1p-4L;
    outlier.eps = 0;
    const auto mismatch = first_mismatch(info, outlier, tolerance_for(info));
    EXPECT_FALSE(mismatch) << "one outlier above " << static_cast<double>(rest) << ": "
                           << mismatch.value_or("");
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, CorrectKernel, ::testing::ValuesIn(correct_kernels(true)), test_name);
INSTANTIATE_TEST_SUITE_P(Kernels, BuiltinKernel, ::testing::ValuesIn(correct_kernels(false)), test_name);

}  // namespace
}  // namespace normcheck::impls::testing
