// The problem the oracle solves and every layer above describes: op, formats, eps and
// the exact values of one batch of rows. A type with no behaviour, so that generators,
// codecs and fuzzers can name a problem without including the oracle.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "reference/format.hpp"

namespace normcheck::ref {

enum class Op : std::uint8_t { layernorm = 1, rmsnorm = 2 };  // numbered like normcheck_op

// Fused forms normalize z = x + residual: either the exact sum or RN_x(x + residual).
enum class ResidualSum : std::uint8_t { exact, rounded };

// A normalization problem with every value held exactly as a double. Values must be
// representable in their formats (x, residual in x_format; gamma, beta in param_format).
struct NormProblem {
  Op op = Op::layernorm;
  Format x_format = Format::f32;
  Format param_format = Format::f32;
  Format y_format = Format::f32;
  std::int64_t rows = 1;
  std::int64_t n = 1;
  double eps = 0.0;               // exact binary value, >= 0
  std::vector<double> x;          // rows * n, row-major
  std::vector<double> residual;   // empty, or rows * n
  std::vector<double> gamma;      // empty (= ones), or n
  std::vector<double> beta;       // empty (= zeros), or n
  ResidualSum residual_sum = ResidualSum::exact;

  bool has_residual() const { return !residual.empty(); }
  // Every value the problem holds (x, residual, gamma, beta): the size of a case as a
  // person reads it, and what a fuzzing run keeps the smallest of.
  std::int64_t value_count() const {
    return static_cast<std::int64_t>(x.size() + residual.size() + gamma.size() + beta.size());
  }
};

// "layernorm" or "rmsnorm": the spelling of case files, signatures and reports.
std::string_view op_name(Op op);
std::optional<Op> parse_op(std::string_view name);

}  // namespace normcheck::ref
