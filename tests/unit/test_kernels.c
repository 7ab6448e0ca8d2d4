/* test_kernels.c — thread pool and GEMM paths vs an independent double-precision reference.
 * Every (precision, ISA) path the CPU supports is compared with the reference computed from the
 * same effective inputs (bf16-rounded for BF16, quantised for I8); the max abs/rel errors are
 * printed per path. rel = |y - ref| / sum_k |x_k w_k| (so cancellation does not inflate it). */
#include <stdatomic.h>
#include <stdint.h>

#include "kernels/attention.h"
#include "kernels/gemm.h"
#include "kernels/threadpool.h"
#include "test.h"

static int test_skipped_;

/* ---- thread pool ---- */

struct sum_ctx {
  atomic_long sum;
  atomic_int calls;
  int max_tid;
};

static void sum_task(void *vctx, size_t b, size_t e, int tid) {
  struct sum_ctx *c = vctx;
  long s = 0;
  for (size_t i = b; i < e; i++) s += (long)i;
  atomic_fetch_add(&c->sum, s);
  atomic_fetch_add(&c->calls, 1);
  if (tid > c->max_tid) c->max_tid = tid; /* racy max is fine: only checked for bounds */
}

static void test_threadpool(void) {
  sr_error err;
  for (int nt = 1; nt <= 3; nt++) {
    sr_threadpool *pool = NULL;
    CHECK_OK(sr_threadpool_create(&pool, nt, &err), &err);
    if (!pool) return;
    CHECK_INT(sr_threadpool_size(pool), nt);
    size_t ns[] = {0, 1, 2, 3, 7, 1000};
    for (size_t t = 0; t < sizeof ns / sizeof *ns; t++) {
      for (int rep = 0; rep < 200; rep++) {
        struct sum_ctx c = {.max_tid = 0};
        atomic_init(&c.sum, 0);
        atomic_init(&c.calls, 0);
        sr_parallel_for(pool, ns[t], sum_task, &c);
        long n = (long)ns[t];
        CHECK_MSG(atomic_load(&c.sum) == n * (n - 1) / 2, "nt %d n %ld sum %ld", nt, n, atomic_load(&c.sum));
        CHECK(atomic_load(&c.calls) <= nt && c.max_tid < nt);
      }
    }
    sr_threadpool_free(pool);
  }
  CHECK_INT(sr_threadpool_size(NULL), 1);
  struct sum_ctx c = {.max_tid = 0};
  atomic_init(&c.sum, 0);
  atomic_init(&c.calls, 0);
  sr_parallel_for(NULL, 10, sum_task, &c);
  CHECK_INT(atomic_load(&c.sum), 45);
  sr_threadpool_free(NULL);
}

/* ---- conversions (the test has its own decoders) ---- */

static float t_bf16(uint16_t h) { uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }
static float t_f16(uint16_t h) { /* normal numbers and zero only (the test generates no others) */
  int e = (h >> 10) & 31, m = h & 1023;
  float v = e ? ldexpf(1.0f + (float)m / 1024.0f, e - 15) : 0.0f;
  return (h & 0x8000) ? -v : v;
}
static float t_bf16_round(float f) { /* round to nearest even via double arithmetic on the mantissa */
  if (f == 0.0f || !isfinite(f)) return f;
  int e;
  double m = frexp((double)f, &e);      /* f = m * 2^e, 0.5 <= |m| < 1 */
  double r = nearbyint(ldexp(m, 8));    /* 8 significant bits */
  return (float)ldexp(r, e - 8);
}

static void test_convert(void) {
  CHECK(sr_bf16_to_f32(0x3f80) == 1.0f);
  CHECK_INT(sr_f32_to_bf16(1.0f), 0x3f80);
  CHECK_INT(sr_f32_to_bf16(1.00390625f), 0x3f80);   /* tie -> even */
  CHECK_INT(sr_f32_to_bf16(1.01171875f), 0x3f82);   /* tie -> even (up) */
  CHECK(isnan(sr_bf16_to_f32(sr_f32_to_bf16(NAN))));
  CHECK(sr_f16_to_f32(0x3c00) == 1.0f);
  CHECK(sr_f16_to_f32(0xc000) == -2.0f);
  CHECK(sr_f16_to_f32(0x0001) == ldexpf(1.0f, -24));
  CHECK(isinf(sr_f16_to_f32(0x7c00)));
  uint32_t seed = 1;
  for (int i = 0; i < 10000; i++) {
    seed = seed * 1664525u + 1013904223u;
    float f;
    uint32_t u = (seed & 0x3fffffffu) | 0x20000000u;
    memcpy(&f, &u, 4);
    CHECK(sr_bf16_to_f32(sr_f32_to_bf16(f)) == t_bf16_round(f));
    uint16_t h = (uint16_t)((seed >> 7) & 0x7bff);
    if ((h >> 10) != 0) CHECK(sr_f16_to_f32(h) == t_f16(h));
  }
}

/* ---- GEMM ---- */

static uint32_t rng = 12345;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static float frand(void) { return (float)((int)(rnd() % 20001) - 10000) / 10000.0f; }

typedef struct wsrc {
  sr_wtype wt;
  void *data;
  float *eff; /* the weight values as f32 (exactly what the source means) */
} wsrc;

static wsrc make_w(sr_wtype wt, size_t n, size_t k) {
  wsrc s = {.wt = wt, .eff = malloc(n * k * sizeof(float))};
  if (wt == SR_WT_F32) {
    float *d = malloc(n * k * 4);
    for (size_t i = 0; i < n * k; i++) d[i] = s.eff[i] = frand();
    s.data = d;
  } else if (wt == SR_WT_BF16 || wt == SR_WT_F16) {
    uint16_t *d = malloc(n * k * 2);
    for (size_t i = 0; i < n * k; i++) {
      uint32_t r = rnd();
      d[i] = wt == SR_WT_BF16 ? (uint16_t)(((r & 0x8000) | (0x3c00 + (r >> 20) % 0x300)) | (r & 0x7f))
                              : (uint16_t)((r & 0x8000) | ((10 + (r >> 20) % 6) << 10) | (r & 0x3ff));
      s.eff[i] = wt == SR_WT_BF16 ? t_bf16(d[i]) : t_f16(d[i]);
    }
    s.data = d;
  } else {
    uint8_t *d = malloc(n * (k / 32) * 34);
    for (size_t r = 0; r < n; r++)
      for (size_t b = 0; b < k / 32; b++) {
        uint8_t *blk = d + (r * (k / 32) + b) * 34;
        uint16_t h = (uint16_t)(((7 + rnd() % 3) << 10) | (rnd() & 0x3ff)); /* ~2^-8 .. 2^-6 */
        blk[0] = (uint8_t)h, blk[1] = (uint8_t)(h >> 8);
        for (int i = 0; i < 32; i++) {
          int8_t q = (int8_t)((int)(rnd() % 255) - 127);
          blk[2 + i] = (uint8_t)q;
          s.eff[r * k + b * 32 + (size_t)i] = t_f16(h) * (float)q;
        }
      }
    s.data = d;
  }
  return s;
}

/* Effective weights for a precision: BF16 rounds; I8 (from non-Q8_0) quantises per 32-block. */
static void eff_weights(const wsrc *s, sr_prec prec, size_t n, size_t k, float *out) {
  for (size_t r = 0; r < n; r++) {
    const float *w = s->eff + r * k;
    if (prec == SR_PREC_F32 || (prec == SR_PREC_I8 && s->wt == SR_WT_Q8_0)) {
      memcpy(out + r * k, w, k * 4);
    } else if (prec == SR_PREC_BF16) {
      for (size_t c = 0; c < k; c++) out[r * k + c] = t_bf16_round(w[c]);
    } else {
      for (size_t b0 = 0; b0 < k; b0 += 32) {
        float amax = 0;
        for (size_t c = b0; c < b0 + 32 && c < k; c++) amax = fmaxf(amax, fabsf(w[c]));
        float d = amax / 127.0f, inv = d > 0 ? 1.0f / d : 0.0f;
        for (size_t c = b0; c < b0 + 32 && c < k; c++) out[r * k + c] = d * nearbyintf(w[c] * inv);
      }
    }
  }
}

static void eff_x(const float *x, sr_prec prec, size_t m, size_t k, size_t ldx, float *out) {
  for (size_t i = 0; i < m; i++) {
    const float *xr = x + i * ldx;
    float amax = 0;
    for (size_t c = 0; c < k; c++) amax = fmaxf(amax, fabsf(xr[c]));
    float d = amax / 127.0f, inv = d > 0 ? 1.0f / d : 0.0f;
    for (size_t c = 0; c < k; c++)
      out[i * k + c] = prec == SR_PREC_F32 ? xr[c] : prec == SR_PREC_BF16 ? t_bf16_round(xr[c])
                                                                          : nearbyintf(xr[c] * inv) * d;
  }
}

typedef struct stats { double abs, rel; } stats;

/* Runs one path on one shape; compares with ref/absref; returns false when the path is unsupported. */
static bool run_case(const wsrc *s, sr_prec prec, sr_isa isa, size_t m, size_t n, size_t k, const float *x,
                     size_t ldx, const double *ref, const double *absref, const float *y0, bool acc,
                     sr_threadpool *pool, double tol, stats *st) {
  sr_error err;
  sr_pw *w = NULL;
  sr_status rc = sr_pw_pack(&w, s->data, s->wt, n, k, prec, isa, &err);
  if (rc == SR_ERR_UNSUPPORTED) return false;
  CHECK_OK(rc, &err);
  if (!w) return true;
  size_t ldy = n + 5;
  float *y = malloc(m * ldy * 4);
  for (size_t i = 0; i < m * ldy; i++) y[i] = -777.0f;
  for (size_t i = 0; i < m; i++) memcpy(y + i * ldy, y0 + i * n, n * 4);
  CHECK_OK(sr_gemm(w, m, x, ldx, y, ldy, acc, pool, &err), &err);
  for (size_t i = 0; i < m; i++) {
    for (size_t c = 0; c < n; c++) {
      double want = ref[i * n + c] + (acc ? y0[i * n + c] : 0.0);
      double d = fabs(y[i * ldy + c] - want), r = d / (absref[i * n + c] + 1e-30);
      if (d > st->abs) st->abs = d;
      if (r > st->rel) st->rel = r;
      CHECK_MSG(r <= tol || d < 1e-6, "%s m%zu n%zu k%zu (%zu,%zu): %g vs %g", sr_pw_path(w), m, n, k, i, c,
                (double)y[i * ldy + c], want);
      if (r > tol && d >= 1e-6) goto out;
    }
    for (size_t c = n; c < ldy; c++) CHECK(y[i * ldy + c] == -777.0f);
  }
out:
  free(y);
  sr_pw_free(w);
  return true;
}

static void test_gemm_paths(void) {
  sr_error err;
  sr_threadpool *pool = NULL;
  CHECK_OK(sr_threadpool_create(&pool, 2, &err), &err);
  static const size_t shapes[][3] = {{1, 1, 32}, {1, 1, 1},   {7, 13, 33},  {3, 50, 96},   {13, 40, 100},
                                     {33, 70, 64}, {1, 300, 160}, {29, 33, 512}, {64, 3072, 1024}};
  static const sr_wtype wts[] = {SR_WT_F32, SR_WT_BF16, SR_WT_F16, SR_WT_Q8_0};
  static const char *prec_names[] = {"f32", "bf16", "i8"};
  stats st[3][4];
  double qerr[3] = {0};
  bool skip[3][4] = {{0}};
  memset(st, 0, sizeof st);
  for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
    size_t m = shapes[si][0], n = shapes[si][1], k = shapes[si][2], ldx = k + 3;
    bool big = m * n * k > 1000000;
    float *x = malloc(m * ldx * 4), *xe = malloc(m * k * 4), *we = malloc(n * k * 4), *y0 = malloc(m * n * 4);
    double *ref = malloc(m * n * 8), *absref = malloc(m * n * 8), *ref32 = malloc(m * n * 8);
    for (size_t i = 0; i < m * ldx; i++) x[i] = frand();
    for (size_t i = 0; i < m * n; i++) y0[i] = frand();
    for (size_t wi = 0; wi < 4; wi++) {
      if (wts[wi] == SR_WT_Q8_0 && k % 32) continue;
      if (big && wi != 0 && wi != 3) continue;
      wsrc s = make_w(wts[wi], n, k);
      for (int prec = 0; prec < 3; prec++) {
        eff_weights(&s, (sr_prec)prec, n, k, we);
        eff_x(x, (sr_prec)prec, m, k, ldx, xe);
        for (size_t i = 0; i < m; i++)
          for (size_t c = 0; c < n; c++) {
            double a = 0, b = 0, t = 0;
            for (size_t kk = 0; kk < k; kk++) {
              a += (double)xe[i * k + kk] * we[c * k + kk];
              b += fabs((double)xe[i * k + kk] * we[c * k + kk]);
              t += (double)x[i * ldx + kk] * s.eff[c * k + kk];
            }
            ref[i * n + c] = a, absref[i * n + c] = b, ref32[i * n + c] = t;
            double q = fabs(a - t) / (b + 1e-30);
            if (q > qerr[prec]) qerr[prec] = q;
          }
        for (int isa = SR_ISA_SCALAR; isa <= SR_ISA_AMX; isa++) {
          if (big && isa == SR_ISA_SCALAR && prec != SR_PREC_F32) continue; /* keep ASan runtime low */
          double tol = 3e-6 * sqrt((double)k) + 1e-6;
          bool acc = (si + wi) % 2 == 1;
          for (int with_pool = 0; with_pool < 2; with_pool++)
            if (!run_case(&s, (sr_prec)prec, (sr_isa)isa, m, n, k, x, ldx, ref, absref, y0, acc,
                          with_pool ? pool : NULL, tol, &st[prec][isa]))
              skip[prec][isa] = true;
        }
      }
      free(s.data);
      free(s.eff);
    }
    free(x), free(xe), free(we), free(y0), free(ref), free(absref), free(ref32);
  }
  for (int prec = 0; prec < 3; prec++)
    for (int isa = 0; isa < 4; isa++) {
      if (skip[prec][isa]) {
        printf("SKIP gemm %s/%s: not supported by this CPU\n", prec_names[prec], sr_isa_name((sr_isa)isa));
        test_skipped_++;
      } else {
        printf("gemm %-4s %-6s max abs diff %.3g, max rel diff %.3g (vs reference on the same rounded inputs)\n",
               prec_names[prec], sr_isa_name((sr_isa)isa), st[prec][isa].abs, st[prec][isa].rel);
      }
    }
  printf("quantisation error vs exact f32 inputs (max rel): bf16 %.3g, i8 %.3g\n", qerr[1], qerr[2]);
  CHECK(qerr[0] < 1e-12);
  CHECK(qerr[1] < 2e-2);
  CHECK(qerr[2] < 5e-2);
  sr_threadpool_free(pool);
}

static void test_gemm_errors(void) {
  sr_error err;
  sr_pw *w = NULL;
  float f[64] = {0};
  CHECK_INT(sr_pw_pack(&w, f, SR_WT_Q8_0, 1, 33, SR_PREC_F32, SR_ISA_SCALAR, &err), SR_ERR_ARG);
  CHECK_INT(sr_pw_pack(&w, f, SR_WT_F32, 0, 4, SR_PREC_F32, SR_ISA_SCALAR, &err), SR_ERR_ARG);
  CHECK(w == NULL);
  if (!sr_isa_supported(SR_ISA_AMX))
    CHECK_INT(sr_pw_pack(&w, f, SR_WT_F32, 4, 4, SR_PREC_BF16, SR_ISA_AMX, &err), SR_ERR_UNSUPPORTED);
  CHECK_OK(sr_pw_pack(&w, f, SR_WT_F32, 4, 4, SR_PREC_F32, SR_ISA_AUTO, &err), &err);
  float y[4];
  CHECK_INT(sr_gemm(w, 1, f, 3, y, 4, false, NULL, &err), SR_ERR_ARG);
  CHECK_OK(sr_gemm(w, 0, NULL, 0, NULL, 0, false, NULL, &err), &err);
  printf("auto path: %s (best ISA %s)\n", sr_pw_path(w), sr_isa_name(sr_cpu_get()->best));
  sr_pw_free(w);
}


/* Every attention path the CPU has (scalar = the portable kernel, avx2 = the tiled SIMD kernel) against
 * the double reference and the tiled path against the scalar one, on fixed edge shapes plus random ones
 * (head_dim 64/128 and odd ones, odd t, t < tk, GQA ratios 1..8), with and without a pool. The outputs
 * are weighted averages of v in [-1, 1]: tolerance 1e-5 absolute (f32 rounding is ~1e-7). */
static void test_attention(void) {
  sr_error err;
  sr_threadpool *pool = NULL;
  CHECK_OK(sr_threadpool_create(&pool, 3, &err), &err);
  enum { NFIX = 9, NRAND = 14 };
  static const size_t fixed[NFIX][5] = {{1, 1, 1, 1, 1},      {5, 5, 4, 2, 8},     {1, 70, 16, 8, 128},
                                        {100, 100, 4, 2, 64}, {3, 130, 2, 1, 16},  {130, 130, 2, 2, 32},
                                        {65, 65, 16, 8, 128}, {1, 129, 8, 1, 64},  {7, 200, 6, 3, 24}};
  static const size_t ds[] = {64, 128, 64, 128, 1, 3, 17, 40, 96};
  static const size_t ratios[] = {1, 2, 3, 4, 8};
  double maxd[2] = {0, 0}, maxs = 0;
  bool have_avx2 = sr_isa_supported(SR_ISA_AVX2);
  if (!have_avx2) {
    printf("SKIP attention avx2-tiled: not supported by this CPU\n");
    test_skipped_++;
  }
  for (size_t ci = 0; ci < NFIX + NRAND; ci++) {
    sr_attn_shape s;
    if (ci < NFIX) {
      s = (sr_attn_shape){fixed[ci][0], fixed[ci][1], fixed[ci][2], fixed[ci][3], fixed[ci][4], 0};
    } else {
      size_t hkv = 1 + rnd() % 3, ratio = ratios[rnd() % 5];
      s.d = ds[rnd() % (sizeof ds / sizeof *ds)];
      s.t = 1 + rnd() % 150;
      s.tk = s.t + (rnd() % 2 ? 0 : rnd() % 140);
      s.hkv = hkv, s.hq = hkv * ratio;
    }
    s.scale = 1.0f / sqrtf((float)s.d);
    size_t nq = s.t * s.hq * s.d, nk = s.tk * s.hkv * s.d;
    float *q = malloc(nq * 4), *k = malloc(nk * 4), *v = malloc(nk * 4), *o1 = malloc(nq * 4), *o2 = malloc(nq * 4),
          *os = malloc(nq * 4);
    for (size_t i = 0; i < nq; i++) q[i] = 3.0f * frand();
    for (size_t i = 0; i < nk; i++) k[i] = 3.0f * frand(), v[i] = frand();
    CHECK_OK(sr_attention_ref(&s, q, k, v, o1, &err), &err);
    CHECK_OK(sr_attention_isa(&s, q, k, v, os, NULL, SR_ISA_SCALAR, &err), &err);
    for (int path = 0; path < (have_avx2 ? 2 : 1); path++)
      for (int wp = 0; wp < 2; wp++) {
        for (size_t i = 0; i < nq; i++) o2[i] = NAN;
        CHECK_OK(sr_attention_isa(&s, q, k, v, o2, wp ? pool : NULL, path ? SR_ISA_AVX2 : SR_ISA_SCALAR, &err), &err);
        double md = 0, mds = 0;
        for (size_t i = 0; i < nq; i++) {
          double dd = fabs((double)o1[i] - o2[i]), ds2 = fabs((double)os[i] - o2[i]);
          if (!(dd <= md)) md = isnan(dd) ? INFINITY : dd;
          if (!(ds2 <= mds)) mds = isnan(ds2) ? INFINITY : ds2;
        }
        CHECK_MSG(md < 1e-5, "%s t %zu tk %zu hq %zu hkv %zu d %zu pool %d: diff %.3g", path ? "avx2" : "scalar", s.t, s.tk,
                  s.hq, s.hkv, s.d, wp, md);
        if (md > maxd[path]) maxd[path] = md;
        if (path && mds > maxs) maxs = mds;
      }
    free(q), free(k), free(v), free(o1), free(o2), free(os);
  }
  printf("attention: max abs diff vs double reference: scalar %.3g, avx2-tiled %.3g; avx2-tiled vs scalar %.3g "
         "(%d shapes, tol 1e-5)\n", maxd[0], maxd[1], maxs, NFIX + NRAND);
  /* the check can fail: a wrong causal limit (one key too many) is far outside the tolerance */
  {
    sr_attn_shape s = {4, 4, 2, 1, 8, 0.35f};
    float q[64], k[32], v[32], o1[64], o2[64], k2[32], v2[32];
    for (int i = 0; i < 64; i++) q[i] = frand();
    for (int i = 0; i < 32; i++) k[i] = k2[i] = frand(), v[i] = v2[i] = frand();
    CHECK_OK(sr_attention_ref(&s, q, k, v, o1, &err), &err);
    v2[31] += 1.0f; /* the last key's value: only the last query may see it */
    CHECK_OK(sr_attention(&s, q, k2, v2, o2, NULL, &err), &err);
    double early = 0, lastrow = 0;
    for (int i = 0; i < 48; i++) early = fmax(early, fabs(o1[i] - o2[i]));
    for (int i = 48; i < 64; i++) lastrow = fmax(lastrow, fabs(o1[i] - o2[i]));
    CHECK(early < 1e-6);
    CHECK(lastrow > 1e-3);
  }
  sr_attn_shape bad = {2, 1, 2, 2, 4, 1.0f};
  float z[16] = {0};
  CHECK_INT(sr_attention(&bad, z, z, z, z, NULL, &err), SR_ERR_ARG);
  bad = (sr_attn_shape){1, 1, 3, 2, 4, 1.0f};
  CHECK_INT(sr_attention_isa(&bad, z, z, z, z, NULL, SR_ISA_AVX2, &err), SR_ERR_ARG);
  if (!sr_isa_supported(SR_ISA_AVX512)) {
    sr_attn_shape ok = {1, 1, 1, 1, 4, 1.0f};
    CHECK_INT(sr_attention_isa(&ok, z, z, z, z, NULL, SR_ISA_AVX512, &err), SR_ERR_UNSUPPORTED);
  }
  sr_threadpool_free(pool);
}

/* The SIMD exp against double exp over a dense sweep of [-87.3, 88]: relative error bound 4e-7 (measured
 * ~2.4e-7, printed); below -87.34 and -inf give exactly 0; exp(0) is exactly 1. */
static void test_vexp(void) {
  sr_error err;
  for (int path = 0; path < 2; path++) {
    sr_isa isa = path ? SR_ISA_AVX2 : SR_ISA_SCALAR;
    if (!sr_isa_supported(isa)) {
      printf("SKIP vexp %s: not supported by this CPU\n", sr_isa_name(isa));
      test_skipped_++;
      continue;
    }
    enum { N = 200003 };
    float *x = malloc(N * 4), *y = malloc(N * 4);
    for (size_t i = 0; i < N; i++) x[i] = -87.3f + (float)i * (175.3f / (N - 1));
    CHECK_OK(sr_vexp(x, y, N, isa, &err), &err);
    double maxrel = 0;
    for (size_t i = 0; i < N; i++) {
      double r = fabs(y[i] - exp((double)x[i])) / exp((double)x[i]);
      if (!(r <= maxrel)) maxrel = isnan(r) ? INFINITY : r;
    }
    printf("vexp %s: max relative error %.3g over [-87.3, 88] (bound 4e-7)\n", sr_isa_name(isa), maxrel);
    CHECK(maxrel < 4e-7);
    float sx[5] = {-INFINITY, -90.0f, -1000.0f, 0.0f, -0.5f}, sy[5];
    CHECK_OK(sr_vexp(sx, sy, 5, isa, &err), &err); /* n = 5: the tail path */
    if (path) {
      CHECK(sy[0] == 0.0f && sy[1] == 0.0f && sy[2] == 0.0f);
    }
    CHECK(sy[3] == 1.0f);
    CHECK_NEAR(sy[4], exp(-0.5), 4e-7);
    free(x), free(y);
  }
}

int main(void) {
  RUN(test_threadpool);
  RUN(test_convert);
  RUN(test_gemm_errors);
  RUN(test_gemm_paths);
  RUN(test_attention);
  RUN(test_vexp);
  printf("%s: %d passed, %d failed, %d skipped\n", __FILE__, test_passed_, test_failed_, test_skipped_);
  return test_failed_ ? 1 : 0;
}
