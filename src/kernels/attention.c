/* attention.c — see attention.h. */
#include "kernels/attention.h"

#include <assert.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention_impl.h"
#include "kernels/cpu.h"

#define KB 64      /* keys per block */
#define DMAX 512   /* largest head dimension handled with stack buffers */

static sr_status check(const sr_attn_shape *s, const void *q, const void *k, const void *v, const void *out,
                       sr_error *err) {
  if (!s || !q || !k || !v || !out) return sr_fail(err, SR_ERR_ARG, "attention: NULL argument");
  if (!s->t || !s->tk || !s->hq || !s->hkv || !s->d || s->tk < s->t || s->hq % s->hkv || s->d > DMAX)
    return sr_fail(err, SR_ERR_ARG, "attention: bad shape t %zu tk %zu hq %zu hkv %zu d %zu", s->t, s->tk,
                   s->hq, s->hkv, s->d);
  return SR_OK;
}

struct attn_ctx {
  const sr_attn_shape *s;
  const float *q, *k, *v;
  float *out;
};

/* Scalar path (the portable reference kernel). One (query row, head): blocks of KB keys; per block the scores, the block max, then rescale. */
static void attn_task(void *vctx, size_t b, size_t e, int tid) {
  (void)tid;
  const struct attn_ctx *c = vctx;
  const sr_attn_shape *s = c->s;
  size_t d = s->d, group = s->hq / s->hkv;
  float acc[DMAX], sc[KB];
  for (size_t it = b; it < e; it++) {
    size_t i = it / s->hq, h = it % s->hq, g = h / group;
    size_t last = s->tk - s->t + i; /* inclusive */
    const float *qi = c->q + (i * s->hq + h) * d;
    float mx = -INFINITY, l = 0.0f;
    memset(acc, 0, d * sizeof(float));
    for (size_t j0 = 0; j0 <= last; j0 += KB) {
      size_t nb = last + 1 - j0 < KB ? last + 1 - j0 : KB;
      float bm = -INFINITY;
      for (size_t jj = 0; jj < nb; jj++) {
        const float *kj = c->k + ((j0 + jj) * s->hkv + g) * d;
        float dot = 0.0f;
        for (size_t t = 0; t < d; t++) dot += qi[t] * kj[t];
        sc[jj] = dot * s->scale;
        bm = sc[jj] > bm ? sc[jj] : bm;
      }
      if (bm > mx) { /* rescale what we have so far to the new max */
        float r = expf(mx - bm);
        l *= r;
        for (size_t t = 0; t < d; t++) acc[t] *= r;
        mx = bm;
      }
      for (size_t jj = 0; jj < nb; jj++) {
        float p = expf(sc[jj] - mx);
        l += p;
        const float *vj = c->v + ((j0 + jj) * s->hkv + g) * d;
        for (size_t t = 0; t < d; t++) acc[t] += p * vj[t];
      }
    }
    float *o = c->out + (i * s->hq + h) * d, inv = 1.0f / l;
    for (size_t t = 0; t < d; t++) o[t] = acc[t] * inv;
  }
}

/* ---- tiled SIMD path: K/V repacked once per call, then (head, query block) items ---- */

struct pack_ctx {
  const sr_attn_shape *s;
  const float *k, *v;
  sr_attn_job *j;
};

/* Item it = (head g, key block b): kt[g][b] = that block of K transposed in 16-key panels, vp[g][b] = its
 * V rows in 16-column panels (layouts in attention_impl.h); keys >= tk and columns >= d are zero. */
static void pack_task(void *vctx, size_t b, size_t e, int tid) {
  (void)tid;
  const struct pack_ctx *c = vctx;
  const sr_attn_shape *s = c->s;
  const size_t d = s->d, dp = c->j->dp, nkb = c->j->nkb;
  for (size_t it = b; it < e; it++) {
    size_t g = it / nkb, blk = it % nkb, j0 = blk * SR_ATTN_KB;
    float *kt = (float *)c->j->kt + (g * nkb + blk) * d * SR_ATTN_KB;
    float *vp = (float *)c->j->vp + (g * nkb + blk) * SR_ATTN_KB * dp;
    memset(kt, 0, d * SR_ATTN_KB * sizeof(float));
    memset(vp, 0, SR_ATTN_KB * dp * sizeof(float));
    for (size_t jj = 0; jj < SR_ATTN_KB && j0 + jj < s->tk; jj++) {
      const float *kr = c->k + ((j0 + jj) * s->hkv + g) * d, *vr = c->v + ((j0 + jj) * s->hkv + g) * d;
      float *kp = kt + (jj / 16) * d * 16 + jj % 16;
      for (size_t x = 0; x < d; x++) kp[x * 16] = kr[x];
      for (size_t x = 0; x < d; x++) vp[((x / 16) * SR_ATTN_KB + jj) * 16 + x % 16] = vr[x];
    }
  }
}

/* Items are (query block, head) pairs, query blocks in zig-zag order (0, n-1, 1, n-2, ...) so that the
 * contiguous chunks sr_parallel_for hands out get about equal causal work. */
static void tiled_task(void *vctx, size_t b, size_t e, int tid) {
  const sr_attn_job *j = vctx;
  const size_t hkv = j->s->hkv, nqb = (j->s->t + j->qb - 1) / j->qb;
  float *ws = j->scratch + (size_t)tid * j->ws;
  for (size_t it = b; it < e; it++) {
    size_t z = it / hkv, g = it % hkv, qblk = z % 2 ? nqb - 1 - z / 2 : z / 2;
    sr_attn_item_avx2(j, g, qblk, ws);
  }
}

static void *alloc_floats(size_t n) {
  size_t bytes = (n ? n : 1) * sizeof(float);
  return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

static sr_status attention_tiled(const sr_attn_shape *s, const float *q, const float *k, const float *v, float *out,
                                 sr_threadpool *pool, sr_error *err) {
  const size_t group = s->hq / s->hkv, d = s->d;
  sr_attn_job j = {.s = s, .q = q, .out = out};
  j.dp = (d + 15) / 16 * 16;
  j.nkb = (s->tk + SR_ATTN_KB - 1) / SR_ATTN_KB;
  j.qb = (SR_ATTN_ROWS + group - 1) / group;
  if (j.qb > s->t) j.qb = s->t;
  j.rmax = j.qb * group;
  j.ws = sr_attn_ws_floats(j.rmax, d, j.dp);
  const size_t workers = (size_t)sr_threadpool_size(pool);
  float *kt = alloc_floats(s->hkv * j.nkb * d * SR_ATTN_KB);
  float *vp = alloc_floats(s->hkv * j.nkb * SR_ATTN_KB * j.dp);
  j.scratch = alloc_floats(workers * j.ws);
  sr_status rc = SR_OK;
  if (!kt || !vp || !j.scratch) {
    rc = sr_fail(err, SR_ERR_NOMEM, "attention: out of memory for %zu keys", s->tk);
  } else {
    j.kt = kt, j.vp = vp;
    struct pack_ctx pc = {s, k, v, &j};
    sr_parallel_for(pool, s->hkv * j.nkb, pack_task, &pc);
    size_t nqb = (s->t + j.qb - 1) / j.qb;
    sr_parallel_for(pool, nqb * s->hkv, tiled_task, &j);
  }
  free(kt), free(vp), free(j.scratch);
  return rc;
}

const char *sr_attention_path(sr_isa isa) {
  isa = sr_isa_resolve(isa);
  return isa >= SR_ISA_AVX2 && sr_isa_supported(isa) ? "avx2-tiled" : "scalar";
}

sr_status sr_attention_isa(const sr_attn_shape *s, const float *q, const float *k, const float *v, float *out,
                           sr_threadpool *pool, sr_isa isa, sr_error *err) {
  sr_status rc = check(s, q, k, v, out, err);
  if (rc) return rc;
  if (isa < SR_ISA_AUTO || isa > SR_ISA_AMX) return sr_fail(err, SR_ERR_ARG, "attention: bad isa %d", (int)isa);
  isa = sr_isa_resolve(isa);
  if (!sr_isa_supported(isa))
    return sr_fail(err, SR_ERR_UNSUPPORTED, "attention: this CPU cannot run %s kernels", sr_isa_name(isa));
  double work = (double)s->t * (double)s->hq * (double)s->tk * (double)s->d;
  if (work < 1e5) pool = NULL;
  if (isa >= SR_ISA_AVX2) return attention_tiled(s, q, k, v, out, pool, err);
  struct attn_ctx c = {s, q, k, v, out};
  sr_parallel_for(pool, s->t * s->hq, attn_task, &c);
  return SR_OK;
}

sr_status sr_attention(const sr_attn_shape *s, const float *q, const float *k, const float *v, float *out,
                       sr_threadpool *pool, sr_error *err) {
  return sr_attention_isa(s, q, k, v, out, pool, SR_ISA_AUTO, err);
}

sr_status sr_vexp(const float *x, float *y, size_t n, sr_isa isa, sr_error *err) {
  if (n && (!x || !y)) return sr_fail(err, SR_ERR_ARG, "vexp: NULL argument");
  isa = sr_isa_resolve(isa);
  if (!sr_isa_supported(isa)) return sr_fail(err, SR_ERR_UNSUPPORTED, "vexp: this CPU cannot run %s kernels", sr_isa_name(isa));
  if (isa >= SR_ISA_AVX2) sr_vexp_avx2(x, y, n);
  else
    for (size_t i = 0; i < n; i++) y[i] = expf(x[i]);
  return SR_OK;
}

sr_status sr_attention_ref(const sr_attn_shape *s, const float *q, const float *k, const float *v,
                           float *out, sr_error *err) {
  sr_status rc = check(s, q, k, v, out, err);
  if (rc) return rc;
  double *p = malloc(s->tk * sizeof(double));
  if (!p) return sr_fail(err, SR_ERR_NOMEM, "attention: out of memory");
  size_t d = s->d, group = s->hq / s->hkv;
  for (size_t i = 0; i < s->t; i++)
    for (size_t h = 0; h < s->hq; h++) {
      size_t g = h / group, n = s->tk - s->t + i + 1;
      const float *qi = q + (i * s->hq + h) * d;
      double mx = -INFINITY, sum = 0;
      for (size_t j = 0; j < n; j++) {
        double dot = 0;
        for (size_t t = 0; t < d; t++) dot += (double)qi[t] * k[(j * s->hkv + g) * d + t];
        p[j] = dot * s->scale;
        if (p[j] > mx) mx = p[j];
      }
      for (size_t j = 0; j < n; j++) sum += (p[j] = exp(p[j] - mx));
      for (size_t t = 0; t < d; t++) {
        double a = 0;
        for (size_t j = 0; j < n; j++) a += p[j] * v[(j * s->hkv + g) * d + t];
        out[(i * s->hq + h) * d + t] = (float)(a / sum);
      }
    }
  free(p);
  return SR_OK;
}
