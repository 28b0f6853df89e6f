// Moving rows between the problem's typed buffers and the compute type (float or double).
#pragma once
#include <cstdint>

#include "normcheck/kernel_abi.h"

namespace normcheck::impls {

// Bytes per element of a dtype (0 for a value outside the enum).
int64_t dtype_size(normcheck_dtype dtype);

// out[0..n) = elements [offset, offset+n) of base, converted exactly (f64 into float narrows).
template <class T>
void load_row(normcheck_dtype dtype, const void* base, int64_t offset, int64_t n, T* out);

// Elements [offset, offset+n) of base = in[0..n) rounded to dtype (nearest even).
template <class T>
void store_row(normcheck_dtype dtype, const T* in, void* base, int64_t offset, int64_t n);

// values[i] rounded to dtype and back, in place.
template <class T>
void round_row_to(normcheck_dtype dtype, T* values, int64_t n);

}  // namespace normcheck::impls
