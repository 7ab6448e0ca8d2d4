/* cpu.h — CPU feature detection for kernel dispatch.
 *
 * The only global state of the kernels: a feature table filled once per process (pthread_once) by the
 * first call of sr_cpu_get(), read-only afterwards. Detection uses CPUID and XGETBV (so features
 * the OS does not enable count as absent). When the CPU reports AMX, the once-initialiser also asks
 * the kernel for permission to use tile data (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA),
 * a per-process setting); if that fails AMX counts as absent.
 *
 * The environment variable SKILLROUTER_ISA=scalar|avx2|avx512|amx, read once at that same moment,
 * caps the ISA that SR_ISA_AUTO resolves to (for tests/benchmarks); an unknown value is ignored. */
#ifndef SR_KERNELS_CPU_H
#define SR_KERNELS_CPU_H

#include <stdbool.h>

/* ISA levels, ordered: each implies the ones below it on the CPUs we target. */
typedef enum sr_isa {
  SR_ISA_AUTO = -1, /* the best available, capped by SKILLROUTER_ISA */
  SR_ISA_SCALAR = 0,
  SR_ISA_AVX2 = 1,   /* AVX2 + FMA + F16C */
  SR_ISA_AVX512 = 2, /* AVX-512 F/BW/VL/DQ (BF16 and VNNI are separate flags below) */
  SR_ISA_AMX = 3     /* AMX-TILE + AMX-BF16 + AMX-INT8, OS permission granted */
} sr_isa;

typedef struct sr_cpu_features {
  bool avx2_fma;    /* AVX2 + FMA + F16C usable */
  bool avx512;      /* AVX-512 F + BW + VL + DQ usable */
  bool avx512_bf16; /* + AVX512_BF16 (vdpbf16ps) */
  bool avx512_vnni; /* + AVX512_VNNI (vpdpbusd) */
  bool amx;         /* AMX tile + bf16 + int8, XTILEDATA permission granted */
  sr_isa best;      /* the highest level usable */
  sr_isa cap;       /* SKILLROUTER_ISA, or SR_ISA_AMX when unset */
} sr_cpu_features;

/* The process-wide feature table (never NULL; thread-safe; first call does the detection). */
const sr_cpu_features *sr_cpu_get(void);

/* True when the CPU can run kernels of level `isa` (SR_ISA_SCALAR always; SR_ISA_AUTO always). */
bool sr_isa_supported(sr_isa isa);

/* SR_ISA_AUTO -> min(best, cap); any other value is returned unchanged. */
sr_isa sr_isa_resolve(sr_isa isa);

/* "auto", "scalar", "avx2", "avx512", "amx". */
const char *sr_isa_name(sr_isa isa);

#endif
