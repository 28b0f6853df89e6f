// What the report was produced with: versions of normcheck and its numeric libraries,
// the compiler and the CPU.
#pragma once

#include "report/report_model.hpp"

namespace normcheck::harness::report {

Environment current_environment();

}  // namespace normcheck::harness::report
