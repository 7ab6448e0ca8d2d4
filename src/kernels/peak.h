/* peak.h — the machine's measured peak for each kernel path: bare loops of independent FMA (or int8
 * multiply-add, or AMX tile) chains, run on every thread of a pool, with no memory traffic. GEMM and
 * model benchmarks quote their throughput as a ratio to this, measured in the same run. */
#ifndef SR_KERNELS_PEAK_H
#define SR_KERNELS_PEAK_H

#include "kernels/threadpool.h"

typedef enum sr_peak_loop {
  SR_PEAK_FMA256,   /* AVX2 vfmadd on ymm: 16 flops per instruction */
  SR_PEAK_I8_256,   /* AVX2 vpmaddubsw + vpmaddwd: 64 int8 ops per pair */
  SR_PEAK_FMA512,   /* AVX-512 vfmadd on zmm: 32 flops */
  SR_PEAK_VNNI512,  /* AVX512-VNNI vpdpbusd: 128 int8 ops */
  SR_PEAK_AMX_BF16, /* AMX tdpbf16ps: 16x16x32 multiply-adds per tile op */
  SR_PEAK_AMX_I8    /* AMX, counted at twice the bf16 rate (tdpbusd does 2x the MACs per op) */
} sr_peak_loop;

/* Runs the loop once on each thread of `pool` (NULL = the calling thread only), `reps` times, and returns
 * the best throughput in G ops/s (GFLOPS for the float loops). Returns 0 without executing anything when
 * the CPU lacks the instructions, and 0 if its scratch cannot be allocated. Thread-safe; no global state. */
double sr_peak_gflops(sr_peak_loop loop, sr_threadpool *pool, int reps);

/* A short description of the loop, for reports ("bare FMA loop (ymm)"). Never NULL. */
const char *sr_peak_describe(sr_peak_loop loop);

#endif
