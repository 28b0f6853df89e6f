// The finding store of a fuzzing run: per signature the smallest case is kept (against
// this process's own and another process's), written whole, hits counted, and what a
// directory holds read back as `normcheck fuzz` does.
#include "harness/finding_store.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/atomic_file.hpp"
#include "harness/case.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

class FindingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("normcheck_finding_store_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A case of rows x n with recognisable values (x_i = first + i).
  static Case make(std::int64_t rows, std::int64_t n, double first) {
    Case c;
    c.problem.rows = rows;
    c.problem.n = n;
    for (std::int64_t i = 0; i < rows * n; ++i) c.problem.x.push_back(first + static_cast<double>(i));
    c.kernel = "mutant.layernorm.one_pass_variance";
    c.note = "sig";
    return c;
  }

  // Records c under signature; counts how often the store built the case.
  FindingStore::Recorded record(FindingStore& store, const std::string& signature, const Case& c) {
    return store.record(signature, c.problem.value_count(), [&] {
      ++built_;
      return c;
    });
  }

  fs::path dir_;
  int built_ = 0;
};

TEST_F(FindingStoreTest, KeepsTheSmallestCasePerSignature) {
  FindingStore store(dir_);
  auto first = record(store, "k-layernorm-score", make(2, 8, 1));
  EXPECT_TRUE(first.first);
  EXPECT_TRUE(first.kept);
  EXPECT_EQ(first.file, dir_ / "k-layernorm-score.json");
  EXPECT_EQ(read_case_file(first.file).problem.x.size(), 16u);

  auto smaller = record(store, "k-layernorm-score", make(1, 3, 7));
  EXPECT_FALSE(smaller.first);
  EXPECT_TRUE(smaller.kept);
  const Case kept = read_case_file(first.file);
  ASSERT_EQ(kept.problem.x.size(), 3u);
  EXPECT_EQ(kept.problem.x[0], 7);

  // Larger or equal: nothing is built or written, the smallest stays.
  built_ = 0;
  EXPECT_FALSE(record(store, "k-layernorm-score", make(4, 4, 100)).kept);
  EXPECT_FALSE(record(store, "k-layernorm-score", make(1, 3, 50)).kept);
  EXPECT_EQ(built_, 0);
  EXPECT_EQ(read_case_file(first.file).problem.x[0], 7);

  // Another signature is another file.
  auto other = record(store, "k-layernorm-special", make(1, 5, 0));
  EXPECT_TRUE(other.first);
  EXPECT_TRUE(other.kept);
  EXPECT_EQ(read_case_file(dir_ / "k-layernorm-special.json").problem.x.size(), 5u);
}

// Two processes share the directory: a smaller case another one kept is not replaced.
TEST_F(FindingStoreTest, KeepsASmallerCaseAnotherProcessWrote) {
  fs::create_directories(dir_);
  write_case_file(dir_ / "k-layernorm-score.json", make(1, 2, 42));
  FindingStore store(dir_);
  built_ = 0;
  EXPECT_FALSE(record(store, "k-layernorm-score", make(1, 6, 0)).kept);
  EXPECT_EQ(built_, 0);
  EXPECT_EQ(read_case_file(dir_ / "k-layernorm-score.json").problem.x[0], 42);
  // Smaller than the other process's: replaced.
  EXPECT_TRUE(record(store, "k-layernorm-score", make(1, 1, 9)).kept);
  EXPECT_EQ(read_case_file(dir_ / "k-layernorm-score.json").problem.x[0], 9);
}

// Writes are atomic: only whole case files and counts, no temporary file left behind.
TEST_F(FindingStoreTest, LeavesOnlyWholeFiles) {
  {
    FindingStore store(dir_);
    for (int i = 0; i < 20; ++i) record(store, "k-layernorm-score", make(1, 20 - i, i));
  }
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    EXPECT_NE(name[0], '.') << "a temporary file was left: " << name;
  }
  EXPECT_EQ(read_case_file(dir_ / "k-layernorm-score.json").problem.x.size(), 1u);
}

// A failing write throws OutputError naming the path; the store goes on afterwards.
TEST_F(FindingStoreTest, AFailedWriteThrowsAndKeepsNothing) {
  FindingStore store(dir_);
  set_write_function_for_testing([](int, const void*, std::size_t) -> ssize_t {
    errno = ENOSPC;
    return -1;
  });
  EXPECT_THROW(record(store, "k-layernorm-score", make(1, 4, 0)), OutputError);
  set_write_function_for_testing(nullptr);
  EXPECT_FALSE(fs::exists(dir_ / "k-layernorm-score.json"));
  EXPECT_TRUE(record(store, "k-layernorm-score", make(1, 4, 0)).kept);
  EXPECT_TRUE(fs::exists(dir_ / "k-layernorm-score.json"));
}

// Hits are summed over processes; every signature with a case is read back.
TEST_F(FindingStoreTest, ReadsBackCasesAndHitsOfEveryProcess) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    {
      FindingStore store(dir_);
      for (int i = 0; i < 5; ++i) record(store, "k-layernorm-score", make(1, 4, i));
    }  // the destructor writes the last count, as exit() would
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  {
    FindingStore store(dir_);
    for (int i = 0; i < 3; ++i) record(store, "k-layernorm-score", make(1, 4, i));
    record(store, "k-layernorm-special", make(1, 2, 0));
  }
  const auto found = read_finding_store(dir_);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].signature, "k-layernorm-score");
  EXPECT_EQ(found[0].hits, 8);
  EXPECT_EQ(found[0].case_file, dir_ / "k-layernorm-score.json");
  EXPECT_EQ(found[1].signature, "k-layernorm-special");
  EXPECT_EQ(found[1].hits, 1);
  EXPECT_TRUE(read_finding_store(dir_ / "absent").empty());
}

}  // namespace
}  // namespace normcheck::harness
