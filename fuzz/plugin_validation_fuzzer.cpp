// libFuzzer target for the plugin loader's validation of a kernel table: bytes become a
// table served by table_plugin.so, and impls::load_plugin must accept exactly the tables
// that the ABI's rules allow (kernel_abi.h, plugin_loader.hpp) and never crash.
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "impls/plugin_loader.hpp"
#include "normcheck/kernel_abi.h"

namespace {

using SetTable = void (*)(std::uint32_t, const normcheck_kernel*, std::size_t);

std::string plugin_path;
SetTable set_table = nullptr;

[[noreturn]] void fail(const char* signature, const std::string& detail) {
  std::fprintf(stderr, "%s\nnormcheck-finding: plugin-validation-%s\n", detail.c_str(), signature);
  std::fflush(stderr);
  std::abort();
}

normcheck_status unsupported(const normcheck_kernel*, const normcheck_problem*) { return NORMCHECK_UNSUPPORTED; }

bool valid_name(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  for (const char* c = name; *c; ++c) {
    const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-';
    if (!ok) return false;
  }
  return true;
}

// Enum fields hold whatever int a C plugin stored: read and write them as raw ints, since
// an out-of-range value read or cast through the C++ enum type is undefined behaviour.
template <class Enum>
int raw(const Enum& field) {
  int value = 0;
  std::memcpy(&value, &field, sizeof value);
  return value;
}
template <class Enum>
void store_raw(Enum& field, int value) {
  std::memcpy(&field, &value, sizeof value);
}

bool valid_entry(std::uint32_t version, const normcheck_kernel& k) {
  auto valid_dtype = [](int d) { return d >= NORMCHECK_F16 && d <= NORMCHECK_F64; };
  // Version 1: three flag bits. Version 2 adds THREAD_SAFE (bit 3) and a compute dtype in bits 8-15.
  constexpr std::uint32_t v1_flags = 0x7u;
  const std::uint32_t known = version == 1 ? v1_flags : v1_flags | 0x8u | 0xff00u;
  const std::uint32_t compute = (k.flags >> 8) & 0xffu;
  const int op = raw(k.op);
  return valid_name(k.name) && (op == NORMCHECK_LAYERNORM || op == NORMCHECK_RMSNORM) && valid_dtype(raw(k.x_dtype)) &&
         valid_dtype(raw(k.param_dtype)) && valid_dtype(raw(k.y_dtype)) && k.run != nullptr &&
         (k.flags & ~known) == 0 && (compute == 0 || valid_dtype(static_cast<int>(compute)));
}

// The rules of plugin_loader.hpp, written independently of the loader.
bool table_allowed(std::uint32_t version, const normcheck_kernel* table, std::size_t count) {
  if (version != 1 && version != 2) return false;
  if (table == nullptr) return count == 0;
  std::set<std::string> names;
  for (std::size_t i = 0; i < count; ++i) {
    if (!valid_entry(version, table[i]) || !names.insert(table[i].name).second) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** argv) {
  // The plugin is built next to this binary (both land in the same $OUT under OSS-Fuzz).
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = (*argv)[0];
  plugin_path = (self.parent_path() / "libnormcheck_fuzz_table_plugin.so").string();
  void* handle = dlopen(plugin_path.c_str(), RTLD_NOW);
  if (handle) set_table = reinterpret_cast<SetTable>(dlsym(handle, "normcheck_fuzz_table_set"));
  if (!set_table) {
    std::fprintf(stderr, "plugin_validation_fuzzer: cannot load %s: %s\n", plugin_path.c_str(), dlerror());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // Mostly the right version, so the fuzzer spends its time on the entries.
  const auto version_byte = in.ConsumeIntegral<std::uint8_t>();
  const std::uint32_t version = version_byte < 224 ? NORMCHECK_ABI_VERSION : version_byte - 224u;
  const bool null_table = in.ConsumeIntegralInRange<std::uint8_t>(0, 31) == 0;
  const auto count = in.ConsumeIntegralInRange<std::size_t>(0, 6);

  std::vector<std::string> names(count);
  std::vector<normcheck_kernel> table(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto& k = table[i];
    const auto shape = in.ConsumeIntegral<std::uint8_t>();
    names[i] = in.ConsumeRandomLengthString(24);
    k.name = (shape & 1u) ? nullptr : names[i].c_str();  // the string may hold a NUL: C sees a prefix
    // Mostly near the valid range, sometimes any int a C plugin could store.
    const auto enum_value = [&in](int hi) {
      return in.ConsumeBool() ? in.ConsumeIntegralInRange<int>(-1, hi) : in.ConsumeIntegral<int>();
    };
    store_raw(k.op, enum_value(3));
    store_raw(k.x_dtype, enum_value(7));
    store_raw(k.param_dtype, enum_value(7));
    store_raw(k.y_dtype, enum_value(7));
    k.flags = (shape & 2u) ? in.ConsumeIntegral<std::uint32_t>() : in.ConsumeIntegralInRange<std::uint32_t>(0, 7);
    k.context = nullptr;
    k.run = (shape & 4u) ? nullptr : &unsupported;
  }
  static const normcheck_kernel no_entries{};
  const normcheck_kernel* served = null_table ? nullptr : count == 0 ? &no_entries : table.data();
  set_table(version, served, count);

  const bool allowed = table_allowed(version, served, count);
  // A plugin without kernels may be refused or accepted: the ABI does not say.
  const bool either_verdict = allowed && count == 0;
  std::vector<normcheck::impls::KernelInfo> loaded;
  try {
    loaded = normcheck::impls::load_plugin(plugin_path);
  } catch (const normcheck::impls::PluginError& error) {
    if (allowed && !either_verdict) fail("rejects-valid-table", std::string("a valid table was rejected: ") + error.what());
    return 0;
  } catch (const std::exception& error) {
    fail("wrong-exception", std::string("load_plugin threw something other than PluginError: ") + error.what());
  }
  if (!allowed) fail("accepts-invalid-table", "an invalid table (version, entry or duplicate name) was accepted");
  if (loaded.size() != count) fail("wrong-count", "load_plugin returned a different number of kernels");
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    if (loaded[i].kernel == nullptr || !valid_entry(version, *loaded[i].kernel) || loaded[i].mutant) {
      fail("bad-entry", "load_plugin returned an entry that breaks the ABI rules");
    }
  }
  return 0;
}
