// The mutations of pattern inputs (fuzz_input.hpp, row_pattern.hpp): their batch size and
// row length, the expansion rule, the perturbations, and the motifs' values through the
// value mutations of a one-row input; and the passage between the two layouts.
#pragma once

#include <cstddef>
#include <string_view>

#include "fuzz/fuzz_input.hpp"
#include "fuzz/structure_mutator.hpp"

namespace normcheck::fuzz {

// A large pattern input cut back to kUsualPatternElements (its longer side kept as far
// as it fits), but for one time in 32: the start of each mutation or crossover of it,
// so that large inputs kept in the corpus mostly have cheap mutants.
void cut_back(FuzzInput& input, MutationRng& rng);

// One mutation of a pattern input (after cut_back); returns its name.
std::string_view mutate_pattern(FuzzInput& input, const harness::KernelShape& shape, MutationRng& rng);

// A pattern input of a large shape whose motifs are the first values (at most kMaxMotif)
// of a raw input's row 0 and parameters; a pattern input is returned as it is.
FuzzInput to_pattern(const FuzzInput& input, MutationRng& rng);

// The motifs of a pattern input as a raw input of one row (n = the motif length), and
// back; a raw input's view is its first row, cut to kMaxMotif values.
FuzzInput motif_view(const FuzzInput& input);
void from_motif_view(FuzzInput& pattern, const FuzzInput& view);

// Drops perturbations, then shortens the motifs, until the encoding fits max_bytes.
bool shrink_pattern_to_fit(FuzzInput& pattern, std::size_t max_bytes);

}  // namespace normcheck::fuzz
