// Restarting a libFuzzer process that ended early (fuzz_restart.hpp).
#include "cli/fuzz_restart.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <string_view>
#include <system_error>
#include <utility>

namespace normcheck::harness::cli {
namespace {

namespace fs = std::filesystem;

std::string file_bytes(const fs::path& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  if (!ok) return {};
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ok = !in.bad();
  return bytes;
}

}  // namespace

bool parse_artifact_line(const std::string& line, WrittenArtifact& artifact) {
  constexpr std::string_view kMarker = "Test unit written to ";
  const auto at = line.find(kMarker);
  if (at == std::string::npos) return false;
  fs::path path = line.substr(at + kMarker.size());
  const std::string name = path.filename().string();
  // libFuzzer's prefixes (FuzzerLoop.cpp: DumpCurrentUnit, and the slow-unit report).
  constexpr std::array<std::pair<std::string_view, ArtifactKind>, 5> kPrefixes = {{
      {"crash-", ArtifactKind::crash},
      {"timeout-", ArtifactKind::timeout},
      {"oom-", ArtifactKind::out_of_memory},
      {"leak-", ArtifactKind::leak},
      {"slow-unit-", ArtifactKind::slow_unit},
  }};
  for (const auto& [prefix, kind] : kPrefixes) {
    if (name.rfind(prefix, 0) == 0) {
      artifact = {kind, std::move(path)};
      return true;
    }
  }
  return false;
}

int quarantine_input(const fs::path& artifact, const std::vector<fs::path>& corpus_dirs, const fs::path& quarantine_dir) {
  bool ok = false;
  const std::string culprit = file_bytes(artifact, ok);
  if (!ok) return 0;
  int moved = 0;
  for (const fs::path& dir : corpus_dirs) {
    std::error_code error;
    for (auto it = fs::directory_iterator(dir, error); !error && it != fs::directory_iterator(); it.increment(error)) {
      std::error_code size_error;
      if (!it->is_regular_file(size_error) || it->file_size(size_error) != culprit.size() || size_error) continue;
      bool read = false;
      if (file_bytes(it->path(), read) != culprit || !read) continue;
      std::error_code move_error;
      fs::create_directories(quarantine_dir, move_error);
      fs::rename(it->path(), quarantine_dir / it->path().filename(), move_error);
      if (move_error) fs::remove(it->path(), move_error);  // another file system: the artifact keeps the bytes
      if (!move_error) ++moved;
    }
  }
  return moved;
}

std::vector<std::string> with_total_time(std::vector<std::string> argv, std::int64_t seconds) {
  const std::string flag = "-max_total_time=" + std::to_string(seconds);
  for (std::string& arg : argv) {
    if (arg.rfind("-max_total_time=", 0) == 0) {
      arg = flag;
      return argv;
    }
  }
  argv.insert(argv.begin() + (argv.empty() ? 0 : 1), flag);
  return argv;
}

}  // namespace normcheck::harness::cli
