/* gemm.c — weight packing, activation preparation, dispatch, and the scalar reference paths.
 * The SIMD block kernels live in gemm_avx2.c, gemm_avx512.c and gemm_amx.c. */
#include "kernels/gemm_impl.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- conversions ---- */

float sr_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

uint16_t sr_f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

float sr_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, u;
  if (exp == 0x1f) u = sign | 0x7f800000u | (man << 13);
  else if (exp != 0) u = sign | ((exp + 112u) << 23) | (man << 13);
  else if (man == 0) u = sign;
  else { /* subnormal: normalise */
    int e = -1;
    do { man <<= 1; e++; } while (!(man & 0x400u));
    u = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static float bf16_round(float f) { return sr_bf16_to_f32(sr_f32_to_bf16(f)); }

/* ---- packing ---- */

static const char *const k_path_names[GP_COUNT] = {
    "scalar-f32", "avx2-f32", "avx512-f32", "scalar-bf16", "avx2-bf16", "avx512-bf16", "amx-bf16",
    "scalar-i8", "avx2-i8", "avx512-vnni-i8", "amx-i8"};

static size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

/* Element (row r, column c) of the source weight, widened to f32. */
static float src_at(const void *w, sr_wtype wt, size_t k, size_t r, size_t c) {
  switch (wt) {
    case SR_WT_F32: return ((const float *)w)[r * k + c];
    case SR_WT_BF16: return sr_bf16_to_f32(((const uint16_t *)w)[r * k + c]);
    case SR_WT_F16: return sr_f16_to_f32(((const uint16_t *)w)[r * k + c]);
    case SR_WT_Q8_0: {
      const uint8_t *blk = (const uint8_t *)w + (r * (k / 32) + c / 32) * 34;
      int8_t q = (int8_t)blk[2 + c % 32];
      return sr_f16_to_f32((uint16_t)(blk[0] | blk[1] << 8)) * (float)(q < -127 ? -127 : q);
    }
  }
  return 0.0f;
}

static void *alloc64(size_t bytes) {
  void *p = aligned_alloc(64, round_up(bytes ? bytes : 1, 64));
  if (p) memset(p, 0, round_up(bytes ? bytes : 1, 64));
  return p;
}

static gemm_path choose_path(sr_prec prec, sr_isa isa, const sr_cpu_features *f) {
  static const gemm_path table[3][4] = {
      {GP_SCALAR_F32, GP_AVX2_F32, GP_AVX512_F32, GP_AVX512_F32},
      {GP_SCALAR_BF16, GP_AVX2_BF16, GP_AVX512_BF16, GP_AMX_BF16},
      {GP_SCALAR_I8, GP_AVX2_I8, GP_VNNI_I8, GP_AMX_I8}};
  if (isa == SR_ISA_AVX512 && prec == SR_PREC_BF16 && !f->avx512_bf16) return GP_COUNT;
  if (isa == SR_ISA_AVX512 && prec == SR_PREC_I8 && !f->avx512_vnni) return GP_COUNT;
  return table[prec][isa];
}

static void pack_i8(sr_pw *p, const void *w, sr_wtype wt) {
  int8_t *q = p->w;
  size_t kb = p->kp / 32;
  for (size_t r = 0; r < p->n; r++) {
    size_t pan = r / 16, j = r % 16;
    for (size_t b = 0; b < kb; b++) {
      float d;
      int8_t vals[32];
      if (wt == SR_WT_Q8_0) {
        const uint8_t *blk = (const uint8_t *)w + (r * kb + b) * 34;
        d = sr_f16_to_f32((uint16_t)(blk[0] | blk[1] << 8));
        for (int i = 0; i < 32; i++) {
          int8_t v = (int8_t)blk[2 + i];
          vals[i] = v < -127 ? -127 : v;
        }
      } else {
        float amax = 0.0f, v[32];
        for (int i = 0; i < 32; i++) {
          size_t c = b * 32 + (size_t)i;
          v[i] = c < p->k ? src_at(w, wt, p->k, r, c) : 0.0f;
          if (fabsf(v[i]) > amax) amax = fabsf(v[i]);
        }
        d = amax / 127.0f;
        float inv = d > 0.0f ? 1.0f / d : 0.0f;
        for (int i = 0; i < 32; i++) vals[i] = (int8_t)nearbyintf(v[i] * inv);
      }
      int32_t sum = 0;
      for (int i = 0; i < 32; i++) {
        size_t c = b * 32 + (size_t)i;
        q[((pan * (p->kp / 4) + c / 4) * 16 + j) * 4 + c % 4] = vals[i];
        sum += vals[i];
      }
      p->scale[(pan * kb + b) * 16 + j] = d;
      p->corr[(pan * kb + b) * 16 + j] = 128 * sum;
    }
  }
}

sr_status sr_pw_pack(sr_pw **out, const void *w, sr_wtype wt, size_t n, size_t k, sr_prec prec,
                     sr_isa isa, sr_error *err) {
  assert(out);
  *out = NULL;
  if (!w || n == 0 || k == 0) return sr_fail(err, SR_ERR_ARG, "gemm pack: empty weight (%zux%zu)", n, k);
  if ((unsigned)wt > SR_WT_Q8_0 || (unsigned)prec > SR_PREC_I8 || isa < SR_ISA_AUTO || isa > SR_ISA_AMX)
    return sr_fail(err, SR_ERR_ARG, "gemm pack: bad dtype/precision/isa");
  if (wt == SR_WT_Q8_0 && k % 32)
    return sr_fail(err, SR_ERR_ARG, "gemm pack: Q8_0 weight needs K %% 32 == 0 (K = %zu)", k);
  const sr_cpu_features *f = sr_cpu_get();
  bool is_auto = isa == SR_ISA_AUTO;
  isa = sr_isa_resolve(isa);
  if (!sr_isa_supported(isa))
    return sr_fail(err, SR_ERR_UNSUPPORTED, "gemm pack: this CPU cannot run %s kernels", sr_isa_name(isa));
  gemm_path path = choose_path(prec, isa, f);
  /* AUTO on an AVX-512 CPU without AVX512_BF16 / AVX512_VNNI: fall back to the AVX2 kernels. */
  if (path == GP_COUNT && is_auto) path = choose_path(prec, SR_ISA_AVX2, f);
  if (path == GP_COUNT)
    return sr_fail(err, SR_ERR_UNSUPPORTED, "gemm pack: this CPU lacks AVX512_%s",
                   prec == SR_PREC_BF16 ? "BF16" : "VNNI");
  sr_pw *p = calloc(1, sizeof *p);
  if (!p) return sr_fail(err, SR_ERR_NOMEM, "gemm pack: out of memory");
  p->path = path;
  p->prec = prec;
  p->n = n;
  p->k = k;
  p->nr = (path == GP_AVX512_F32 || path == GP_AVX512_BF16 || path == GP_AMX_BF16) ? 32 : 16;
  p->np = round_up(n, p->nr);
  p->kp = (prec == SR_PREC_I8 || path == GP_AVX512_BF16 || path == GP_AMX_BF16) ? round_up(k, 32) : k;
  size_t elt = prec == SR_PREC_F32 ? 4 : prec == SR_PREC_BF16 ? 2 : 1;
  p->w = alloc64(p->np * p->kp * elt);
  if (prec == SR_PREC_I8) {
    p->scale = alloc64(p->np * (p->kp / 32) * sizeof(float));
    p->corr = alloc64(p->np * (p->kp / 32) * sizeof(int32_t));
  }
  if (!p->w || (prec == SR_PREC_I8 && (!p->scale || !p->corr))) {
    sr_pw_free(p);
    return sr_fail(err, SR_ERR_NOMEM, "gemm pack: out of memory (%zux%zu)", n, k);
  }
  size_t nr = p->nr, kp = p->kp;
  if (prec == SR_PREC_F32) {
    float *d = p->w;
    for (size_t r = 0; r < n; r++)
      for (size_t c = 0; c < k; c++) d[((r / nr) * k + c) * nr + r % nr] = src_at(w, wt, k, r, c);
  } else if (prec == SR_PREC_BF16 && nr == 16) {
    uint16_t *d = p->w;
    for (size_t r = 0; r < n; r++)
      for (size_t c = 0; c < k; c++)
        d[((r / 16) * k + c) * 16 + r % 16] = sr_f32_to_bf16(src_at(w, wt, k, r, c));
  } else if (prec == SR_PREC_BF16) {
    uint16_t *d = p->w;
    for (size_t r = 0; r < n; r++)
      for (size_t c = 0; c < k; c++)
        d[(((r / 32) * (kp / 2) + c / 2) * 32 + r % 32) * 2 + c % 2] = sr_f32_to_bf16(src_at(w, wt, k, r, c));
  } else {
    pack_i8(p, w, wt);
  }
  *out = p;
  return SR_OK;
}

void sr_pw_free(sr_pw *w) {
  if (!w) return;
  free(w->w);
  free(w->scale);
  free(w->corr);
  free(w);
}

size_t sr_pw_n(const sr_pw *w) { return w->n; }
size_t sr_pw_k(const sr_pw *w) { return w->k; }
const char *sr_pw_path(const sr_pw *w) { return k_path_names[w->path]; }

/* ---- scalar reference paths (double accumulation) ---- */

static void block_scalar_f32(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  const float *w = p->w;
  for (size_t i = m0; i < m1; i++)
    for (size_t c = n0; c < n1; c++) {
      const float *wp = w + (c / p->nr) * p->k * p->nr + c % p->nr;
      double s = 0;
      for (size_t kk = 0; kk < p->k; kk++) s += (double)j->x[i * j->ldx + kk] * wp[kk * p->nr];
      float *yy = &j->y[i * j->ldy + c];
      *yy = (j->acc ? *yy : 0.0f) + (float)s;
    }
}

static void block_scalar_bf16(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  const uint16_t *w = p->w;
  for (size_t i = m0; i < m1; i++)
    for (size_t c = n0; c < n1; c++) {
      const uint16_t *wp = w + (c / 16) * p->k * 16 + c % 16;
      double s = 0;
      for (size_t kk = 0; kk < p->k; kk++) s += (double)j->x[i * j->ldx + kk] * sr_bf16_to_f32(wp[kk * 16]);
      float *yy = &j->y[i * j->ldy + c];
      *yy = (j->acc ? *yy : 0.0f) + (float)s;
    }
}

static void block_scalar_i8(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  const int8_t *w = p->w;
  size_t kb = p->kp / 32;
  for (size_t i = m0; i < m1; i++)
    for (size_t c = n0; c < n1; c++) {
      size_t pan = c / 16, jj = c % 16;
      double s = 0;
      for (size_t b = 0; b < kb; b++) {
        int32_t isum = 0;
        for (size_t kk = b * 32; kk < b * 32 + 32; kk++)
          isum += j->xq[i * j->ldxa + kk] * w[((pan * (p->kp / 4) + kk / 4) * 16 + jj) * 4 + kk % 4];
        s += (double)isum * p->scale[(pan * kb + b) * 16 + jj];
      }
      float *yy = &j->y[i * j->ldy + c];
      *yy = (j->acc ? *yy : 0.0f) + (float)(s * j->xs[i]);
    }
}

/* ---- driver ---- */

struct path_info {
  gemm_block_fn fn;
  size_t mb, nb; /* rows and columns per work item */
};

static struct path_info path_info(gemm_path gp) {
  switch (gp) {
    case GP_SCALAR_F32: return (struct path_info){block_scalar_f32, 16, 64};
    case GP_AVX2_F32: return (struct path_info){sr_gemm_block_avx2_f32, 48, 128};
    case GP_AVX512_F32: return (struct path_info){sr_gemm_block_avx512_f32, 96, 128};
    case GP_SCALAR_BF16: return (struct path_info){block_scalar_bf16, 16, 64};
    case GP_AVX2_BF16: return (struct path_info){sr_gemm_block_avx2_bf16, 48, 128};
    case GP_AVX512_BF16: return (struct path_info){sr_gemm_block_avx512_bf16, 96, 128};
    case GP_AMX_BF16: return (struct path_info){sr_gemm_block_amx_bf16, 64, 256};
    case GP_SCALAR_I8: return (struct path_info){block_scalar_i8, 16, 64};
    case GP_AVX2_I8: return (struct path_info){sr_gemm_block_avx2_i8, 32, 64};
    case GP_VNNI_I8: return (struct path_info){sr_gemm_block_vnni_i8, 64, 64};
    case GP_AMX_I8: return (struct path_info){sr_gemm_block_amx_i8, 64, 64};
    case GP_COUNT: break;
  }
  return (struct path_info){NULL, 0, 0};
}

struct run_ctx {
  const gemm_job *job;
  struct path_info pi;
  size_t m_items, n_items;
};

static void run_task(void *vctx, size_t b, size_t e, int tid) {
  (void)tid;
  const struct run_ctx *c = vctx;
  const gemm_job *j = c->job;
  for (size_t it = b; it < e; it++) {
    size_t ni = it / c->m_items, mi = it % c->m_items;
    size_t m0 = mi * c->pi.mb, m1 = m0 + c->pi.mb < j->m ? m0 + c->pi.mb : j->m;
    size_t n0 = ni * c->pi.nb, n1 = n0 + c->pi.nb < j->w->n ? n0 + c->pi.nb : j->w->n;
    c->pi.fn(j, m0, m1, n0, n1);
  }
}

/* Activation preparation, parallel over rows. */
static void prep_task(void *vctx, size_t b, size_t e, int tid) {
  (void)tid;
  gemm_job *j = vctx;
  const sr_pw *p = j->w;
  for (size_t i = b; i < e; i++) {
    const float *xr = j->x + i * j->ldx;
    if (p->path == GP_SCALAR_BF16 || p->path == GP_AVX2_BF16) {
      float *d = (float *)j->xb + i * p->k; /* xb holds the f32 copy for these paths */
      for (size_t c = 0; c < p->k; c++) d[c] = bf16_round(xr[c]);
    } else if (p->prec == SR_PREC_BF16) {
      uint16_t *d = (uint16_t *)j->xb + i * j->ldxa;
      for (size_t c = 0; c < p->k; c++) d[c] = sr_f32_to_bf16(xr[c]);
    } else {
      float amax = 0.0f;
      for (size_t c = 0; c < p->k; c++) amax = fabsf(xr[c]) > amax ? fabsf(xr[c]) : amax;
      float d = amax / 127.0f, inv = d > 0.0f ? 1.0f / d : 0.0f;
      int8_t *q = (int8_t *)j->xq + i * j->ldxa;
      for (size_t c = 0; c < p->k; c++) q[c] = (int8_t)nearbyintf(xr[c] * inv);
      ((float *)j->xs)[i] = d;
    }
  }
}

sr_status sr_gemm(const sr_pw *w, size_t m, const float *x, size_t ldx, float *y, size_t ldy,
                  bool accumulate, sr_threadpool *pool, sr_error *err) {
  if (!w) return sr_fail(err, SR_ERR_ARG, "gemm: NULL weight");
  if (m == 0) return SR_OK;
  if (!x || !y || ldx < w->k || ldy < w->n)
    return sr_fail(err, SR_ERR_ARG, "gemm: bad arguments (ldx %zu < K %zu or ldy %zu < N %zu, or NULL)",
                   ldx, w->k, ldy, w->n);
  gemm_job j = {.w = w, .m = m, .x = x, .ldx = ldx, .y = y, .ldy = ldy, .acc = accumulate};
  void *scratch = NULL;
  float *xs = NULL;
  if (w->prec != SR_PREC_F32) {
    size_t mp = round_up(m, 32), bytes;
    if (w->path == GP_SCALAR_BF16 || w->path == GP_AVX2_BF16) bytes = m * w->k * sizeof(float);
    else bytes = mp * w->kp * (w->prec == SR_PREC_BF16 ? 2 : 1);
    scratch = alloc64(bytes); /* zeroed: padding rows/columns stay 0 */
    if (w->prec == SR_PREC_I8) xs = malloc(m * sizeof(float));
    if (!scratch || (w->prec == SR_PREC_I8 && !xs)) {
      free(scratch), free(xs);
      return sr_fail(err, SR_ERR_NOMEM, "gemm: out of memory for %zux%zu activations", m, w->k);
    }
    j.xb = scratch;
    j.xq = scratch;
    j.xs = xs;
    j.ldxa = w->kp;
    sr_parallel_for(m * w->k >= 16384 ? pool : NULL, m, prep_task, &j);
    if (w->path == GP_SCALAR_BF16 || w->path == GP_AVX2_BF16) {
      j.x = scratch;
      j.ldx = w->k;
    }
  }
  struct run_ctx c = {.job = &j, .pi = path_info(w->path)};
  assert(c.pi.fn && c.pi.nb % w->nr == 0);
  c.m_items = (m + c.pi.mb - 1) / c.pi.mb;
  c.n_items = (w->n + c.pi.nb - 1) / c.pi.nb;
  double flops = 2.0 * (double)m * (double)w->n * (double)w->k;
  sr_parallel_for(flops >= 2e5 ? pool : NULL, c.m_items * c.n_items, run_task, &c);
  free(scratch);
  free(xs);
  return SR_OK;
}
