/* faulty_plugin.c: kernels that misbehave in the ways the commands must survive, each an
 * fp32 LayerNorm (two-pass, double accumulators, f32 gamma / beta) except where it fails:
 *   faulty.layernorm.f32.unbiased        divides the variance by n - 1 (a finding)
 *   faulty.layernorm.f32.crash           says so on stderr, then raises SIGSEGV on rows of 16 elements
 *   faulty.layernorm.f32.hang            never returns on rows of one element (first writing its pid
 *                                        to the file $NORMCHECK_FAULTY_PID_FILE names, when set)
 *   faulty.layernorm.f32.static_scratch  correct, but keeps its scratch in a static buffer
 *                                        and is not NORMCHECK_THREAD_SAFE: a second call
 *                                        entering while one runs returns NORMCHECK_ERROR
 *   faulty.rmsnorm.f32.unsupported       answers UNSUPPORTED to everything
 *   faulty.layernorm.f32.status7         computes y, then returns 7, no status of the enum
 *   faulty.layernorm.f32.chatty          correct, but prints a fake verdict on stdout and noise on stderr
 *   faulty.layernorm.f32.forks           correct, but leaves a child process running for 30 s
 *   faulty.layernorm.f32.leaks           correct, but leaks 100 MB (touched) on every call
 *   faulty.layernorm.f32.renames         correct, but renames its own table entry to a built-in's name
 *   faulty.layernorm.f32.exits           calls exit(0) on rows of one element (atexit handlers run)
 *   faulty.layernorm.f32.quick_exits     calls _exit(0) on rows of one element (nothing runs)
 *   faulty.layernorm.f32.rounds_upward   correct, but leaves the rounding mode set upward (fesetround)
 *   faulty.layernorm.f32.flushes_subnormals  correct, but leaves FTZ and DAZ set in MXCSR (x86; elsewhere
 *                                        it leaves the rounding mode toward zero)
 *   faulty.layernorm.f32.finds_itself    correct, but finds its entry by the address of self
 *                                        (self - table, as container_of does): NORMCHECK_ERROR when
 *                                        self is not an entry of its own table
 * and one backward kernel (ABI version 2):
 *   faulty.layernorm_backward.f32.quick_exits  calls _exit(0) on rows of one element, answers
 *                                        UNSUPPORTED to the rest (only ending the process is under test)
 * Built against the version-2 header as a user would: cc -shared -fPIC. */
#include <fenv.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "normcheck/kernel_abi.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

enum fault {
  UNBIASED, CRASH, HANG, STATIC_SCRATCH, CHATTY, FORKS, LEAKS, RENAMES, FINDS_ITSELF, EXITS, QUICK_EXITS,
  ROUNDS_UPWARD, FLUSHES_SUBNORMALS
};

/* The state a careless kernel leaves behind after computing a correct result. */
static void leave_fp_state(enum fault fault) {
  if (fault == ROUNDS_UPWARD) fesetround(FE_UPWARD);
  if (fault == FLUSHES_SUBNORMALS) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040u); /* FTZ (bit 15) and DAZ (bit 6) */
#else
    fesetround(FE_TOWARDZERO);
#endif
  }
}

static void rename_self(void);
static int is_own_entry(const normcheck_kernel *self);

/* Tells a test which process is spinning, so it can check that process is gone later. */
static void write_pid_file(void) {
  const char *path = getenv("NORMCHECK_FAULTY_PID_FILE");
  if (path == NULL) return;
  char temporary[4096];
  snprintf(temporary, sizeof temporary, "%s.tmp", path);
  FILE *file = fopen(temporary, "w");
  if (file == NULL) return;
  fprintf(file, "%ld\n", (long)getpid());
  fclose(file);
  rename(temporary, path); /* whole or absent: the test never reads half a pid */
}

static double scratch[1 << 16];
static atomic_int in_flight;

static normcheck_status layernorm(const normcheck_problem *p, enum fault fault) {
  const float *gamma = (const float *)p->gamma;
  const float *beta = (const float *)p->beta;
  if (p->residual != NULL) return NORMCHECK_UNSUPPORTED;
  if (fault == CRASH && p->n == 16) {
    fprintf(stderr, "faulty kernel: about to crash\n");
    raise(SIGSEGV);
  }
  if (fault == EXITS && p->n == 1) exit(0);
  if (fault == QUICK_EXITS && p->n == 1) _exit(0);
  if (fault == CHATTY) {
    printf("seed 1, 1 kernels: all within budget\n");
    fprintf(stderr, "\x01\x02 noise\n");
  }
  if (fault == FORKS) {
    static int forked;
    if (!forked && fork() == 0) {
      sleep(30);
      _exit(0);
    }
    forked = 1;
  }
  if (fault == RENAMES) rename_self();
  if (fault == LEAKS) {
    char *leak = malloc(100u << 20);
    if (leak != NULL) memset(leak, 1, 100u << 20);
  }
  if (fault == HANG && p->n == 1) {
    write_pid_file();
    volatile int spin = 1;
    while (spin) {
    }
  }
  if (fault == STATIC_SCRATCH && p->n > (int64_t)(sizeof scratch / sizeof scratch[0])) return NORMCHECK_UNSUPPORTED;
  for (int64_t r = 0; r < p->rows; ++r) {
    const float *x = (const float *)p->x + r * p->n;
    float *y = (float *)p->y + r * p->n;
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < p->n; ++i) mean += x[i];
    mean /= (double)p->n;
    for (int64_t i = 0; i < p->n; ++i) {
      const double d = x[i] - mean;
      if (fault == STATIC_SCRATCH) scratch[i] = d;
      var += d * d;
    }
    const double divisor = fault == UNBIASED && p->n > 1 ? (double)(p->n - 1) : (double)p->n;
    const double rstd = 1.0 / sqrt(var / divisor + p->eps);
    for (int64_t i = 0; i < p->n; ++i) {
      const double d = fault == STATIC_SCRATCH ? scratch[i] : x[i] - mean;
      const double t = d * rstd * (gamma ? gamma[i] : 1.0f);
      y[i] = (float)(beta ? t + beta[i] : t);
    }
  }
  leave_fp_state(fault);
  return NORMCHECK_OK;
}

static normcheck_status run(const normcheck_kernel *self, const normcheck_problem *p) {
  const enum fault fault = (enum fault)(intptr_t)self->context;
  /* What self - kernels would index, were self not one of them, is garbage. */
  if (fault == FINDS_ITSELF && !is_own_entry(self)) return NORMCHECK_ERROR;
  if (fault != STATIC_SCRATCH) return layernorm(p, fault);
  /* Entered twice at once: the scratch is shared, so the result would be garbage. */
  if (atomic_fetch_add(&in_flight, 1) != 0) {
    atomic_fetch_sub(&in_flight, 1);
    return NORMCHECK_ERROR;
  }
  const normcheck_status status = layernorm(p, fault);
  atomic_fetch_sub(&in_flight, 1);
  return status;
}

static normcheck_status status7(const normcheck_kernel *self, const normcheck_problem *p) {
  (void)self;
  (void)layernorm(p, UNBIASED);
  return (normcheck_status)7;
}

static normcheck_status unsupported(const normcheck_kernel *self, const normcheck_problem *p) {
  (void)self;
  (void)p;
  return NORMCHECK_UNSUPPORTED;
}

#define FAULTY(name, fault, flags)                                                                     \
  {name, NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, flags, (void *)(intptr_t)(fault), run}

static normcheck_kernel kernels[] = {
    FAULTY("faulty.layernorm.f32.unbiased", UNBIASED, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.crash", CRASH, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.hang", HANG, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.static_scratch", STATIC_SCRATCH, 0u),
    FAULTY("faulty.layernorm.f32.chatty", CHATTY, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.forks", FORKS, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.leaks", LEAKS, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.renames", RENAMES, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.finds_itself", FINDS_ITSELF, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.exits", EXITS, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.quick_exits", QUICK_EXITS, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.rounds_upward", ROUNDS_UPWARD, NORMCHECK_THREAD_SAFE),
    FAULTY("faulty.layernorm.f32.flushes_subnormals", FLUSHES_SUBNORMALS, NORMCHECK_THREAD_SAFE),
    {"faulty.rmsnorm.f32.unsupported", NORMCHECK_RMSNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0u, NULL,
     unsupported},
    {"faulty.layernorm.f32.status7", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     NORMCHECK_THREAD_SAFE, NULL, status7},
};

static void rename_self(void) {
  for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i) {
    if (kernels[i].context == (void *)(intptr_t)RENAMES) kernels[i].name = "layernorm.f32.two_pass";
  }
}

/* By equality with each entry: comparing addresses of different objects with < is undefined in C. */
static int is_own_entry(const normcheck_kernel *self) {
  for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i) {
    if (self == &kernels[i]) return 1;
  }
  return 0;
}

uint32_t normcheck_plugin_abi_version(void) { return NORMCHECK_ABI_VERSION; }

const normcheck_kernel *normcheck_plugin_kernels(size_t *count) {
  *count = sizeof kernels / sizeof kernels[0];
  return kernels;
}

static normcheck_status backward_quick_exits(const normcheck_backward_kernel *self, const normcheck_backward_problem *p) {
  (void)self;
  if (p->n == 1) _exit(0);
  return NORMCHECK_UNSUPPORTED;
}

static const normcheck_backward_kernel backward_kernels[] = {
    {"faulty.layernorm_backward.f32.quick_exits", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     NORMCHECK_THREAD_SAFE, NULL, backward_quick_exits},
};

const normcheck_backward_kernel *normcheck_plugin_backward_kernels(size_t *count) {
  *count = sizeof backward_kernels / sizeof backward_kernels[0];
  return backward_kernels;
}
