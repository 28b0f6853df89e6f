// libFuzzer target for harness::parse_case: any bytes either parse or raise InputError
// naming the source; a parsed case must survive case_to_json -> parse_case bit for bit.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "harness/case.hpp"
#include "reference/format.hpp"

namespace {

constexpr std::string_view kSource = "fuzz-input.json";

[[noreturn]] void fail(const char* signature, const std::string& detail, std::string_view input) {
  std::fprintf(stderr, "%s\ninput: %.*s\nnormcheck-finding: case-parser-%s\n", detail.c_str(),
               static_cast<int>(input.size()), input.data(), signature);
  std::fflush(stderr);
  std::abort();
}

// Bitwise equality of values held as doubles (NaN equals NaN, -0 differs from +0).
bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0) return false;
  }
  return true;
}

bool same_case(const normcheck::harness::Case& a, const normcheck::harness::Case& b) {
  const auto &p = a.problem, &q = b.problem;
  return p.op == q.op && p.x_format == q.x_format && p.param_format == q.param_format && p.y_format == q.y_format &&
         p.rows == q.rows && p.n == q.n && same_values({p.eps}, {q.eps}) && same_values(p.x, q.x) &&
         same_values(p.residual, q.residual) && same_values(p.gamma, q.gamma) && same_values(p.beta, q.beta) &&
         p.residual_sum == q.residual_sum && a.direction == b.direction && same_values(a.dy, b.dy) && a.kernel == b.kernel && a.expect == b.expect && a.note == b.note;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Case files are small; beyond this the parser is only being timed, not tested.
  if (size > 1u << 16) return -1;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  normcheck::harness::Case parsed;
  try {
    parsed = normcheck::harness::parse_case(text, kSource);
  } catch (const normcheck::harness::InputError& error) {
    if (std::string_view(error.what()).substr(0, kSource.size()) != kSource) {
      fail("error-without-source", std::string("InputError does not name the source: ") + error.what(), text);
    }
    return 0;
  } catch (const std::exception& error) {
    fail("wrong-exception", std::string("parse_case threw something other than InputError: ") + error.what(), text);
  }
  // Whatever parsed must be writable and read back identically: the corpus depends on it.
  std::string json;
  try {
    json = normcheck::harness::case_to_json(parsed);
    const auto reparsed = normcheck::harness::parse_case(json, "round-trip.json");
    if (!same_case(parsed, reparsed)) fail("round-trip", "case_to_json -> parse_case changed the case:\n" + json, text);
  } catch (const std::exception& error) {
    fail("round-trip", std::string("written case does not parse: ") + error.what() + "\n" + json, text);
  }
  return 0;
}
