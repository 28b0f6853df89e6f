// The compact description of a large fuzz input: each array of the case (x, residual,
// gamma, beta) is a motif of up to 64 values, spread over its rows and columns by one
// expansion rule, then a few elements are overwritten (perturbations). A few hundred
// bytes describe a batch of 4096 rows or a row of 65,536, so the fuzzers reach the sizes
// where row tiling and long-row bugs live (docs/fuzzing.md, "Pattern inputs").
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "reference/format.hpp"

namespace normcheck::fuzz {

inline constexpr std::size_t kMaxMotif = 64;
inline constexpr std::size_t kMaxPerturbations = 16;

// How a motif of m values fills row r, column c of a rows x n array (step s):
//   repeat       motif[(c + r * s) mod m]: periodic rows, each shifted by s
//   interpolate  the motif's values joined linearly across the row (rounded to the
//                format), the row shifted by r * s columns: smooth rows, many distinct values
//   hashed       motif[hash(s, r * n + c) mod m]: no period, rows unlike each other
enum class Expansion : std::uint8_t { repeat, interpolate, hashed };

enum class PatternTarget : std::uint8_t { x, residual, gamma, beta };

// One element of the expanded array `target` (index modulo its size) set to `bits`, a
// pattern of the target's storage format.
struct Perturbation {
  PatternTarget target = PatternTarget::x;
  std::uint32_t index = 0;
  std::uint64_t bits = 0;
  bool operator==(const Perturbation&) const = default;
};

struct RowPattern {
  Expansion expansion = Expansion::hashed;
  std::uint8_t step = 0;  // the row shift (repeat, interpolate) or the hash's salt
  std::vector<Perturbation> perturbations;
  bool operator==(const RowPattern&) const = default;
};

// rows * n bit patterns of `format`, row-major, from the motif (not empty) by the rule.
std::vector<std::uint64_t> expand_motif(const std::vector<std::uint64_t>& motif, ref::Format format,
                                        Expansion expansion, std::uint8_t step, std::int64_t rows, std::int64_t n);

}  // namespace normcheck::fuzz
