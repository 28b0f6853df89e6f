// The vocabulary of a case's verdicts: what a case file's "expect" records (pass or fail)
// and what a replay observes (pass, fail or skipped). Case files and the replay output
// spell a verdict with verdict_name(), so the names are part of the public output and
// must stay stable.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace normcheck::harness {

enum class Verdict : std::uint8_t {
  pass,     // no violation
  fail,     // a violation, a crash or a timeout
  skipped,  // not judged (UNSUPPORTED, outside the kernel's domain, another problem): never expected
};

inline constexpr std::array kVerdicts = {Verdict::pass, Verdict::fail, Verdict::skipped};

// The stable name: "pass", "fail", "skipped".
std::string_view verdict_name(Verdict verdict);
// The verdict a name spells (as verdict_name writes it), or nullopt.
std::optional<Verdict> parse_verdict(std::string_view name);

}  // namespace normcheck::harness
