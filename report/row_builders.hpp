// Deterministic constructions of sweep rows from a seeded std::mt19937_64: portable
// (no std:: distributions, whose output differs between standard libraries), and
// rounded once to the kernel's formats.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness::report {

using Rng = std::mt19937_64;

// An independent stream per (seed, kernel, task): a task's rows do not depend on which
// other kernels or tasks run, nor on the thread that runs it.
Rng task_rng(std::uint64_t seed, std::string_view kernel_name, std::uint64_t task_id);

double uniform01(Rng& rng);        // [0, 1), 53 random bits
double standard_normal(Rng& rng);  // Box-Muller

// n draws standardised to mean 0 and variance 1 exactly up to double rounding
// (n >= 2); so a row c + s * z has mean c and standard deviation s before rounding.
std::vector<double> standardized_normals(Rng& rng, std::int64_t n);

// An empty problem with the kernel's op and formats, rows x n.
ref::NormProblem blank_problem(const impls::KernelInfo& kernel, std::int64_t rows, std::int64_t n,
                               double eps);

// Appends offset + scale * N(0, 1) rounded to the format.
void append_normal_row(std::vector<double>& out, Rng& rng, std::int64_t n, double offset, double scale,
                       ref::Format format);

// Typical learned parameters: gamma ~ 1 + N(0, 1) / 4, beta ~ N(0, 1) / 10 (beta only for
// LayerNorm, as not every RMSNorm kernel takes one), rounded to the parameter format.
void add_typical_params(ref::NormProblem& problem, Rng& rng);

// eps rounded to f32 (the default eps regime, docs/oracle.md), or 0 when that is not a
// normal f32 value: too small or too large to be an ordinary eps.
double f32_eps(double eps);

// |mean| / std of a row in double (two-pass); for labelling sweep points, not judging.
double mean_over_std(const double* row, std::int64_t n);

}  // namespace normcheck::harness::report
