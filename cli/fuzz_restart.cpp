// Restarting a libFuzzer process that ended early (fuzz_restart.hpp).
#include "cli/fuzz_restart.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string_view>
#include <system_error>
#include <utility>

namespace normcheck::harness::cli {
namespace fs = std::filesystem;

std::optional<std::string> read_file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return bytes;
}

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

int quarantine_input(const std::string& input, std::size_t max_len, const std::vector<fs::path>& corpus_dirs,
                     const fs::path& quarantine_dir) {
  const bool maybe_cut = input.size() == max_len;
  int moved = 0;
  for (const fs::path& dir : corpus_dirs) {
    std::error_code error;
    for (auto it = fs::directory_iterator(dir, error); !error && it != fs::directory_iterator(); it.increment(error)) {
      std::error_code size_error;
      if (!it->is_regular_file(size_error)) continue;
      const std::uintmax_t size = it->file_size(size_error);
      if (size_error || (size != input.size() && !(maybe_cut && size > input.size()))) continue;
      const auto bytes = read_file_bytes(it->path());
      if (!bytes || bytes->compare(0, input.size(), input) != 0) continue;  // the size is checked above
      std::error_code move_error;
      fs::create_directories(quarantine_dir, move_error);
      fs::rename(it->path(), quarantine_dir / it->path().filename(), move_error);
      if (move_error) fs::remove(it->path(), move_error);  // another file system: the artifact keeps the bytes
      if (!move_error) ++moved;
    }
  }
  return moved;
}

bool is_done_line(const std::string& line) {
  // "Done " digits " runs in " digits " second(s)"
  std::size_t at = 5;
  if (line.rfind("Done ", 0) != 0) return false;
  const auto digits = [&] {
    const std::size_t start = at;
    while (at < line.size() && line[at] >= '0' && line[at] <= '9') ++at;
    return at > start;
  };
  if (!digits() || line.compare(at, 9, " runs in ") != 0) return false;
  at += 9;
  return digits() && line.compare(at, std::string::npos, " second(s)") == 0;
}

std::size_t max_len_of(const std::vector<std::string>& argv, std::size_t fallback) {
  for (const std::string& arg : argv) {
    if (arg.rfind("-max_len=", 0) == 0) return static_cast<std::size_t>(std::strtoull(arg.c_str() + 9, nullptr, 10));
  }
  return fallback;
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
