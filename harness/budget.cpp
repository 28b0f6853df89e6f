// Accuracy budgets: the documented defaults (docs/budgets.md) and TOML overrides.
#include "harness/budget.hpp"

#include <cmath>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "harness/input_error.hpp"
#include "harness/text_file.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness {
namespace {

// The default table. Scores are in units of ulp(RN(y)) + u_c * A_i, so one set of
// constants serves every compute precision; docs/budgets.md derives them.
//   base:    final rounding (<= 1/2), the chain sub / mul rstd / mul gamma / add beta
//            (4 u_c A), rsqrt (~2 u_c), double rounding to a narrower output, and a 2x
//            margin on top: 16.
//   per log2(n): blocked / pairwise summation of the mean and the variance adds about
//            one u_c per level of the summation tree to each statistic.
constexpr double kBaseScore = 16.0;
constexpr double kScorePerLog2n = 1.0;

// The oneDNN adapters run oneDNN's f32 statistics, which square deviations unscaled:
// n * (x - mean)^2 overflows FLT_MAX = 2^128 unless |x - mean| <= 2^64 / sqrt(n). With
// |x - mean| <= 2 |x| and n <= 2^24 (the case-file limit), |x| <= 2^51 is always safe.
constexpr double kOneDnnMaxAbsX = 0x1p51;

[[noreturn]] void budget_error(const std::filesystem::path& path, std::string_view where,
                               std::string_view what) {
  throw InputError(fmt::format("{}: {}: {}", path.string(), where, what));
}

std::optional<Summation> parse_summation(std::string_view name) {
  if (name == "pairwise") return Summation::pairwise;
  if (name == "sequential") return Summation::sequential;
  return std::nullopt;
}

std::optional<SpecialPolicy> parse_policy(std::string_view name) {
  if (name == "strict") return SpecialPolicy::strict;
  if (name == "ignore") return SpecialPolicy::ignore;
  return std::nullopt;
}

}  // namespace

double score_limit(const Budget& budget, std::int64_t n) {
  const double length = static_cast<double>(n < 1 ? 1 : n);
  const double pairwise = budget.max_score + budget.score_per_log2n * std::log2(length);
  return budget.summation == Summation::sequential ? pairwise + (length - 1) : pairwise;
}

double sequential_score_limit(const Budget& budget, std::int64_t n) {
  Budget sequential = budget;
  sequential.summation = Summation::sequential;
  return score_limit(sequential, n);
}

Budget default_budget(const impls::KernelInfo& kernel) {
  Budget budget;
  budget.compute = static_cast<ref::Format>(kernel.compute);
  budget.max_score = kBaseScore;
  budget.score_per_log2n = kScorePerLog2n;
  budget.special = SpecialPolicy::strict;
  // No default input domain for our own kernels: a correct kernel scales rows whose sums
  // would overflow its compute format (the pure f16 kernel does). oneDNN does not.
  if (kernel.origin == impls::KernelOrigin::onednn) budget.max_abs_x = kOneDnnMaxAbsX;
  return budget;
}

BudgetTable BudgetTable::load(const std::filesystem::path& path) {
  const std::string text = read_text_file(path, kMaxBudgetFileBytes, "budget file");
  toml::table document;
  try {
    document = toml::parse(text, path.string());
  } catch (const toml::parse_error& error) {
    throw InputError(fmt::format("{}:{}:{}: bad TOML: {}", path.string(), error.source().begin.line,
                                 error.source().begin.column, error.description()));
  }

  BudgetTable table;
  table.source_ = path;
  for (const auto& [top_key, top_node] : document) {
    if (top_key.str() != "kernel") budget_error(path, top_key.str(), "unknown key (expected [kernel.\"NAME\"])");
    const toml::table* kernels = top_node.as_table();
    if (kernels == nullptr) budget_error(path, "kernel", "expected a table of kernels");
    for (const auto& [name_key, name_node] : *kernels) {
      const std::string name(name_key.str());
      const std::string where = fmt::format("kernel.\"{}\"", name);
      const toml::table* settings = name_node.as_table();
      if (settings == nullptr) budget_error(path, where, "expected a table");
      Override entry;
      for (const auto& setting : *settings) {
        // Not a structured binding: clang 14 cannot capture those in the lambda below.
        const toml::node& value = setting.second;
        const std::string key(setting.first.str());
        const std::string at = where + "." + key;
        const auto positive_number = [&](bool zero_ok) {
          const auto number = value.value<double>();
          if (!number || !std::isfinite(*number) || *number < 0 || (!zero_ok && *number == 0)) {
            budget_error(path, at, zero_ok ? "expected a finite number >= 0" : "expected a finite number > 0");
          }
          return *number;
        };
        if (key == "max_score") {
          entry.max_score = positive_number(false);
        } else if (key == "score_per_log2n") {
          entry.score_per_log2n = positive_number(true);
        } else if (key == "max_abs_x") {
          entry.max_abs_x = positive_number(false);
        } else if (key == "max_ulp") {
          const auto* integer = value.as_integer();
          if (integer == nullptr || integer->get() < 0) budget_error(path, at, "expected an integer >= 0");
          entry.max_ulp = integer->get();
        } else if (key == "special") {
          const auto policy = parse_policy(value.value<std::string>().value_or(""));
          if (!policy) budget_error(path, at, "expected \"strict\" or \"ignore\"");
          entry.special = policy;
        } else if (key == "compute") {
          const auto format = ref::parse_format(value.value<std::string>().value_or(""));
          if (!format) budget_error(path, at, "expected \"f16\", \"bf16\", \"f32\" or \"f64\"");
          entry.compute = format;
        } else if (key == "summation") {
          const auto summation = parse_summation(value.value<std::string>().value_or(""));
          if (!summation) budget_error(path, at, "expected \"pairwise\" or \"sequential\"");
          entry.summation = summation;
        } else if (key == "bias") {
          const auto* flag = value.as_boolean();
          if (flag == nullptr) budget_error(path, at, "expected true or false");
          entry.bias_test = flag->get();
        } else {
          budget_error(path, at,
                       "unknown key (max_score, score_per_log2n, summation, max_ulp, special, compute, max_abs_x, "
                       "bias)");
        }
      }
      table.overrides_[name] = entry;
    }
  }
  return table;
}

void BudgetTable::require_known_kernels(const std::vector<impls::KernelInfo>& kernels,
                                        const std::vector<impls::BackwardKernelInfo>& backward_kernels) const {
  for (const auto& [name, entry] : overrides_) {
    if (impls::find_kernel(kernels, name) == nullptr && impls::find_backward_kernel(backward_kernels, name) == nullptr)
      budget_error(source_, fmt::format("kernel.\"{}\"", name),
                   "no such kernel among the built-ins and loaded plugins (see `normcheck list`)");
  }
}

BudgetTable load_budgets(const std::string& path, const std::vector<impls::KernelInfo>& kernels,
                         const std::vector<impls::BackwardKernelInfo>& backward_kernels) {
  if (path.empty()) return BudgetTable{};
  BudgetTable table = BudgetTable::load(path);
  table.require_known_kernels(kernels, backward_kernels);
  return table;
}

Budget BudgetTable::for_kernel(const impls::KernelInfo& kernel) const {
  return with_overrides(default_budget(kernel), kernel.kernel->name);
}

Budget BudgetTable::for_kernel(const impls::BackwardKernelInfo& kernel) const {
  return with_overrides(default_backward_budget(kernel), kernel.kernel->name);
}

Budget default_backward_budget(const impls::BackwardKernelInfo& kernel) {
  impls::KernelInfo like;
  like.compute = kernel.compute;
  like.origin = kernel.origin;
  return default_budget(like);
}

Budget BudgetTable::with_overrides(Budget budget, std::string_view kernel_name) const {
  const auto it = overrides_.find(kernel_name);
  if (it == overrides_.end()) return budget;
  const Override& entry = it->second;
  if (entry.max_score) budget.max_score = *entry.max_score;
  if (entry.score_per_log2n) budget.score_per_log2n = *entry.score_per_log2n;
  if (entry.max_ulp) budget.max_ulp = *entry.max_ulp;
  if (entry.special) budget.special = *entry.special;
  if (entry.compute) budget.compute = *entry.compute;
  if (entry.max_abs_x) budget.max_abs_x = *entry.max_abs_x;
  if (entry.summation) budget.summation = *entry.summation;
  if (entry.bias_test) budget.bias_test = *entry.bias_test;
  return budget;
}

}  // namespace normcheck::harness
