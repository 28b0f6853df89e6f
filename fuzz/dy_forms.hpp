// The dy header of the backward target's input (backward_input.hpp): two bytes that turn the
// gradient the input's bytes spell into one of the regimes where backward kernels break,
// so that a single byte mutation reaches a regime that element mutations would take
// thousands of steps to build (every dy of a row equal, of a batch zero but one row, ...):
//   byte 0  low 3 bits: the form (DyForm); high 5 bits: its parameter p
//   byte 1  a signed binade shift s: every dy is scaled by 2^(s * step), step 8 for f64 and
//           1 otherwise, then rounded to dy's format; huge dy (g * xhat and the column sums
//           overflow; inf at the top) and tiny dy (subnormal, underflowing to 0) are one byte
//           away from ordinary ones
// The forms are regimes of the gradient, not of one kernel: the cancellations of the dx
// formula, and the batch structures the dgamma / dbeta column reductions see.
#pragma once

#include <cstdint>
#include <vector>

#include "reference/format.hpp"
#include "reference/problem.hpp"

namespace normcheck::fuzz {

enum class DyForm : std::uint8_t {
  as_written,          // the values the bytes spell
  constant_rows,       // each row its first value: g - mean(g) cancels exactly when gamma is ones
  sparse,              // one element in 2^(1 + p mod 8) kept (by a hash of its position), the rest 0
  zero,                // every dy 0: every gradient is exactly 0
  orthogonal_to_xhat,  // sum_i dy_i xhat_i = 0 per row (harness/orthogonal_dy.hpp): mean(g xhat) cancels
  repeated_rows,       // every row is row 0: each column sum adds `rows` equal terms (growth, absorption)
  cancelling_rows,     // row 2k + 1 is -(row 2k): dbeta's column sums cancel exactly, dgamma's nearly
  one_row,             // every row 0 but one (the last for p = 0, else row p * rows / 32): the sums are one row's
};
inline constexpr unsigned kDyFormCount = 8;

struct DyHeader {
  DyForm form = DyForm::as_written;
  std::uint8_t parameter = 0;  // 0 to 31
  std::int8_t shift = 0;       // binades, times dy_shift_step
  bool operator==(const DyHeader&) const = default;
};
inline constexpr std::size_t kDyHeaderBytes = 2;

DyHeader decode_dy_header(std::uint8_t form_byte, std::uint8_t shift_byte);
void encode_dy_header(const DyHeader& header, std::vector<std::uint8_t>& out);

// Binades one unit of the shift moves dy in this format: 8 for f64 (so that a byte spans its
// range), 1 otherwise.
int dy_shift_step(ref::Format dy_format);

// dy (rows * n values of dy_format, row-major) after the header's form and shift; x is the
// problem's (rows * n), which orthogonal_to_xhat reads. Every value returned is of dy_format.
std::vector<double> apply_dy_header(const DyHeader& header, ref::Op op, ref::Format dy_format,
                                    const std::vector<double>& x, std::int64_t rows, std::int64_t n,
                                    std::vector<double> dy);

}  // namespace normcheck::fuzz
