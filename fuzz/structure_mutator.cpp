// The structure-aware mutations behind LLVMFuzzerCustomMutator (structure_mutator.hpp).
#include "fuzz/structure_mutator.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "fuzz/pattern_mutations.hpp"
#include "harness/case_scale.hpp"
#include "reference/format.hpp"

namespace normcheck::fuzz {
namespace {

using Bits = std::vector<std::uint64_t>;

std::size_t pick(MutationRng& rng, std::size_t count) { return count == 0 ? 0 : rng() % count; }
bool coin(MutationRng& rng, unsigned one_in) { return rng() % one_in == 0; }
int pick_int(MutationRng& rng, int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)); }

double value(ref::Format f, std::uint64_t bits) { return ref::from_bits(f, bits); }
std::uint64_t bits(ref::Format f, double v) { return ref::to_bits(f, ref::round_to_format(f, v)); }

// The values every format has and kernels mishandle: zeros, infinities, NaN, extremes.
double special_value(ref::Format f, MutationRng& rng) {
  const auto& t = ref::traits(f);
  const double max_finite = std::ldexp(2.0 - std::ldexp(1.0, 1 - t.precision), t.emax);
  const std::array<double, 12> specials = {
      0.0, -0.0, std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(), max_finite, -max_finite, std::ldexp(1.0, t.emin),
      std::ldexp(1.0, t.emin - t.precision + 1), -std::ldexp(1.0, t.emin - t.precision + 1), 1.0, -1.0};
  return specials[pick(rng, specials.size())];
}

// An exponent step: mostly small, sometimes across the whole range of the format.
int exponent_step(ref::Format f, MutationRng& rng) {
  static constexpr std::array<int, 10> small = {1, -1, 2, -2, 4, -4, 8, -8, 16, -16};
  if (!coin(rng, 4)) return small[pick(rng, small.size())];
  const int range = ref::traits(f).emax - ref::traits(f).emin;
  return pick_int(rng, -range, range);
}

struct RowView {
  Bits* data;
  std::size_t begin, count;
};

double row_mean(ref::Format f, const Bits& data, std::size_t begin, std::size_t count) {
  double sum = 0;
  for (std::size_t i = 0; i < count; ++i) sum += value(f, data[begin + i]);
  return count ? sum / static_cast<double>(count) : 0.0;
}

double row_max_abs(ref::Format f, const Bits& data, std::size_t begin, std::size_t count) {
  double m = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double v = std::fabs(value(f, data[begin + i]));
    if (std::isfinite(v)) m = std::max(m, v);
  }
  return m;
}

// A random element of x, residual, gamma or beta (x most often), with its format.
std::uint64_t& pick_element(FuzzInput& in, MutationRng& rng, ref::Format& format) {
  const auto roll = rng() % 100;
  format = in.param_storage;
  if (roll >= 85 && !in.gamma.empty()) return in.gamma[pick(rng, in.gamma.size())];
  if (roll >= 70 && !in.beta.empty()) return in.beta[pick(rng, in.beta.size())];
  format = in.x_storage;
  if (roll >= 55 && !in.residual.empty()) return in.residual[pick(rng, in.residual.size())];
  return in.x[pick(rng, in.x.size())];
}

std::size_t row_begin(const FuzzInput& in, std::size_t row) { return row * static_cast<std::size_t>(in.n); }

// Resizes every per-row array to new_rows x new_n and the params to new_n; new cells
// copy existing ones cyclically so the values stay in the input's own range.
void reshape(FuzzInput& in, std::int64_t new_rows, std::int64_t new_n) {
  auto regrid = [&](const Bits& old, std::int64_t old_rows, std::int64_t rows) {
    if (old.empty()) return old;
    Bits out(static_cast<std::size_t>(rows * new_n));
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < new_n; ++c) {
        const auto from = static_cast<std::size_t>((r % old_rows) * in.n + c % in.n);
        out[static_cast<std::size_t>(r * new_n + c)] = old[from];
      }
    }
    return out;
  };
  in.x = regrid(in.x, in.rows, new_rows);
  in.residual = regrid(in.residual, in.rows, new_rows);
  in.gamma = regrid(in.gamma, 1, 1);  // params are one row of n
  in.beta = regrid(in.beta, 1, 1);
  in.rows = new_rows;
  in.n = new_n;
}

}  // namespace

std::int64_t interesting_n(MutationRng& rng, std::int64_t limit) {
  const int top = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(limit))) - 1;  // 2^top <= limit
  std::int64_t n = 1;
  switch (rng() % 6) {
    case 0: n = pick_int(rng, 1, 3); break;                                              // degenerate rows
    case 1: n = (std::int64_t{1} << pick_int(rng, 1, top)) + pick_int(rng, -1, 1); break;  // around powers of two
    case 2: n = 2 * pick_int(rng, 0, 127) + 1; break;                                    // odd: tail loops
    case 3: n = pick_int(rng, 1, 256); break;
    case 4: n = pick_int(rng, 1, 64); break;
    default: n = pick_int(rng, 1, static_cast<int>(limit)); break;
  }
  return std::clamp<std::int64_t>(n, 1, limit);
}

std::int64_t interesting_rows(MutationRng& rng, std::int64_t limit) {
  std::int64_t rows = 1;
  switch (rng() % 4) {
    case 0: rows = harness::kStrategySwitchBatchSizes[pick(rng, harness::kStrategySwitchBatchSizes.size())]; break;
    case 1: rows = (std::int64_t{1} << pick_int(rng, 3, 12)) + pick_int(rng, -1, 1); break;  // tiles and blocks
    case 2: rows = pick_int(rng, 1, 4); break;
    default: rows = pick_int(rng, 1, static_cast<int>(limit)); break;
  }
  return std::clamp<std::int64_t>(rows, 1, limit);
}

namespace {

// ---- the mutations -------------------------------------------------------------------

void flip_sign(FuzzInput& in, MutationRng& rng) {
  ref::Format f{};
  auto& e = pick_element(in, rng, f);
  e ^= std::uint64_t{1} << (ref::traits(f).bits - 1);
}

void shift_exponent(FuzzInput& in, MutationRng& rng) {
  ref::Format f{};
  auto& e = pick_element(in, rng, f);
  e = bits(f, std::ldexp(value(f, e), exponent_step(f, rng)));
}

void inject_special(FuzzInput& in, MutationRng& rng) {
  ref::Format f{};
  auto& e = pick_element(in, rng, f);
  e = bits(f, special_value(f, rng));
}

// Constant rows must give exactly beta; near-constant rows have a variance far below
// the rounding error of a careless mean.
void make_row_constant(FuzzInput& in, MutationRng& rng) {
  const std::size_t row = pick(rng, static_cast<std::size_t>(in.rows));
  const std::size_t begin = row_begin(in, row), count = static_cast<std::size_t>(in.n);
  const ref::Format f = in.x_storage;
  const double v = coin(rng, 4) ? special_value(f, rng) : value(f, in.x[begin + pick(rng, count)]);
  const bool near = coin(rng, 2) && std::isfinite(v);
  for (std::size_t i = 0; i < count; ++i) {
    double w = v;
    if (near) {
      for (int steps = pick_int(rng, 0, 2); steps > 0; --steps) w = coin(rng, 2) ? ref::next_up(f, w) : ref::next_down(f, w);
    }
    in.x[begin + i] = bits(f, w);
    if (!in.residual.empty()) in.residual[begin + i] = bits(f, 0.0);
  }
}

// A large common offset: cancellation in one-pass variance (E[x^2] - E[x]^2).
void add_large_offset(FuzzInput& in, MutationRng& rng) {
  const std::size_t row = pick(rng, static_cast<std::size_t>(in.rows));
  const std::size_t begin = row_begin(in, row), count = static_cast<std::size_t>(in.n);
  const ref::Format f = in.x_storage;
  const double scale = std::max(row_max_abs(f, in.x, begin, count), std::ldexp(1.0, ref::traits(f).emin));
  const double offset = (coin(rng, 2) ? 1.0 : -1.0) * std::ldexp(scale, pick_int(rng, 2, ref::traits(f).precision + 8));
  for (std::size_t i = 0; i < count; ++i) in.x[begin + i] = bits(f, value(f, in.x[begin + i]) + offset);
}

// Pulls the row towards its mean: tiny variance relative to the magnitude.
void shrink_spread(FuzzInput& in, MutationRng& rng) {
  const std::size_t row = pick(rng, static_cast<std::size_t>(in.rows));
  const std::size_t begin = row_begin(in, row), count = static_cast<std::size_t>(in.n);
  const ref::Format f = in.x_storage;
  const double mean = row_mean(f, in.x, begin, count);
  if (!std::isfinite(mean)) return;
  const int k = pick_int(rng, 1, ref::traits(f).precision + 4);
  for (std::size_t i = 0; i < count; ++i) {
    const double v = value(f, in.x[begin + i]);
    in.x[begin + i] = bits(f, mean + std::ldexp(v - mean, -k));
  }
}

// Whole-row scaling toward overflow of sum x^2 or underflow into subnormals.
void scale_row(FuzzInput& in, MutationRng& rng) {
  const std::size_t row = pick(rng, static_cast<std::size_t>(in.rows));
  const std::size_t begin = row_begin(in, row), count = static_cast<std::size_t>(in.n);
  const ref::Format f = in.x_storage;
  const int k = exponent_step(f, rng);
  for (std::size_t i = 0; i < count; ++i) in.x[begin + i] = bits(f, std::ldexp(value(f, in.x[begin + i]), k));
}

// The side that did not change is cut so that rows * n stays within kMaxElements; the
// encoder's shrink_to_fit then cuts n (then rows) to what max_len holds.
void change_n(FuzzInput& in, MutationRng& rng) {
  const std::int64_t n = interesting_n(rng, kMaxRawN);
  reshape(in, std::clamp<std::int64_t>(kMaxElements / n, 1, in.rows), n);
}

void change_rows(FuzzInput& in, MutationRng& rng) {
  const std::int64_t rows = interesting_rows(rng, kMaxRawRows);
  reshape(in, rows, std::clamp<std::int64_t>(kMaxElements / rows, 1, in.n));
}

// Rows that are identical, or a permutation of each other, must normalize identically.
void copy_or_permute_row(FuzzInput& in, MutationRng& rng) {
  const std::size_t count = static_cast<std::size_t>(in.n);
  const std::size_t from = row_begin(in, pick(rng, static_cast<std::size_t>(in.rows)));
  const std::size_t to = row_begin(in, pick(rng, static_cast<std::size_t>(in.rows)));
  if (from != to) {
    std::copy_n(in.x.begin() + static_cast<std::ptrdiff_t>(from), count, in.x.begin() + static_cast<std::ptrdiff_t>(to));
  } else {
    std::shuffle(in.x.begin() + static_cast<std::ptrdiff_t>(from), in.x.begin() + static_cast<std::ptrdiff_t>(from + count), rng);
  }
}

// eps from the table, relative to the row's variance (eps / var regimes), or tiny.
void change_eps(FuzzInput& in, MutationRng& rng) {
  switch (rng() % 3) {
    case 0: in.eps_choice = static_cast<std::uint8_t>(pick(rng, kEpsTable.size())); return;
    case 1: {
      const std::size_t count = static_cast<std::size_t>(in.n);
      const double mean = row_mean(in.x_storage, in.x, 0, count);
      double var = 0;
      for (std::size_t i = 0; i < count; ++i) var += std::pow(value(in.x_storage, in.x[i]) - mean, 2);
      var /= static_cast<double>(count);
      if (!std::isfinite(var) || var == 0) var = 1;
      set_input_eps(in, std::min(std::ldexp(var, pick_int(rng, -40, 40)), double{std::numeric_limits<float>::max()}));
      return;
    }
    default:
      set_input_eps(in, std::ldexp(1.0, pick_int(rng, -149, -24)));  // below f16's smallest subnormal
      return;
  }
}

void change_params(FuzzInput& in, MutationRng& rng) {
  const ref::Format f = in.param_storage;
  const auto n = static_cast<std::size_t>(in.n);
  switch (rng() % 5) {
    case 0: in.gamma = in.gamma.empty() ? Bits(n, bits(f, 1.0)) : Bits{}; return;
    case 1: in.beta = in.beta.empty() ? Bits(n, bits(f, 0.0)) : Bits{}; return;
    case 2: {  // one gamma for every column: zero, negative, huge or tiny
      const double g = coin(rng, 3) ? special_value(f, rng) : std::ldexp(coin(rng, 2) ? 1.0 : -1.0, exponent_step(f, rng));
      in.gamma.assign(n, bits(f, g));
      return;
    }
    case 3: {  // beta that cancels the normalized term: y near zero, where rounding is hardest
      const auto count = n;
      const double mean = in.x.empty() ? 0 : row_mean(in.x_storage, in.x, 0, count);
      double var = 0;
      for (std::size_t i = 0; i < count; ++i) var += std::pow(value(in.x_storage, in.x[i]) - mean, 2);
      const double rstd = 1 / std::sqrt(var / static_cast<double>(count) + input_eps(in));
      in.beta.resize(n);
      for (std::size_t i = 0; i < count; ++i) {
        const double g = in.gamma.empty() ? 1.0 : value(f, in.gamma[i]);
        const double z = (value(in.x_storage, in.x[i]) - mean) * rstd;
        in.beta[i] = bits(f, std::isfinite(g * z) ? -g * z : 0.0);
      }
      return;
    }
    default: {  // a large beta: the normalized term vanishes in its rounding
      const double b = std::ldexp(coin(rng, 2) ? 1.0 : -1.0, pick_int(rng, 0, ref::traits(f).precision + 2));
      in.beta.assign(n, bits(f, b));
      return;
    }
  }
}

void change_residual(FuzzInput& in, MutationRng& rng) {
  const ref::Format f = in.x_storage;
  switch (rng() % 4) {
    case 0: in.residual = in.residual.empty() ? Bits(in.x.size(), bits(f, 0.0)) : Bits{}; return;
    case 1:  // z = x + residual cancels exactly: a zero row
      in.residual.resize(in.x.size());
      for (std::size_t i = 0; i < in.x.size(); ++i) in.residual[i] = in.x[i] ^ (std::uint64_t{1} << (ref::traits(f).bits - 1));
      return;
    case 2: in.residual = in.x; return;  // z = 2x: exact in binary, a scaling check
    default: {  // a large common residual: the sum rounds, mean shifts far from zero
      const double offset = std::ldexp(coin(rng, 2) ? 1.0 : -1.0, pick_int(rng, 0, ref::traits(f).precision + 4));
      in.residual.assign(in.x.size(), bits(f, offset));
      return;
    }
  }
}

}  // namespace

std::string_view mutate_values(FuzzInput& in, const harness::KernelShape& shape, MutationRng& rng) {
  switch (rng() % 13) {
    case 0: case 1: flip_sign(in, rng); return "flip-sign";
    case 2: case 3: shift_exponent(in, rng); return "shift-exponent";
    case 4: case 5: inject_special(in, rng); return "special-value";
    case 6: make_row_constant(in, rng); return "constant-row";
    case 7: add_large_offset(in, rng); return "large-offset";
    case 8: shrink_spread(in, rng); return "shrink-spread";
    case 9: scale_row(in, rng); return "scale-row";
    case 10: change_eps(in, rng); return "change-eps";
    case 11: change_params(in, rng); return "change-params";
    default:
      if (shape.fused) {
        change_residual(in, rng);
        return "change-residual";
      }
      copy_or_permute_row(in, rng);
      return "copy-or-permute-row";
  }
}

std::string_view mutate_structure(FuzzInput& in, const harness::KernelShape& shape, MutationRng& rng) {
  if (in.pattern) return mutate_pattern(in, shape, rng);
  // Now and then a raw input becomes a pattern input of a large shape.
  if (coin(rng, 64)) {
    in = to_pattern(in, rng);
    return "to-pattern";
  }
  switch (rng() % 15) {
    case 0: case 1: flip_sign(in, rng); return "flip-sign";
    case 2: case 3: shift_exponent(in, rng); return "shift-exponent";
    case 4: case 5: inject_special(in, rng); return "special-value";
    case 6: make_row_constant(in, rng); return "constant-row";
    case 7: add_large_offset(in, rng); return "large-offset";
    case 8: shrink_spread(in, rng); return "shrink-spread";
    case 9: scale_row(in, rng); return "scale-row";
    case 10: change_n(in, rng); return "change-n";
    case 11: if (coin(rng, 2)) { change_rows(in, rng); return "change-rows"; }
             copy_or_permute_row(in, rng); return "copy-or-permute-row";
    case 12: change_eps(in, rng); return "change-eps";
    case 13: change_params(in, rng); return "change-params";
    default:
      if (shape.fused) {
        change_residual(in, rng);
        return "change-residual";
      }
      change_eps(in, rng);
      return "change-eps";
  }
}

FuzzInput cross_over(const FuzzInput& first, const FuzzInput& second, MutationRng& rng) {
  if (first.pattern || second.pattern) {
    // Motifs cross like one-row inputs; the first input keeps its shape and layout.
    const FuzzInput mixed = cross_over(motif_view(first), motif_view(second), rng);
    FuzzInput out = first;
    if (!out.pattern) {
      out = to_pattern(out, rng);
      out.rows = first.rows;
      out.n = first.n;
    }
    from_motif_view(out, mixed);
    cut_back(out, rng);
    return out;
  }
  FuzzInput out = first;
  FuzzInput donor = second;
  reshape(donor, donor.rows, out.n);  // same n, so columns line up
  switch (rng() % 3) {
    case 0: {  // one row from the donor
      const std::size_t row = pick(rng, static_cast<std::size_t>(std::min(out.rows, donor.rows)));
      const auto begin = static_cast<std::ptrdiff_t>(row_begin(out, row));
      std::copy_n(donor.x.begin() + begin, out.n, out.x.begin() + begin);
      return out;
    }
    case 1: {  // the donor's columns from a split point on
      const auto split = pick(rng, static_cast<std::size_t>(out.n));
      for (std::int64_t r = 0; r < std::min(out.rows, donor.rows); ++r) {
        for (auto c = split; c < static_cast<std::size_t>(out.n); ++c) {
          const std::size_t at = row_begin(out, static_cast<std::size_t>(r)) + c;
          out.x[at] = donor.x[at];
        }
      }
      return out;
    }
    default:  // the donor's parameters and eps
      out.gamma = donor.gamma;
      out.beta = donor.beta;
      out.eps_choice = donor.eps_choice;
      out.eps_bits = donor.eps_bits;
      return out;
  }
}

bool shrink_to_fit(FuzzInput& in, std::size_t max_bytes) {
  if (in.pattern) return shrink_pattern_to_fit(in, max_bytes);
  auto encoded_size = [&](std::int64_t rows, std::int64_t n) {
    const auto wx = static_cast<std::size_t>(ref::traits(in.x_storage).bits / 8);
    const auto wp = static_cast<std::size_t>(ref::traits(in.param_storage).bits / 8);
    const std::size_t per_row = in.residual.empty() ? 1 : 2;
    const std::size_t params = (in.gamma.empty() ? 0 : 1) + (in.beta.empty() ? 0 : 1);
    return kHeaderBytes + static_cast<std::size_t>(rows * n) * wx * per_row + static_cast<std::size_t>(n) * wp * params;
  };
  if (encoded_size(in.rows, in.n) <= max_bytes) return true;
  std::int64_t rows = in.rows, n = in.n;
  while (n > 1 && encoded_size(rows, n) > max_bytes) n = std::max<std::int64_t>(1, n / 2);
  while (rows > 1 && encoded_size(rows, n) > max_bytes) --rows;
  if (encoded_size(rows, n) > max_bytes) return false;
  reshape(in, rows, n);
  return true;
}

}  // namespace normcheck::fuzz
