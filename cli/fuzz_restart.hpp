// What `normcheck fuzz` does when one of its libFuzzer processes ends before its time: a
// process outside fork mode exits on its first crash, hang or out-of-memory (after writing
// the artifact), and is started again for the time left, without the input that ended it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace normcheck::harness::cli {

// What libFuzzer wrote for an input that ended (or, for a slow unit, only slowed) it.
enum class ArtifactKind { crash, timeout, out_of_memory, leak, slow_unit };

struct WrittenArtifact {
  ArtifactKind kind;
  std::filesystem::path path;
};

// The artifact a libFuzzer output line announces ("... Test unit written to PATH"), named
// by libFuzzer's prefix (crash-, timeout-, oom-, leak-, slow-unit-); false for other lines.
bool parse_artifact_line(const std::string& line, WrittenArtifact& artifact);

// Moves every file of the corpus folders whose bytes are the artifact's into quarantine:
// an input of the corpus that crashes or hangs the target would otherwise end each restart
// again while libFuzzer reads the corpus. Returns how many it moved (0 for a new input
// that came from mutation, or an artifact that cannot be read).
int quarantine_input(const std::filesystem::path& artifact, const std::vector<std::filesystem::path>& corpus_dirs,
                     const std::filesystem::path& quarantine_dir);

// argv with its -max_total_time=... flag set to seconds (appended when absent).
std::vector<std::string> with_total_time(std::vector<std::string> argv, std::int64_t seconds);

}  // namespace normcheck::harness::cli
