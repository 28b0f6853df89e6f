// Values in kernel ABI buffers as exact doubles (see abi_values.hpp).
#include "tests/support/abi_values.hpp"

#include <cstring>
#include <vector>

namespace normcheck::testing {

double load_value(ref::Format format, const void* base, std::int64_t index) {
  const auto* bytes = static_cast<const unsigned char*>(base);
  const int width = ref::traits(format).bits / 8;
  std::uint64_t bits = 0;
  if (width == 2) {
    std::uint16_t v = 0;
    std::memcpy(&v, bytes + index * 2, 2);
    bits = v;
  } else if (width == 4) {
    std::uint32_t v = 0;
    std::memcpy(&v, bytes + index * 4, 4);
    bits = v;
  } else {
    std::memcpy(&bits, bytes + index * 8, 8);
  }
  return ref::from_bits(format, bits);
}

void store_value(ref::Format format, void* base, std::int64_t index, double value) {
  auto* bytes = static_cast<unsigned char*>(base);
  const std::uint64_t bits = ref::to_bits(format, value);
  const int width = ref::traits(format).bits / 8;
  if (width == 2) {
    const auto v = static_cast<std::uint16_t>(bits);
    std::memcpy(bytes + index * 2, &v, 2);
  } else if (width == 4) {
    const auto v = static_cast<std::uint32_t>(bits);
    std::memcpy(bytes + index * 4, &v, 4);
  } else {
    std::memcpy(bytes + index * 8, &bits, 8);
  }
}

ref::NormProblem decode_problem(const normcheck_kernel& k, const normcheck_problem& p) {
  ref::NormProblem out;
  out.op = static_cast<ref::Op>(k.op);
  out.x_format = format_of(k.x_dtype);
  out.param_format = format_of(k.param_dtype);
  out.y_format = format_of(k.y_dtype);
  out.rows = p.rows;
  out.n = p.n;
  out.eps = p.eps;
  const auto load_all = [](ref::Format f, const void* base, std::int64_t count) {
    std::vector<double> values;
    if (base == nullptr) return values;
    for (std::int64_t i = 0; i < count; ++i) values.push_back(load_value(f, base, i));
    return values;
  };
  out.x = load_all(out.x_format, p.x, p.rows * p.n);
  out.residual = load_all(out.x_format, p.residual, p.rows * p.n);
  out.gamma = load_all(out.param_format, p.gamma, p.n);
  out.beta = load_all(out.param_format, p.beta, p.n);
  out.residual_sum = (k.flags & NORMCHECK_NORMALIZES_ROUNDED_SUM) != 0 ? ref::ResidualSum::rounded
                                                                      : ref::ResidualSum::exact;
  return out;
}

}  // namespace normcheck::testing
