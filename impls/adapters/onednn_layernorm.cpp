// oneDNN's layer_normalization_forward (inference) behind the normcheck ABI, f32 and bf16 data.
#include <map>
#include <mutex>
#include <tuple>

#include "impls/kernels/kernel_sets.hpp"
#include "oneapi/dnnl/dnnl.hpp"

namespace normcheck::impls {
namespace {

using dnnl::memory;

struct PrimitiveKey {
  memory::data_type data_type;
  int64_t rows, n;
  bool scale, shift;
  float eps;
  auto tie() const { return std::tie(data_type, rows, n, scale, shift, eps); }
  bool operator<(const PrimitiveKey& other) const { return tie() < other.tie(); }
};

struct Cached {
  dnnl::layer_normalization_forward primitive;
  memory::desc data_desc, param_desc;
};

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Creating a primitive costs far more than running it on one batch; reuse per shape.
const Cached& primitive_for(const PrimitiveKey& key) {
  static std::mutex mutex;
  static std::map<PrimitiveKey, Cached> cache;
  const std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const memory::desc data_desc({key.rows, key.n}, key.data_type, memory::format_tag::ab);
  const memory::desc param_desc({key.n}, memory::data_type::f32, memory::format_tag::a);
  auto flags = dnnl::normalization_flags::none;
  if (key.scale) flags |= dnnl::normalization_flags::use_scale;
  if (key.shift) flags |= dnnl::normalization_flags::use_shift;
  const dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference,
                                                     data_desc, key.eps, flags);
  const dnnl::layer_normalization_forward::primitive_desc pd(desc, cpu_engine());
  return cache.emplace(key, Cached{dnnl::layer_normalization_forward(pd), data_desc, param_desc})
      .first->second;
}

normcheck_status run_onednn(const normcheck_kernel* self, const normcheck_problem* problem) noexcept {
  if (self == nullptr || problem == nullptr) return NORMCHECK_ERROR;
  const normcheck_problem& p = *problem;
  if (p.rows < 0 || p.n < 1 || p.x == nullptr || p.y == nullptr) return NORMCHECK_ERROR;
  if (p.residual != nullptr || p.residual_out != nullptr) return NORMCHECK_UNSUPPORTED;
  // oneDNN takes eps as a float: only eps exactly representable in fp32 is supported.
  if (!(p.eps >= 0.0) || static_cast<double>(static_cast<float>(p.eps)) != p.eps) {
    return NORMCHECK_UNSUPPORTED;
  }
  if (p.rows == 0) return NORMCHECK_OK;
  try {
    const auto data_type =
        self->x_dtype == NORMCHECK_BF16 ? memory::data_type::bf16 : memory::data_type::f32;
    const PrimitiveKey key{data_type, p.rows, p.n, p.gamma != nullptr, p.beta != nullptr,
                           static_cast<float>(p.eps)};
    const Cached& cached = primitive_for(key);
    dnnl::engine& engine = cpu_engine();
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, memory(cached.data_desc, engine, const_cast<void*>(p.x))},
        {DNNL_ARG_DST, memory(cached.data_desc, engine, p.y)}};
    if (p.gamma) {
      args.emplace(DNNL_ARG_SCALE, memory(cached.param_desc, engine, const_cast<void*>(p.gamma)));
    }
    if (p.beta) {
      args.emplace(DNNL_ARG_SHIFT, memory(cached.param_desc, engine, const_cast<void*>(p.beta)));
    }
    dnnl::stream stream(engine);
    cached.primitive.execute(stream, args);
    stream.wait();
  } catch (const dnnl::error& e) {
    return e.status == dnnl_unimplemented ? NORMCHECK_UNSUPPORTED : NORMCHECK_ERROR;
  } catch (...) {
    return NORMCHECK_ERROR;
  }
  return NORMCHECK_OK;
}

const normcheck_kernel kF32 = {"onednn.layernorm.f32", NORMCHECK_LAYERNORM, NORMCHECK_F32,
                               NORMCHECK_F32, NORMCHECK_F32, 0, nullptr, run_onednn};
const normcheck_kernel kBF16 = {"onednn.layernorm.bf16", NORMCHECK_LAYERNORM, NORMCHECK_BF16,
                                NORMCHECK_F32, NORMCHECK_BF16, 0, nullptr, run_onednn};

KernelInfo adapter(const normcheck_kernel& kernel) {
  return KernelInfo{&kernel, false, {}, NORMCHECK_F32, KernelOrigin::onednn};
}

}  // namespace

void append_onednn_kernels(std::vector<KernelInfo>& out) {
  out.push_back(adapter(kF32));
  out.push_back(adapter(kBF16));
}

}  // namespace normcheck::impls
