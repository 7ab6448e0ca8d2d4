/* qwen3.c — public compute helpers: forward, embeddings, yes/no reranker scores (one sequence or a
 * batch of documents sharing a cached prefix). The forward pass itself is in qwen3_forward.c. */
#include "model/qwen3.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/qwen3_internal.h"

sr_status sr_qwen3_forward(const sr_qwen3 *m, const int32_t *ids, size_t n, bool last_only, float *hidden,
                           sr_error *err) {
  assert(m && hidden);
  return sr_qwen3_forward_core(m, ids, n, NULL, NULL, last_only ? SR_ROWS_LAST : SR_ROWS_ALL, hidden, err);
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

/* L2-normalised first od dims of h (F.normalize's eps), as sr_qwen3_embed writes them. */
static void normalise_into(const float *h, size_t od, float *out) {
  double ss = 0;
  for (size_t i = 0; i < od; i++) ss += (double)h[i] * h[i];
  double inv = 1.0 / fmax(sqrt(ss), 1e-12);
  for (size_t i = 0; i < od; i++) out[i] = (float)(h[i] * inv);
}

typedef struct len_idx {
  size_t len, idx;
} len_idx;

static int by_len(const void *a, const void *b) {
  const len_idx *x = a, *y = b;
  return x->len < y->len ? -1 : x->len > y->len ? 1 : x->idx < y->idx ? -1 : x->idx > y->idx;
}

sr_status sr_qwen3_embed_batch(const sr_qwen3 *m, const int32_t *const *ids, const size_t *lens,
                               size_t n_seqs, bool append_eos, size_t max_tokens, size_t out_dim,
                               float *out, sr_error *err) {
  const size_t D = (size_t)m->cfg.dim, od = out_dim ? out_dim : D;
  if (od > D) return sr_fail(err, SR_ERR_ARG, "embedding dimension %zu exceeds the model's %zu", od, D);
  if (max_tokens == 0) max_tokens = SR_QWEN3_MAX_TOKENS;
  if (append_eos && max_tokens < 2) return sr_fail(err, SR_ERR_ARG, "max_tokens %zu leaves no room for text", max_tokens);
  if (n_seqs == 0) return SR_OK;
  len_idx *order = malloc(sizeof *order * n_seqs);
  if (!order) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  size_t longest = 0;
  sr_status st = SR_OK;
  for (size_t s = 0; s < n_seqs; s++) { /* the text each sequence runs with (truncated + EOS), checked alone */
    size_t n = append_eos ? (lens[s] < max_tokens - 1 ? lens[s] : max_tokens - 1) : lens[s];
    order[s] = (len_idx){n + (append_eos ? 1 : 0), s};
    if (st) continue;
    if (n || !append_eos) st = sr_qwen3_check_ids(m, ids[s], n, err);
    if (!st && m->cfg.max_pos > 0 && order[s].len > (size_t)m->cfg.max_pos)
      st = sr_fail(err, SR_ERR_ARG, "%s: %zu tokens exceed the model's %d positions", m->source, order[s].len,
                   m->cfg.max_pos);
    if (st) sr_error_prefix(err, "sequence %zu", s);
    if (order[s].len > longest) longest = order[s].len;
  }
  /* length bucketing: sorted by length, then packed greedily up to SR_QWEN3_PACK_TOKENS rows per pass */
  qsort(order, n_seqs, sizeof *order, by_len);
  size_t cap = longest > SR_QWEN3_PACK_TOKENS ? longest : SR_QWEN3_PACK_TOKENS;
  int32_t *buf = st ? NULL : malloc(sizeof(int32_t) * cap);
  size_t *glen = st ? NULL : malloc(sizeof(size_t) * n_seqs);
  float *h = st ? NULL : malloc(sizeof(float) * D * (SR_QWEN3_PACK_TOKENS + 1));
  if (!st && (!buf || !glen || !h)) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  for (size_t g0 = 0; !st && g0 < n_seqs;) {
    size_t g1 = g0, total = 0;
    while (g1 < n_seqs && (g1 == g0 || total + order[g1].len <= SR_QWEN3_PACK_TOKENS)) {
      const len_idx *e = &order[g1];
      size_t n = e->len - (append_eos ? 1 : 0);
      if (n) memcpy(buf + total, ids[e->idx], sizeof(int32_t) * n);
      if (append_eos) buf[total + n] = SR_QWEN3_EOS_ID;
      glen[g1 - g0] = e->len, total += e->len, g1++;
    }
    st = sr_qwen3_forward_packed(m, buf, glen, g1 - g0, h, err);
    for (size_t k = g0; !st && k < g1; k++) normalise_into(h + (k - g0) * D, od, out + order[k].idx * od);
    g0 = g1;
  }
  free(order), free(buf), free(glen), free(h);
  return st;
}

static sr_status check_yes_no(const sr_qwen3 *m, int32_t yes_id, int32_t no_id, sr_error *err) {
  if (yes_id < 0 || yes_id >= m->lm_head.rows || no_id < 0 || no_id >= m->lm_head.rows)
    return sr_fail(err, SR_ERR_FORMAT, "%s: vocab mismatch: the LM head has %lld rows, no row for yes/no ids %d/%d",
                   m->source, (long long)m->lm_head.rows, yes_id, no_id);
  return SR_OK;
}

/* logit(yes) - logit(no) from a final-normed hidden state h[D]; tmp: [2D] scratch. */
static float yes_no_of(const sr_qwen3 *m, const float *h, int32_t yes_id, int32_t no_id, float *tmp) {
  const size_t D = (size_t)m->cfg.dim;
  sr_tensor_row_f32(&m->lm_head, yes_id, tmp);
  sr_tensor_row_f32(&m->lm_head, no_id, tmp + D);
  double ly = 0, ln = 0;
  for (size_t i = 0; i < D; i++) {
    ly += (double)h[i] * tmp[i];
    ln += (double)h[i] * tmp[D + i];
  }
  return (float)(ly - ln);
}

sr_status sr_qwen3_yes_no_score(const sr_qwen3 *m, const int32_t *ids, size_t n, int32_t yes_id,
                                int32_t no_id, float *score, sr_error *err) {
  const size_t D = (size_t)m->cfg.dim;
  sr_status st = check_yes_no(m, yes_id, no_id, err);
  if (st) return st;
  float *h = malloc(sizeof(float) * D * 3);
  if (!h) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  st = sr_qwen3_forward(m, ids, n, true, h, err);
  if (!st) *score = yes_no_of(m, h, yes_id, no_id, h + D);
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

sr_status sr_qwen3_rerank_batch(const sr_qwen3 *m, const int32_t *prefix, size_t np,
                                const int32_t *const *docs, const size_t *doc_lens, size_t n_docs,
                                const int32_t *suffix, size_t ns, size_t max_tokens, float *scores,
                                sr_error *err) {
  assert(m && (n_docs == 0 || (docs && doc_lens && scores)));
  if (max_tokens == 0) max_tokens = SR_QWEN3_MAX_TOKENS;
  if (np == 0 || !prefix) return sr_fail(err, SR_ERR_ARG, "rerank batch: empty prefix");
  if (np + ns >= max_tokens)
    return sr_fail(err, SR_ERR_ARG, "prefix (%zu) + suffix (%zu) tokens leave no room within %zu", np, ns, max_tokens);
  sr_status st = check_yes_no(m, SR_QWEN3_YES_ID, SR_QWEN3_NO_ID, err);
  if (st || n_docs == 0) return st;
  const size_t D = (size_t)m->cfg.dim, room = max_tokens - np - ns;
  size_t maxb = 0;
  for (size_t i = 0; i < n_docs; i++) maxb = doc_lens[i] > maxb ? doc_lens[i] : maxb;
  if (maxb > room) maxb = room;
  sr_qwen3_kv kv = {0};
  int32_t *ids = malloc(sizeof(int32_t) * (maxb + ns + 1));
  float *h = malloc(sizeof(float) * 3 * D);
  if (!ids || !h) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (!st) st = sr_qwen3_forward_core(m, prefix, np, NULL, &kv, SR_ROWS_NONE, NULL, err);
  for (size_t i = 0; !st && i < n_docs; i++) {
    size_t nb = doc_lens[i] < room ? doc_lens[i] : room;
    if (nb) memcpy(ids, docs[i], sizeof(int32_t) * nb);
    if (ns) memcpy(ids + nb, suffix, sizeof(int32_t) * ns);
    if (nb + ns == 0) { /* the score of the prefix alone: its last token's state is not cached */
      st = sr_qwen3_yes_no_score(m, prefix, np, SR_QWEN3_YES_ID, SR_QWEN3_NO_ID, &scores[i], err);
    } else if (!(st = sr_qwen3_forward_core(m, ids, nb + ns, &kv, NULL, SR_ROWS_LAST, h, err))) {
      scores[i] = yes_no_of(m, h, SR_QWEN3_YES_ID, SR_QWEN3_NO_ID, h + D);
    }
    if (st) sr_error_prefix(err, "document %zu", i);
  }
  sr_qwen3_kv_free(&kv);
  free(ids);
  free(h);
  return st;
}
