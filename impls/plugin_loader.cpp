// dlopen()-based plugin loading with validation of every kernel table entry.
#include "impls/plugin_loader.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cfenv>

#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <string>

#include "impls/abi_names.hpp"

namespace normcheck::impls {
namespace {

using VersionFn = uint32_t (*)();
using KernelsFn = const normcheck_kernel* (*)(size_t*);
using BackwardKernelsFn = const normcheck_backward_kernel* (*)(size_t*);

// The flag bits a backward kernel may set (docs/abi.md, "The backward pass").
constexpr uint32_t kBackwardFlags = NORMCHECK_THREAD_SAFE | kComputeFlagBits;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw PluginError("plugin " + path + ": " + what);
}

bool is_valid_name(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  for (const char* c = name; *c; ++c) {
    const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                    *c == '.' || *c == '-';
    if (!ok) return false;
  }
  return true;
}

template <class Enum>
int raw_enum_value(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums of the ABI are int-sized");
  int raw = 0;
  std::memcpy(&raw, &field, sizeof raw);
  return raw;
}

// Forward and backward entries share the fields checked here. `what` is "kernel" or
// "backward kernel"; known_flags the bits the entry's kind may set.
template <class Entry>
void validate_entry(const std::string& path, uint32_t version, const char* what, size_t index, const Entry& k,
                    uint32_t known_flags) {
  const std::string where = std::string(what) + " #" + std::to_string(index);
  if (!is_valid_name(k.name)) {
    std::string message = where;
    message += ": name ";
    if (k.name) {
      message += '"';
      message += k.name;
      message += '"';
    } else {
      message += "NULL";
    }
    message += " is not a non-empty [a-z0-9_.-]+ string";
    fail(path, message);
  }
  const std::string named = where + " (" + k.name + ")";
  // A C plugin can store any int in an enum field; reading an out-of-range value through
  // the C++ enum type is undefined behaviour, so the fields are read as raw integers.
  const int op = raw_enum_value(k.op);
  if (op != NORMCHECK_LAYERNORM && op != NORMCHECK_RMSNORM) {
    fail(path, named + ": invalid op " + std::to_string(op));
  }
  const std::pair<const char*, int> dtypes[] = {{"x_dtype", raw_enum_value(k.x_dtype)},
                                                {"param_dtype", raw_enum_value(k.param_dtype)},
                                                {"y_dtype", raw_enum_value(k.y_dtype)}};
  for (const auto& [field, dtype] : dtypes) {
    if (dtype < NORMCHECK_F16 || dtype > NORMCHECK_F64) {
      fail(path, named + ": invalid " + field + " " + std::to_string(dtype));
    }
  }
  char hex[16];
  if (version == 1) {
    if (const uint32_t later = k.flags & ~kVersion1Flags) {
      std::snprintf(hex, sizeof hex, "0x%x", later);
      fail(path, named + ": ABI version 1 defines no flag bits " + hex + " (return version 2 to use them)");
    }
  }
  if (const uint32_t unknown = k.flags & ~known_flags) {
    std::snprintf(hex, sizeof hex, "0x%x", unknown);
    fail(path, named + ": unknown flag bits " + hex +
                   (known_flags == kKnownFlags ? "" : " (a backward kernel takes thread_safe and compute only)"));
  }
  if (const int compute = static_cast<int>(NORMCHECK_COMPUTE_OF(k.flags));
      compute != 0 && (compute < NORMCHECK_F16 || compute > NORMCHECK_F64)) {
    fail(path, named + ": invalid compute dtype " + std::to_string(compute));
  }
  if (k.run == nullptr) fail(path, named + ": run is NULL");
}

// normcheck's own copy of a plugin's table entry, taken once it is validated: a kernel
// that rewrites its entry later (its name, dtypes, flags) must not change under which
// name and declaration its results are filed. The copies live as long as the program,
// like the library (never dlclosed).
template <class Entry>
const Entry* keep_copy(const Entry& entry) {
  struct Owned {
    std::string name;
    Entry kernel;
  };
  static std::mutex mutex;
  static std::deque<Owned> owned;  // a deque never moves its elements
  const std::lock_guard lock(mutex);
  Owned& copy = owned.emplace_back(Owned{entry.name, entry});
  copy.kernel.name = copy.name.c_str();
  return &copy.kernel;
}

// The plugin file, opened once for the check and the load alike: the file found to be a
// regular file is the one dlopen maps, whatever happens to the path in between.
struct OpenedFile {
  int fd = -1;
  dev_t device = 0;
  ino_t inode = 0;
};

OpenedFile open_regular_file(const std::string& path, const std::string& file) {
  // O_NONBLOCK: opening a FIFO would wait for a writer (a regular file ignores the flag).
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(path, std::string("cannot load: ") + std::strerror(errno));
  // dlopen would block on a FIFO and read a device: only a regular file is a library.
  struct stat file_status{};
  const std::string why = ::fstat(fd, &file_status) != 0 ? std::strerror(errno)
                          : !S_ISREG(file_status.st_mode) ? "not a regular file"
                                                          : "";
  if (!why.empty()) {
    ::close(fd);
    fail(path, "cannot load: " + why);
  }
  return {fd, file_status.st_dev, file_status.st_ino};
}

// dlerror() names the file as dlopen was given it, /proc/PID/fd/N: the user named path.
std::string naming_path(std::string message, const std::string& fd_path, const std::string& path) {
  for (std::size_t at = 0; (at = message.find(fd_path, at)) != std::string::npos;) {
    const std::size_t end = at + fd_path.size();
    if (end < message.size() && message[end] >= '0' && message[end] <= '9') {  // fd 5 in "/proc/PID/fd/51"
      at = end;
      continue;
    }
    message.replace(at, fd_path.size(), path);
    at += path.size();
  }
  return message;
}

// dlopen() through /proc/PID/fd/N, the restored FP state, and dlerror() naming path.
void* dlopen_descriptor(const std::string& path, const std::string& fd_path) {
  // A library built with -ffast-math sets flush-to-zero when it loads (crtfastmath.o):
  // the harness decodes, computes the oracle and measures in the default FP state, so the
  // state from before the load is put back.
  std::fenv_t before_load{};
  std::fegetenv(&before_load);
  void* handle = dlopen(fd_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::fesetenv(&before_load);
  if (handle == nullptr) {
    const char* why = dlerror();
    fail(path, "cannot load: " + naming_path(why ? why : "unknown dlopen error", fd_path, path));
  }
  return handle;
}

void* open_library(const std::string& path) {
  // dlopen knows a loaded library by every name it was opened under, /proc/PID/fd/N here:
  // were that descriptor closed, the next plugin opened as the same N would be taken for
  // this one. So a library's descriptor stays open for the program's life (the library
  // stays loaded too), and the same file (device and inode) opened again is loaded under
  // the name it already has, its new descriptor closed: no name is ever bound twice.
  static std::mutex mutex;
  static std::map<std::pair<dev_t, ino_t>, std::string> loaded_as;
  // A bare name would make dlopen search the library path; plugins are files the user names.
  const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  const OpenedFile opened = open_regular_file(path, file);
  const std::lock_guard lock(mutex);
  if (const auto known = loaded_as.find({opened.device, opened.inode}); known != loaded_as.end()) {
    ::close(opened.fd);
    return dlopen_descriptor(path, known->second);
  }
  // By this process's pid, not "self": the name is also the library's name for tools in
  // other processes, as the sanitizers' symbolizer, which would read its own fd N.
  const std::string fd_path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(opened.fd);
  try {
    if (::access(fd_path.c_str(), F_OK) != 0) {
      fail(path, "cannot load: " + fd_path + " is missing (normcheck loads plugins through /proc; is it mounted?)");
    }
    void* handle = dlopen_descriptor(path, fd_path);
    loaded_as.emplace(std::pair{opened.device, opened.inode}, fd_path);
    return handle;
  } catch (...) {
    ::close(opened.fd);  // nothing was loaded under its name
    throw;
  }
}

// The metadata of a validated entry: normcheck's copy, the entry itself, its declarations.
template <class Info, class Entry>
Info plugin_info(const std::string& path, const Entry& entry) {
  // Undeclared compute precision (and every version-1 kernel) is fp32, as documented.
  const normcheck_dtype declared = NORMCHECK_COMPUTE_OF(entry.flags);
  Info info;
  info.kernel = keep_copy(entry);
  info.table_entry = &entry;
  info.compute = declared == 0 ? NORMCHECK_F32 : declared;
  info.thread_safe = (entry.flags & NORMCHECK_THREAD_SAFE) != 0;
  info.origin = KernelOrigin::plugin;
  info.plugin_path = path;
  return info;
}

struct PluginTables {
  std::vector<KernelInfo> forward;
  std::vector<BackwardKernelInfo> backward;
};

// Both tables of one plugin, validated; names unique across the two.
PluginTables load_tables(const std::string& path) {
  void* handle = open_library(path);
  // Never dlclose: kernels and their names point into the library for the program's life.
  auto version = reinterpret_cast<VersionFn>(dlsym(handle, "normcheck_plugin_abi_version"));
  if (version == nullptr) fail(path, "missing symbol normcheck_plugin_abi_version");
  auto table = reinterpret_cast<KernelsFn>(dlsym(handle, "normcheck_plugin_kernels"));
  if (table == nullptr) fail(path, "missing symbol normcheck_plugin_kernels");
  // Version 2 only adds flags and an optional symbol: a version-1 table reads the same.
  const uint32_t abi = version();
  if (abi != 1 && abi != NORMCHECK_ABI_VERSION) {
    fail(path, "ABI version " + std::to_string(abi) + ", expected 1 or " + std::to_string(NORMCHECK_ABI_VERSION));
  }
  // A version-1 plugin has no backward pass: the symbol means it was built for version 2
  // and says the wrong version. Version 2's backward table is optional; when exported it
  // is read and validated like the forward table, its names unique across both.
  auto backward_table = reinterpret_cast<BackwardKernelsFn>(dlsym(handle, "normcheck_plugin_backward_kernels"));
  if (abi == 1 && backward_table != nullptr) {
    fail(path, "ABI version 1 has no backward pass, yet the plugin exports normcheck_plugin_backward_kernels "
               "(return version 2 to export it)");
  }
  size_t count = 0;
  const normcheck_kernel* kernels = table(&count);
  if (kernels == nullptr && count != 0) fail(path, "normcheck_plugin_kernels returned NULL");
  PluginTables out;
  std::set<std::string> names;
  const auto check_unique = [&path, &names](const char* name) {
    if (!names.insert(name).second) fail(path, "duplicate kernel name \"" + std::string(name) + "\"");
  };
  for (size_t i = 0; i < count; ++i) {
    validate_entry(path, abi, "kernel", i, kernels[i], kKnownFlags);
    check_unique(kernels[i].name);
    out.forward.push_back(plugin_info<KernelInfo>(path, kernels[i]));
  }
  if (backward_table == nullptr) return out;
  size_t backward_count = 0;
  const normcheck_backward_kernel* backward = backward_table(&backward_count);
  if (backward == nullptr && backward_count != 0) fail(path, "normcheck_plugin_backward_kernels returned NULL");
  for (size_t i = 0; i < backward_count; ++i) {
    validate_entry(path, abi, "backward kernel", i, backward[i], kBackwardFlags);
    check_unique(backward[i].name);
    out.backward.push_back(plugin_info<BackwardKernelInfo>(path, backward[i]));
  }
  return out;
}

// The name's kernel among the forward and the backward ones, described; empty if none.
std::string defined_by(const PluginTables& all, std::string_view name) {
  if (const KernelInfo* clash = find_kernel(all.forward, name)) return origin_label(*clash);
  if (const BackwardKernelInfo* clash = find_backward_kernel(all.backward, name)) return origin_label(*clash);
  return {};
}

// Builtins + plugins, forward and backward, every name once.
PluginTables all_tables(const std::vector<std::string>& plugin_paths) {
  PluginTables out{builtin_kernels(), builtin_backward_kernels()};
  for (const std::string& path : plugin_paths) {
    PluginTables plugin = load_tables(path);
    const auto check = [&](const char* name) {
      if (const std::string by = defined_by(out, name); !by.empty()) {
        fail(path, "kernel name \"" + std::string(name) + "\" is already defined by " + by);
      }
    };
    for (KernelInfo& info : plugin.forward) check(info.kernel->name);
    for (BackwardKernelInfo& info : plugin.backward) check(info.kernel->name);
    std::move(plugin.forward.begin(), plugin.forward.end(), std::back_inserter(out.forward));
    std::move(plugin.backward.begin(), plugin.backward.end(), std::back_inserter(out.backward));
  }
  return out;
}

}  // namespace

std::vector<KernelInfo> load_plugin(const std::string& path) { return load_tables(path).forward; }

std::vector<BackwardKernelInfo> load_plugin_backward(const std::string& path) { return load_tables(path).backward; }

std::vector<KernelInfo> all_kernels(const std::vector<std::string>& plugin_paths) {
  return all_tables(plugin_paths).forward;
}

std::vector<BackwardKernelInfo> all_backward_kernels(const std::vector<std::string>& plugin_paths) {
  return all_tables(plugin_paths).backward;
}

const KernelInfo* find_kernel(const std::vector<KernelInfo>& kernels, std::string_view name) {
  for (const KernelInfo& info : kernels) {
    if (name == info.kernel->name) return &info;
  }
  return nullptr;
}

const BackwardKernelInfo* find_backward_kernel(const std::vector<BackwardKernelInfo>& kernels, std::string_view name) {
  for (const BackwardKernelInfo& info : kernels) {
    if (name == info.kernel->name) return &info;
  }
  return nullptr;
}

}  // namespace normcheck::impls
