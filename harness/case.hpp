// The case model: one normalization problem as read from or written to a case file
// (DESIGN.md "Case files"), with the optional kernel name and expected verdict.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "reference/oracle.hpp"

namespace normcheck::harness {

// Bad user input (a case file, a budget file, a flag). The message is one line that
// names the file and the field; the CLI prints it and exits 2.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Case {
  ref::NormProblem problem;
  std::string kernel;  // "" when the file names no kernel
  std::string expect;  // "" | "pass" | "fail": the expected verdict, when recorded
  std::string note;    // free text, e.g. the finding's signature; "" when absent
};

// Parses case-file JSON. source_name (usually the path) prefixes every error message.
// Throws InputError for bad JSON, unknown op or dtype, wrong lengths, values not
// representable in their dtype, rows / n out of range, negative or NaN eps.
Case parse_case(std::string_view json_text, std::string_view source_name);
Case read_case_file(const std::filesystem::path& path);

// Exact, human-readable JSON: values as C99 hex floats or inf / -inf / nan.
std::string case_to_json(const Case& c);
void write_case_file(const std::filesystem::path& path, const Case& c);

// A double as a C99 hex float ("0x1.8p-3"), or "inf", "-inf", "nan".
std::string hex_float(double value);

}  // namespace normcheck::harness
