// Where `normcheck fuzz` finds its libFuzzer targets, and building them on first use.
// Two builds: the throughput build (preset fuzz-fast: coverage, no sanitizers), which
// runs by default, and the AddressSanitizer + UBSan build (preset fuzz), which runs one
// job of several (--jobs N >= 2) or all of them (--sanitize).
#pragma once

#include <filesystem>
#include <string>

namespace normcheck::harness::cli {

enum class FuzzBuild { throughput, sanitizers };

struct FuzzerDirChoice {
  std::string explicit_dir;  // --fuzzer-dir / --asan-fuzzer-dir ("" when not given)
  FuzzBuild build = FuzzBuild::throughput;
};

// The folder holding `target` for the build: the explicit folder, else the environment
// ($NORMCHECK_FUZZER_DIR, $NORMCHECK_ASAN_FUZZER_DIR), else the preset's folder beside
// this binary's build folder (build/release/normcheck -> build/fuzz-fast/fuzz or
// build/fuzz/fuzz). When neither was given and this normcheck was built in a source tree
// (build/release/ under a folder with CMakePresets.json), the preset is configured if
// need be and its targets built (incremental, so they match this normcheck's kernels),
// cmake's progress on stderr. Throws InputError (how to build them) when not found.
std::filesystem::path locate_fuzzer_dir(const FuzzerDirChoice& choice, const std::string& target);

}  // namespace normcheck::harness::cli
