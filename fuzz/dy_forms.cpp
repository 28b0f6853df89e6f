// The dy header's forms and shift (dy_forms.hpp). Built without coverage instrumentation,
// as the pattern expansion is (fuzz/CMakeLists.txt): its per-element loops would report
// every new batch size as new coverage.
#include "fuzz/dy_forms.hpp"

#include <algorithm>
#include <cmath>

#include "harness/orthogonal_dy.hpp"

namespace normcheck::fuzz {
namespace {

// A position's hash (splitmix64's finalizer): sparse elements scattered, not periodic.
std::uint64_t mix(std::uint64_t v) {
  v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ull;
  v = (v ^ (v >> 27)) * 0x94d049bb133111ebull;
  return v ^ (v >> 31);
}

void keep_sparse(std::vector<double>& dy, unsigned parameter) {
  const std::uint64_t mask = (std::uint64_t{1} << (1 + parameter % 8)) - 1;
  bool any = false;
  for (std::size_t i = 0; i < dy.size(); ++i) {
    const bool keep = (mix(i ^ (std::uint64_t{parameter} << 40)) & mask) == 0;
    if (!keep) dy[i] = 0.0;
    any = any || keep;
  }
  // A small case with nothing kept would be the zero form: one element stays.
  if (!any && !dy.empty()) {
    const std::size_t kept = mix(parameter) % dy.size();
    const double value = dy[kept];
    std::fill(dy.begin(), dy.end(), 0.0);
    dy[kept] = value;
  }
}

}  // namespace

DyHeader decode_dy_header(std::uint8_t form_byte, std::uint8_t shift_byte) {
  DyHeader header;
  header.form = static_cast<DyForm>(form_byte % kDyFormCount);
  header.parameter = static_cast<std::uint8_t>(form_byte / kDyFormCount);
  header.shift = static_cast<std::int8_t>(shift_byte);
  return header;
}

void encode_dy_header(const DyHeader& header, std::vector<std::uint8_t>& out) {
  const unsigned form = static_cast<unsigned>(header.form);
  out.push_back(static_cast<std::uint8_t>(form + kDyFormCount * (header.parameter % 32u)));
  out.push_back(static_cast<std::uint8_t>(header.shift));
}

int dy_shift_step(ref::Format dy_format) { return dy_format == ref::Format::f64 ? 8 : 1; }

std::vector<double> apply_dy_header(const DyHeader& header, ref::Op op, ref::Format dy_format,
                                    const std::vector<double>& x, std::int64_t rows, std::int64_t n,
                                    std::vector<double> dy) {
  const auto m = static_cast<std::size_t>(n);
  const auto row = [&](std::int64_t r) { return dy.begin() + static_cast<std::ptrdiff_t>(r * n); };
  switch (header.form) {
    case DyForm::as_written: break;
    case DyForm::constant_rows:
      for (std::int64_t r = 0; r < rows; ++r) std::fill_n(row(r), m, *row(r));
      break;
    case DyForm::sparse: keep_sparse(dy, header.parameter); break;
    case DyForm::zero: std::fill(dy.begin(), dy.end(), 0.0); break;
    case DyForm::orthogonal_to_xhat: dy = harness::orthogonal_dy(op, dy_format, x, n, std::move(dy), 0); break;
    case DyForm::repeated_rows:
      for (std::int64_t r = 1; r < rows; ++r) std::copy_n(row(0), m, row(r));
      break;
    case DyForm::cancelling_rows:
      for (std::int64_t r = 1; r < rows; r += 2) {
        std::transform(row(r - 1), row(r), row(r), [](double v) { return -v; });
      }
      break;
    case DyForm::one_row: {
      const std::int64_t kept = header.parameter == 0 ? rows - 1 : header.parameter * rows / 32;
      for (std::int64_t r = 0; r < rows; ++r) {
        if (r != kept) std::fill_n(row(r), m, 0.0);
      }
      break;
    }
  }
  if (header.shift != 0) {
    const int binades = header.shift * dy_shift_step(dy_format);
    for (double& v : dy) v = ref::round_to_format(dy_format, std::ldexp(v, binades));
  }
  return dy;
}

}  // namespace normcheck::fuzz
