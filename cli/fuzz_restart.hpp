// What `normcheck fuzz` does when one of its libFuzzer processes ends before its time: a
// process outside fork mode exits on its first crash, hang or out-of-memory (after writing
// the artifact), and is started again for the time left, without the input that ended it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
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

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_file_bytes(const std::filesystem::path& path);

// Moves every file of the corpus folders that holds the input into quarantine: an input of
// the corpus that crashes or hangs the target would otherwise end each restart again while
// libFuzzer reads the corpus. libFuzzer cuts a longer file to max_len bytes as it reads it,
// so an input of exactly max_len bytes also matches the longer files it begins. Returns how
// many it moved (0 for an input that came from mutation).
int quarantine_input(const std::string& input, std::size_t max_len,
                     const std::vector<std::filesystem::path>& corpus_dirs, const std::filesystem::path& quarantine_dir);

// libFuzzer's line at the end of a run that used its time: "Done N runs in S second(s)".
bool is_done_line(const std::string& line);

// The value of argv's -max_len=N flag; fallback when absent.
std::size_t max_len_of(const std::vector<std::string>& argv, std::size_t fallback);

// argv with its -max_total_time=... flag set to seconds (appended when absent).
std::vector<std::string> with_total_time(std::vector<std::string> argv, std::int64_t seconds);

}  // namespace normcheck::harness::cli
