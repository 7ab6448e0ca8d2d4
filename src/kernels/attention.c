/* attention.c — see attention.h. */
#include "kernels/attention.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* One (query row, head): blocks of KB keys; per block the scores, the block max, then rescale. */
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

sr_status sr_attention(const sr_attn_shape *s, const float *q, const float *k, const float *v, float *out,
                       sr_threadpool *pool, sr_error *err) {
  sr_status rc = check(s, q, k, v, out, err);
  if (rc) return rc;
  struct attn_ctx c = {s, q, k, v, out};
  double work = (double)s->t * (double)s->hq * (double)s->tk * (double)s->d;
  sr_parallel_for(work >= 1e5 ? pool : NULL, s->t * s->hq, attn_task, &c);
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
