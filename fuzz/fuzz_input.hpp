// The compact binary layout that the differential fuzz targets decode into a bounded case.
//
// Layout (little endian), docs/fuzzing.md has the full table:
//   byte 0     flags: bit 0 gamma present, bit 1 beta present, bit 2 residual present
//              (the layout does not depend on the kernel: a kernel that is not fused
//              skips the residual bytes)
//   byte 1     storage formats: low nibble x / residual, high nibble gamma / beta
//              (1..4 = f16, bf16, f32, f64; anything else = the kernel's own dtype)
//   byte 2     rows - 1 (mod kMaxRows)
//   bytes 3-4  n - 1 (mod kMaxN)
//   byte 5     eps choice: an index into kEpsTable, or explicit when out of range
//   bytes 6-9  explicit eps as f32 bits (sign ignored, NaN -> 0, inf -> largest f32)
//   then       x (rows*n), residual (rows*n), gamma (n), beta (n) as raw bit patterns
// Too few element bytes shrink n (then rows) to what the input holds, so every input of
// at least kHeaderBytes + one element decodes, and length changes become shape changes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "normcheck/kernel_abi.h"
#include "harness/kernel_shape.hpp"
#include "reference/oracle.hpp"

namespace normcheck::fuzz {

inline constexpr std::int64_t kMaxRows = 4;
inline constexpr std::int64_t kMaxN = 4096;
inline constexpr std::size_t kHeaderBytes = 10;

inline constexpr std::uint8_t kFlagGamma = 1u << 0;
inline constexpr std::uint8_t kFlagBeta = 1u << 1;
inline constexpr std::uint8_t kFlagResidual = 1u << 2;

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
  std::vector<std::uint64_t> x, residual, gamma, beta;  // residual / gamma / beta may be empty
};

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

// The case the kernel is checked on: values converted to its dtypes (RNE).
ref::NormProblem to_problem(const FuzzInput& input, const harness::KernelShape& shape);
// An input holding the problem exactly in its own formats (rows / n truncated to the
// bounds): how readable seed cases become fuzz inputs.
FuzzInput from_problem(const ref::NormProblem& problem);

}  // namespace normcheck::fuzz
