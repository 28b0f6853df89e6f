// Runs a kernel through the C ABI: typed buffers with sentinels and guards around the call.
#include "harness/kernel_runner.hpp"

#include "harness/fp_environment.hpp"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace normcheck::harness {
namespace {

// NaNs with a payload no arithmetic produces: an output still holding one was never
// written, and a changed guard element means a write outside the buffer.
std::uint64_t sentinel_bits(ref::Format format) {
  switch (format) {
    case ref::Format::f16:
      return 0x7e5a;
    case ref::Format::bf16:
      return 0x7fa5;
    case ref::Format::f32:
      return 0x7fa5'5a5a;
    case ref::Format::f64:
      return 0x7ff5'a5a5'5a5a'a5a5;
  }
  throw std::invalid_argument("sentinel_bits: bad format");
}

// Storage for count values of one format, as the kernel sees them, with guard
// elements on both sides. Backed by doubles so every element type is aligned.
class AbiBuffer {
 public:
  static constexpr std::size_t kGuard = 16;

  AbiBuffer(ref::Format format, std::size_t count)
      : format_(format),
        width_(static_cast<std::size_t>(ref::traits(format).bits / 8)),
        count_(count),
        storage_(((count + 2 * kGuard) * width_ + sizeof(double) - 1) / sizeof(double)) {
    fill_with_sentinels();
  }

  void* data() { return bytes() + kGuard * width_; }

  void store(const std::vector<double>& values) { ref::encode_values(format_, values.data(), values.size(), data()); }
  std::vector<double> load() const {
    std::vector<double> values(count_);
    ref::decode_values(format_, bytes() + kGuard * width_, count_, values.data());
    return values;
  }
  bool holds_sentinel(std::size_t i) const { return raw(kGuard + i) == sentinel_bits(format_); }
  bool guards_intact() const {
    for (std::size_t i = 0; i < kGuard; ++i) {
      if (raw(i) != sentinel_bits(format_) || raw(kGuard + count_ + i) != sentinel_bits(format_)) {
        return false;
      }
    }
    return true;
  }
  bool same_contents(const AbiBuffer& other) const {
    return std::memcmp(storage_.data(), other.storage_.data(), storage_.size() * sizeof(double)) == 0;
  }

 private:
  unsigned char* bytes() { return reinterpret_cast<unsigned char*>(storage_.data()); }
  const unsigned char* bytes() const { return reinterpret_cast<const unsigned char*>(storage_.data()); }

  // Every element, guards included, through fixed-width integers so the byte order is the
  // machine's, as the kernel's; one loop per width.
  template <typename Bits>
  void fill_as(std::uint64_t pattern) {
    const auto narrow = static_cast<Bits>(pattern);
    unsigned char* at = bytes();
    for (std::size_t i = 0; i < count_ + 2 * kGuard; ++i) std::memcpy(at + i * sizeof(Bits), &narrow, sizeof(Bits));
  }
  void fill_with_sentinels() {
    const std::uint64_t pattern = sentinel_bits(format_);
    if (width_ == 2) fill_as<std::uint16_t>(pattern);
    else if (width_ == 4) fill_as<std::uint32_t>(pattern);
    else fill_as<std::uint64_t>(pattern);
  }
  std::uint64_t raw(std::size_t index) const {
    const unsigned char* at = bytes() + index * width_;
    if (width_ == 2) {
      std::uint16_t narrow = 0;
      std::memcpy(&narrow, at, 2);
      return narrow;
    }
    if (width_ == 4) {
      std::uint32_t narrow = 0;
      std::memcpy(&narrow, at, 4);
      return narrow;
    }
    std::uint64_t wide = 0;
    std::memcpy(&wide, at, 8);
    return wide;
  }

  ref::Format format_;
  std::size_t width_;
  std::size_t count_;
  std::vector<double> storage_;
};

// An input buffer and a copy of it, to notice a kernel that writes through const.
struct InputBuffer {
  AbiBuffer buffer;
  AbiBuffer original;
  InputBuffer(ref::Format format, const std::vector<double>& values)
      : buffer(filled(format, values)), original(buffer) {}  // one encoding, copied

 private:
  static AbiBuffer filled(ref::Format format, const std::vector<double>& values) {
    AbiBuffer b(format, values.size());
    b.store(values);
    return b;
  }
};

void require_size(std::size_t actual, std::int64_t expected, const char* what) {
  if (static_cast<std::int64_t>(actual) != expected) {
    throw std::invalid_argument(fmt::format("run_kernel: {} has {} values, expected {}", what, actual, expected));
  }
}

// The status is read as the int a C function returns for an enum on every ABI we target:
// a kernel may return any int, and no value outside normcheck_status must ever be formed
// as one in C++ (undefined behaviour). The call's type differs from the callee's only in
// that return type, which clang's -fsanitize=function would report on a built-in kernel.
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
int call_run(const normcheck_kernel& kernel, const normcheck_kernel& self, const normcheck_problem& problem) {
  using RunReturningInt = int (*)(const normcheck_kernel*, const normcheck_problem*);
  static_assert(sizeof(normcheck_status) == sizeof(int), "C enums of the ABI are int-sized");
  // Through void (*)(): the documented way to say the cast between function types is meant.
  const auto run = reinterpret_cast<RunReturningInt>(reinterpret_cast<void (*)()>(kernel.run));
  return run(&self, &problem);
}

}  // namespace

namespace {

KernelRun run_as(const normcheck_kernel& kernel, const normcheck_kernel& self, const ref::NormProblem& problem) {
  if (!kernel_accepts(kernel, problem)) {
    throw std::invalid_argument(fmt::format("run_kernel: {} does not accept the problem", kernel.name));
  }
  const std::int64_t count = problem.rows * problem.n;
  require_size(problem.x.size(), count, "x");
  if (problem.has_residual()) require_size(problem.residual.size(), count, "residual");
  if (!problem.gamma.empty()) require_size(problem.gamma.size(), problem.n, "gamma");
  if (!problem.beta.empty()) require_size(problem.beta.size(), problem.n, "beta");

  const auto values = static_cast<std::size_t>(count);
  const auto rows = static_cast<std::size_t>(problem.rows);
  const bool writes_stats = (kernel.flags & NORMCHECK_WRITES_STATS) != 0;
  InputBuffer x(problem.x_format, problem.x);
  InputBuffer residual(problem.x_format, problem.residual);
  InputBuffer gamma(problem.param_format, problem.gamma);
  InputBuffer beta(problem.param_format, problem.beta);
  AbiBuffer y(problem.y_format, values);
  AbiBuffer residual_out(problem.x_format, problem.has_residual() ? values : 0);
  AbiBuffer mean(ref::Format::f32, writes_stats ? rows : 0);
  AbiBuffer rstd(ref::Format::f32, writes_stats ? rows : 0);

  normcheck_problem abi{};
  abi.rows = problem.rows;
  abi.n = problem.n;
  abi.eps = problem.eps;
  abi.x = x.buffer.data();
  abi.residual = problem.has_residual() ? residual.buffer.data() : nullptr;
  abi.gamma = problem.gamma.empty() ? nullptr : gamma.buffer.data();
  abi.beta = problem.beta.empty() ? nullptr : beta.buffer.data();
  abi.y = y.data();
  abi.residual_out = problem.has_residual() ? residual_out.data() : nullptr;
  abi.mean = writes_stats ? static_cast<float*>(mean.data()) : nullptr;
  abi.rstd = writes_stats ? static_cast<float*>(rstd.data()) : nullptr;

  KernelRun run;
  {
    // The harness decodes outputs and computes in its own FP state, whatever the kernel did.
    const FpEnvironmentGuard fp_state;
    run.raw_status = call_run(kernel, self, abi);
    run.status = run.raw_status == NORMCHECK_OK || run.raw_status == NORMCHECK_UNSUPPORTED
                     ? static_cast<normcheck_status>(run.raw_status)
                     : NORMCHECK_ERROR;
    run.fp_state_change = fp_state.changes();
  }

  std::string violations;
  const auto note = [&violations](bool ok, std::string_view what) {
    if (ok) return;
    if (!violations.empty()) violations += ", ";
    violations += what;
  };
  note(y.guards_intact(), "wrote outside y");
  note(residual_out.guards_intact(), "wrote outside residual_out");
  note(mean.guards_intact(), "wrote outside mean");
  note(rstd.guards_intact(), "wrote outside rstd");
  note(x.buffer.same_contents(x.original), "changed x");
  note(residual.buffer.same_contents(residual.original), "changed residual");
  note(gamma.buffer.same_contents(gamma.original), "changed gamma");
  note(beta.buffer.same_contents(beta.original), "changed beta");
  run.memory_violation = violations;

  run.y = y.load();
  for (std::size_t i = 0; i < values; ++i) {
    if (y.holds_sentinel(i)) run.unwritten_y.push_back(static_cast<std::int64_t>(i));
  }
  if (problem.has_residual()) run.residual_out = residual_out.load();
  if (writes_stats) {
    run.mean = mean.load();
    run.rstd = rstd.load();
  }
  return run;
}

}  // namespace

KernelRun run_kernel(const impls::KernelInfo& kernel, const ref::NormProblem& problem) {
  return run_as(*kernel.kernel, kernel.self(), problem);
}

KernelRun run_kernel(const normcheck_kernel& kernel, const ref::NormProblem& problem) {
  return run_as(kernel, kernel, problem);
}

}  // namespace normcheck::harness
