// Locating, and on first use building, the fuzz targets (fuzz_setup.hpp).
#include "cli/fuzz_setup.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "harness/input_error.hpp"

namespace normcheck::harness::cli {
namespace {

namespace fs = std::filesystem;

const char* preset_of(FuzzBuild build) { return build == FuzzBuild::throughput ? "fuzz-fast" : "fuzz"; }

std::string build_hint(FuzzBuild build) {
  const std::string preset = preset_of(build);
  return "build them with: cmake --preset " + preset + " && cmake --build --preset " + preset +
         " --target normcheck_fuzzers";
}

// The source tree this normcheck was built in: build/release/normcheck's grandparent,
// when it holds the presets; "" otherwise (an installed or copied binary).
fs::path source_tree() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path root = self.parent_path().parent_path().parent_path();
  return fs::exists(root / "CMakePresets.json", ec) && fs::exists(root / "fuzz" / "CMakeLists.txt", ec) ? root
                                                                                                       : fs::path();
}

// Runs argv in dir with its output on our stderr (cmake's and ninja's progress); true on
// exit status 0.
bool run_visible(const std::vector<std::string>& argv, const fs::path& dir) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    dup2(STDERR_FILENO, STDOUT_FILENO);  // stdout stays normcheck's summary
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Configures the preset when its folder has no build yet, then builds the fuzz targets.
void build_preset(const fs::path& root, FuzzBuild build) {
  const std::string preset = preset_of(build);
  const fs::path binary_dir = root / "build" / preset;
  std::cerr << "normcheck fuzz: building the fuzz targets (preset " << preset << ", " << binary_dir.string()
            << "; minutes the first time)\n";
  if (!fs::exists(binary_dir / "build.ninja") && !run_visible({"cmake", "--preset", preset}, root)) {
    throw InputError("fuzz: configuring the " + preset + " preset failed (output above); it needs clang-14 and " +
                     "libFuzzer (docs/fuzzing.md); or pass the fuzzer folder");
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (!run_visible({"cmake", "--build", "--preset", preset, "--target", "normcheck_fuzzers", "-j",
                    std::to_string(cores)},
                   root)) {
    throw InputError("fuzz: building the " + preset + " preset's fuzz targets failed (output above)");
  }
}

}  // namespace

fs::path locate_fuzzer_dir(const FuzzerDirChoice& choice, const std::string& target) {
  const char* env_name = choice.build == FuzzBuild::throughput ? "NORMCHECK_FUZZER_DIR" : "NORMCHECK_ASAN_FUZZER_DIR";
  const std::string preset = preset_of(choice.build);
  std::vector<fs::path> candidates;
  if (!choice.explicit_dir.empty()) {
    candidates.push_back(choice.explicit_dir);
  } else if (const char* env = std::getenv(env_name); env && *env) {
    candidates.push_back(env);
  } else if (const fs::path root = source_tree(); !root.empty()) {
    build_preset(root, choice.build);
    candidates.push_back(root / "build" / preset / "fuzz");
  } else {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(self.parent_path().parent_path() / preset / "fuzz");
    candidates.push_back(fs::current_path() / "build" / preset / "fuzz");
  }
  std::string looked;
  for (const auto& dir : candidates) {
    if (access((dir / target).c_str(), X_OK) == 0) return fs::absolute(dir);
    looked.append(" ").append((dir / target).string());  // not " " + ...: g++ 12's -Wrestrict false positive
  }
  throw InputError("fuzz: the libFuzzer target " + target + " was not found (looked at" + looked + "); " +
                   build_hint(choice.build) + ", or pass " +
                   (choice.build == FuzzBuild::throughput ? "--fuzzer-dir" : "--asan-fuzzer-dir") + " DIR");
}

}  // namespace normcheck::harness::cli
