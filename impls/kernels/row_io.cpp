// Row loads, stores and roundings for every dtype of the ABI.
#include "impls/kernels/row_io.hpp"

#include "impls/kernels/float_formats.hpp"

namespace normcheck::impls {

int64_t dtype_size(normcheck_dtype dtype) {
  switch (dtype) {
    case NORMCHECK_F16:
    case NORMCHECK_BF16: return 2;
    case NORMCHECK_F32: return 4;
    case NORMCHECK_F64: return 8;
  }
  return 0;
}

template <class T>
void load_row(normcheck_dtype dtype, const void* base, int64_t offset, int64_t n, T* out) {
  switch (dtype) {
    case NORMCHECK_F16: {
      const auto* in = static_cast<const uint16_t*>(base) + offset;
      if constexpr (sizeof(T) == sizeof(float)) {
        f16_row_to_f32(in, out, n);
      } else {
        for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(in[i]);
      }
      return;
    }
    case NORMCHECK_BF16: {
      const auto* in = static_cast<const uint16_t*>(base) + offset;
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(in[i]);
      return;
    }
    case NORMCHECK_F32: {
      const auto* in = static_cast<const float*>(base) + offset;
      for (int64_t i = 0; i < n; ++i) out[i] = in[i];
      return;
    }
    case NORMCHECK_F64: {
      const auto* in = static_cast<const double*>(base) + offset;
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(in[i]);
      return;
    }
  }
}

template <class T>
void store_row(normcheck_dtype dtype, const T* in, void* base, int64_t offset, int64_t n) {
  switch (dtype) {
    case NORMCHECK_F16: {
      auto* out = static_cast<uint16_t*>(base) + offset;
      if constexpr (sizeof(T) == sizeof(float)) {
        f32_row_to_f16(in, out, n);
      } else {
        // Only float values reach fp16 stores (double kernels have f64 outputs).
        for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(static_cast<float>(in[i]));
      }
      return;
    }
    case NORMCHECK_BF16: {
      auto* out = static_cast<uint16_t*>(base) + offset;
      for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(static_cast<float>(in[i]));
      return;
    }
    case NORMCHECK_F32: {
      auto* out = static_cast<float*>(base) + offset;
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]);
      return;
    }
    case NORMCHECK_F64: {
      auto* out = static_cast<double*>(base) + offset;
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(in[i]);
      return;
    }
  }
}

template <class T>
void round_row_to(normcheck_dtype dtype, T* values, int64_t n) {
  switch (dtype) {
    case NORMCHECK_F16:
      for (int64_t i = 0; i < n; ++i) values[i] = round_to_f16(static_cast<float>(values[i]));
      return;
    case NORMCHECK_BF16:
      for (int64_t i = 0; i < n; ++i) values[i] = round_to_bf16(static_cast<float>(values[i]));
      return;
    case NORMCHECK_F32:
      for (int64_t i = 0; i < n; ++i) values[i] = static_cast<float>(values[i]);
      return;
    case NORMCHECK_F64: return;
  }
}

template void load_row<float>(normcheck_dtype, const void*, int64_t, int64_t, float*);
template void load_row<double>(normcheck_dtype, const void*, int64_t, int64_t, double*);
template void store_row<float>(normcheck_dtype, const float*, void*, int64_t, int64_t);
template void store_row<double>(normcheck_dtype, const double*, void*, int64_t, int64_t);
template void load_row<long double>(normcheck_dtype, const void*, int64_t, int64_t, long double*);
template void store_row<long double>(normcheck_dtype, const long double*, void*, int64_t, int64_t);
template void round_row_to<float>(normcheck_dtype, float*, int64_t);
template void round_row_to<double>(normcheck_dtype, double*, int64_t);

}  // namespace normcheck::impls
