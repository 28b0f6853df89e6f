// Mutations of the backward target's dy header (dy_mutations.hpp).
#include "fuzz/dy_mutations.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace normcheck::fuzz {
namespace {

int pick_int(MutationRng& rng, int lo, int hi) {
  return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1));
}

// The binade of the largest finite |dy| the carrier spells (its raw values or its motif;
// dy = 1 without a residual), before the header's shift.
int top_binade(const FuzzInput& carrier) {
  double largest = carrier.residual.empty() ? 1.0 : 0.0;
  for (auto bits : carrier.residual) {
    const double v = std::fabs(ref::from_bits(carrier.x_storage, bits));
    if (std::isfinite(v)) largest = std::max(largest, v);
  }
  return largest == 0.0 ? 0 : std::ilogb(largest);
}

// The shift that moves binade `from` to about `to`.
std::int8_t shift_between(int from, int to, ref::Format dy_format) {
  const int step = dy_shift_step(dy_format);
  const int units = (to - from) / step;
  return static_cast<std::int8_t>(std::clamp(units, -128, 127));
}

}  // namespace

std::string_view mutate_dy_header(BackwardFuzzInput& input, ref::Format dy_format, MutationRng& rng) {
  DyHeader& dy = input.dy;
  const auto& t = ref::traits(dy_format);
  switch (rng() % 6) {
    case 0:
    case 1:
      dy.form = static_cast<DyForm>(rng() % kDyFormCount);
      dy.parameter = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0 : rng() % 32);
      return "dy-form";
    case 2: {
      static constexpr int kSteps[] = {1, -1, 2, -2, 4, -4, 8, -8};
      dy.shift = static_cast<std::int8_t>(std::clamp(dy.shift + kSteps[rng() % 8], -128, 127));
      return "dy-shift-step";
    }
    case 3:
      // The top binades: g * xhat and the column sums of many rows overflow, or nearly.
      dy.shift = shift_between(top_binade(input.carrier), t.emax - pick_int(rng, 0, 3), dy_format);
      return "dy-huge";
    case 4:
      // From barely normal down into the subnormals, where products and sums underflow.
      dy.shift = shift_between(top_binade(input.carrier), t.emin + 2 - pick_int(rng, 0, t.precision + 2), dy_format);
      return "dy-tiny";
    default:
      dy.shift = rng() % 3 == 0 ? std::int8_t{0} : static_cast<std::int8_t>(rng() & 0xFFu);
      return "dy-shift-any";
  }
}

}  // namespace normcheck::fuzz
