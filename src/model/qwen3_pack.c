/* qwen3_pack.c — compute setup of a Qwen3 model: RoPE table, thread pool, prepacked projections
 * (see qwen3.h), and sr_qwen3_random (an in-memory random-weight model for benchmarks). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/qwen3_internal.h"
#include "model/weights.h"

const char *sr_qwen3_compute_name(sr_qwen3_compute c) {
  switch (c) {
    case SR_QWEN3_COMPUTE_F32: return "f32";
    case SR_QWEN3_COMPUTE_BF16: return "bf16";
    case SR_QWEN3_COMPUTE_Q8_0: return "q8_0";
    default: return "auto";
  }
}

bool sr_qwen3_compute_parse(const char *s, sr_qwen3_compute *out) {
  static const sr_qwen3_compute all[] = {SR_QWEN3_COMPUTE_AUTO, SR_QWEN3_COMPUTE_F32, SR_QWEN3_COMPUTE_BF16,
                                         SR_QWEN3_COMPUTE_Q8_0};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    if (!strcmp(s, sr_qwen3_compute_name(all[i]))) {
      *out = all[i];
      return true;
    }
  return false;
}

const char *sr_qwen3_gemm_path(const sr_qwen3 *m) {
  return m->packed && m->packed[0].qkv ? sr_pw_path(m->packed[0].qkv) : "none";
}

static sr_prec prec_of(sr_qwen3_compute c) {
  return c == SR_QWEN3_COMPUTE_BF16 ? SR_PREC_BF16 : c == SR_QWEN3_COMPUTE_Q8_0 ? SR_PREC_I8 : SR_PREC_F32;
}

static sr_wtype wtype_of(sr_dtype dt) {
  switch (dt) {
    case SR_DTYPE_F16: return SR_WT_F16;
    case SR_DTYPE_BF16: return SR_WT_BF16;
    case SR_DTYPE_Q8_0: return SR_WT_Q8_0;
    default: return SR_WT_F32;
  }
}

/* Packs the row-wise concatenation of parts[0..n) (same cols). One part is packed straight from the
 * mapping; several of one dtype are concatenated bytewise; mixed dtypes are widened to f32 (exact). */
static sr_status pack_rows(const sr_tensor *const *parts, int n, sr_prec prec, sr_pw **out, sr_error *err) {
  assert(n >= 1);
  if (n == 1)
    return sr_pw_pack(out, parts[0]->data, wtype_of(parts[0]->dtype), (size_t)parts[0]->rows,
                      (size_t)parts[0]->cols, prec, SR_ISA_AUTO, err);
  size_t rows = 0, cols = (size_t)parts[0]->cols;
  bool same = true;
  for (int i = 0; i < n; i++) {
    assert((size_t)parts[i]->cols == cols);
    rows += (size_t)parts[i]->rows;
    same = same && parts[i]->dtype == parts[0]->dtype;
  }
  size_t rb = same ? sr_tensor_row_bytes(parts[0]) : cols * sizeof(float);
  unsigned char *buf = malloc(rows * rb), *p = buf;
  if (!buf) return sr_fail(err, SR_ERR_NOMEM, "out of memory packing a %zux%zu weight", rows, cols);
  for (int i = 0; i < n; i++) {
    size_t bytes = (size_t)parts[i]->rows * rb;
    if (same) memcpy(p, parts[i]->data, bytes);
    else
      for (int64_t r = 0; r < parts[i]->rows; r++) sr_tensor_row_f32(parts[i], r, (float *)(p + (size_t)r * rb));
    p += bytes;
  }
  sr_status st = sr_pw_pack(out, buf, same ? wtype_of(parts[0]->dtype) : SR_WT_F32, rows, cols, prec, SR_ISA_AUTO, err);
  free(buf);
  return st;
}

static sr_status setup_common(sr_qwen3 *m, const sr_qwen3_opts *opts, sr_error *err) {
  sr_qwen3_opts def = {0};
  if (!opts) opts = &def;
  if (opts->compute < SR_QWEN3_COMPUTE_AUTO || opts->compute > SR_QWEN3_COMPUTE_Q8_0)
    return sr_fail(err, SR_ERR_ARG, "bad compute precision %d", (int)opts->compute);
  m->compute = opts->compute == SR_QWEN3_COMPUTE_AUTO ? SR_QWEN3_COMPUTE_F32 : opts->compute;
  int half = m->cfg.head_dim / 2;
  m->rope_inv_freq = malloc(sizeof(float) * (size_t)half);
  m->packed = calloc((size_t)m->cfg.n_layers, sizeof *m->packed);
  if (!m->rope_inv_freq || !m->packed) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  for (int k = 0; k < half; k++)
    m->rope_inv_freq[k] = (float)(1.0 / pow((double)m->cfg.rope_theta, (2.0 * k) / m->cfg.head_dim));
  return sr_qwen3_set_threads(m, opts->n_threads, err);
}

sr_status sr_qwen3_finish(sr_qwen3 *m, const sr_qwen3_opts *opts, sr_error *err) {
  sr_status st = setup_common(m, opts, err);
  sr_prec prec = prec_of(m->compute);
  for (int i = 0; !st && i < m->cfg.n_layers; i++) {
    const sr_qwen3_layer *l = &m->layers[i];
    struct sr_qwen3_packed *p = &m->packed[i];
    const sr_tensor *qkv[3] = {&l->wq, &l->wk, &l->wv}, *gu[2] = {&l->w_gate, &l->w_up};
    const sr_tensor *o[1] = {&l->wo}, *down[1] = {&l->w_down};
    if ((st = pack_rows(qkv, 3, prec, &p->qkv, err)) || (st = pack_rows(o, 1, prec, &p->o, err)) ||
        (st = pack_rows(gu, 2, prec, &p->gate_up, err)) || (st = pack_rows(down, 1, prec, &p->down, err)))
      sr_error_prefix(err, "layer %d", i);
  }
  return st;
}

void sr_qwen3_release_compute(sr_qwen3 *m) {
  if (m->packed) {
    for (int i = 0; i < m->cfg.n_layers; i++) {
      sr_pw_free(m->packed[i].qkv);
      sr_pw_free(m->packed[i].o);
      sr_pw_free(m->packed[i].gate_up);
      sr_pw_free(m->packed[i].down);
    }
    free(m->packed);
    m->packed = NULL;
  }
  sr_threadpool_free(m->pool);
  m->pool = NULL;
}

sr_status sr_qwen3_set_threads(sr_qwen3 *m, int n_threads, sr_error *err) {
  assert(m);
  sr_threadpool *pool = NULL;
  sr_status st = sr_threadpool_create(&pool, n_threads, err);
  if (st) return st;
  sr_threadpool_free(m->pool);
  m->pool = pool;
  m->n_threads = sr_threadpool_size(pool);
  return SR_OK;
}

/* ---- random-weight model ---- */

static uint64_t next_u64(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* n uniform values in [-a, a). */
static void fill_uniform(float *x, size_t n, float a, uint64_t *s) {
  for (size_t i = 0; i < n; i++) x[i] = a * ((float)(next_u64(s) >> 40) * (2.0f / 16777216.0f) - 1.0f);
}

static float *norm_vec(int n, uint64_t *s) {
  float *v = malloc(sizeof(float) * (size_t)n);
  if (v) {
    fill_uniform(v, (size_t)n, 0.1f, s);
    for (int i = 0; i < n; i++) v[i] += 1.0f;
  }
  return v;
}

static sr_status pack_random(size_t rows, size_t cols, float *buf, uint64_t *s, sr_prec prec, sr_pw **out,
                             sr_error *err) {
  fill_uniform(buf, rows * cols, 1.7320508f / sqrtf((float)cols), s); /* unit variance per output */
  return sr_pw_pack(out, buf, SR_WT_F32, rows, cols, prec, SR_ISA_AUTO, err);
}

sr_status sr_qwen3_random(const sr_qwen3_config *cfg, uint64_t seed, const sr_qwen3_opts *opts, sr_qwen3 **out,
                          sr_error *err) {
  assert(cfg && out);
  *out = NULL;
  sr_status st = sr_qwen3_check_config(cfg, "random model", err);
  if (st) {
    if (err) err->code = SR_ERR_ARG;
    return SR_ERR_ARG;
  }
  sr_qwen3 *m = calloc(1, sizeof *m);
  if (!m) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  m->cfg = *cfg;
  m->cfg.tied = true;
  m->source = strdup("random model");
  const size_t D = (size_t)cfg->dim, d = (size_t)cfg->head_dim, F = (size_t)cfg->ffn_dim, V = (size_t)cfg->vocab;
  const size_t qd = (size_t)cfg->n_heads * d, kvd = (size_t)cfg->n_kv_heads * d, L = (size_t)cfg->n_layers;
  uint64_t s = seed;
  uint16_t *emb = malloc(V * D * sizeof(uint16_t));
  m->owned_weights = emb;
  m->layers = calloc(L, sizeof *m->layers);
  m->final_norm = norm_vec((int)D, &s);
  if (!m->source || !emb || !m->layers || !m->final_norm) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  for (size_t i = 0; !st && i < V * D; i++) emb[i] = sr_f32_to_bf16((float)((int64_t)(next_u64(&s) >> 44) - 524288) / 524288.0f);
  m->embed = (sr_tensor){emb, SR_DTYPE_BF16, (int64_t)V, (int64_t)D};
  m->lm_head = m->embed;
  for (size_t i = 0; !st && i < L; i++) {
    sr_qwen3_layer *l = &m->layers[i];
    l->attn_norm = norm_vec((int)D, &s), l->ffn_norm = norm_vec((int)D, &s);
    l->q_norm = norm_vec((int)d, &s), l->k_norm = norm_vec((int)d, &s);
    if (!l->attn_norm || !l->ffn_norm || !l->q_norm || !l->k_norm) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
    l->wq = (sr_tensor){NULL, SR_DTYPE_F32, (int64_t)qd, (int64_t)D};
    l->wk = l->wv = (sr_tensor){NULL, SR_DTYPE_F32, (int64_t)kvd, (int64_t)D};
    l->wo = (sr_tensor){NULL, SR_DTYPE_F32, (int64_t)D, (int64_t)qd};
    l->w_gate = l->w_up = (sr_tensor){NULL, SR_DTYPE_F32, (int64_t)F, (int64_t)D};
    l->w_down = (sr_tensor){NULL, SR_DTYPE_F32, (int64_t)D, (int64_t)F};
  }
  if (!st) st = setup_common(m, opts, err);
  size_t big = (qd + 2 * kvd) * D;
  if (2 * F * D > big) big = 2 * F * D;
  if (D * qd > big) big = D * qd;
  float *buf = st ? NULL : malloc(big * sizeof(float));
  if (!st && !buf) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  sr_prec prec = prec_of(m->compute);
  for (size_t i = 0; !st && i < L; i++) {
    struct sr_qwen3_packed *p = &m->packed[i];
    if ((st = pack_random(qd + 2 * kvd, D, buf, &s, prec, &p->qkv, err)) ||
        (st = pack_random(D, qd, buf, &s, prec, &p->o, err)) ||
        (st = pack_random(2 * F, D, buf, &s, prec, &p->gate_up, err)) ||
        (st = pack_random(D, F, buf, &s, prec, &p->down, err)))
      break;
  }
  free(buf);
  if (st) {
    sr_qwen3_free(m);
    return st;
  }
  *out = m;
  return SR_OK;
}
