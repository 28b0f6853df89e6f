#include "harness/verdict.hpp"

namespace normcheck::harness {

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::skipped: return "skipped";
  }
  return "unknown";
}

std::optional<Verdict> parse_verdict(std::string_view name) {
  for (const Verdict verdict : kVerdicts) {
    if (verdict_name(verdict) == name) return verdict;
  }
  return std::nullopt;
}

}  // namespace normcheck::harness
