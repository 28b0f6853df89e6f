/* A plugin whose kernel table is whatever plugin_validation_fuzzer hands it: lets the
 * fuzzer drive impls::load_plugin's validation through the real dlopen path. */
#include <stddef.h>
#include <stdint.h>

#include "normcheck/kernel_abi.h"

static uint32_t table_version = NORMCHECK_ABI_VERSION;
static const normcheck_kernel *table_entries = NULL;
static size_t table_count = 0;

void normcheck_fuzz_table_set(uint32_t version, const normcheck_kernel *entries, size_t count);

void normcheck_fuzz_table_set(uint32_t version, const normcheck_kernel *entries, size_t count) {
  table_version = version;
  table_entries = entries;
  table_count = count;
}

uint32_t normcheck_plugin_abi_version(void) { return table_version; }

const normcheck_kernel *normcheck_plugin_kernels(size_t *count) {
  *count = table_count;
  return table_entries;
}
