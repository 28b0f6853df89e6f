// The compact binary layout that the differential fuzz targets decode into a bounded case.
//
// Two layouts, told apart by bit 3 of byte 0 (docs/fuzzing.md has the full tables):
//
// Raw (bit 3 clear): every element written out, for small cases.
//   byte 0     flags: bit 0 gamma present, bit 1 beta present, bit 2 residual present
//              (the layout does not depend on the kernel: a kernel that is not fused
//              skips the residual bytes)
//   byte 1     storage formats: low nibble x / residual, high nibble gamma / beta
//              (1..4 = f16, bf16, f32, f64; anything else = the kernel's own dtype)
//   byte 2     rows - 1 (1 to 256 rows)
//   bytes 3-4  n - 1 (mod kMaxRawN)
//   byte 5     eps choice: an index into kEpsTable, or explicit when out of range
//   bytes 6-9  explicit eps as f32 bits (sign ignored, NaN -> 0, inf -> largest f32)
//   then       x (rows*n), residual (rows*n), gamma (n), beta (n) as raw bit patterns
// Too few element bytes shrink n (then rows) to what the input holds, so every input of
// at least kHeaderBytes + one element decodes, and length changes become shape changes.
//
// Pattern (bit 3 set): a large case described compactly (row_pattern.hpp).
//   bytes 0-1  flags and storage formats, as above
//              (and bit 4: large, see kFlagLarge)
//   bytes 2-3  rows - 1 (mod kMaxRows), bytes 4-5 n - 1 (1 to kMaxN); rows are then cut
//              so that rows * n <= kMaxElements, or <= 256 without the large bit
//   byte 6     eps choice, bytes 7-10 explicit eps, as above
//   byte 11    low 6 bits: motif length - 1 (1 to 64); high 2 bits: the expansion
//              (0 repeat, 1 interpolate, 2 and 3 hashed)
//   byte 12    step: row shift (repeat, interpolate) or salt (hashed)
//   byte 13    perturbation count (mod kMaxPerturbations + 1)
//   then       motifs of x, residual, gamma, beta (m values each, those present), then
//              per perturbation: target (low 2 bits: x, residual, gamma, beta), index
//              (3 bytes, modulo the target's size), value (the target's storage width)
// A short input shortens the motif to what it holds, then drops perturbations that do
// not fit whole.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz/row_pattern.hpp"
#include "harness/case_scale.hpp"
#include "harness/kernel_shape.hpp"
#include "normcheck/kernel_abi.h"
#include "reference/oracle.hpp"

namespace normcheck::fuzz {

// Bounds of every decoded input, those of the generators (harness/case_scale.hpp).
inline constexpr std::int64_t kMaxRows = harness::kMaxGeneratedRows;
inline constexpr std::int64_t kMaxN = harness::kMaxGeneratedN;
inline constexpr std::int64_t kMaxElements = harness::kMaxGeneratedElements;
// The raw layout's own bounds (its shape bytes).
inline constexpr std::int64_t kMaxRawRows = 256;
inline constexpr std::int64_t kMaxRawN = 4096;
inline constexpr std::size_t kHeaderBytes = 10;         // raw
inline constexpr std::size_t kPatternHeaderBytes = 14;  // pattern

inline constexpr std::uint8_t kFlagGamma = 1u << 0;
inline constexpr std::uint8_t kFlagBeta = 1u << 1;
inline constexpr std::uint8_t kFlagResidual = 1u << 2;
inline constexpr std::uint8_t kFlagPattern = 1u << 3;
// A pattern input of more than kUsualPatternElements: without this bit its shape is cut
// to that size (n first, then rows). Random byte mutations of a header would otherwise
// draw shapes of ~2^17 elements on average, and the fuzzer, which judges an element in
// 1-3 us under ASan, ran at ~100 exec/s instead of thousands; the structure mutator
// makes large shapes on one shape change in 32 (pattern_mutations.cpp).
inline constexpr std::uint8_t kFlagLarge = 1u << 4;
inline constexpr std::int64_t kUsualPatternElements = 256;

// The eps values a fuzzer should hit often; all exactly f32 values (docs/oracle.md: a kernel
// taking float eps loses nothing), including ones below the f16 subnormal range.
inline constexpr std::array<double, 12> kEpsTable = {
    0.0,
    0x1.4f8b58p-17,  // 1e-5f, the framework default
    0x1.0c6f7ap-20,  // 1e-6f
    0x1.19799ap-40,  // 1e-12f
    0x1p-14,         // smallest normal f16
    0x1p-24,         // smallest subnormal f16
    0x1p-25,         // below every f16 value: vanishes if a kernel narrows eps to f16
    0x1p-126,        // smallest normal f32
    0x1p-149,        // smallest subnormal f32
    0x1.0624dep-10,  // 1e-3f
    1.0,
    0x1p+20,         // eps far above typical variances
};

// What a kernel needs decoded: its op, its dtypes and whether it takes a residual.

// The decoded input, values kept as bit patterns so the mutator edits bits, not doubles.
struct FuzzInput {
  std::uint8_t flags = 0;
  ref::Format x_storage = ref::Format::f32;      // format of x and residual bit patterns
  ref::Format param_storage = ref::Format::f32;  // format of gamma and beta bit patterns
  std::int64_t rows = 1;
  std::int64_t n = 1;
  std::uint8_t eps_choice = 0;
  std::uint32_t eps_bits = 0;
  // Raw: x and residual hold rows * n values, gamma and beta n. Pattern: each holds its
  // motif (the same length m, 1 to kMaxMotif, for those present).
  std::vector<std::uint64_t> x, residual, gamma, beta;  // residual / gamma / beta may be empty
  std::optional<RowPattern> pattern;                    // set: the pattern layout
};

// Byte 0 as the input's contents and shape call for (flags of the arrays present, pattern, large).
std::uint8_t input_flags(const FuzzInput& input);

// nullopt when the bytes hold no complete element.
std::optional<FuzzInput> decode_input(const std::uint8_t* data, std::size_t size, const harness::KernelShape& shape);
std::vector<std::uint8_t> encode_input(const FuzzInput& input);

// The eps the input selects (exact, >= 0, finite).
double input_eps(const FuzzInput& input);
// Sets eps: a table index when the value is in kEpsTable, else the f32 nearest to it.
void set_input_eps(FuzzInput& input, double eps);

// Re-encodes every array in the shape's formats (values rounded to nearest even), and
// drops a residual the kernel would not take: the form the mutator edits.
void convert_storage(FuzzInput& input, const harness::KernelShape& shape);

// A pattern input expanded into the raw form of the same case (a raw input unchanged).
FuzzInput expanded(const FuzzInput& input);

// The case the kernel is checked on: values converted to its dtypes (RNE).
ref::NormProblem to_problem(const FuzzInput& input, const harness::KernelShape& shape);
// How readable seed cases become fuzz inputs: a raw input holding the problem exactly in
// its own formats when it fits the raw layout (rows <= 256, n <= 4096); beyond that a
// pattern input of its shape (bounded) whose motifs are the first 64 values of row 0
// and of the parameters, hashed: the same sizes and kind of values, not the same case.
FuzzInput from_problem(const ref::NormProblem& problem);

}  // namespace normcheck::fuzz
