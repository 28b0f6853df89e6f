// The checker's case stream over the RapidCheck generators.
#include "properties/case_source.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
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

// A kernel's generator, built once: building one assembles every regime's closures, which
// cost as much as drawing a small case. Generators are immutable values, so the kernels
// checked at once share the cache under a lock held only to look up or insert.
class GeneratorCache {
 public:
  explicit GeneratorCache(GeneratorOptions options) : options_(options) {}

  rc::Gen<GeneratedProblem> for_kernel(const normcheck_kernel& kernel) {
    std::lock_guard lock(mutex_);
    auto found = generators_.find(kernel.name);
    if (found == generators_.end()) found = generators_.emplace(kernel.name, gen_problem(shape_of(kernel), options_)).first;
    return found->second;
  }

 private:
  GeneratorOptions options_;
  std::mutex mutex_;
  std::map<std::string, rc::Gen<GeneratedProblem>> generators_;
};

harness::CaseSource make_case_source(const GeneratorOptions& options) {
  auto cache = std::make_shared<GeneratorCache>(options);
  return [cache](const impls::KernelInfo& kernel, std::uint64_t seed, std::int64_t index) {
    // Keyed, not sequential: case i does not depend on cases before it, so the checker
    // may skip, stop or resume anywhere and still reproduce it.
    const rc::Random random(rc::Random::Key{seed, fnv1a(kernel.kernel->name),
                                            static_cast<std::uint64_t>(index), 0x6e6f'726d'6368'6b00ULL});
    const auto generated = cache->for_kernel(*kernel.kernel)(random, rc::kNominalSize).value();
    return harness::GeneratedCase{generated.problem, std::string(regime_name(generated.regime))};
  };
}

}  // namespace normcheck::props
