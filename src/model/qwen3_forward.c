/* qwen3_forward.c — the Qwen3 forward pass (QWEN3_SPEC.md §2) on the kernels: fused QKV / gate-up
 * GEMMs on prepacked weights, residual adds fused into the o/down GEMMs (accumulate), Q/K RMSNorm +
 * RoPE (cached cos/sin) + K/V cache write in one pass, flash attention, SwiGLU in place. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention.h"
#include "model/qwen3_internal.h"

void sr_qwen3_kv_free(sr_qwen3_kv *kv) {
  if (!kv) return;
  free(kv->k);
  free(kv->v);
  kv->k = kv->v = NULL;
  kv->n = 0;
}

/* out[i] = w[i] * x[i] / sqrt(mean(x^2) + eps) over n elements (out may equal x). */
static void rmsnorm(float *out, const float *x, const float *w, size_t n, float eps) {
  double ss = 0;
  for (size_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
  float r = (float)(1.0 / sqrt(ss / (double)n + eps));
  for (size_t i = 0; i < n; i++) out[i] = w[i] * (x[i] * r);
}

/* Head RMSNorm then rotate-half RoPE: out[d] from in[d], with cs = {cos[d/2], sin[d/2]} of the position. */
static void norm_rope(float *out, const float *in, const float *w, size_t d, float eps, const float *cs) {
  size_t half = d / 2;
  double ss = 0;
  for (size_t i = 0; i < d; i++) ss += (double)in[i] * in[i];
  float r = (float)(1.0 / sqrt(ss / (double)d + eps));
  for (size_t k = 0; k < half; k++) {
    float a = w[k] * (in[k] * r), b = w[k + half] * (in[k + half] * r), c = cs[k], s = cs[half + k];
    out[k] = a * c - b * s;
    out[k + half] = b * c + a * s;
  }
}

typedef struct fwd {
  const sr_qwen3 *m;
  const sr_qwen3_layer *l;
  size_t T, P, D, d, qd, kvd, F, nqkv;
  size_t ns;           /* sequences packed in the T rows: sequence s is rows off[s] .. off[s+1]-1 */
  const size_t *off;   /* [ns + 1]; ns == 1 whenever P > 0 */
  const size_t *qmap;  /* this layer's Q row of token t (SIZE_MAX = not needed); NULL = row t */
  bool qnone;          /* this layer needs no Q at all (a prefix's last layer) */
  float *x, *xn, *qkv, *q, *kb, *vb, *gu, *rope; /* rope: [T][cos d/2, sin d/2] */
} fwd;

static void norm_rows_task(void *ctx, size_t b, size_t e, int tid) {
  const fwd *f = ctx;
  (void)tid;
  for (size_t t = b; t < e; t++) rmsnorm(f->xn + t * f->D, f->x + t * f->D, f->l->attn_norm, f->D, f->m->cfg.rms_eps);
}

static void ffn_norm_task(void *ctx, size_t b, size_t e, int tid) {
  const fwd *f = ctx;
  (void)tid;
  for (size_t t = b; t < e; t++)
    rmsnorm(f->xn + t * f->D, f->x + t * f->D, f->l->ffn_norm, f->D, f->m->cfg.rms_eps);
}

/* Token t: K heads -> norm+RoPE into kb row P+t, V into vb row P+t, Q heads (when needed) into q row
 * qmap[t] (row t when qmap is NULL). */
static void qkv_post_task(void *ctx, size_t b, size_t e, int tid) {
  const fwd *f = ctx;
  (void)tid;
  const float eps = f->m->cfg.rms_eps;
  for (size_t t = b; t < e; t++) {
    const float *row = f->qkv + t * f->nqkv, *cs = f->rope + t * f->d;
    for (size_t h = 0; h < f->kvd; h += f->d)
      norm_rope(f->kb + (f->P + t) * f->kvd + h, row + f->qd + h, f->l->k_norm, f->d, eps, cs);
    memcpy(f->vb + (f->P + t) * f->kvd, row + f->qd + f->kvd, sizeof(float) * f->kvd);
    size_t qr = f->qmap ? f->qmap[t] : t;
    if (f->qnone || qr == SIZE_MAX) continue;
    for (size_t h = 0; h < f->qd; h += f->d)
      norm_rope(f->q + qr * f->qd + h, row + h, f->l->q_norm, f->d, eps, cs);
  }
}

/* gu row i (of the R computed rows): gu[i][j] = silu(gate) * up for j < F, in place in the first half.
 * exp(-gate) comes from the kernels' vectorised exp (sr_vexp: the attention kernel's polynomial, 1.2e-7
 * relative, on AVX2; libm expf on the scalar path). */
static void swiglu_task(void *ctx, size_t b, size_t e, int tid) {
  const fwd *f = ctx;
  (void)tid;
  float ex[256];
  for (size_t i = b; i < e; i++) {
    float *g = f->gu + i * 2 * f->F;
    const float *u = g + f->F;
    for (size_t j0 = 0; j0 < f->F; j0 += 256) {
      size_t n = f->F - j0 < 256 ? f->F - j0 : 256;
      for (size_t j = 0; j < n; j++) ex[j] = -g[j0 + j];
      (void)sr_vexp(ex, ex, n, SR_ISA_AUTO, NULL); /* cannot fail: AUTO is always supported */
      for (size_t j = 0; j < n; j++) g[j0 + j] = g[j0 + j] / (1.0f + ex[j]) * u[j0 + j];
    }
  }
}

static sr_threadpool *pool_for(const fwd *f, size_t rows, size_t per_row) {
  return rows * per_row >= 16384 ? f->m->pool : NULL;
}

/* span: the longest sequence among the T ids (T itself for one sequence); positions go up to P + span. */
static sr_status check_ids(const sr_qwen3 *m, const int32_t *ids, size_t T, size_t P, size_t span, sr_error *err) {
  const sr_qwen3_config *c = &m->cfg;
  if (T == 0 || !ids) return sr_fail(err, SR_ERR_ARG, "%s: empty token sequence", m->source);
  if (c->max_pos > 0 && P + span > (size_t)c->max_pos)
    return sr_fail(err, SR_ERR_ARG, "%s: %zu tokens exceed the model's %d positions", m->source, P + span, c->max_pos);
  for (size_t t = 0; t < T; t++)
    if (ids[t] < 0 || ids[t] >= c->vocab)
      return sr_fail(err, SR_ERR_ARG, "%s: token id %d at position %zu is outside the vocabulary [0, %d)", m->source,
                     ids[t], P + t, c->vocab);
  return SR_OK;
}

/* One decoder layer. In the last layer only the rows that are asked for go on after attention:
 * SR_ROWS_LAST = each sequence's last token (compacted into rows 0..ns-1 of x), SR_ROWS_NONE = none. */
static sr_status layer(fwd *f, int li, bool last, sr_qwen3_rows rows, const size_t *lastmap, sr_error *err) {
  const sr_qwen3 *m = f->m;
  const struct sr_qwen3_packed *p = &m->packed[li];
  const size_t T = f->T, D = f->D;
  const bool sel = last && rows == SR_ROWS_LAST;
  sr_status st;
  f->l = &m->layers[li];
  f->qmap = sel ? lastmap : NULL;
  f->qnone = last && rows == SR_ROWS_NONE;
  sr_parallel_for(pool_for(f, T, D), T, norm_rows_task, f);
  if ((st = sr_gemm(p->qkv, T, f->xn, D, f->qkv, f->nqkv, false, m->pool, err))) return st;
  sr_parallel_for(pool_for(f, T, f->nqkv), T, qkv_post_task, f);
  if (f->qnone) return SR_OK;
  const size_t R = sel ? f->ns : T;
  float *att = f->qkv; /* the fused QKV rows are consumed: reuse as [R][qd] attention output */
  for (size_t s = 0; s < f->ns; s++) { /* each sequence attends to its own keys (and the past) only */
    size_t o = f->off[s], len = f->off[s + 1] - o, qr = sel ? s : o;
    sr_attn_shape as = {sel ? 1 : len, f->P + len, (size_t)m->cfg.n_heads, (size_t)m->cfg.n_kv_heads, f->d,
                        1.0f / sqrtf((float)f->d)};
    if ((st = sr_attention(&as, f->q + qr * f->qd, f->kb + o * f->kvd, f->vb + o * f->kvd, att + qr * f->qd, m->pool,
                           err)))
      return st;
  }
  if (sel) /* row s <- the last token of sequence s (s <= that row, so ascending order is safe) */
    for (size_t s = 0; s < f->ns; s++)
      if (f->off[s + 1] - 1 != s) memcpy(f->x + s * D, f->x + (f->off[s + 1] - 1) * D, sizeof(float) * D);
  if ((st = sr_gemm(p->o, R, att, f->qd, f->x, D, true, m->pool, err))) return st; /* x += attn · Woᵀ */
  sr_parallel_for(pool_for(f, R, D), R, ffn_norm_task, f);
  if ((st = sr_gemm(p->gate_up, R, f->xn, D, f->gu, 2 * f->F, false, m->pool, err))) return st;
  sr_parallel_for(pool_for(f, R, f->F), R, swiglu_task, f);
  return sr_gemm(p->down, R, f->gu, 2 * f->F, f->x, D, true, m->pool, err); /* x += swiglu · Wdownᵀ */
}

/* The forward pass over ns sequences packed in ids[0..T) (sequence s = ids[off[s] .. off[s+1])), each
 * at positions P + 0.. within itself; past (K/V of P earlier positions) and keep only with ns == 1. */
static sr_status forward(const sr_qwen3 *m, const int32_t *ids, size_t T, size_t ns, const size_t *off,
                         const sr_qwen3_kv *past, sr_qwen3_kv *keep, sr_qwen3_rows rows, float *hidden, sr_error *err) {
  assert(m && m->packed && (hidden || rows == SR_ROWS_NONE) && !(past && keep) && ns >= 1 && (ns == 1 || (!past && !keep)));
  const sr_qwen3_config *c = &m->cfg;
  const size_t P = past ? past->n : 0, L = (size_t)c->n_layers;
  size_t maxlen = 0;
  for (size_t s = 0; s < ns; s++) maxlen = off[s + 1] - off[s] > maxlen ? off[s + 1] - off[s] : maxlen;
  sr_status st = check_ids(m, ids, T, P, maxlen, err);
  if (st) return st;
  fwd f = {.m = m, .T = T, .P = P, .D = (size_t)c->dim, .d = (size_t)c->head_dim, .F = (size_t)c->ffn_dim,
           .ns = ns, .off = off};
  f.qd = (size_t)c->n_heads * f.d, f.kvd = (size_t)c->n_kv_heads * f.d, f.nqkv = f.qd + 2 * f.kvd;
  const size_t D = f.D, tk = P + T, half = f.d / 2;
  f.x = malloc(sizeof(float) * T * D), f.xn = malloc(sizeof(float) * T * D);
  f.qkv = malloc(sizeof(float) * T * f.nqkv), f.q = malloc(sizeof(float) * T * f.qd);
  f.gu = malloc(sizeof(float) * T * 2 * f.F), f.rope = malloc(sizeof(float) * T * f.d);
  size_t *lastmap = rows == SR_ROWS_LAST ? malloc(sizeof(size_t) * T) : NULL;
  float *kall = NULL, *vall = NULL;
  if (keep) { /* the whole cache is written in place, layer by layer */
    kall = malloc(sizeof(float) * L * T * f.kvd), vall = malloc(sizeof(float) * L * T * f.kvd);
  } else {
    f.kb = malloc(sizeof(float) * tk * f.kvd), f.vb = malloc(sizeof(float) * tk * f.kvd);
  }
  if (!f.x || !f.xn || !f.qkv || !f.q || !f.gu || !f.rope || (rows == SR_ROWS_LAST && !lastmap) ||
      (keep ? !kall || !vall : !f.kb || !f.vb)) {
    st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory for %zu tokens", m->source, T);
    goto done;
  }
  for (size_t s = 0; s < ns; s++)
    for (size_t t = off[s]; t < off[s + 1]; t++) {
      sr_tensor_row_f32(&m->embed, ids[t], f.x + t * D);
      for (size_t k = 0; k < half; k++) {
        float a = (float)(P + t - off[s]) * m->rope_inv_freq[k];
        f.rope[t * f.d + k] = cosf(a);
        f.rope[t * f.d + half + k] = sinf(a);
      }
      if (lastmap) lastmap[t] = t + 1 == off[s + 1] ? s : SIZE_MAX;
    }
  for (size_t li = 0; !st && li < L; li++) {
    if (keep) {
      f.kb = kall + li * T * f.kvd, f.vb = vall + li * T * f.kvd;
    } else if (P) {
      memcpy(f.kb, past->k + li * P * f.kvd, sizeof(float) * P * f.kvd);
      memcpy(f.vb, past->v + li * P * f.kvd, sizeof(float) * P * f.kvd);
    }
    st = layer(&f, (int)li, li == L - 1, rows, lastmap, err);
  }
  if (!st && rows == SR_ROWS_LAST)
    for (size_t s = 0; s < ns; s++) rmsnorm(hidden + s * D, f.x + s * D, m->final_norm, D, c->rms_eps);
  if (!st && rows == SR_ROWS_ALL)
    for (size_t t = 0; t < T; t++) rmsnorm(hidden + t * D, f.x + t * D, m->final_norm, D, c->rms_eps);
  if (!st && keep) {
    *keep = (sr_qwen3_kv){T, kall, vall};
    kall = vall = NULL;
  }
done:
  free(f.x), free(f.xn), free(f.qkv), free(f.q), free(f.gu), free(f.rope), free(lastmap);
  if (!keep) free(f.kb), free(f.vb);
  free(kall), free(vall);
  return st;
}

sr_status sr_qwen3_forward_core(const sr_qwen3 *m, const int32_t *ids, size_t T, const sr_qwen3_kv *past,
                                sr_qwen3_kv *keep, sr_qwen3_rows rows, float *hidden, sr_error *err) {
  size_t off[2] = {0, T};
  return forward(m, ids, T, 1, off, past, keep, rows, hidden, err);
}

sr_status sr_qwen3_forward_packed(const sr_qwen3 *m, const int32_t *ids, const size_t *lens, size_t ns, float *hidden,
                                  sr_error *err) {
  size_t *off = malloc(sizeof(size_t) * (ns + 1));
  if (!off) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  off[0] = 0;
  sr_status st = SR_OK;
  for (size_t s = 0; s < ns && !st; s++) {
    if (!lens[s]) st = sr_fail(err, SR_ERR_ARG, "%s: sequence %zu: empty token sequence", m->source, s);
    off[s + 1] = off[s] + lens[s];
  }
  if (!st) st = ns ? forward(m, ids, off[ns], ns, off, NULL, NULL, SR_ROWS_LAST, hidden, err) : SR_OK;
  free(off);
  return st;
}

sr_status sr_qwen3_check_ids(const sr_qwen3 *m, const int32_t *ids, size_t n, sr_error *err) {
  return check_ids(m, ids, n, 0, n, err);
}
