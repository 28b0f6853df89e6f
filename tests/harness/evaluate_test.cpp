// Tests of evaluate_case: a perfect kernel passes, each deliberately broken kernel is
// caught by exactly the contract class it breaks, and correct built-ins pass.
#include "harness/evaluate.hpp"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include <gtest/gtest.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "harness/measures.hpp"
#include "tests/support/test_kernels.hpp"
#include "tests/support/test_problems.hpp"

namespace normcheck::harness {
namespace {

using testing::ordinary_problem;
using testing::Tamper;
using testing::TestKernel;

constexpr std::uint32_t kAllFlags = NORMCHECK_FUSED_RESIDUAL | NORMCHECK_WRITES_STATS;

std::vector<std::string> classes_of(const CaseEvaluation& e) {
  std::vector<std::string> out;
  for (const auto& v : e.violations) out.push_back(std::string(class_name(v.klass)));
  return out;
}

std::string describe(const CaseEvaluation& e) {
  std::string out;
  for (const auto& v : e.violations) out += std::string(class_name(v.klass)) + ": " + v.message + "\n";
  return out;
}

Budget f32_budget() {
  Budget b;
  b.max_score = 16;
  b.score_per_log2n = 1;
  return b;
}

ref::NormProblem f32_problem(std::int64_t rows = 4, std::int64_t n = 24) {
  return ordinary_problem(ref::Op::layernorm, ref::Format::f32, ref::Format::f32, ref::Format::f32, rows, n, 3);
}

// Applies f to every finite y output.
Tamper tamper_y(std::function<double(ref::Format, double)> f) {
  Tamper t;
  t.outputs = [f](const ref::NormProblem& p, ref::OracleResult& r) {
    for (double& y : r.y) {
      if (std::isfinite(y)) y = f(p.y_format, y);
    }
  };
  return t;
}

TEST(EvaluateTest, PerfectKernelPassesEveryDtypeAndForm) {
  const ref::Format formats[] = {ref::Format::f16, ref::Format::bf16, ref::Format::f32, ref::Format::f64};
  for (const auto f : formats) {
    const auto dtype = static_cast<normcheck_dtype>(f);
    for (const auto op : {NORMCHECK_LAYERNORM, NORMCHECK_RMSNORM}) {
      for (const std::uint32_t flags : {0u, kAllFlags, kAllFlags | NORMCHECK_NORMALIZES_ROUNDED_SUM}) {
        TestKernel k("perfect", op, dtype, dtype, dtype, flags);
        ref::NormProblem p = ordinary_problem(static_cast<ref::Op>(op), f, f, f, 3, 17, 5);
        if ((flags & NORMCHECK_FUSED_RESIDUAL) != 0) p.residual = ordinary_problem(p.op, f, f, f, 3, 17, 6).x;
        const CaseEvaluation e = evaluate_case(k.info, p, f32_budget());
        EXPECT_TRUE(e.passed()) << ref::format_name(f) << " op " << op << " flags " << flags << "\n" << describe(e);
        EXPECT_FALSE(e.skipped);
        EXPECT_EQ(e.outputs_checked, 51);
        EXPECT_EQ(e.max_ulp_distance, 0);
        EXPECT_LE(e.max_ulp_error, 0.5);
        EXPECT_LE(e.max_score, 0.5);
      }
    }
  }
}

TEST(EvaluateTest, PerfectKernelPassesSpecialValuesAndConstantRows) {
  TestKernel k("perfect", NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_F32, NORMCHECK_F16, 0);
  ref::NormProblem p = ordinary_problem(ref::Op::layernorm, ref::Format::f16, ref::Format::f32, ref::Format::f16, 3, 8, 9);
  p.x[2] = std::nan("");                                 // row 0 is NaN
  std::fill(p.x.begin() + 8, p.x.begin() + 16, 0.75);    // row 1 is constant
  p.gamma[3] = HUGE_VAL;                                 // column 3 is inf (or NaN) everywhere
  const CaseEvaluation e = evaluate_case(k.info, p, f32_budget());
  EXPECT_TRUE(e.passed()) << describe(e);
  EXPECT_EQ(e.special_mismatches, 0);
}

TEST(EvaluateTest, InaccurateOutputsBreakTheScore) {
  TestKernel k("inaccurate", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0,
               tamper_y([](ref::Format f, double y) { return ref::round_to_format(f, y * (1 + 0x1p-10)); }));
  const CaseEvaluation e = evaluate_case(k.info, f32_problem(), f32_budget());
  EXPECT_EQ(classes_of(e), std::vector<std::string>{"score"}) << describe(e);
  EXPECT_GT(e.max_score, 100);
  const std::string& message = e.violations.front().message;
  EXPECT_EQ(message.rfind("row ", 0), 0u) << message;
  EXPECT_NE(message.find(": got "), std::string::npos) << message;
  EXPECT_NE(message.find(", want "), std::string::npos) << message;
  EXPECT_NE(message.find("score "), std::string::npos) << message;
}

TEST(EvaluateTest, UlpDistanceIsGatedOnlyWhenTheBudgetSaysSo) {
  TestKernel k("one-ulp", NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_F32, NORMCHECK_F16, 0,
               tamper_y([](ref::Format f, double y) { return ref::next_up(f, y); }));
  const auto p = ordinary_problem(ref::Op::layernorm, ref::Format::f16, ref::Format::f32, ref::Format::f16, 2, 16, 4);
  Budget budget = f32_budget();
  const CaseEvaluation loose = evaluate_case(k.info, p, budget);
  EXPECT_TRUE(loose.passed()) << describe(loose);
  EXPECT_EQ(loose.max_ulp_distance, 1);
  budget.max_ulp = 0;
  EXPECT_EQ(classes_of(evaluate_case(k.info, p, budget)), std::vector<std::string>{"ulp"});
}

TEST(EvaluateTest, SpecialMismatchesFollowThePolicy) {
  Tamper zero_for_nan;
  zero_for_nan.outputs = [](const ref::NormProblem&, ref::OracleResult& r) {
    for (double& y : r.y) y = std::isnan(y) ? 0.0 : y;
  };
  TestKernel k("nan-to-zero", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, zero_for_nan);
  ref::NormProblem p = f32_problem(2, 8);
  p.x[9] = HUGE_VAL;  // row 1 is NaN
  Budget budget = f32_budget();
  const CaseEvaluation strict = evaluate_case(k.info, p, budget, {.check_contracts = false});
  EXPECT_EQ(classes_of(strict), std::vector<std::string>{"special"}) << describe(strict);
  EXPECT_EQ(strict.special_mismatches, 8);
  EXPECT_NE(strict.violations.front().message.find("number-for-nan"), std::string::npos);
  budget.special = SpecialPolicy::ignore;
  const CaseEvaluation ignored = evaluate_case(k.info, p, budget, {.check_contracts = false});
  EXPECT_TRUE(ignored.passed());
  EXPECT_EQ(ignored.special_mismatches, 8);
}

// Where a row holds a non-finite input or var + eps = 0, NaN is accepted for every output
// (IEEE kernels propagate it through the row); every other value is judged as usual.
TEST(EvaluateTest, NanIsAcceptedThroughoutARowWithANonFiniteInput) {
  Tamper nan_rows;  // NaN for y, mean and rstd wherever the row holds a non-finite x
  nan_rows.outputs = [](const ref::NormProblem& p, ref::OracleResult& r) {
    for (std::int64_t row = 0; row < p.rows; ++row) {
      bool finite = true;
      for (std::int64_t c = 0; c < p.n; ++c) finite &= std::isfinite(p.x[static_cast<std::size_t>(row * p.n + c)]);
      if (finite && r.rstd[static_cast<std::size_t>(row)] != HUGE_VAL) continue;
      for (std::int64_t c = 0; c < p.n; ++c) r.y[static_cast<std::size_t>(row * p.n + c)] = std::nan("");
      r.mean[static_cast<std::size_t>(row)] = r.rstd[static_cast<std::size_t>(row)] = std::nan("");
    }
  };
  for (const auto op : {NORMCHECK_LAYERNORM, NORMCHECK_RMSNORM}) {
    TestKernel ieee("ieee", op, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_WRITES_STATS);
    TestKernel propagating("nan-rows", op, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_WRITES_STATS,
                           nan_rows);
    ref::NormProblem p = f32_problem(3, 8);
    p.op = static_cast<ref::Op>(op);
    p.x[1] = -HUGE_VAL;                                  // row 0: an infinity
    for (int c = 0; c < 8; ++c) p.x[16 + c] = 0.5;       // row 2: constant
    p.eps = op == NORMCHECK_LAYERNORM ? 0.0 : p.eps;     // LayerNorm: var + eps = 0 there
    for (const TestKernel* k : {&ieee, &propagating}) {
      const CaseEvaluation e = evaluate_case(k->info, p, f32_budget());
      EXPECT_TRUE(e.passed()) << k->kernel.name << " op " << op << "\n" << describe(e);
      EXPECT_EQ(e.special_mismatches, 0);
    }
  }
  // RMSNorm of [-inf, 0, ...]: the finite outputs are beta exactly; a finite wrong value
  // there, or a finite value where NaN is due, is still a finding.
  Tamper off_zero;
  off_zero.outputs = [](const ref::NormProblem&, ref::OracleResult& r) {
    r.y[2] = ref::round_to_format(ref::Format::f32, r.y[2] + 0.5);
  };
  TestKernel wrong("wrong-zero", NORMCHECK_RMSNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, off_zero);
  ref::NormProblem q = f32_problem(1, 8);
  q.op = ref::Op::rmsnorm;
  q.x[0] = -HUGE_VAL;
  EXPECT_EQ(classes_of(evaluate_case(wrong.info, q, f32_budget())), std::vector<std::string>{"score"});
  Tamper number_for_nan;
  number_for_nan.outputs = [](const ref::NormProblem&, ref::OracleResult& r) { r.y[0] = 1.0; };
  TestKernel finite("finite-for-nan", NORMCHECK_RMSNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0,
                    number_for_nan);
  const CaseEvaluation e = evaluate_case(finite.info, q, f32_budget());
  EXPECT_EQ(classes_of(e), std::vector<std::string>{"special"}) << describe(e);
}

// Rows holding an infinity stay strict for everything but NaN: RMSNorm's rstd is exactly
// +0 there (its score scale would be 0 * inf), and an output never written is a finding
// even where NaN is due.
TEST(EvaluateTest, NonFiniteRowsStayStrictForStatisticsAndUnwrittenOutputs) {
  Tamper rstd_one;
  rstd_one.outputs = [](const ref::NormProblem&, ref::OracleResult& r) { r.rstd[0] = 1.0; };
  TestKernel stats("rstd-one", NORMCHECK_RMSNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
                   NORMCHECK_WRITES_STATS, rstd_one);
  ref::NormProblem q = f32_problem(1, 8);
  q.op = ref::Op::rmsnorm;
  q.x[3] = HUGE_VAL;
  EXPECT_EQ(classes_of(evaluate_case(stats.info, q, f32_budget(), {.check_contracts = false})),
            std::vector<std::string>{"stats"});
  Tamper skip;
  skip.skip_last_y = true;
  TestKernel lazy("skips-last", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, skip);
  ref::NormProblem p = f32_problem(2, 8);
  p.x[9] = std::nan("");  // the last row is NaN, so its outputs are due as NaN
  const CaseEvaluation e = evaluate_case(lazy.info, p, f32_budget(), {.check_contracts = false});
  ASSERT_EQ(classes_of(e), std::vector<std::string>{"special"}) << describe(e);
  EXPECT_NE(e.violations.front().message.find("never written"), std::string::npos) << describe(e);
}

// A kernel that leaves the rounding mode or flush-to-zero changed is a finding, and the
// harness's own arithmetic after the call runs in the state it had before.
TEST(EvaluateTest, AKernelThatChangesTheFloatingPointStateIsAFindingAndIsUndone) {
  Tamper upward;
  upward.status = [](const ref::NormProblem&) {
    std::fesetround(FE_UPWARD);
    return NORMCHECK_OK;
  };
  TestKernel rounds_up("rounds-up", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, upward);
  const CaseEvaluation e = evaluate_case(rounds_up.info, f32_problem(2, 8), f32_budget());
  EXPECT_EQ(classes_of(e), std::vector<std::string>{"fp-state"}) << describe(e);
  EXPECT_NE(e.violations.front().message.find("rounding upward"), std::string::npos) << describe(e);
  EXPECT_EQ(std::fegetround(), FE_TONEAREST);
#if defined(__x86_64__)
  Tamper flush;
  flush.status = [](const ref::NormProblem&) {
    _mm_setcsr(_mm_getcsr() | 0x8040u);  // flush-to-zero and denormals-are-zero
    return NORMCHECK_OK;
  };
  TestKernel flushes("flushes", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, flush);
  const CaseEvaluation f = evaluate_case(flushes.info, f32_problem(2, 8), f32_budget());
  ASSERT_FALSE(f.violations.empty());
  EXPECT_NE(f.violations.front().message.find("flush-to-zero set, denormals-are-zero set"), std::string::npos)
      << describe(f);
  EXPECT_EQ(_mm_getcsr() & 0x8040u, 0u);
  volatile double tiny = 0x1p-1060;
  EXPECT_NE(tiny * 2, 0.0);  // subnormals survive in the harness

  // The x87 unit: a precision control changed is a finding and is undone; values left on
  // its stack (a full stack would turn the harness's long double arithmetic into NaN) are
  // cleared without a finding, as they change no result.
  Tamper single_precision;
  single_precision.status = [](const ref::NormProblem&) {
    std::uint16_t word = 0;
    __asm__ volatile("fnstcw %0" : "=m"(word));
    word = static_cast<std::uint16_t>(word & ~0x300u);  // precision control: 24 bits
    __asm__ volatile("fldcw %0" : : "m"(word));
    return NORMCHECK_OK;
  };
  TestKernel narrows("narrows-x87", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0,
                     single_precision);
  const CaseEvaluation x = evaluate_case(narrows.info, f32_problem(2, 8), f32_budget(), {.check_contracts = false});
  ASSERT_FALSE(x.violations.empty());
  EXPECT_NE(x.violations.front().message.find("x87 precision control"), std::string::npos) << describe(x);
  volatile long double big = 0x1p60L;
  EXPECT_EQ(static_cast<double>((big + 1.0L) - big), 1.0) << "long double lost its 64-bit significand";

  Tamper leaves_stack;
  leaves_stack.status = [](const ref::NormProblem&) {
    __asm__ volatile("fld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1");
    return NORMCHECK_OK;
  };
  TestKernel full_stack("fills-x87-stack", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0,
                        leaves_stack);
  const CaseEvaluation st = evaluate_case(full_stack.info, f32_problem(2, 8), f32_budget(), {.check_contracts = false});
  EXPECT_TRUE(st.passed()) << describe(st);
  std::uint16_t status = 0;
  __asm__ volatile("fxam\n\tfnstsw %0" : "=a"(status));
  EXPECT_EQ(status & 0x4500u, 0x4100u) << "the x87 stack is not empty after the call";
  volatile long double one = 1.0L;
  EXPECT_EQ(static_cast<double>(one + one), 2.0);
#endif
}

TEST(EvaluateTest, OverflowWithinTheScoreBudgetIsNoSpecialMismatch) {
  // x = [1, -1] with eps = 0 gives z = +-1 exactly, so y = +-gamma.
  ref::NormProblem p = f32_problem(1, 2);
  p.x = {1.0, -1.0};
  p.eps = 0;
  p.beta.clear();
  Tamper overflow_large;  // inf for every |y| >= 2^120, as a kernel overflowing early would
  overflow_large.outputs = [](const ref::NormProblem&, ref::OracleResult& r) {
    for (double& y : r.y) y = std::fabs(y) >= 0x1p120 ? std::copysign(HUGE_VAL, y) : y;
  };
  TestKernel k("overflows", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, overflow_large);

  // y = +-FLT_MAX: inf is half an ulp away from the exact value, a rounding slip.
  const double flt_max = 0x1.fffffep127;
  p.gamma = {flt_max, flt_max};
  const CaseEvaluation at_edge = evaluate_case(k.info, p, f32_budget(), {.check_contracts = false});
  EXPECT_TRUE(at_edge.passed()) << describe(at_edge);
  EXPECT_EQ(at_edge.special_mismatches, 0);

  // y = +-2^121: inf is 2^7 times the exact value, a real overflow.
  p.gamma = {0x1p121, 0x1p121};
  const CaseEvaluation early = evaluate_case(k.info, p, f32_budget(), {.check_contracts = false});
  EXPECT_EQ(classes_of(early), std::vector<std::string>{"special"}) << describe(early);
  EXPECT_NE(early.violations.front().message.find("inf-for-finite"), std::string::npos);
}

TEST(EvaluateTest, F64ResultJustShortOfAnOverflowedExactValueIsJudgedByItsScore) {
  // x = [1, -1], eps = 0: z = +-1, so y_0 = DBL_MAX + 2^970 = the overflow threshold
  // exactly (rounds to inf, and no double holds it), y_1 = -DBL_MAX + 2^970.
  const double dbl_max = std::numeric_limits<double>::max();
  ref::NormProblem p = ordinary_problem(ref::Op::layernorm, ref::Format::f64, ref::Format::f64, ref::Format::f64, 1, 2, 1);
  p.x = {1.0, -1.0};
  p.eps = 0;
  p.gamma = {dbl_max, dbl_max};
  p.beta = {0x1p970, 0x1p970};
  Tamper finite_max;  // DBL_MAX for inf: half an ulp from the exact value
  finite_max.outputs = [dbl_max](const ref::NormProblem&, ref::OracleResult& r) {
    for (double& y : r.y) y = std::isinf(y) ? std::copysign(dbl_max, y) : y;
  };
  TestKernel near("near", NORMCHECK_LAYERNORM, NORMCHECK_F64, NORMCHECK_F64, NORMCHECK_F64, 0, finite_max);
  const CaseEvaluation e = evaluate_case(near.info, p, f32_budget(), {.check_contracts = false});
  EXPECT_TRUE(e.passed()) << describe(e);
  EXPECT_EQ(e.special_mismatches, 0);

  Tamper far_off;  // 2^1000 for inf: far below the exact value
  far_off.outputs = [](const ref::NormProblem&, ref::OracleResult& r) {
    for (double& y : r.y) y = std::isinf(y) ? std::copysign(0x1p1000, y) : y;
  };
  TestKernel far("far", NORMCHECK_LAYERNORM, NORMCHECK_F64, NORMCHECK_F64, NORMCHECK_F64, 0, far_off);
  const CaseEvaluation f = evaluate_case(far.info, p, f32_budget(), {.check_contracts = false});
  EXPECT_EQ(classes_of(f), std::vector<std::string>{"special"}) << describe(f);
}

TEST(EvaluateTest, InfiniteGammaOnAValueTooSmallToSignIsIndeterminate) {
  // Row [0, 1, -1 + 2^-23]: column 0's normalized value is -2^-23 / 3 * rstd, below what
  // fp32 rounding of the mean can resolve; column 1's is about 1.2.
  ref::NormProblem p = f32_problem(1, 3);
  p.x = {0.0, 1.0, -1.0 + 0x1p-23};
  p.gamma = {HUGE_VAL, HUGE_VAL, 1.0};
  p.beta.clear();
  Tamper nan_for_infinite_gamma;
  nan_for_infinite_gamma.outputs = [](const ref::NormProblem&, ref::OracleResult& r) {
    r.y[0] = std::nan("");
    r.y[1] = std::nan("");
  };
  TestKernel k("nan-gamma", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0,
               nan_for_infinite_gamma);
  const CaseEvaluation e = evaluate_case(k.info, p, f32_budget(), {.check_contracts = false});
  EXPECT_EQ(classes_of(e), std::vector<std::string>{"special"}) << describe(e);
  EXPECT_EQ(e.special_mismatches, 1);  // column 1 only
  EXPECT_NE(e.violations.front().message.find("col 1"), std::string::npos) << describe(e);
}

TEST(EvaluateTest, ConstantRowMustGiveExactlyBeta) {
  // Off by one subnormal: far inside the score (u_c * A is large, rstd = 1/sqrt(eps)).
  Tamper nudge;
  nudge.outputs = [](const ref::NormProblem& p, ref::OracleResult& r) {
    for (std::int64_t row = 0; row < p.rows; ++row) {
      const auto first = p.x.begin() + row * p.n;
      if (!std::all_of(first, first + p.n, [&](double v) { return v == *first; })) continue;
      for (std::int64_t c = 0; c < p.n; ++c) {
        double& y = r.y[static_cast<std::size_t>(row * p.n + c)];
        y = ref::next_up(p.y_format, y);
      }
    }
  };
  TestKernel k("constant-nudge", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, nudge);
  ref::NormProblem p = f32_problem(2, 8);
  std::fill(p.x.begin(), p.x.begin() + 8, -3.5);  // row 0 constant
  const CaseEvaluation e = evaluate_case(k.info, p, f32_budget());
  EXPECT_EQ(classes_of(e), std::vector<std::string>{"constant-row"}) << describe(e);
}

TEST(EvaluateTest, ResidualOutMustBeTheRoundedSum) {
  Tamper off;
  off.outputs = [](const ref::NormProblem& p, ref::OracleResult& r) {
    r.residual_out[5] = ref::next_down(p.x_format, r.residual_out[5]);
  };
  TestKernel k("residual-off", NORMCHECK_LAYERNORM, NORMCHECK_BF16, NORMCHECK_BF16, NORMCHECK_BF16,
               NORMCHECK_FUSED_RESIDUAL, off);
  auto p = ordinary_problem(ref::Op::layernorm, ref::Format::bf16, ref::Format::bf16, ref::Format::bf16, 1, 16, 2);
  p.residual = ordinary_problem(ref::Op::layernorm, ref::Format::bf16, ref::Format::bf16, ref::Format::bf16, 1, 16, 3).x;
  const CaseEvaluation e = evaluate_case(k.info, p, f32_budget());
  EXPECT_EQ(classes_of(e), std::vector<std::string>{"residual-out"}) << describe(e);
  EXPECT_NE(e.violations.front().message.find("row 0, col 5"), std::string::npos);
}

TEST(EvaluateTest, SavedStatisticsAreChecked) {
  Tamper off;
  off.outputs = [](const ref::NormProblem&, ref::OracleResult& r) {
    if (r.rstd.size() > 1) r.rstd[1] *= 1 + 0x1p-12;  // rows alone have one rstd
  };
  TestKernel k("stats-off", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
               NORMCHECK_WRITES_STATS, off);
  const CaseEvaluation e = evaluate_case(k.info, f32_problem(), f32_budget());
  EXPECT_EQ(classes_of(e), std::vector<std::string>{"stats"}) << describe(e);
  EXPECT_NE(e.violations.front().message.find("row 1: rstd"), std::string::npos);
}

TEST(EvaluateTest, StatusErrorIsAViolationAndUnsupportedIsASkip) {
  Tamper error;
  error.status = [](const ref::NormProblem&) { return NORMCHECK_ERROR; };
  TestKernel failing("failing", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, error);
  EXPECT_EQ(classes_of(evaluate_case(failing.info, f32_problem(), f32_budget())), std::vector<std::string>{"status"});

  Tamper unsupported;
  unsupported.status = [](const ref::NormProblem& p) { return p.n > 16 ? NORMCHECK_UNSUPPORTED : NORMCHECK_OK; };
  TestKernel picky("picky", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, unsupported);
  const CaseEvaluation e = evaluate_case(picky.info, f32_problem(), f32_budget());
  EXPECT_TRUE(e.skipped);
  EXPECT_TRUE(e.passed());
  EXPECT_FALSE(e.skip_reason.empty());
}

TEST(EvaluateTest, ANonFiniteRowMustNotLeakIntoOtherRows) {
  Tamper leak;  // a NaN anywhere poisons the whole batch
  leak.outputs = [](const ref::NormProblem& p, ref::OracleResult& r) {
    if (std::any_of(p.x.begin(), p.x.end(), [](double v) { return std::isnan(v); })) {
      std::fill(r.y.begin(), r.y.end(), std::nan(""));
    }
  };
  TestKernel k("leaky", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, leak);
  const CaseEvaluation finite = evaluate_case(k.info, f32_problem(), f32_budget());
  EXPECT_EQ(classes_of(finite), std::vector<std::string>{"row-isolation"}) << describe(finite);
  EXPECT_NE(finite.violations.front().message.find("made NaN"), std::string::npos);

  ref::NormProblem with_nan = f32_problem();
  with_nan.x[30] = std::nan("");  // row 1
  const CaseEvaluation e = evaluate_case(k.info, with_nan, f32_budget());
  const auto classes = classes_of(e);
  EXPECT_NE(std::find(classes.begin(), classes.end(), "row-isolation"), classes.end()) << describe(e);
}

TEST(EvaluateTest, RowsAloneMustEqualTheBatch) {
  Tamper batch_dependent;  // one ulp off whenever rows > 1: inside the score budget
  batch_dependent.outputs = [](const ref::NormProblem& p, ref::OracleResult& r) {
    if (p.rows == 1) return;
    for (double& y : r.y) y = std::isfinite(y) ? ref::next_up(p.y_format, y) : y;
  };
  TestKernel k("batchy", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, batch_dependent);
  const CaseEvaluation e = evaluate_case(k.info, f32_problem(), f32_budget());
  EXPECT_EQ(classes_of(e), std::vector<std::string>{"batch-invariance"}) << describe(e);
  EXPECT_TRUE(evaluate_case(k.info, f32_problem(), f32_budget(), {.check_contracts = false}).passed());
}

TEST(EvaluateTest, MemoryAbuseAndUnwrittenOutputsAreCaught) {
  Tamper underrun;
  underrun.write_before_y = true;
  TestKernel k1("underrun", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, underrun);
  const CaseEvaluation e1 = evaluate_case(k1.info, f32_problem(), f32_budget(), {.check_contracts = false});
  EXPECT_EQ(classes_of(e1), std::vector<std::string>{"memory"}) << describe(e1);

  Tamper lazy;
  lazy.skip_last_y = true;
  TestKernel k2("lazy", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, lazy);
  const CaseEvaluation e2 = evaluate_case(k2.info, f32_problem(), f32_budget(), {.check_contracts = false});
  EXPECT_EQ(classes_of(e2), std::vector<std::string>{"special"}) << describe(e2);
  EXPECT_NE(e2.violations.front().message.find("never written"), std::string::npos);
}

TEST(EvaluateTest, DomainAndCollectedErrors) {
  TestKernel k("perfect", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0);
  Budget budget = f32_budget();
  const CaseEvaluation collected = evaluate_case(k.info, f32_problem(), budget, {.collect_errors = true});
  EXPECT_EQ(collected.scores.size(), 96u);
  EXPECT_EQ(collected.ulp_errors.size(), 96u);
  budget.max_abs_x = 1.0;  // the ordinary data reaches 2.25
  const CaseEvaluation e = evaluate_case(k.info, f32_problem(), budget);
  EXPECT_TRUE(e.skipped);
  EXPECT_NE(e.skip_reason.find("domain"), std::string::npos);
}

// The built-in kernels that claim to be correct pass ordinary data under their defaults.
TEST(EvaluateTest, CorrectBuiltinsPassOrdinaryData) {
  int evaluated = 0;
  for (const auto& info : impls::builtin_kernels()) {
    if (info.mutant) continue;
    const normcheck_kernel& k = *info.kernel;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      ref::NormProblem p = ordinary_problem(static_cast<ref::Op>(k.op), static_cast<ref::Format>(k.x_dtype),
                                            static_cast<ref::Format>(k.param_dtype),
                                            static_cast<ref::Format>(k.y_dtype), 3, 100 + 60 * static_cast<std::int64_t>(seed), seed);
      if ((k.flags & NORMCHECK_FUSED_RESIDUAL) != 0) {
        p.residual = ordinary_problem(p.op, p.x_format, p.x_format, p.y_format, 3, p.n, seed + 10).x;
      }
      const CaseEvaluation e = evaluate_case(info, p, default_budget(info));
      if (e.skipped) continue;
      ++evaluated;
      EXPECT_TRUE(e.passed()) << k.name << " seed " << seed << "\n" << describe(e);
    }
  }
  EXPECT_GT(evaluated, 0);
}

}  // namespace
}  // namespace normcheck::harness

namespace normcheck::harness {
namespace {

// A textbook LayerNorm that sums its statistics sequentially in fp32: its error grows
// like n. Over the default (pairwise) budget on a long offset row, the finding says so
// and names the budget key; with summation = "sequential" the same case passes.
TEST(EvaluateTest, ASequentialSumIsAFindingThatNamesItsCauseAndBudgetKey) {
  Tamper t;
  t.outputs = [](const ref::NormProblem& p, ref::OracleResult& r) {
    for (std::int64_t row = 0; row < p.rows; ++row) {
      const auto at = [&](std::int64_t c) { return static_cast<std::size_t>(row * p.n + c); };
      float sum = 0;
      for (std::int64_t c = 0; c < p.n; ++c) sum += static_cast<float>(p.x[at(c)]);
      const float mean = sum / static_cast<float>(p.n);
      float squares = 0;
      for (std::int64_t c = 0; c < p.n; ++c) {
        const float d = static_cast<float>(p.x[at(c)]) - mean;
        squares += d * d;
      }
      const float rstd = 1.0f / std::sqrt(squares / static_cast<float>(p.n) + static_cast<float>(p.eps));
      for (std::int64_t c = 0; c < p.n; ++c) r.y[at(c)] = (static_cast<float>(p.x[at(c)]) - mean) * rstd;
    }
  };
  TestKernel k("sequential", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, t);
  // One long row far from zero: the running sum's rounding error reaches the mean.
  ref::NormProblem p = f32_problem(1, 8192);
  for (std::size_t i = 0; i < p.x.size(); ++i) {
    p.x[i] = static_cast<float>(1000.0 + static_cast<double>(i % 7) * 0.125 - 0.375);
  }
  p.gamma.clear();
  p.beta.clear();
  const CaseEvaluation pairwise = evaluate_case(k.info, p, f32_budget());
  ASSERT_FALSE(pairwise.passed()) << "the case does not separate the budgets";
  EXPECT_EQ(classes_of(pairwise).front(), "score") << describe(pairwise);
  std::printf("%s\n", pairwise.violations.front().message.c_str());
  EXPECT_NE(pairwise.violations.front().message.find("summation = \"sequential\""), std::string::npos)
      << describe(pairwise);
  Budget sequential = f32_budget();
  sequential.summation = Summation::sequential;
  EXPECT_TRUE(evaluate_case(k.info, p, sequential).passed()) << describe(evaluate_case(k.info, p, sequential));
}

}  // namespace
}  // namespace normcheck::harness
