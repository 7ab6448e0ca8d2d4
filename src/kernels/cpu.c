/* cpu.c — see cpu.h. */
#include "kernels/cpu.h"

#include <cpuid.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SR_ARCH_REQ_XCOMP_PERM 0x1023
#define SR_XFEATURE_XTILEDATA 18

static sr_cpu_features g_features; /* written once under g_once, read-only afterwards */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static unsigned long long read_xcr0(void) {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((unsigned long long)hi << 32) | lo;
}

static void detect(void) {
  sr_cpu_features f;
  memset(&f, 0, sizeof f);
  unsigned a, b, c, d;
  unsigned max = __get_cpuid_max(0, NULL);
  if (max >= 7 && __get_cpuid(1, &a, &b, &c, &d)) {
    bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = (xcr0 & 0xe6) == 0xe6;
    bool os_amx = (xcr0 & (3ull << 17)) == (3ull << 17);
    unsigned b7, c7, d7, a71 = 0, b71, c71, d71;
    __cpuid_count(7, 0, a, b7, c7, d7);
    unsigned sub = a;
    if (sub >= 1) __cpuid_count(7, 1, a71, b71, c71, d71);
    (void)b71, (void)c71, (void)d71;
    f.avx2_fma = os_avx && avx && fma && f16c && ((b7 >> 5) & 1);
    f.avx512 = f.avx2_fma && os_avx512 && ((b7 >> 16) & 1) && ((b7 >> 17) & 1) && ((b7 >> 30) & 1) && ((b7 >> 31) & 1);
    f.avx512_bf16 = f.avx512 && ((a71 >> 5) & 1);
    f.avx512_vnni = f.avx512 && ((c7 >> 11) & 1);
    bool amx_hw = ((d7 >> 22) & 1) && ((d7 >> 24) & 1) && ((d7 >> 25) & 1);
    if (f.avx512_bf16 && f.avx512_vnni && amx_hw && os_amx)
      f.amx = syscall(SYS_arch_prctl, SR_ARCH_REQ_XCOMP_PERM, SR_XFEATURE_XTILEDATA) == 0;
  }
  f.best = f.amx ? SR_ISA_AMX : f.avx512 ? SR_ISA_AVX512 : f.avx2_fma ? SR_ISA_AVX2 : SR_ISA_SCALAR;
  f.cap = SR_ISA_AMX;
  const char *env = getenv("SKILLROUTER_ISA");
  if (env) {
    if (!strcmp(env, "scalar")) f.cap = SR_ISA_SCALAR;
    else if (!strcmp(env, "avx2")) f.cap = SR_ISA_AVX2;
    else if (!strcmp(env, "avx512")) f.cap = SR_ISA_AVX512;
    else if (!strcmp(env, "amx")) f.cap = SR_ISA_AMX;
  }
  g_features = f;
}

const sr_cpu_features *sr_cpu_get(void) {
  pthread_once(&g_once, detect);
  return &g_features;
}

bool sr_isa_supported(sr_isa isa) {
  const sr_cpu_features *f = sr_cpu_get();
  return isa <= f->best;
}

sr_isa sr_isa_resolve(sr_isa isa) {
  if (isa != SR_ISA_AUTO) return isa;
  const sr_cpu_features *f = sr_cpu_get();
  return f->best < f->cap ? f->best : f->cap;
}

const char *sr_isa_name(sr_isa isa) {
  switch (isa) {
    case SR_ISA_AUTO: return "auto";
    case SR_ISA_SCALAR: return "scalar";
    case SR_ISA_AVX2: return "avx2";
    case SR_ISA_AVX512: return "avx512";
    case SR_ISA_AMX: return "amx";
  }
  return "?";
}
