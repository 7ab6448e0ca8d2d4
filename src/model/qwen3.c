/* qwen3.c — the float32 Qwen3 forward pass (QWEN3_SPEC.md §2), embeddings and reranker scores. */
#include "model/qwen3.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/linear.h"
#include "model/parallel.h"

/* out[i] = w[i] * x[i] / sqrt(mean(x^2) + eps) over n elements (out may equal x). */
static void rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
  double ss = 0;
  for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
  float r = (float)(1.0 / sqrt(ss / n + eps));
  for (int i = 0; i < n; i++) out[i] = w[i] * (x[i] * r);
}

/* Rotate-half RoPE on one head vector v[d] at position pos: pairs (k, k + d/2). */
static void rope(float *v, int d, int pos, const float *inv_freq) {
  int half = d / 2;
  for (int k = 0; k < half; k++) {
    float f = (float)pos * inv_freq[k];
    float c = cosf(f), s = sinf(f);
    float a = v[k], b = v[k + half];
    v[k] = a * c - b * s;
    v[k + half] = b * c + a * s;
  }
}

typedef struct attn_ctx {
  const sr_qwen3_config *c;
  const float *q, *k, *v;   /* q [T, Hq*d], k/v [T, Hkv*d] */
  float *out;               /* [T, Hq*d] */
  float *scratch;           /* [Hq, T] attention weights, one row per head */
  size_t T, r0;             /* query rows r0..T-1 */
} attn_ctx;

/* Causal attention for query heads [h0, h1): all query rows r0..T-1 against keys 0..i. */
static void attn_heads(void *arg, size_t h0, size_t h1) {
  const attn_ctx *a = arg;
  const int d = a->c->head_dim, rep = a->c->n_heads / a->c->n_kv_heads;
  const size_t qs = (size_t)a->c->n_heads * d, ks = (size_t)a->c->n_kv_heads * d;
  const float scale = 1.0f / sqrtf((float)d);
  for (size_t h = h0; h < h1; h++) {
    size_t g = h / (size_t)rep;
    float *p = a->scratch + h * a->T;
    for (size_t i = a->r0; i < a->T; i++) {
      const float *qi = a->q + i * qs + h * d;
      float mx = -INFINITY;
      for (size_t j = 0; j <= i; j++) {
        p[j] = sr_dot_f32(qi, a->k + j * ks + g * d, (size_t)d) * scale;
        if (p[j] > mx) mx = p[j];
      }
      float sum = 0;
      for (size_t j = 0; j <= i; j++) sum += (p[j] = expf(p[j] - mx));
      float inv = 1.0f / sum;
      float *o = a->out + i * qs + h * d;
      memset(o, 0, sizeof(float) * d);
      for (size_t j = 0; j <= i; j++) {
        const float *vj = a->v + j * ks + g * d;
        float pj = p[j] * inv;
        for (int e = 0; e < d; e++) o[e] += pj * vj[e];
      }
    }
  }
}

static float silu(float x) { return x / (1.0f + expf(-x)); }

sr_status sr_qwen3_forward(const sr_qwen3 *m, const int32_t *ids, size_t n, bool last_only, float *hidden,
                           sr_error *err) {
  assert(m && hidden);
  const sr_qwen3_config *c = &m->cfg;
  if (n == 0 || !ids) return sr_fail(err, SR_ERR_ARG, "%s: empty token sequence", m->source);
  if (c->max_pos > 0 && n > (size_t)c->max_pos)
    return sr_fail(err, SR_ERR_ARG, "%s: %zu tokens exceed the model's %d positions", m->source, n, c->max_pos);
  for (size_t t = 0; t < n; t++)
    if (ids[t] < 0 || ids[t] >= c->vocab)
      return sr_fail(err, SR_ERR_ARG, "%s: token id %d at position %zu is outside the vocabulary [0, %d)", m->source,
                     ids[t], t, c->vocab);
  const size_t T = n, D = (size_t)c->dim, d = (size_t)c->head_dim, F = (size_t)c->ffn_dim;
  const size_t qd = (size_t)c->n_heads * d, kvd = (size_t)c->n_kv_heads * d;
  const size_t wide = qd > F ? qd : F;
  float *x = malloc(sizeof(float) * T * D), *xn = malloc(sizeof(float) * T * D);
  float *q = malloc(sizeof(float) * T * qd), *k = malloc(sizeof(float) * T * kvd);
  float *v = malloc(sizeof(float) * T * kvd), *g = malloc(sizeof(float) * T * wide);
  float *u = malloc(sizeof(float) * T * F), *sc = malloc(sizeof(float) * T * (size_t)c->n_heads);
  sr_status st = SR_OK;
  if (!x || !xn || !q || !k || !v || !g || !u || !sc) {
    st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory for %zu tokens", m->source, T);
    goto done;
  }
  for (size_t t = 0; t < T; t++) sr_tensor_row_f32(&m->embed, ids[t], x + t * D);
  for (int li = 0; li < c->n_layers; li++) {
    const sr_qwen3_layer *l = &m->layers[li];
    /* In the last layer only the rows whose output is wanted need queries, attention and the MLP. */
    const size_t r0 = (last_only && li == c->n_layers - 1) ? T - 1 : 0, R = T - r0;
    for (size_t t = 0; t < T; t++) rmsnorm(xn + t * D, x + t * D, l->attn_norm, (int)D, c->rms_eps);
    sr_linear(xn + r0 * D, R, &l->wq, q + r0 * qd, m->n_threads);
    sr_linear(xn, T, &l->wk, k, m->n_threads);
    sr_linear(xn, T, &l->wv, v, m->n_threads);
    for (size_t t = 0; t < T; t++) {
      for (int h = 0; h < c->n_kv_heads; h++) {
        float *kh = k + t * kvd + (size_t)h * d;
        rmsnorm(kh, kh, l->k_norm, (int)d, c->rms_eps);
        rope(kh, (int)d, (int)t, m->rope_inv_freq);
      }
      if (t < r0) continue;
      for (int h = 0; h < c->n_heads; h++) {
        float *qh = q + t * qd + (size_t)h * d;
        rmsnorm(qh, qh, l->q_norm, (int)d, c->rms_eps);
        rope(qh, (int)d, (int)t, m->rope_inv_freq);
      }
    }
    attn_ctx ac = {c, q, k, v, g, sc, T, r0};
    size_t work = R * T * d;
    sr_model_parallel_for((size_t)c->n_heads, work > 65536 ? m->n_threads : 1, 1, attn_heads, &ac);
    sr_linear(g + r0 * qd, R, &l->wo, xn + r0 * D, m->n_threads);
    for (size_t i = r0 * D; i < T * D; i++) x[i] += xn[i];
    for (size_t t = r0; t < T; t++) rmsnorm(xn + t * D, x + t * D, l->ffn_norm, (int)D, c->rms_eps);
    sr_linear(xn + r0 * D, R, &l->w_gate, g + r0 * F, m->n_threads);
    sr_linear(xn + r0 * D, R, &l->w_up, u + r0 * F, m->n_threads);
    for (size_t i = r0 * F; i < T * F; i++) g[i] = silu(g[i]) * u[i];
    sr_linear(g + r0 * F, R, &l->w_down, xn + r0 * D, m->n_threads);
    for (size_t i = r0 * D; i < T * D; i++) x[i] += xn[i];
  }
  if (last_only) {
    rmsnorm(hidden, x + (T - 1) * D, m->final_norm, (int)D, c->rms_eps);
  } else {
    for (size_t t = 0; t < T; t++) rmsnorm(hidden + t * D, x + t * D, m->final_norm, (int)D, c->rms_eps);
  }
done:
  free(x); free(xn); free(q); free(k); free(v); free(g); free(u); free(sc);
  return st;
}

sr_status sr_qwen3_embed(const sr_qwen3 *m, const int32_t *ids, size_t n, size_t out_dim, float *out,
                         sr_error *err) {
  const size_t D = (size_t)m->cfg.dim;
  if (out_dim == 0) out_dim = D;
  if (out_dim > D) return sr_fail(err, SR_ERR_ARG, "embedding dimension %zu exceeds the model's %zu", out_dim, D);
  float *h = malloc(sizeof(float) * D);
  if (!h) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  sr_status st = sr_qwen3_forward(m, ids, n, true, h, err);
  if (!st) {
    double ss = 0;
    for (size_t i = 0; i < out_dim; i++) ss += (double)h[i] * h[i];
    double inv = 1.0 / fmax(sqrt(ss), 1e-12);   /* F.normalize's eps */
    for (size_t i = 0; i < out_dim; i++) out[i] = (float)(h[i] * inv);
  }
  free(h);
  return st;
}

sr_status sr_qwen3_embed_text_ids(const sr_qwen3 *m, const int32_t *ids, size_t n, size_t max_tokens,
                                  size_t out_dim, float *out, sr_error *err) {
  if (max_tokens == 0) max_tokens = SR_QWEN3_MAX_TOKENS;
  if (max_tokens < 2) return sr_fail(err, SR_ERR_ARG, "max_tokens %zu leaves no room for text", max_tokens);
  if (n > max_tokens - 1) n = max_tokens - 1;
  int32_t *buf = malloc(sizeof(int32_t) * (n + 1));
  if (!buf) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (n) memcpy(buf, ids, sizeof(int32_t) * n);
  buf[n] = SR_QWEN3_EOS_ID;
  sr_status st = sr_qwen3_embed(m, buf, n + 1, out_dim, out, err);
  free(buf);
  return st;
}

sr_status sr_qwen3_embed_batch(const sr_qwen3 *m, const int32_t *const *ids, const size_t *lens,
                               size_t n_seqs, bool append_eos, size_t max_tokens, size_t out_dim,
                               float *out, sr_error *err) {
  size_t od = out_dim ? out_dim : (size_t)m->cfg.dim;
  for (size_t s = 0; s < n_seqs; s++) {
    sr_status st = append_eos ? sr_qwen3_embed_text_ids(m, ids[s], lens[s], max_tokens, od, out + s * od, err)
                              : sr_qwen3_embed(m, ids[s], lens[s], od, out + s * od, err);
    if (st) return sr_error_prefix(err, "sequence %zu", s);
  }
  return SR_OK;
}

sr_status sr_qwen3_yes_no_score(const sr_qwen3 *m, const int32_t *ids, size_t n, int32_t yes_id,
                                int32_t no_id, float *score, sr_error *err) {
  const size_t D = (size_t)m->cfg.dim;
  if (yes_id < 0 || yes_id >= m->lm_head.rows || no_id < 0 || no_id >= m->lm_head.rows)
    return sr_fail(err, SR_ERR_FORMAT, "%s: vocab mismatch: the LM head has %lld rows, no row for yes/no ids %d/%d",
                   m->source, (long long)m->lm_head.rows, yes_id, no_id);
  float *h = malloc(sizeof(float) * D * 3);
  if (!h) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  sr_status st = sr_qwen3_forward(m, ids, n, true, h, err);
  if (!st) {
    sr_tensor_row_f32(&m->lm_head, yes_id, h + D);
    sr_tensor_row_f32(&m->lm_head, no_id, h + 2 * D);
    double ly = 0, ln = 0;
    for (size_t i = 0; i < D; i++) {
      ly += (double)h[i] * h[D + i];
      ln += (double)h[i] * h[2 * D + i];
    }
    *score = (float)(ly - ln);
  }
  free(h);
  return st;
}

sr_status sr_qwen3_rerank(const sr_qwen3 *m, const int32_t *prefix, size_t np, const int32_t *body,
                          size_t nb, const int32_t *suffix, size_t ns, size_t max_tokens, float *score,
                          float *prob, sr_error *err) {
  if (max_tokens == 0) max_tokens = SR_QWEN3_MAX_TOKENS;
  if (np + ns >= max_tokens)
    return sr_fail(err, SR_ERR_ARG, "prefix (%zu) + suffix (%zu) tokens leave no room within %zu", np, ns, max_tokens);
  if (nb > max_tokens - np - ns) nb = max_tokens - np - ns;
  size_t n = np + nb + ns;
  if (n == 0) return sr_fail(err, SR_ERR_ARG, "empty reranker input");
  int32_t *ids = malloc(sizeof(int32_t) * n);
  if (!ids) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (np) memcpy(ids, prefix, sizeof(int32_t) * np);
  if (nb) memcpy(ids + np, body, sizeof(int32_t) * nb);
  if (ns) memcpy(ids + np + nb, suffix, sizeof(int32_t) * ns);
  float s = 0;
  sr_status st = sr_qwen3_yes_no_score(m, ids, n, SR_QWEN3_YES_ID, SR_QWEN3_NO_ID, &s, err);
  free(ids);
  if (st) return st;
  if (score) *score = s;
  if (prob) *prob = 1.0f / (1.0f + expf(-s));
  return SR_OK;
}
