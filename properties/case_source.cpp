// The checker's case stream over the RapidCheck generators.
#include "properties/case_source.hpp"

#include <functional>
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

// The Random of case `index` of a kernel's stream. Keyed, not sequential: case i does not
// depend on cases before it, so the checker may skip, stop or resume anywhere and still
// reproduce it.
rc::Random case_random(std::uint64_t seed, std::string_view kernel_name, std::int64_t index) {
  return rc::Random(rc::Random::Key{seed, fnv1a(kernel_name), static_cast<std::uint64_t>(index),
                                    0x6e6f'726d'6368'6b00ULL});
}

// A kernel's generator, built once: building one assembles every regime's closures, which
// cost as much as drawing a small case. Generators are immutable values, so the kernels
// checked at once share the cache under a lock held only to look up or insert.
template <typename Generated, typename KernelEntry>
class GeneratorCache {
 public:
  using Make = std::function<rc::Gen<Generated>(const KernelEntry&)>;
  explicit GeneratorCache(Make make) : make_(std::move(make)) {}

  rc::Gen<Generated> for_kernel(const KernelEntry& kernel) {
    std::lock_guard lock(mutex_);
    auto found = generators_.find(kernel.name);
    if (found == generators_.end()) found = generators_.emplace(kernel.name, make_(kernel)).first;
    return found->second;
  }

 private:
  Make make_;
  std::mutex mutex_;
  std::map<std::string, rc::Gen<Generated>> generators_;
};

}  // namespace

harness::CaseSource make_case_source(const GeneratorOptions& options) {
  auto cache = std::make_shared<GeneratorCache<GeneratedProblem, normcheck_kernel>>(
      [options](const normcheck_kernel& kernel) { return gen_problem(shape_of(kernel), options); });
  return [cache](const impls::KernelInfo& kernel, std::uint64_t seed, std::int64_t index) {
    const auto generated =
        cache->for_kernel(*kernel.kernel)(case_random(seed, kernel.kernel->name, index), rc::kNominalSize).value();
    return harness::GeneratedCase{generated.problem, std::string(regime_name(generated.regime))};
  };
}

harness::BackwardCaseSource make_backward_case_source(const GeneratorOptions& options) {
  BackwardGeneratorOptions backward;
  backward.forward = options;
  auto cache = std::make_shared<GeneratorCache<GeneratedBackwardProblem, normcheck_backward_kernel>>(
      [backward](const normcheck_backward_kernel& kernel) {
        return gen_backward_problem(backward_shape_of(kernel), backward);
      });
  return [cache](const impls::BackwardKernelInfo& kernel, std::uint64_t seed, std::int64_t index) {
    const auto generated =
        cache->for_kernel(*kernel.kernel)(case_random(seed, kernel.kernel->name, index), rc::kNominalSize).value();
    return harness::GeneratedBackwardCase{generated.problem, backward_case_regime(generated)};
  };
}

}  // namespace normcheck::props
