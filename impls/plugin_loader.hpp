// Loads kernels from plugin shared libraries and merges them with the built-ins.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "impls/registry.hpp"

namespace normcheck::impls {

// A plugin that cannot be used; the message names the file and what is wrong with it.
struct PluginError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Opens the file once (a regular file, or refused), dlopen()s it through that descriptor,
// checks normcheck_plugin_abi_version() is 1 or NORMCHECK_ABI_VERSION (a version-1 plugin
// exporting the backward symbol is refused), reads the kernel table and, when a version-2
// plugin exports normcheck_plugin_backward_kernels, the backward table, validates each entry
// (name non-empty and [a-z0-9_.-]+, op / dtypes valid enum values, run non-null, no unknown
// flag bits, no duplicate names within the plugin, forward and backward together) and copies
// it (KernelInfo::kernel; the entry itself is KernelInfo::table_entry); the library stays
// loaded for the program's life. Returns the forward kernels.
std::vector<KernelInfo> load_plugin(const std::string& path);
// The same load (the same library, once loaded), returning the backward kernels (empty when
// the plugin exports no backward table).
std::vector<BackwardKernelInfo> load_plugin_backward(const std::string& path);

// Builtins + plugins, throwing PluginError on a name that appears twice among all kernels,
// forward and backward: the forward ones, and the backward ones.
std::vector<KernelInfo> all_kernels(const std::vector<std::string>& plugin_paths);
std::vector<BackwardKernelInfo> all_backward_kernels(const std::vector<std::string>& plugin_paths);

// Finds by name; nullptr if absent.
const KernelInfo* find_kernel(const std::vector<KernelInfo>& kernels, std::string_view name);
const BackwardKernelInfo* find_backward_kernel(const std::vector<BackwardKernelInfo>& kernels, std::string_view name);

}  // namespace normcheck::impls
