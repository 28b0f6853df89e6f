// The report's safe input domain of a kernel: measured on its failing worst cases of
// extreme magnitude (harness/safe_domain.hpp), as check measures it on its findings.
#pragma once

#include "harness/kernel_judge.hpp"
#include "report/report_model.hpp"

namespace normcheck::harness::report {

// Sets WorstCase::domain of each failing worst case that is a failure of range, and
// KernelReport::domain to the tightest of them. Runs the kernel through the judge (in its
// isolated workers when isolating), at most kMaxDomainEvaluations times per case.
void measure_worst_case_domains(KernelJudge& judge, KernelReport& report);

}  // namespace normcheck::harness::report
