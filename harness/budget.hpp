// Accuracy budgets per kernel: per-dtype defaults (docs/budgets.md gives the rationale)
// and overrides from a TOML file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "impls/registry.hpp"
#include "reference/format.hpp"

namespace normcheck::harness {

enum class SpecialPolicy {
  strict,  // every special-value mismatch is a finding
  ignore,  // special-value mismatches are counted and reported, not findings
};

// How the kernel sums a row's statistics, as far as its budget is concerned. The default
// (pairwise or blocked) grows the error by about one u_c per level of the summation tree;
// a sequential (recursive) sum grows it by up to one u_c per element.
enum class Summation {
  pairwise,    // limit max_score + score_per_log2n * log2(n)
  sequential,  // that plus n - 1: the worst-case bound of a recursive sum, gamma_{n-1} ~ (n-1) u
};

struct Budget {
  double max_score = 0;                       // condition-aware score limit
  std::optional<std::int64_t> max_ulp;        // ULP distance limit; none = not gated
  SpecialPolicy special = SpecialPolicy::strict;
  ref::Format compute = ref::Format::f32;     // u_c of the score
  std::optional<double> max_abs_x;            // declared input domain; cases beyond it are skipped
  // Summation error grows with the row length: the score limit for a row of n
  // elements is max_score + score_per_log2n * log2(n) (score_limit()).
  double score_per_log2n = 0;
  Summation summation = Summation::pairwise;
  // Whether check's rounding-bias test may make a finding of this kernel (TOML `bias =
  // false` opts out knowingly, e.g. for a kernel that truncates by design); its figures
  // are reported either way.
  bool bias_test = true;
};

// The score limit for rows of n elements.
double score_limit(const Budget& budget, std::int64_t n);
// The limit the same budget would have with summation = "sequential": what a finding's
// message compares against, to say when a sequential sum would explain it.
double sequential_score_limit(const Budget& budget, std::int64_t n);

// The default budget for a kernel from its dtypes and declared compute precision.
Budget default_budget(const impls::KernelInfo& kernel);
// A backward kernel's default: the forward defaults for its declared compute precision
// and origin (docs/budgets.md).
Budget default_backward_budget(const impls::BackwardKernelInfo& kernel);

// Budgets from a TOML file, e.g.
//   [kernel."layernorm.f32.two_pass"]
//   max_score = 8.0
//   max_ulp = 4
//   special = "strict"
//   compute = "f32"
//   max_abs_x = 1e4
//   score_per_log2n = 1.0
//   summation = "sequential"
//   bias = false
// Unlisted kernels and unlisted keys fall back to default_budget().
class BudgetTable {
 public:
  BudgetTable() = default;
  static BudgetTable load(const std::filesystem::path& path);  // throws InputError
  Budget for_kernel(const impls::KernelInfo& kernel) const;
  Budget for_kernel(const impls::BackwardKernelInfo& kernel) const;
  // Throws InputError naming the file and the key for an entry whose kernel is in neither
  // list: a typo or a plugin not loaded would otherwise leave the budget unapplied.
  void require_known_kernels(const std::vector<impls::KernelInfo>& kernels,
                             const std::vector<impls::BackwardKernelInfo>& backward_kernels = {}) const;

 private:
  struct Override {
    std::optional<double> max_score;
    std::optional<std::int64_t> max_ulp;
    std::optional<SpecialPolicy> special;
    std::optional<ref::Format> compute;
    std::optional<double> max_abs_x;
    std::optional<double> score_per_log2n;
    std::optional<Summation> summation;
    std::optional<bool> bias_test;
  };
  Budget with_overrides(Budget budget, std::string_view kernel_name) const;

  std::map<std::string, Override, std::less<>> overrides_;
  std::filesystem::path source_;
};

// The budgets of a command's --budgets file ("" = defaults only), checked against the
// kernels the command loaded (built-ins and plugins). Shared by check, replay, report and
// fuzz.
BudgetTable load_budgets(const std::string& path, const std::vector<impls::KernelInfo>& kernels,
                         const std::vector<impls::BackwardKernelInfo>& backward_kernels = {});

}  // namespace normcheck::harness
