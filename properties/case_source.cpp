// The checker's case stream over the RapidCheck generators.
#include "properties/case_source.hpp"

#include <string_view>

namespace normcheck::props {
namespace {

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf2'9ce4'8422'2325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100'0000'01b3ULL;
  }
  return hash;
}

}  // namespace

harness::CaseSource make_case_source(const GeneratorOptions& options) {
  return [options](const impls::KernelInfo& kernel, std::uint64_t seed, std::int64_t index) {
    // Keyed, not sequential: case i does not depend on cases before it, so the checker
    // may skip, stop or resume anywhere and still reproduce it.
    const rc::Random random(rc::Random::Key{seed, fnv1a(kernel.kernel->name),
                                            static_cast<std::uint64_t>(index), 0x6e6f'726d'6368'6b00ULL});
    const auto generated = gen_problem(shape_of(*kernel.kernel), options)(random, rc::kNominalSize).value();
    return harness::GeneratedCase{generated.problem, std::string(regime_name(generated.regime))};
  };
}

}  // namespace normcheck::props
