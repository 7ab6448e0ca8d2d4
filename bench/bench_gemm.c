/* bench_gemm.c — GEMM throughput for the model's shapes (M = 512 tokens), per kernel path,
 * 1 and 2 threads, best of N repetitions; plus bare-loop peaks (AVX2 FMA, AVX-512 FMA, AMX bf16)
 * measured in the same run, and OpenBLAS sgemm side by side when built with -DHAVE_OPENBLAS.
 *
 * Not part of `make`. Build against the release library:
 *   make build/libskillrouter.a
 *   cc -O2 -march=native -std=c17 -D_GNU_SOURCE -Isrc bench/bench_gemm.c build/libskillrouter.a \
 *      -lm -pthread -o build/bench_gemm
 *   # with OpenBLAS (apt-get install libopenblas-dev):
 *   cc ... -DHAVE_OPENBLAS -I/usr/include/x86_64-linux-gnu/openblas-pthread ... \
 *      -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -o build/bench_gemm
 *   OPENBLAS_CORETYPE=SkylakeX build/bench_gemm [reps [M]]   # Debian's OpenBLAS misdetects SPR
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernels/gemm.h"
#include "kernels/threadpool.h"

#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- bare-loop peaks (per thread, run on every pool thread at once) ---- */

#define PEAK_ITERS 20000000L

__attribute__((target("avx2,fma"))) static void peak_avx2(void *ctx, size_t b, size_t e, int tid) {
  (void)b, (void)e, (void)tid;
  __m256 a[12], m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
  for (long it = 0; it < PEAK_ITERS; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
  __m256 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  _mm256_storeu_ps((float *)ctx + 16 * tid, s);
}

__attribute__((target("avx512f"))) static void peak_avx512(void *ctx, size_t b, size_t e, int tid) {
  (void)b, (void)e;
  __m512 a[12], m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
  for (long it = 0; it < PEAK_ITERS; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  __m512 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
  _mm512_storeu_ps((float *)ctx + 16 * tid, s);
}

#define AMX_ITERS 2000000L
__attribute__((target("amx-tile,amx-bf16"))) static void peak_amx(void *ctx, size_t b, size_t e, int tid) {
  (void)b, (void)e, (void)tid;
  struct __attribute__((aligned(64))) {
    unsigned char pal, start, res[14];
    unsigned short colsb[16];
    unsigned char rows[16];
  } cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.pal = 1;
  for (int t = 0; t < 8; t++) cfg.rows[t] = 16, cfg.colsb[t] = 64;
  static char buf[2048] __attribute__((aligned(64)));
  _tile_loadconfig(&cfg);
  _tile_loadd(4, buf, 64);
  _tile_loadd(5, buf, 64);
  _tile_loadd(6, buf, 64);
  _tile_loadd(7, buf, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (long it = 0; it < AMX_ITERS; it++) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, (char *)ctx + 1024 * (size_t)tid, 64);
  _tile_release();
}

static double run_peak(sr_threadpool *pool, sr_task_fn fn, double flops_per_thread, int reps) {
  static float sink[64 * 256] __attribute__((aligned(64)));
  double best = 1e30;
  int nt = sr_threadpool_size(pool);
  for (int r = 0; r < reps; r++) {
    double t = now();
    sr_parallel_for(pool, (size_t)nt, fn, sink);
    t = now() - t;
    if (t < best) best = t;
  }
  return flops_per_thread * nt / best * 1e-9;
}

/* ---- GEMM ---- */

static const struct { const char *name; size_t n, k; } shapes[] = {
    {"q 2048x1024", 2048, 1024}, {"k/v 1024x1024", 1024, 1024}, {"o 1024x2048", 1024, 2048},
    {"gate/up 3072x1024", 3072, 1024}, {"down 1024x3072", 1024, 3072}};
#define NSHAPES (sizeof shapes / sizeof *shapes)
static int M = 512; /* argv[2] overrides (e.g. 1 for decode) */

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  if (argc > 2 && atoi(argv[2]) > 0) M = atoi(argv[2]);
  if (reps < 1) reps = 1;
  const sr_cpu_features *f = sr_cpu_get();
  printf("CPU: avx2 %d avx512 %d avx512_bf16 %d avx512_vnni %d amx %d; best-of-%d, M=%d\n", f->avx2_fma,
         f->avx512, f->avx512_bf16, f->avx512_vnni, f->amx, reps, M);
  static const struct { sr_prec prec; sr_isa isa; } paths[] = {
      {SR_PREC_F32, SR_ISA_AVX2},  {SR_PREC_F32, SR_ISA_AVX512}, {SR_PREC_BF16, SR_ISA_AVX2},
      {SR_PREC_BF16, SR_ISA_AVX512}, {SR_PREC_BF16, SR_ISA_AMX}, {SR_PREC_I8, SR_ISA_AVX2},
      {SR_PREC_I8, SR_ISA_AVX512}, {SR_PREC_I8, SR_ISA_AMX}};
  size_t maxnk = 3072 * 1024;
  float *w = malloc(maxnk * 4), *x = malloc((size_t)M * 3072 * 4), *y = malloc((size_t)M * 3072 * 4);
  srand(1);
  for (size_t i = 0; i < maxnk; i++) w[i] = (float)rand() / RAND_MAX - 0.5f;
  for (size_t i = 0; i < (size_t)M * 3072; i++) x[i] = (float)rand() / RAND_MAX - 0.5f;
  for (int nt = 1; nt <= 2; nt++) {
    sr_threadpool *pool = NULL;
    sr_error err;
    if (sr_threadpool_create(&pool, nt, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    printf("\n== %d thread(s) ==\n", nt);
    if (f->avx2_fma) printf("peak bare FMA loop avx2   : %8.1f GFLOPS\n", run_peak(pool, peak_avx2, 12.0 * 8 * 2 * PEAK_ITERS, 3));
    if (f->avx512) printf("peak bare FMA loop avx512 : %8.1f GFLOPS\n", run_peak(pool, peak_avx512, 12.0 * 16 * 2 * PEAK_ITERS, 3));
    if (f->amx) printf("peak bare tile loop amx   : %8.1f GFLOPS\n", run_peak(pool, peak_amx, 4.0 * 16 * 16 * 32 * 2 * AMX_ITERS, 3));
    printf("%-20s", "GFLOPS");
    for (size_t s = 0; s < NSHAPES; s++) printf(" %18s", shapes[s].name);
    printf("\n");
    for (size_t pi = 0; pi < sizeof paths / sizeof *paths; pi++) {
      sr_pw *pw[NSHAPES] = {0};
      const char *pname = NULL;
      for (size_t s = 0; s < NSHAPES; s++)
        if (sr_pw_pack(&pw[s], w, SR_WT_F32, shapes[s].n, shapes[s].k, paths[pi].prec, paths[pi].isa, &err) == SR_OK)
          pname = sr_pw_path(pw[s]);
      if (!pname) continue;
      printf("%-20s", pname);
      for (size_t s = 0; s < NSHAPES; s++) {
        double best = 1e30;
        for (int r = 0; r <= reps; r++) {
          double t = now();
          sr_gemm(pw[s], M, x, shapes[s].k, y, shapes[s].n, false, pool, &err);
          t = now() - t;
          if (r > 0 && t < best) best = t; /* rep 0 is warm-up */
        }
        printf(" %18.1f", 2.0 * M * (double)shapes[s].n * shapes[s].k / best * 1e-9);
        sr_pw_free(pw[s]);
      }
      printf("\n");
      fflush(stdout);
    }
#ifdef HAVE_OPENBLAS
    openblas_set_num_threads(nt);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    char label[64];
    snprintf(label, sizeof label, "openblas(%s)", ct ? ct : "auto");
    printf("%-20s", label);
    for (size_t s = 0; s < NSHAPES; s++) {
      double best = 1e30;
      int n = (int)shapes[s].n, k = (int)shapes[s].k;
      for (int r = 0; r <= reps; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, n, k, 1.0f, x, k, w, k, 0.0f, y, n);
        t = now() - t;
        if (r > 0 && t < best) best = t;
      }
      printf(" %18.1f", 2.0 * M * n * k / best * 1e-9);
    }
    printf("\n");
#endif
    sr_threadpool_free(pool);
  }
  free(w), free(x), free(y);
  return 0;
}
