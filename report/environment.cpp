// What the report was produced with: versions of normcheck and its numeric libraries,
// the compiler and the CPU.
#include "report/environment.hpp"

#include <boost/version.hpp>
#include <fmt/format.h>
#include <gmp.h>
#include <mpfr.h>

#include <fstream>
#include <string>
#include <thread>

#ifdef NORMCHECK_REPORT_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

namespace normcheck::harness::report {

namespace {

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("g++ {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace

Environment current_environment() {
  Environment env;
  env.normcheck_version = NORMCHECK_REPORT_VERSION;
  env.compiler = compiler();
  env.boost_version = fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
  env.gmp = gmp_version;  // the library's runtime version string
  env.mpfr = mpfr_get_version();
#ifdef NORMCHECK_REPORT_HAVE_DNNL
  const dnnl_version_t* v = dnnl_version();
  env.onednn_version = fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
#else
  env.onednn_version = "not built";
#endif
  env.cpu_model = cpu_model();
  env.hardware_threads = std::thread::hardware_concurrency();
  return env;
}

}  // namespace normcheck::harness::report
