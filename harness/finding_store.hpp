// Where the differential fuzz targets keep their findings when `normcheck fuzz` drives
// them (fuzz/finding.cpp writes, cli/fuzz_findings.cpp reads): a finding is recorded and
// the fuzzer goes on, instead of aborting the process (an abort per finding made
// libFuzzer's fork mode restart a job for every one: ~250 exec/s on a kernel where most
// inputs are findings).
//
// One directory is shared by every fuzzing process of a run. Per signature it holds
//   <signature>.json          the smallest case seen (fewest elements), a case file
//                             written whole or not at all (harness/atomic_file.hpp)
//   <signature>.hits-<pid>    how many inputs this process found with the signature
// `normcheck fuzz` reads them back, minimizes each case with the harness shrinker and
// writes the regression cases.
#pragma once

#include <climits>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness/case.hpp"
#include "reference/problem.hpp"

namespace normcheck::harness {

// The size "smallest" compares: every input element of the case (x, residual, gamma, beta,
// and a backward case's dy), so a shorter row or fewer rows is smaller whatever the values.
std::int64_t case_elements(const Case& c);

class FindingStore {
 public:
  explicit FindingStore(std::filesystem::path dir);
  // Writes the hit counts a last time (a process that ends by exit()).
  ~FindingStore();
  FindingStore(const FindingStore&) = delete;
  FindingStore& operator=(const FindingStore&) = delete;

  struct Recorded {
    bool first = false;  // the first hit of this signature in this process
    bool kept = false;   // the case is now the one on disk for this signature
    std::filesystem::path file;  // <dir>/<signature>.json
  };

  // Counts one hit of signature by a case of `elements` elements. When it is smaller than
  // the case kept for the signature (by this process or, on disk, by another one), builds
  // the case with make_case() and writes it; otherwise make_case is not called, so a hit
  // that changes nothing costs a map lookup. Throws OutputError when the write fails.
  template <class MakeCase>
  Recorded record(const std::string& signature, std::int64_t elements, MakeCase&& make_case) {
    Entry& entry = entries_[signature];
    Recorded result{entry.hits == 0, false, case_path(signature)};
    ++entry.hits;
    if (entry.hits == entry.next_flush) flush_hits(signature, entry);
    if (elements < entry.kept_elements && smaller_than_on_disk(result.file, elements, entry)) {
      write_case_file(result.file, make_case());
      entry.kept_elements = elements;
      result.kept = true;
    }
    return result;
  }

  std::filesystem::path case_path(const std::string& signature) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Entry {
    std::int64_t hits = 0;
    std::int64_t next_flush = 1;  // hit counts are written at 1, 2, 4, 8, ... and at exit
    std::int64_t flushed = 0;
    std::int64_t kept_elements = INT64_MAX;  // the smallest case known to be on disk
  };

  // Reads the case another process may have kept; true when `elements` is smaller.
  bool smaller_than_on_disk(const std::filesystem::path& file, std::int64_t elements, Entry& entry);
  void flush_hits(const std::string& signature, Entry& entry);

  std::filesystem::path dir_;
  std::unordered_map<std::string, Entry> entries_;
};

// What a store's directory holds for one signature, summed over the processes.
struct StoredFinding {
  std::string signature;
  std::filesystem::path case_file;  // "" when hits were counted but no case could be written
  std::int64_t hits = 0;
};
// Every signature with a case or a hit count in dir, by signature (none when dir does
// not exist). Temporary files of unfinished writes are ignored.
std::vector<StoredFinding> read_finding_store(const std::filesystem::path& dir);

}  // namespace normcheck::harness
