// Large batches and long rows from a few RapidCheck draws. Drawing each of 2^18 values
// with its own RapidCheck generator cost ~1 us a value (a shrink tree per value): 0.3 s a
// case. So a large case is drawn compactly — a motif of values, or a pool of rows, drawn by the regime's own
// generator, then spread over the case by a hash of a drawn salt, plus a few drawn
// perturbations — and expanded in plain C++. Rows stay distinct (a row-tiling bug that
// hands a row another row's statistics must show) and no row is periodic (a blocked
// reduction that loses a block must show).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <rapidcheck.h>

#include "properties/value_distribution.hpp"

namespace normcheck::props {

// Vectors of up to this many values are drawn value by value, as before large cases.
inline constexpr std::int64_t kDrawnOneByOne = 4097;
// The distinct values a long row is built from, and the distinct rows of a large batch.
inline constexpr std::int64_t kMotifLength = 64;
inline constexpr std::int64_t kPoolRows = 16;

// `count` values of `values`: drawn one by one up to kDrawnOneByOne, beyond that a motif
// of kMotifLength drawn values spread by a hash.
rc::Gen<std::vector<double>> long_vector(ValueDistribution values, std::int64_t count);

// A generator of one row of the given length (a regime's rows).
using RowGen = std::function<rc::Gen<std::vector<double>>(std::int64_t length)>;

// rows * n values, row-major: a pool of up to kPoolRows rows of min(n, kMotifLength)
// values from row_gen; each row of the case takes a pool row chosen by the hash, its
// columns that row's values in order (n <= kMotifLength) or picked by the hash, then up
// to four elements are overwritten by values of another row_gen draw.
rc::Gen<std::vector<double>> expanded_rows(const RowGen& row_gen, std::int64_t rows, std::int64_t n);

}  // namespace normcheck::props
