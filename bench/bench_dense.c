/* bench_dense.c — dense top-K search timing and int8 recall on random unit vectors.
 * usage: bench_dense [N=80000] [DIM=1024] [K=50] [QUERIES=20]     (RESCORE=R: int8 candidates rescored)
 * Rows are xorshift-generated and L2-normalised; f32 rows are kept only when N*DIM*4 <= 2 GB (else the
 * exact reference regenerates rows on the fly, slowly, for 3 queries); the f16 rows (the f16 search and
 * the int8 refine rows of an index's VECR section) when N*DIM*2 <= 2.2 GB. Two query kinds: "near" (a
 * data row plus noise of equal norm: a realistic retrieval query) and "random" (no structure: the
 * hardest case, top-50 scores differ by ~1e-3). int8 is measured twice: rescoring against the
 * dequantised int8 rows (an index without VECR) and against the f16 refine rows (the default for
 * --vec-dtype int8). Single thread.
 * Build: cc -O2 -march=x86-64-v2 -Isrc bench/bench_dense.c build/libskillrouter.a -lm -pthread */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route/dense.h"

static uint64_t rs;
static float rnd(void) {  /* approx. normal: sum of 4 uniforms, centred */
  float s = 0;
  for (int i = 0; i < 4; i++) {
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    s += (float)(rs >> 40) / (float)(1 << 24);
  }
  return s - 2.0f;
}
static void row(size_t i, size_t d, float *x) {
  rs = 0x9E3779B97F4A7C15ull * (i + 1);
  double n = 0;
  for (size_t k = 0; k < d; k++) { x[k] = rnd(); n += x[k] * x[k]; }
  float inv = (float)(1 / sqrt(n));
  for (size_t k = 0; k < d; k++) x[k] *= inv;
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
/* this thread's CPU time: excludes time spent descheduled on a shared machine (memory contention stays in) */
static double cpu_now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  size_t N = argc > 1 ? strtoull(argv[1], 0, 10) : 80000, D = argc > 2 ? strtoull(argv[2], 0, 10) : 1024;
  size_t K = argc > 3 ? strtoull(argv[3], 0, 10) : 50, Q = argc > 4 ? strtoull(argv[4], 0, 10) : 20;
  int keep_f32 = (double)N * D * 4 <= 2e9;
  if (!keep_f32 && Q > 3) Q = 3;
  float *f = keep_f32 ? malloc(N * D * 4) : NULL, *x = malloc(D * 4), *q = malloc(D * 4);
  int8_t *i8 = malloc(N * D);
  int keep_f16 = (double)N * D * 2 <= 2.2e9;
  uint16_t *h = keep_f16 ? malloc(N * D * 2) : NULL;
  float *sc = malloc(N * 4);
  for (size_t i = 0; i < N; i++) {
    row(i, D, x);
    sc[i] = sr_quantize_i8(x, D, i8 + i * D);
    if (keep_f32) memcpy(f + i * D, x, D * 4);
    if (keep_f16)
      for (size_t k = 0; k < D; k++) h[i * D + k] = sr_f32_to_f16(x[k]);
  }
  sr_vec_info info = {.dim = (uint32_t)D, .dtype = SR_VEC_I8};
  sr_vec_view v8 = {&info, N, D, SR_VEC_I8, i8, sc, NULL, NULL}, v8r = {&info, N, D, SR_VEC_I8, i8, sc, NULL, h}, vf = {&info, N, D, SR_VEC_F32, f, NULL, NULL, NULL},
              vh = {&info, N, D, SR_VEC_F16, h, NULL, NULL, NULL};
  sr_result *res = malloc(K * sizeof *res), *ex = malloc(K * sizeof *ex);
  sr_result *rr = malloc(K * sizeof *rr);
  double *c8r = malloc(Q * sizeof *c8r), *t8r = malloc(Q * sizeof *t8r), *t8 = malloc(Q * sizeof *t8), *tf = malloc(Q * sizeof *tf), *th = malloc(Q * sizeof *th), *ts = malloc(Q * sizeof *ts);
  printf("dense search: N=%zu dim=%zu K=%zu, %zu queries per kind, one thread\n", N, D, K, Q);
  for (int kind = 0; kind < 2; kind++) {
    double recall = 0, recall_r = 0;
    size_t n;
    size_t rescore = getenv("RESCORE") ? strtoull(getenv("RESCORE"), 0, 10) : 0;
    for (size_t qi = 0; qi < Q; qi++) {
      row(N + 1000 + qi, D, q);
      if (kind == 0) {  /* near: row j + same-norm noise */
        row((qi * 7919) % N, D, x);
        double nn = 0;
        for (size_t k = 0; k < D; k++) { q[k] += x[k]; nn += q[k] * q[k]; }
        for (size_t k = 0; k < D; k++) q[k] /= (float)sqrt(nn);
      }
      double t0 = now();
      sr_dense_search(&v8, q, &(sr_dense_opts){.k = K, .rescore = rescore}, res, &n, NULL);
      t8[qi] = (now() - t0) * 1e3;
      if (keep_f16) {
        double c0 = cpu_now();
        t0 = now();
        sr_dense_search(&v8r, q, &(sr_dense_opts){.k = K, .rescore = rescore}, rr, &n, NULL);
        t8r[qi] = (now() - t0) * 1e3;
        c8r[qi] = (cpu_now() - c0) * 1e3;
      } else t8r[qi] = c8r[qi] = NAN;
      t0 = now();
      sr_dense_search(&v8, q, &(sr_dense_opts){.k = K, .force_scalar = 1}, ex, &n, NULL);
      ts[qi] = (now() - t0) * 1e3;
      if (keep_f32 && keep_f16) {
        t0 = now();
        sr_dense_search(&vh, q, &(sr_dense_opts){.k = K}, ex, &n, NULL);
        th[qi] = (now() - t0) * 1e3;
        t0 = now();
        sr_dense_search(&vf, q, &(sr_dense_opts){.k = K}, ex, &n, NULL);
        tf[qi] = (now() - t0) * 1e3;
      } else {  /* exact f32 by regenerating the rows */
        size_t m = 0;
        for (size_t i = 0; i < N; i++) {
          row(i, D, x);
          float s = 0;
          for (size_t k = 0; k < D; k++) s += x[k] * q[k];
          size_t p = m < K ? m++ : K;
          if (p == K && s <= ex[K - 1].score) continue;
          if (p == K) p = K - 1;
          while (p > 0 && ex[p - 1].score < s) { ex[p] = ex[p - 1]; p--; }
          ex[p] = (sr_result){(uint32_t)i, s};
        }
        tf[qi] = th[qi] = NAN;
      }
      size_t hit = 0, hit_r = 0;
      for (size_t a = 0; a < K; a++)
        for (size_t b = 0; b < K; b++) hit += res[a].id == ex[b].id, hit_r += rr[a].id == ex[b].id;
      recall += (double)hit / K;
      recall_r += (double)hit_r / K;
    }
    qsort(t8, Q, sizeof *t8, cmpd); qsort(ts, Q, sizeof *ts, cmpd); qsort(t8r, Q, sizeof *t8r, cmpd); qsort(c8r, Q, sizeof *c8r, cmpd);
    qsort(tf, Q, sizeof *tf, cmpd); qsort(th, Q, sizeof *th, cmpd);
    const char *kn = kind ? "random" : "near";
    printf("%-6s queries: int8+f16 refine AVX2 p50 %.2f ms max %.2f (thread CPU time p50 %.2f ms), recall@%zu vs exact f32"
           " = %.4f\n", kn, t8r[Q / 2], t8r[Q - 1], c8r[Q / 2], K, keep_f16 ? recall_r / Q : NAN);
    printf("%-6s queries: int8 (no refine) AVX2 p50 %.2f ms max %.2f, recall@%zu = %.4f | int8 scalar p50 %.2f |"
           " f16 AVX2 p50 %.2f | f32 AVX2 p50 %.2f ms\n",
           kn, t8[Q / 2], t8[Q - 1], K, recall / Q, ts[Q / 2], th[Q / 2], tf[Q / 2]);
  }
  return 0;
}
