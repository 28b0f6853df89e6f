// Build-time tool: turns readable case files (corpus/seeds, corpus/regressions) into the
// seed corpora of the fuzz targets, named as OSS-Fuzz expects (<target>_seed_corpus/).
//   normcheck_fuzz_seeds differential OUT_DIR CASE.json...   binary layout (fuzz_input.hpp)
//   normcheck_fuzz_seeds backward OUT_DIR CASE.json...       backward layout (backward_input.hpp)
//   normcheck_fuzz_seeds parser OUT_DIR CASE.json...         the JSON text itself
//   normcheck_fuzz_seeds plugin OUT_DIR                      a few plugin tables
// A case that does not parse is skipped with a warning: seeds must never break the build.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/backward_input.hpp"
#include "fuzz/fuzz_input.hpp"
#include "harness/case.hpp"

namespace {

namespace fs = std::filesystem;

// Seed names keep the case's folder (the kernel, for regressions) so names stay unique.
std::string seed_name(const fs::path& case_path) {
  return case_path.parent_path().filename().string() + "-" + case_path.stem().string();
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Tables for plugin_validation_fuzzer: version byte, null-table byte, count, then per
// entry a shape byte, a length-prefixed name and the enum bytes (FuzzedDataProvider
// reads integers from the end of the input, so these are starting points, not parses).
void write_plugin_seeds(const fs::path& out) {
  write_bytes(out / "one-kernel", {0, 1, 1, 0, 's', 'e', 'e', 'd', 3, 3, 3, 1});
  write_bytes(out / "two-kernels", {0, 1, 2, 0, 'a', 0, 'b', 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 5});
  write_bytes(out / "bad-version", {250, 1, 1, 0, 'k', 1, 1, 1, 1, 1});
}

// Every case seeds the backward target: a backward case as it is, a forward case's x, gamma
// and eps with its residual (or its x) as dy. Seeds start from dy as written; the mutator
// reaches the header's forms.
std::vector<std::uint8_t> backward_seed(const normcheck::harness::Case& c) {
  using normcheck::harness::Direction;
  return normcheck::fuzz::encode_backward_input(c.direction == Direction::backward
                                                    ? normcheck::fuzz::from_backward_problem(backward_problem(c))
                                                    : normcheck::fuzz::from_forward_case(c.problem));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s differential|backward|parser|plugin OUT_DIR [CASE.json...]\n", argv[0]);
    return 2;
  }
  const std::string_view mode = argv[1];
  const fs::path out = argv[2];
  fs::create_directories(out);
  if (mode == "plugin") {
    write_plugin_seeds(out);
    return 0;
  }
  int written = 0;
  for (int i = 3; i < argc; ++i) {
    const fs::path case_path = argv[i];
    try {
      if (mode == "parser") {
        write_bytes(out / seed_name(case_path), [&] {
          const std::string text = read_text(case_path);
          return std::vector<std::uint8_t>(text.begin(), text.end());
        }());
      } else if (mode == "backward") {
        write_bytes(out / seed_name(case_path), backward_seed(normcheck::harness::read_case_file(case_path)));
      } else {
        const auto parsed = normcheck::harness::read_case_file(case_path);
        // The forward targets fuzz the forward pass; a backward case is no seed of theirs.
        if (parsed.direction == normcheck::harness::Direction::backward) continue;
        write_bytes(out / seed_name(case_path), normcheck::fuzz::encode_input(normcheck::fuzz::from_problem(parsed.problem)));
      }
      ++written;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "normcheck_fuzz_seeds: skipping %s: %s\n", case_path.c_str(), error.what());
    }
  }
  std::printf("normcheck_fuzz_seeds: %d %s seeds in %s\n", written, argv[1], out.c_str());
  return 0;
}
