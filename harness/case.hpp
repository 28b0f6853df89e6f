// The case model: one normalization problem as read from or written to a case file
// (docs/case-files.md), with the optional kernel name and expected verdict.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/hex_float.hpp"
#include "harness/input_error.hpp"
#include "harness/verdict.hpp"
#include "reference/backward_problem.hpp"
#include "reference/problem.hpp"

namespace normcheck::harness {

// Which pass a case is of: "direction" in the file, absent for a forward case.
enum class Direction { forward, backward };

struct Case {
  // Forward: the problem. Backward: its op, dtypes (y_dtype is dy's), rows, n, eps, x and
  // gamma, with beta and residual empty; the gradient of the output is dy.
  ref::NormProblem problem;
  std::string kernel;             // "" when the file names no kernel
  std::optional<Verdict> expect;  // pass or fail (never skipped): the expected verdict, when recorded
  std::string note;               // free text, e.g. the finding's signature; "" when absent
  Direction direction = Direction::forward;
  std::vector<double> dy;  // backward: rows * n values of y_dtype; forward: empty
};

// Parses case-file JSON. source_name (usually the path) prefixes every error message.
// Throws InputError for bad JSON, unknown op or dtype, wrong lengths, values not
// representable in their dtype, rows / n out of range, negative or NaN eps.
// The text may be no longer than case_file_size_limit() of its declared rows and n, and
// no array longer than they declare: what is stored while parsing is bounded by them.
Case parse_case(std::string_view json_text, std::string_view source_name);
// Only a regular file (a FIFO or /dev/zero is refused, not read), of at most
// case_file_size_limit(rows, n) bytes: a file over 1 MiB must declare "rows" and "n" in
// its first MiB (normcheck writes them before the arrays), and is refused before the rest
// is read when it is longer than they can need or they are out of range.
Case read_case_file(const std::filesystem::path& path);

// The most bytes a case file of rows x n may hold: 1 MiB for the keys, the note and
// spacing, plus 64 bytes for each value x, residual (or dy: a backward case has no
// residual), gamma and beta can hold (normcheck
// writes at most 30 per value; pretty-printers that put one value on a line about 35).
std::uint64_t case_file_size_limit(std::int64_t rows, std::int64_t n);

// The backward problem of a backward case (direction == backward), and the backward case
// of a problem (kernel, expect and note empty).
ref::BackwardProblem backward_problem(const Case& c);
Case backward_case(const ref::BackwardProblem& problem);

// Exact, human-readable JSON: values as C99 hex floats or inf / -inf / nan.
std::string case_to_json(const Case& c);
// Complete or absent: written with write_file_atomically (atomic_file.hpp), which throws
// OutputError (an InputError) naming the path and the system's reason.
void write_case_file(const std::filesystem::path& path, const Case& c);

}  // namespace normcheck::harness
