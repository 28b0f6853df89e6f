// The mutations of pattern inputs (pattern_mutations.hpp).
#include "fuzz/pattern_mutations.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "reference/format.hpp"

namespace normcheck::fuzz {
namespace {

using Bits = std::vector<std::uint64_t>;

std::size_t pick(MutationRng& rng, std::size_t count) { return count == 0 ? 0 : rng() % count; }
bool coin(MutationRng& rng, unsigned one_in) { return rng() % one_in == 0; }
int pick_int(MutationRng& rng, int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)); }

// Elements of a pattern input after a shape change: mostly at most kUsualPatternElements
// (well under a millisecond to judge under ASan, which costs 1-3 us an element); one
// change in 32 goes large, to 2^11 ... 2^18 elements (a power of two drawn uniformly:
// the rows longer than fp16's integers as often as the largest batches), which takes
// ~2-300 ms. libFuzzer runs only the mutants of what it keeps, and keeps what covers
// new code, which large shapes often do: were large shapes common, or the mutants of a
// large input large, the fuzzer would spend its time on them (measured: 42 exec/s where
// raw inputs run at ~4000). So the mutants of a large input are mostly cut back too
// (cut_back, at each mutation and crossover; and no byte-level mutation of them,
// custom_mutator.cpp).
constexpr unsigned kLargeOneIn = 32;
std::int64_t element_budget(MutationRng& rng) {
  if (!coin(rng, kLargeOneIn)) return kUsualPatternElements;
  return std::min(kMaxElements, std::int64_t{1} << pick_int(rng, 11, 18));
}

// rows * n within the budget: the side that did not just change is cut first, then the
// other (a batch of 4096 rows or a row of 65,536 needs the large budget).
void fit(FuzzInput& in, std::int64_t budget, bool keep_rows) {
  if (keep_rows) {
    in.rows = std::min(in.rows, budget);
    in.n = std::clamp<std::int64_t>(budget / in.rows, 1, in.n);
  } else {
    in.n = std::min(in.n, budget);
    in.rows = std::clamp<std::int64_t>(budget / in.n, 1, in.rows);
  }
}

// Every motif cut or cyclically extended to m values.
void set_motif_length(FuzzInput& in, std::size_t m) {
  for (Bits* motif : {&in.x, &in.residual, &in.gamma, &in.beta}) {
    if (motif->empty()) continue;
    Bits resized(m);
    for (std::size_t i = 0; i < m; ++i) resized[i] = (*motif)[i % motif->size()];
    *motif = std::move(resized);
  }
}

// A large batch (the strategy-switch sizes and tile sizes most).
void change_batch(FuzzInput& in, MutationRng& rng) {
  in.rows = interesting_rows(rng, kMaxRows);
  fit(in, element_budget(rng), true);
}

// A long row (around powers of two up to 65,536 most).
void change_length(FuzzInput& in, MutationRng& rng) {
  in.n = interesting_n(rng, kMaxN);
  fit(in, element_budget(rng), false);
}

void change_expansion(FuzzInput& in, MutationRng& rng) {
  in.pattern->expansion = static_cast<Expansion>(rng() % 3);
  in.pattern->step = static_cast<std::uint8_t>(coin(rng, 4) ? 0 : rng());
}

void change_motif_length(FuzzInput& in, MutationRng& rng) {
  set_motif_length(in, static_cast<std::size_t>(coin(rng, 2) ? pick_int(rng, 1, 8) : pick_int(rng, 1, kMaxMotif)));
}

// A value for one element: a special value, or a motif value a few binades away (an
// outlier, a row that differs from its neighbours).
std::uint64_t perturbation_bits(ref::Format f, const Bits& motif, MutationRng& rng) {
  const auto& t = ref::traits(f);
  const double max_finite = std::ldexp(2.0 - std::ldexp(1.0, 1 - t.precision), t.emax);
  const std::array<double, 8> specials = {0.0, -0.0, std::numeric_limits<double>::infinity(),
                                          -std::numeric_limits<double>::infinity(),
                                          std::numeric_limits<double>::quiet_NaN(), max_finite, -max_finite, 1.0};
  if (motif.empty() || coin(rng, 3)) return ref::to_bits(f, specials[pick(rng, specials.size())]);
  const double v = ref::from_bits(f, motif[pick(rng, motif.size())]);
  const double shifted = ref::round_to_format(f, std::ldexp(v == 0 ? 1.0 : v, pick_int(rng, -12, 12)));
  return ref::to_bits(f, std::isnan(shifted) ? 0.0 : shifted);
}

// Adds, moves or removes one perturbation.
void perturb(FuzzInput& in, MutationRng& rng) {
  auto& changes = in.pattern->perturbations;
  if (!changes.empty() && coin(rng, 4)) {
    changes.erase(changes.begin() + static_cast<std::ptrdiff_t>(pick(rng, changes.size())));
    return;
  }
  if (!changes.empty() && (changes.size() == kMaxPerturbations || coin(rng, 4))) {
    changes[pick(rng, changes.size())].index = static_cast<std::uint32_t>(rng() & 0xFF'FFFFu);
    return;
  }
  Perturbation change;
  const auto roll = rng() % 10;
  change.target = roll >= 8 && !in.gamma.empty()      ? PatternTarget::gamma
                  : roll >= 7 && !in.beta.empty()     ? PatternTarget::beta
                  : roll >= 6 && !in.residual.empty() ? PatternTarget::residual
                                                      : PatternTarget::x;
  const bool per_row = change.target == PatternTarget::x || change.target == PatternTarget::residual;
  const std::int64_t size = per_row ? in.rows * in.n : in.n;
  // Often in the first row of a later tile or block, where batched kernels change hands.
  const std::int64_t row = std::min(in.rows - 1, harness::kStrategySwitchBatchSizes[pick(rng, harness::kStrategySwitchBatchSizes.size())]);
  const std::int64_t index = per_row && coin(rng, 2) ? row * in.n + pick_int(rng, 0, static_cast<int>(in.n - 1))
                                                     : static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(size));
  change.index = static_cast<std::uint32_t>(index);
  const ref::Format f = per_row ? in.x_storage : in.param_storage;
  const Bits& motif = change.target == PatternTarget::x          ? in.x
                      : change.target == PatternTarget::residual ? in.residual
                      : change.target == PatternTarget::gamma    ? in.gamma
                                                                 : in.beta;
  change.bits = perturbation_bits(f, motif, rng);
  changes.push_back(change);
}

}  // namespace

FuzzInput motif_view(const FuzzInput& in) {
  FuzzInput view = in;
  view.pattern.reset();
  view.rows = 1;
  if (in.pattern) {
    view.n = static_cast<std::int64_t>(in.x.size());
  } else {
    view.n = std::min<std::int64_t>(in.n, kMaxMotif);
    const auto m = static_cast<std::size_t>(view.n);
    for (Bits* values : {&view.x, &view.residual, &view.gamma, &view.beta}) {
      if (values->size() > m) values->resize(m);
    }
  }
  view.flags = input_flags(view);
  return view;
}

void from_motif_view(FuzzInput& pattern, const FuzzInput& view) {
  pattern.x = view.x;
  pattern.residual = view.residual;
  pattern.gamma = view.gamma;
  pattern.beta = view.beta;
  pattern.eps_choice = view.eps_choice;
  pattern.eps_bits = view.eps_bits;
  // A mutation may have added a parameter or a residual of another length: one m for all.
  set_motif_length(pattern, view.x.size());
  pattern.flags = input_flags(pattern);
}

FuzzInput to_pattern(const FuzzInput& in, MutationRng& rng) {
  if (in.pattern) return in;
  FuzzInput out = motif_view(in);
  out.pattern = RowPattern{};
  change_expansion(out, rng);
  if (coin(rng, 2)) {
    out.n = in.n;
    change_batch(out, rng);
  } else {
    out.rows = in.rows;
    change_length(out, rng);
  }
  out.flags = input_flags(out);
  return out;
}

void cut_back(FuzzInput& in, MutationRng& rng) {
  if (in.pattern && in.rows * in.n > kUsualPatternElements && !coin(rng, kLargeOneIn)) {
    fit(in, kUsualPatternElements, in.rows >= in.n);
  }
}

std::string_view mutate_pattern(FuzzInput& in, const harness::KernelShape& shape, MutationRng& rng) {
  cut_back(in, rng);
  switch (rng() % 10) {
    case 0: case 1: case 2: case 3: {
      FuzzInput view = motif_view(in);
      const std::string_view name = mutate_values(view, shape, rng);
      from_motif_view(in, view);
      return name;
    }
    case 4: change_batch(in, rng); return "change-batch";
    case 5: change_length(in, rng); return "change-length";
    case 6: change_expansion(in, rng); return "change-expansion";
    case 7: perturb(in, rng); return "perturb";
    case 8: change_motif_length(in, rng); return "change-motif";
    default:
      // Small enough to write out: back to the raw layout, where every element mutates.
      if (in.rows <= kMaxRawRows && in.n <= kMaxRawN && in.rows * in.n <= 1024) {
        in = expanded(in);
        return "to-raw";
      }
      perturb(in, rng);
      return "perturb";
  }
}

bool shrink_pattern_to_fit(FuzzInput& in, std::size_t max_bytes) {
  auto& changes = in.pattern->perturbations;
  while (encode_input(in).size() > max_bytes && !changes.empty()) changes.pop_back();
  while (encode_input(in).size() > max_bytes && in.x.size() > 1) set_motif_length(in, in.x.size() / 2);
  return encode_input(in).size() <= max_bytes;
}

}  // namespace normcheck::fuzz
