// The findings directory of a fuzzing run (finding_store.hpp).
#include "harness/finding_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string_view>
#include <system_error>

#include "harness/atomic_file.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHitsInfix = ".hits-";

}  // namespace

FindingStore::FindingStore(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ignored;  // a directory that cannot be made fails the first write, with its reason
  fs::create_directories(dir_, ignored);
}

FindingStore::~FindingStore() {
  for (auto& [signature, entry] : entries_) {
    if (entry.hits == entry.flushed) continue;
    try {
      flush_hits(signature, entry);
    } catch (const std::exception&) {
      // At exit a lost count only lowers the hits the summary shows.
    }
  }
}

std::int64_t case_elements(const Case& c) { return c.problem.value_count() + static_cast<std::int64_t>(c.dy.size()); }

fs::path FindingStore::case_path(const std::string& signature) const { return dir_ / (signature + ".json"); }

bool FindingStore::smaller_than_on_disk(const fs::path& file, std::int64_t elements, Entry& entry) {
  // Another process of the run may have kept a smaller case since; read it at most once
  // per improvement of this process's own, which happens a handful of times per signature.
  std::error_code missing;
  if (!fs::exists(file, missing)) return true;
  try {
    const std::int64_t on_disk = case_elements(read_case_file(file));
    entry.kept_elements = std::min(entry.kept_elements, on_disk);
    return elements < on_disk;
  } catch (const std::exception&) {
    return true;  // not a whole case file (cannot happen with atomic writes): replace it
  }
}

void FindingStore::flush_hits(const std::string& signature, Entry& entry) {
  // One small file per process: processes never write the same file, so no count is lost
  // to a race, and an atomic write never leaves half a number.
  const fs::path file = dir_ / (signature + std::string(kHitsInfix) + std::to_string(getpid()));
  write_file_atomically(file, std::to_string(entry.hits) + "\n");
  entry.flushed = entry.hits;
  while (entry.next_flush <= entry.hits) entry.next_flush *= 2;
}

std::vector<StoredFinding> read_finding_store(const fs::path& dir) {
  std::map<std::string, StoredFinding> by_signature;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    const std::string name = item.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // a temporary file of an atomic write
    if (item.path().extension() == ".json") {
      const std::string signature = item.path().stem().string();
      by_signature[signature].signature = signature;
      by_signature[signature].case_file = item.path();
      continue;
    }
    const auto infix = name.rfind(kHitsInfix);
    if (infix == std::string::npos) continue;
    std::ifstream in(item.path());
    std::int64_t hits = 0;
    if (in >> hits) by_signature[name.substr(0, infix)].hits += hits;
  }
  std::vector<StoredFinding> found;
  for (auto& [signature, finding] : by_signature) {
    finding.signature = signature;
    found.push_back(std::move(finding));
  }
  return found;
}

}  // namespace normcheck::harness
