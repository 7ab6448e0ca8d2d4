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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernels/gemm.h"
#include "kernels/peak.h"
#include "kernels/threadpool.h"

#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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
    if (f->avx2_fma) printf("peak bare FMA loop avx2   : %8.1f GFLOPS\n", sr_peak_gflops(SR_PEAK_FMA256, pool, 3));
    if (f->avx512) printf("peak bare FMA loop avx512 : %8.1f GFLOPS\n", sr_peak_gflops(SR_PEAK_FMA512, pool, 3));
    if (f->amx) printf("peak bare tile loop amx   : %8.1f GFLOPS\n", sr_peak_gflops(SR_PEAK_AMX_BF16, pool, 3));
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
