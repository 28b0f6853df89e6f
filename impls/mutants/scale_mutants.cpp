// Mutants whose bug shows only at scale: from row 24 of a batch on, or in rows longer than
// 2048 elements. Both are fp16 LayerNorms (f32 parameters), like the batched GPU kernels
// where these bugs live; below those sizes each is bit for bit its correct counterpart.
#include <array>
#include <cmath>

#include "impls/kernels/float_formats.hpp"
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

using engine::Moments;

// Row tiling: a first partial tile of 8 rows (aligning the later ones), then tiles of 16,
// each writing its rows' statistics to a 16-slot buffer that the normalization reads
// back. From the second full tile on (row 24) the read lands before the tile's write
// (a missing barrier) and gets the slot's previous content: row r is normalized with the
// mean and variance of row r - 16.
struct StaleTileStatistics : engine::NormSteps<StaleTileStatistics, float> {
  static constexpr int64_t kTile = 16;
  static constexpr int64_t kFirstStaleRow = 24;

  struct Slot {
    float mean = 0, var = 0;
    int data_exp = 0, dev_exp = 0;
    bool finite = true;
  };

  static void statistics_for_row(int64_t row, Moments<float>& m) {
    // Per thread, like the engine's scratch rows; slot r % 16 holds row r - 16 when row r
    // arrives, since the rows of one call come in order.
    thread_local std::array<Slot, kTile> slots{};
    Slot& slot = slots[static_cast<size_t>(row % kTile)];
    const Slot own{m.mean, m.var, m.data_exp, m.dev_exp, m.finite};
    if (row >= kFirstStaleRow && m.finite) {  // the bug
      const Slot stale = slot;
      m.finite = stale.finite;
      // The stale row's mean and variance, carried into this row's scaling: the row is
      // normalized as (x - mean_{r-16}) / sqrt(var_{r-16} + eps).
      m.mean = std::ldexp(stale.mean, m.data_exp - stale.data_exp);
      m.var = std::ldexp(stale.var, 2 * ((m.data_exp + m.dev_exp) - (stale.data_exp + stale.dev_exp)));
    }
    slot = own;
  }
};

// The row length kept as a half-precision constant (an __half n in the kernel's
// parameters): exact up to 2048, then rounded (2049 -> 2048, 4097 -> 4096) and infinite
// from 65520 on, so long rows get a wrong mean and variance.
struct CountInHalf : engine::NormSteps<CountInHalf, float> {
  static float row_count(int64_t n) { return round_to_f16(static_cast<float>(n)); }  // the bug
};

template <class Steps>
constexpr normcheck_kernel f16_layernorm(const char* name) {
  return {name, NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_F32, NORMCHECK_F16,
          NORMCHECK_WRITES_STATS, nullptr, &engine::run_kernel<Steps>};
}

const normcheck_kernel kStaleTile = f16_layernorm<StaleTileStatistics>("mutant.layernorm.stale_tile_statistics");
const normcheck_kernel kCountF16 = f16_layernorm<CountInHalf>("mutant.layernorm.count_f16");

}  // namespace

void append_scale_mutants(std::vector<KernelInfo>& out) {
  out.push_back(mutant(kStaleTile,
                       "row tiling: from row 24 on (the second full tile of 16 after a partial "
                       "one) a row is normalized with the statistics of row r - 16"));
  out.push_back(mutant(kCountF16,
                       "row length n held in fp16: exact only up to 2048, so longer rows get a "
                       "wrong mean and variance"));
}

}  // namespace normcheck::impls
