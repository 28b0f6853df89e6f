// Plugin loading: the example plugin, a good test plugin, and every kind of broken plugin.
#include "impls/plugin_loader.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <vector>

namespace normcheck::impls {
namespace {

// Loads the plugin expecting a PluginError whose message names the file and contains `what`;
// the forward and the backward load read the same tables, so both refuse it alike.
void expect_plugin_error(const std::string& path, const std::string& what) {
  for (const bool backward : {false, true}) {
    std::string message;
    try {
      if (backward) {
        load_plugin_backward(path);
      } else {
        load_plugin(path);
      }
    } catch (const PluginError& e) {
      message = e.what();
    }
    if (message.empty()) {
      ADD_FAILURE() << "no error for " << path << (backward ? " (backward)" : "");
      continue;
    }
    std::printf("  %s\n", message.c_str());
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
    // The file is loaded through its descriptor; the message names it as the user did.
    EXPECT_EQ(message.find("/proc/"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  }
}

TEST(PluginLoader, ExamplePluginLoadsAndNormalizes) {
  const std::vector<KernelInfo> kernels = load_plugin(EXAMPLE_PLUGIN_PATH);
  ASSERT_EQ(kernels.size(), 1u);
  const normcheck_kernel& k = *kernels[0].kernel;
  EXPECT_STREQ(k.name, "example.layernorm.f32");
  EXPECT_EQ(kernels[0].origin, KernelOrigin::plugin);
  EXPECT_EQ(kernels[0].plugin_path, EXAMPLE_PLUGIN_PATH);
  EXPECT_FALSE(kernels[0].mutant);
  const float x[4] = {1, 2, 3, 4};
  float y[4] = {};
  normcheck_problem p{};
  p.rows = 1;
  p.n = 4;
  p.eps = 0;
  p.x = x;
  p.y = y;
  ASSERT_EQ(k.run(&k, &p), NORMCHECK_OK);
  // (x - 2.5) / sqrt(1.25)
  EXPECT_FLOAT_EQ(y[0], static_cast<float>(-1.5 / std::sqrt(1.25)));
  EXPECT_FLOAT_EQ(y[3], static_cast<float>(1.5 / std::sqrt(1.25)));
}

TEST(PluginLoader, GoodPluginJoinsTheBuiltins) {
  const std::vector<KernelInfo> all = all_kernels({PLUGIN_GOOD_PATH});
  EXPECT_EQ(all.size(), builtin_kernels().size() + 2);
  const KernelInfo* k = find_kernel(all, "test.plugin.ln-2");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->origin, KernelOrigin::plugin);
  EXPECT_EQ(k->plugin_path, PLUGIN_GOOD_PATH);
  EXPECT_NE(find_kernel(all, "layernorm.f32.two_pass"), nullptr);
}

TEST(PluginLoader, MissingFile) {
  expect_plugin_error("/nonexistent/libnothing.so", "cannot load: No such file or directory");
}
TEST(PluginLoader, NotASharedLibrary) { expect_plugin_error(__FILE__, "cannot load"); }
TEST(PluginLoader, NotARegularFileIsRefusedWithoutBlocking) {
  expect_plugin_error("/dev/zero", "not a regular file");
  expect_plugin_error("/tmp", "not a regular file");
  // Opening a FIFO for reading waits for a writer, unless non-blocking.
  const std::string fifo = testing::TempDir() + "normcheck_plugin_fifo_" + std::to_string(::getpid());
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_plugin_error(fifo, "not a regular file");
  ::unlink(fifo.c_str());
}
TEST(PluginLoader, MissingSymbol) {
  expect_plugin_error(PLUGIN_MISSING_KERNELS_SYMBOL_PATH, "missing symbol normcheck_plugin_kernels");
}
TEST(PluginLoader, WrongVersion) {
  expect_plugin_error(PLUGIN_WRONG_VERSION_PATH, "ABI version 3, expected 1 or 2");
}

TEST(PluginLoader, VersionOnePluginLoadsUnchanged) {
  const std::vector<KernelInfo> kernels = load_plugin(PLUGIN_VERSION1_PATH);
  ASSERT_EQ(kernels.size(), 2u);
  EXPECT_EQ(kernels[0].compute, NORMCHECK_F32);
  EXPECT_FALSE(kernels[0].thread_safe);
}

TEST(PluginLoader, VersionOneHasNoBackwardPass) {
  expect_plugin_error(PLUGIN_VERSION1_WITH_BACKWARD_PATH,
                      "ABI version 1 has no backward pass, yet the plugin exports normcheck_plugin_backward_kernels");
}

// Version 2's backward table is optional; when exported it is read and validated.
TEST(PluginLoader, VersionTwoMayExportABackwardTable) {
  const std::vector<KernelInfo> kernels = load_plugin(PLUGIN_WITH_BACKWARD_PATH);
  EXPECT_EQ(kernels.size(), 2u);
  const std::vector<BackwardKernelInfo> backward = load_plugin_backward(PLUGIN_WITH_BACKWARD_PATH);
  ASSERT_EQ(backward.size(), 2u);
  EXPECT_STREQ(backward[0].kernel->name, "test.plugin.ln-backward");
  EXPECT_EQ(backward[0].compute, NORMCHECK_F64);
  EXPECT_TRUE(backward[0].thread_safe);
  EXPECT_EQ(backward[1].compute, NORMCHECK_F32);  // undeclared: f32
  EXPECT_FALSE(backward[1].thread_safe);
  for (const BackwardKernelInfo& k : backward) {
    EXPECT_EQ(k.origin, KernelOrigin::plugin);
    EXPECT_EQ(k.plugin_path, PLUGIN_WITH_BACKWARD_PATH);
    EXPECT_FALSE(k.mutant);
    // normcheck's copy, and the plugin's own entry handed to run as self.
    ASSERT_NE(k.table_entry, nullptr);
    EXPECT_NE(k.table_entry, k.kernel);
    EXPECT_EQ(&k.self(), k.table_entry);
    EXPECT_STREQ(k.table_entry->name, k.kernel->name);
  }
  EXPECT_EQ(backward[1].table_entry - backward[0].table_entry, 1);  // entries of one table
  // A plugin without the symbol has no backward kernels.
  EXPECT_TRUE(load_plugin_backward(PLUGIN_GOOD_PATH).empty());
  EXPECT_TRUE(load_plugin_backward(PLUGIN_VERSION1_PATH).empty());
}

TEST(PluginLoader, BackwardPluginJoinsTheBuiltins) {
  const std::vector<BackwardKernelInfo> all = all_backward_kernels({EXAMPLE_PLUGIN_PATH, PLUGIN_WITH_BACKWARD_PATH});
  EXPECT_EQ(all.size(), builtin_backward_kernels().size() + 3);
  const BackwardKernelInfo* k = find_backward_kernel(all, "test.plugin.rms-backward");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->plugin_path, PLUGIN_WITH_BACKWARD_PATH);
  EXPECT_NE(find_backward_kernel(all, "layernorm_backward.f32"), nullptr);
  EXPECT_EQ(find_backward_kernel(all, "test.plugin.ln"), nullptr);  // a forward kernel
}

TEST(PluginLoader, ExamplePluginHasABackwardKernel) {
  const std::vector<BackwardKernelInfo> kernels = load_plugin_backward(EXAMPLE_PLUGIN_PATH);
  ASSERT_EQ(kernels.size(), 1u);
  const normcheck_backward_kernel& k = *kernels[0].kernel;
  EXPECT_STREQ(k.name, "example.layernorm_backward.f32");
  EXPECT_EQ(k.op, NORMCHECK_LAYERNORM);
  EXPECT_TRUE(kernels[0].thread_safe);
  // x = (1, 2, 3, 4): mean 2.5, eps 0, rstd 1/sqrt(1.25); dy = (1, 0, 0, 0), no gamma.
  const float x[4] = {1, 2, 3, 4}, dy[4] = {1, 0, 0, 0};
  const float mean = 2.5f, rstd = static_cast<float>(1 / std::sqrt(1.25));
  float dx[4] = {}, dgamma[4] = {}, dbeta[4] = {};
  normcheck_backward_problem p{};
  p.rows = 1;
  p.n = 4;
  p.x = x;
  p.dy = dy;
  p.mean = &mean;
  p.rstd = &rstd;
  p.dx = dx;
  p.dgamma = dgamma;
  p.dbeta = dbeta;
  ASSERT_EQ(k.run(&kernels[0].self(), &p), NORMCHECK_OK);
  // dx_i = rstd (dy_i - 1/4 - xhat_i xhat_0 / 4), xhat = (-1.5, -0.5, 0.5, 1.5) rstd.
  const double r = rstd, xhat0 = -1.5 * r;
  for (int i = 0; i < 4; ++i) {
    const double xhat = (i - 1.5) * r;
    EXPECT_NEAR(dx[i], r * ((i == 0 ? 1 : 0) - 0.25 - xhat * xhat0 / 4), 1e-6) << i;
  }
  EXPECT_FLOAT_EQ(dgamma[0], static_cast<float>(xhat0));
  EXPECT_EQ(dgamma[1], 0.0f);
  EXPECT_EQ(dbeta[0], 1.0f);
  EXPECT_EQ(dbeta[3], 0.0f);
}

TEST(PluginLoader, BackwardInvalidName) {
  expect_plugin_error(PLUGIN_BACKWARD_BAD_NAME_PATH, "backward kernel #0: name \"Backward Kernel\"");
}
TEST(PluginLoader, BackwardNullRun) {
  expect_plugin_error(PLUGIN_BACKWARD_NULL_RUN_PATH, "backward kernel #1 (test.plugin.no-run-backward): run is NULL");
}
TEST(PluginLoader, BackwardForwardFlagsAreRefused) {
  expect_plugin_error(PLUGIN_BACKWARD_BAD_FLAGS_PATH, "backward kernel #0 (test.plugin.ln-backward): unknown flag bits 0x4");
}
// Names are unique within a plugin across its forward and backward tables.
TEST(PluginLoader, BackwardNameOfAForwardKernelIsADuplicate) {
  expect_plugin_error(PLUGIN_BACKWARD_DUPLICATES_FORWARD_PATH, "duplicate kernel name \"test.plugin.ln-2\"");
}

// A name clash with a built-in, forward or backward, in either direction; every command
// (all_kernels) and the backward list alike refuse it.
TEST(PluginLoader, BackwardNameClashesWithBuiltins) {
  const auto expect_clash = [](const std::string& path, const std::string& name) {
    for (const bool backward : {false, true}) {
      try {
        if (backward) {
          all_backward_kernels({path});
        } else {
          all_kernels({path});
        }
        ADD_FAILURE() << "no error for " << path;
      } catch (const PluginError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_NE(message.find("\"" + name + "\" is already defined by builtin"), std::string::npos) << message;
      }
    }
  };
  expect_clash(PLUGIN_BACKWARD_CLASHES_WITH_BUILTIN_PATH, "layernorm_backward.f32");
  expect_clash(PLUGIN_FORWARD_CLASHES_WITH_BUILTIN_BACKWARD_PATH, "rmsnorm_backward.bf16");
  expect_clash(PLUGIN_CLASHES_WITH_BUILTIN_PATH, "layernorm.f32.two_pass");
  // Loaded alone, each plugin is valid: the clash is with the built-ins.
  EXPECT_EQ(load_plugin_backward(PLUGIN_BACKWARD_CLASHES_WITH_BUILTIN_PATH).size(), 1u);
}

TEST(PluginLoader, SameBackwardPluginTwiceIsADuplicate) {
  EXPECT_THROW(all_backward_kernels({PLUGIN_WITH_BACKWARD_PATH, PLUGIN_WITH_BACKWARD_PATH}), PluginError);
  const std::vector<BackwardKernelInfo> first = load_plugin_backward(PLUGIN_WITH_BACKWARD_PATH);
  const std::vector<BackwardKernelInfo> second = load_plugin_backward(PLUGIN_WITH_BACKWARD_PATH);
  ASSERT_EQ(first.size(), second.size());
  EXPECT_EQ(first[0].table_entry, second[0].table_entry);  // one library
}

TEST(PluginLoader, VersionOneFlagsStopAtBitTwo) {
  expect_plugin_error(PLUGIN_VERSION1_WITH_V2_FLAGS_PATH, "ABI version 1 defines no flag bits 0x8");
}

TEST(PluginLoader, DeclaredComputeAndThreadSafety) {
  const std::vector<KernelInfo> kernels = load_plugin(PLUGIN_DECLARES_COMPUTE_PATH);
  ASSERT_EQ(kernels.size(), 2u);
  EXPECT_EQ(kernels[0].compute, NORMCHECK_F64);
  EXPECT_TRUE(kernels[0].thread_safe);
  EXPECT_EQ(kernels[1].compute, NORMCHECK_F32);  // undeclared: f32
  EXPECT_FALSE(kernels[1].thread_safe);
}

TEST(PluginLoader, InvalidComputeDtype) { expect_plugin_error(PLUGIN_BAD_COMPUTE_PATH, "invalid compute dtype 9"); }
TEST(PluginLoader, DuplicateNamesWithinPlugin) {
  expect_plugin_error(PLUGIN_DUPLICATE_NAMES_PATH, "duplicate kernel name \"test.plugin.ln\"");
}
TEST(PluginLoader, InvalidName) { expect_plugin_error(PLUGIN_BAD_NAME_PATH, "name \"Test Plugin\""); }
TEST(PluginLoader, InvalidDtype) { expect_plugin_error(PLUGIN_BAD_DTYPE_PATH, "invalid param_dtype 7"); }
TEST(PluginLoader, InvalidOp) { expect_plugin_error(PLUGIN_BAD_OP_PATH, "invalid op 0"); }
TEST(PluginLoader, NullRun) { expect_plugin_error(PLUGIN_NULL_RUN_PATH, "kernel #1 (test.plugin.no-run): run is NULL"); }
TEST(PluginLoader, UnknownFlags) { expect_plugin_error(PLUGIN_UNKNOWN_FLAGS_PATH, "unknown flag bits"); }

TEST(PluginLoader, NameClashWithBuiltin) {
  try {
    all_kernels({PLUGIN_CLASHES_WITH_BUILTIN_PATH});
    ADD_FAILURE() << "no error";
  } catch (const PluginError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(PLUGIN_CLASHES_WITH_BUILTIN_PATH), std::string::npos) << message;
    EXPECT_NE(message.find("\"layernorm.f32.two_pass\" is already defined by builtin"),
              std::string::npos) << message;
  }
}

TEST(PluginLoader, SamePluginTwiceIsADuplicate) {
  EXPECT_THROW(all_kernels({PLUGIN_GOOD_PATH, PLUGIN_GOOD_PATH}), PluginError);
  // Loaded twice, it is the same library: the same table entries behind both loads.
  const std::vector<KernelInfo> first = load_plugin(PLUGIN_GOOD_PATH);
  const std::vector<KernelInfo> second = load_plugin(PLUGIN_GOOD_PATH);
  ASSERT_EQ(first.size(), second.size());
  EXPECT_EQ(first[0].table_entry, second[0].table_entry);
}

// dlopen knows a library by the /proc/PID/fd/N name it was loaded under: a second plugin
// opened as the same N must not be taken for the first.
TEST(PluginLoader, PluginsFromDifferentFilesStayDistinct) {
  for (int round = 0; round < 3; ++round) {
    const std::vector<KernelInfo> good = load_plugin(PLUGIN_GOOD_PATH);
    const std::vector<KernelInfo> compute = load_plugin(PLUGIN_DECLARES_COMPUTE_PATH);
    const std::vector<KernelInfo> example = load_plugin(EXAMPLE_PLUGIN_PATH);
    ASSERT_EQ(good.size(), 2u);
    ASSERT_EQ(compute.size(), 2u);
    ASSERT_EQ(example.size(), 1u);
    EXPECT_STREQ(good[1].kernel->name, "test.plugin.ln-2");
    EXPECT_STREQ(compute[0].kernel->name, "test.plugin.ln-f64");
    EXPECT_STREQ(example[0].kernel->name, "example.layernorm.f32");
    EXPECT_EQ(compute[0].plugin_path, PLUGIN_DECLARES_COMPUTE_PATH);
  }
}

// normcheck files results under its copy of an entry, and hands run the entry itself.
TEST(PluginLoader, RunGetsThePluginsOwnEntryAsSelf) {
  const std::vector<KernelInfo> kernels = load_plugin(PLUGIN_GOOD_PATH);
  ASSERT_EQ(kernels.size(), 2u);
  for (const KernelInfo& k : kernels) {
    ASSERT_NE(k.table_entry, nullptr);
    EXPECT_NE(k.table_entry, k.kernel);
    EXPECT_EQ(&k.self(), k.table_entry);
    EXPECT_STREQ(k.table_entry->name, k.kernel->name);
  }
  EXPECT_EQ(kernels[1].table_entry - kernels[0].table_entry, 1);  // entries of one table
  for (const KernelInfo& k : builtin_kernels()) EXPECT_EQ(&k.self(), k.kernel) << k.kernel->name;
}

}  // namespace
}  // namespace normcheck::impls
