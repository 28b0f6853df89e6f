// Tests of the backward target's layout (fuzz/backward_input.hpp): the dy header's forms and
// shift, dy carried as the forward layout's residual, the seeds, and the header's mutations.
#include "fuzz/backward_input.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include "fuzz/dy_mutations.hpp"
#include "reference/format.hpp"

namespace normcheck::fuzz {
namespace {

using ref::Format;

harness::KernelShape carrier(Format x = Format::f32, Format dy = Format::f32, ref::Op op = ref::Op::layernorm) {
  harness::KernelShape s;
  s.op = op;
  s.x_format = x;
  s.param_format = Format::f32;
  s.y_format = dy;
  s.fused = true;
  return s;
}

// A raw input of rows x n: x and dy (its residual) ordinary values of f32.
BackwardFuzzInput random_input(std::mt19937& rng, std::int64_t rows, std::int64_t n, DyHeader header = {}) {
  BackwardFuzzInput in;
  in.dy = header;
  in.carrier.rows = rows;
  in.carrier.n = n;
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  for (std::int64_t i = 0; i < rows * n; ++i) {
    in.carrier.x.push_back(ref::to_bits(Format::f32, value(rng)));
    in.carrier.residual.push_back(ref::to_bits(Format::f32, value(rng)));
  }
  in.carrier.flags = input_flags(in.carrier);
  return in;
}

ref::BackwardProblem decoded(const BackwardFuzzInput& in, const harness::KernelShape& shape = carrier()) {
  const auto bytes = encode_backward_input(in);
  const auto back = decode_backward_input(bytes.data(), bytes.size(), shape);
  EXPECT_TRUE(back);
  return back ? to_backward_problem(*back, shape) : ref::BackwardProblem{};
}

std::vector<double> row_of(const ref::BackwardProblem& p, std::int64_t r) {
  const auto begin = p.dy.begin() + static_cast<std::ptrdiff_t>(r * p.n);
  return {begin, begin + static_cast<std::ptrdiff_t>(p.n)};
}

TEST(BackwardInput, HeaderThenAForwardInputWhoseResidualIsDy) {
  std::mt19937 rng(1);
  const BackwardFuzzInput in = random_input(rng, 3, 5, DyHeader{DyForm::sparse, 7, -3});
  const auto bytes = encode_backward_input(in);
  ASSERT_EQ(bytes.size(), kDyHeaderBytes + encode_input(in.carrier).size());
  const auto back = decode_backward_input(bytes.data(), bytes.size(), carrier());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dy, in.dy);
  EXPECT_EQ(encode_backward_input(*back), bytes);
  BackwardFuzzInput as_written = *back;
  as_written.dy = DyHeader{};
  const auto p = to_backward_problem(as_written, carrier());
  ASSERT_EQ(p.dy.size(), 15u);
  for (std::size_t i = 0; i < p.dy.size(); ++i) EXPECT_EQ(p.dy[i], ref::from_bits(Format::f32, in.carrier.residual[i]));
  EXPECT_EQ(p.rows, 3);
  EXPECT_EQ(p.n, 5);
  // Too short for a forward input after the header: no case.
  EXPECT_FALSE(decode_backward_input(bytes.data(), kDyHeaderBytes + 3, carrier()));
}

TEST(BackwardInput, NoResidualIsDyOfOnesAndTheShiftScalesIt) {
  BackwardFuzzInput in;
  in.carrier.rows = 2;
  in.carrier.n = 3;
  in.carrier.x.assign(6, ref::to_bits(Format::f32, 1.5));
  in.dy.shift = 3;
  const auto p = decoded(in);
  EXPECT_EQ(p.dy, std::vector<double>(6, 8.0));
  // f64 moves 8 binades a unit, so that one byte spans its range.
  const auto f64 = carrier(Format::f64, Format::f64);
  convert_storage(in.carrier, f64);
  EXPECT_EQ(decoded(in, f64).dy, std::vector<double>(6, 0x1p24));
  // Past the format's range: infinities above, zeros below.
  in.carrier = expanded(in.carrier);
  convert_storage(in.carrier, carrier());
  in.dy.shift = 127;
  EXPECT_EQ(decoded(in).dy, std::vector<double>(6, 0x1p127));
  in.carrier.residual.assign(6, ref::to_bits(Format::f32, 4.0));
  for (double v : decoded(in).dy) EXPECT_TRUE(std::isinf(v));
  in.carrier.residual.assign(6, ref::to_bits(Format::f32, 0x1p-30));
  in.dy.shift = -128;
  for (double v : decoded(in).dy) EXPECT_EQ(v, 0.0);
}

TEST(BackwardInput, DyIsRoundedToItsOwnFormat) {
  std::mt19937 rng(2);
  const auto shape = carrier(Format::f32, Format::bf16);  // a plugin's dy may be narrower than x
  const auto p = decoded(random_input(rng, 4, 7), shape);
  EXPECT_EQ(p.dy_format, Format::bf16);
  for (double v : p.dy) EXPECT_TRUE(ref::is_representable(Format::bf16, v)) << v;
  for (double v : p.x) EXPECT_TRUE(ref::is_representable(Format::f32, v)) << v;
}

TEST(BackwardInput, EachFormIsItsRegime) {
  std::mt19937 rng(3);
  const std::int64_t rows = 64, n = 5;
  const auto with = [&](DyForm form, std::uint8_t parameter = 0) {
    std::mt19937 same(3);
    return decoded(random_input(same, rows, n, DyHeader{form, parameter, 0}));
  };
  const auto written = with(DyForm::as_written);
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = row_of(with(DyForm::constant_rows), r);
    EXPECT_EQ(std::count(row.begin(), row.end(), row.front()), n) << "row " << r;
  }
  const auto sparse = with(DyForm::sparse, 2);  // one in 8 kept
  const auto zeros = std::count(sparse.dy.begin(), sparse.dy.end(), 0.0);
  EXPECT_GT(zeros, rows * n * 3 / 4);
  EXPECT_LT(zeros, rows * n);
  for (std::size_t i = 0; i < sparse.dy.size(); ++i) EXPECT_TRUE(sparse.dy[i] == 0.0 || sparse.dy[i] == written.dy[i]);
  const auto zero = with(DyForm::zero);
  EXPECT_EQ(std::count(zero.dy.begin(), zero.dy.end(), 0.0), rows * n);
  const auto repeated = with(DyForm::repeated_rows);
  const auto cancelling = with(DyForm::cancelling_rows);
  for (std::int64_t r = 1; r < rows; ++r) {
    EXPECT_EQ(row_of(repeated, r), row_of(written, 0)) << "row " << r;
    if (r % 2 == 1) {
      auto negated = row_of(cancelling, r - 1);
      for (double& v : negated) v = -v;
      EXPECT_EQ(row_of(cancelling, r), negated) << "row " << r;
    }
  }
  for (const auto& [parameter, kept] : {std::pair{0, rows - 1}, std::pair{1, 2L}, std::pair{16, rows / 2}}) {
    const auto one = with(DyForm::one_row, static_cast<std::uint8_t>(parameter));
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto row = row_of(one, r);
      EXPECT_EQ(row == row_of(written, r), r == kept) << "parameter " << parameter << ", row " << r;
      if (r != kept) {
        EXPECT_EQ(std::count(row.begin(), row.end(), 0.0), n);
      }
    }
  }
  // Orthogonal to xhat: sum_i dy_i (x_i - mean) = 0 in every row, exactly where f32 holds
  // the construction's dy, else within its rounding (harness/orthogonal_dy.hpp).
  const auto orthogonal = with(DyForm::orthogonal_to_xhat);
  for (std::int64_t r = 0; r < rows; ++r) {
    long double mean = 0, dot = 0, size = 0;
    for (std::int64_t c = 0; c < n; ++c) mean += orthogonal.x[static_cast<std::size_t>(r * n + c)];
    mean /= n;
    for (std::int64_t c = 0; c < n; ++c) {
      const auto k = static_cast<std::size_t>(r * n + c);
      dot += orthogonal.dy[k] * (orthogonal.x[k] - mean);
      size += std::fabs(orthogonal.dy[k] * (orthogonal.x[k] - mean));
    }
    EXPECT_LE(std::fabs(dot), 0x1p-22L * size) << "row " << r;
    EXPECT_GT(size, 0.0L) << "row " << r;
  }
}

TEST(BackwardInput, EveryHeaderGivesAValidProblem) {
  std::mt19937 rng(4);
  for (const Format dy_format : {Format::f16, Format::bf16, Format::f32, Format::f64}) {
    const auto shape = carrier(dy_format, dy_format, dy_format == Format::bf16 ? ref::Op::rmsnorm : ref::Op::layernorm);
    for (int i = 0; i < 256; ++i) {
      BackwardFuzzInput in = random_input(rng, 1 + i % 9, 1 + i % 7);
      convert_storage(in.carrier, shape);
      in.dy = decode_dy_header(static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(rng()));
      const auto p = decoded(in, shape);
      ASSERT_EQ(p.dy.size(), p.x.size());
      for (double v : p.dy) ASSERT_TRUE(std::isnan(v) || ref::is_representable(dy_format, v)) << v;
    }
  }
}

TEST(BackwardInput, ALargeBatchOfShortRowsIsAFewHundredBytes) {
  // The column reductions of dgamma / dbeta over thousands of rows.
  BackwardFuzzInput in;
  in.dy.form = DyForm::one_row;
  in.carrier.rows = 4096;
  in.carrier.n = 64;
  in.carrier.pattern = RowPattern{};
  for (int i = 0; i < 8; ++i) {
    in.carrier.x.push_back(ref::to_bits(Format::f32, 0.5 * i - 1));
    in.carrier.residual.push_back(ref::to_bits(Format::f32, 1.0 + i));
  }
  in.carrier.flags = input_flags(in.carrier);
  const auto bytes = encode_backward_input(in);
  EXPECT_LT(bytes.size(), 100u);
  const auto p = decoded(in);
  EXPECT_EQ(p.rows, 4096);
  EXPECT_EQ(p.n, 64);
  for (std::int64_t r = 0; r + 1 < p.rows; ++r) ASSERT_EQ(row_of(p, r), std::vector<double>(64, 0.0)) << r;
}

TEST(BackwardInput, SeedsHoldTheirCase) {
  ref::BackwardProblem problem;
  problem.rows = 2;
  problem.n = 3;
  problem.eps = 0x1p-20;
  problem.x = {1.0, 2.0, -1.0, 1.5, 0.25, 0.0};
  problem.dy = {1.0, -1.0, 0.5, 0.125, 4.0, -2.5};
  problem.gamma = {1.0, 3.0, -0.5};
  const auto back = decoded(from_backward_problem(problem));
  EXPECT_EQ(back.x, problem.x);
  EXPECT_EQ(back.dy, problem.dy);
  EXPECT_EQ(back.gamma, problem.gamma);
  EXPECT_EQ(back.eps, problem.eps);
  // A forward case seeds it too: its x, gamma and eps, its residual as dy (or its x).
  ref::NormProblem forward = ref::forward_problem(problem);
  forward.beta = {0.5, 0.5, 0.5};
  const auto from_forward = decoded(from_forward_case(forward));
  EXPECT_EQ(from_forward.x, problem.x);
  EXPECT_EQ(from_forward.dy, problem.x);
  forward.residual = problem.dy;
  EXPECT_EQ(decoded(from_forward_case(forward)).dy, problem.dy);
}

TEST(BackwardInput, HeaderMutationsReachEveryFormAndBothEndsOfTheRange) {
  std::mt19937 values(5);
  MutationRng rng(6);
  std::set<DyForm> forms;
  std::set<std::string> names;
  bool overflowed = false, underflowed = false;
  for (int i = 0; i < 2000; ++i) {
    BackwardFuzzInput in = random_input(values, 2, 4);
    const std::string name(mutate_dy_header(in, Format::f32, rng));
    names.insert(name);
    forms.insert(in.dy.form);
    const auto p = decoded(in);
    double largest = 0;
    for (double v : p.dy) largest = std::max(largest, std::fabs(v));
    if (name == "dy-huge" && in.dy.form == DyForm::as_written) {
      EXPECT_GE(largest, 0x1p124) << in.dy.shift;
      overflowed = true;
    }
    if (name == "dy-tiny" && in.dy.form == DyForm::as_written) {
      EXPECT_LT(largest, 0x1p-123) << in.dy.shift;
      underflowed = true;
    }
  }
  EXPECT_EQ(forms.size(), kDyFormCount);
  EXPECT_TRUE(overflowed);
  EXPECT_TRUE(underflowed);
  EXPECT_EQ(names, (std::set<std::string>{"dy-form", "dy-shift-step", "dy-huge", "dy-tiny", "dy-shift-any"}));
}

}  // namespace
}  // namespace normcheck::fuzz
