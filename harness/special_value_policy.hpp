// Where a special-value mismatch is no mistake: the boundary rules that keep the special
// classes consistent with the score's error model (docs/error-measures.md, "Special values").
#pragma once

#include "harness/measures.hpp"
#include "reference/format.hpp"

namespace normcheck::harness {

// The smallest magnitude that rounds to infinity in the format: (2 - 2^-p) * 2^emax
// (DBL_MAX stands in for f64, whose threshold is not a double).
double overflow_threshold(ref::Format format);

// Overflow is a rounding event like any other: a kernel whose result crosses the overflow
// threshold (an infinity where the exact y is finite, of either sign), or stops short of it
// (finite for an exact y just beyond), by an error the score budget allows has made no
// special-value mistake. Judged by the score, against the exact y, of the threshold on the
// side of the infinity, or of the finite result.
bool overflow_within_budget(SpecialMismatch mismatch, ref::Format format, double got, double exact,
                            long double scale, double u_c, double limit);

// With gamma = +-inf a column's output is +-inf or NaN according to the sign of the
// normalized value t = (z - mean) * rstd, or whether it is zero. When |t| lies within what
// the kernel's own rounding may do to t (the score budget applied to t's terms, underflow
// included), no kernel in that precision can tell, so NaN and either infinity all conform.
bool infinite_gamma_indeterminate(double gamma, double z, double mean, double mean_scale, double rstd,
                                  double u_c, double limit, ref::Format compute);

}  // namespace normcheck::harness
