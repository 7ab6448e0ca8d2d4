/* peak.c — bare peak loops; see peak.h. Each loop function has the sr_task_fn shape and ignores its
 * range: sr_peak_gflops runs exactly one task per pool thread. Results land in a per-call scratch so the
 * compiler cannot drop the loops. */
#include "kernels/peak.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/cpu.h"

#define ITERS 4000000L

__attribute__((target("avx2,fma"))) static void peak_fma256(void *ctx, size_t b, size_t e, int tid) {
  (void)b, (void)e;
  __m256 a[12], m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
  for (long it = 0; it < ITERS; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
  for (int i = 1; i < 12; i++) a[0] = _mm256_add_ps(a[0], a[i]);
  _mm256_storeu_ps((float *)ctx + 16 * tid, a[0]);
}

__attribute__((target("avx2"))) static void peak_i8_256(void *ctx, size_t b, size_t e, int tid) {
  (void)b, (void)e;
  __m256i a[12], x = _mm256_set1_epi8(3), w = _mm256_set1_epi8(-2), one = _mm256_set1_epi16(1);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_epi32(i);
  for (long it = 0; it < ITERS; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_add_epi32(a[i], _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), one));
    __asm__ volatile("" : "+x"(x), "+x"(w)); /* keep the products inside the loop */
  }
  for (int i = 1; i < 12; i++) a[0] = _mm256_add_epi32(a[0], a[i]);
  _mm256_storeu_si256((__m256i *)((float *)ctx + 16 * tid), a[0]);
}

__attribute__((target("avx512f"))) static void peak_fma512(void *ctx, size_t b, size_t e, int tid) {
  (void)b, (void)e;
  __m512 a[12], m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
  for (long it = 0; it < ITERS; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  for (int i = 1; i < 12; i++) a[0] = _mm512_add_ps(a[0], a[i]);
  _mm512_storeu_ps((float *)ctx + 16 * tid, a[0]);
}

__attribute__((target("avx512f,avx512vnni"))) static void peak_vnni512(void *ctx, size_t b, size_t e, int tid) {
  (void)b, (void)e;
  __m512i a[12], x = _mm512_set1_epi8(3), w = _mm512_set1_epi8(-2);
  for (int i = 0; i < 12; i++) a[i] = _mm512_set1_epi32(i);
  for (long it = 0; it < ITERS; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm512_dpbusd_epi32(a[i], x, w);
  for (int i = 1; i < 12; i++) a[0] = _mm512_add_epi32(a[0], a[i]);
  _mm512_storeu_si512((float *)ctx + 16 * tid, a[0]);
}

#define AMX_ITERS 500000L
__attribute__((target("amx-tile,amx-bf16,amx-int8"))) static void peak_amx(void *ctx, size_t b, size_t e, int tid) {
  (void)b, (void)e;
  struct __attribute__((aligned(64))) { unsigned char pal, start, res[14]; unsigned short colsb[16]; unsigned char rows[16]; } cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.pal = 1;
  for (int t = 0; t < 8; t++) cfg.rows[t] = 16, cfg.colsb[t] = 64;
  char buf[1024] __attribute__((aligned(64)));
  memset(buf, 0, sizeof buf);
  _tile_loadconfig(&cfg);
  _tile_loadd(4, buf, 64);
  _tile_loadd(5, buf, 64);
  _tile_loadd(6, buf, 64);
  _tile_loadd(7, buf, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (long it = 0; it < AMX_ITERS; it++) { /* bf16: 16x16x32 MACs per op (int8 would be 2x) */
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, (char *)ctx + 1024 * (size_t)tid, 64);  /* one 16x64-byte tile per thread */
  _tile_release();
}


static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *sr_peak_describe(sr_peak_loop loop) {
  switch (loop) {
    case SR_PEAK_FMA256: return "bare FMA loop (ymm)";
    case SR_PEAK_I8_256: return "vpmaddubsw+vpmaddwd loop (int8 ops)";
    case SR_PEAK_FMA512: return "bare FMA loop (zmm)";
    case SR_PEAK_VNNI512: return "vpdpbusd loop";
    case SR_PEAK_AMX_BF16: return "AMX tile loop (bf16)";
    case SR_PEAK_AMX_I8: return "AMX tile loop (bf16 rate x2 for int8)";
  }
  return "unknown loop";
}

double sr_peak_gflops(sr_peak_loop loop, sr_threadpool *pool, int reps) {
  const sr_cpu_features *f = sr_cpu_get();
  sr_task_fn fn = NULL;
  double per_thread = 0;  /* ops per task */
  switch (loop) {
    case SR_PEAK_FMA256: if (f->avx2_fma) fn = peak_fma256, per_thread = 12.0 * 16 * ITERS; break;
    case SR_PEAK_I8_256: if (f->avx2_fma) fn = peak_i8_256, per_thread = 12.0 * 64 * ITERS; break;
    case SR_PEAK_FMA512: if (f->avx512) fn = peak_fma512, per_thread = 12.0 * 32 * ITERS; break;
    case SR_PEAK_VNNI512: if (f->avx512_vnni) fn = peak_vnni512, per_thread = 12.0 * 128 * ITERS; break;
    case SR_PEAK_AMX_BF16: if (f->amx) fn = peak_amx, per_thread = 4.0 * 16 * 16 * 32 * 2 * AMX_ITERS; break;
    case SR_PEAK_AMX_I8: if (f->amx) fn = peak_amx, per_thread = 2 * 4.0 * 16 * 16 * 32 * 2 * AMX_ITERS; break;
  }
  if (!fn) return 0;
  int nt = sr_threadpool_size(pool);
  float *sink = aligned_alloc(64, (size_t)nt * 1024);  /* 1 KiB per thread: a whole AMX tile */
  if (!sink) return 0;
  double best = 1e30;
  for (int r = 0; r < (reps > 0 ? reps : 1); r++) {
    double t = now();
    sr_parallel_for(pool, (size_t)nt, fn, sink);
    t = now() - t;
    if (t < best) best = t;
  }
  free(sink);
  return per_thread * nt / best * 1e-9;
}
