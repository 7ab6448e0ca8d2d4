/* ltr.c — reranker features and network. See ltr.h. */
#include "route/ltr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index/index_format.h"
#include "util/rng.h"

sr_status sr_ltr_init(sr_ltr *m, uint32_t hidden, uint32_t n_feat, uint64_t seed, sr_error *err) {
  memset(m, 0, sizeof *m);
  if (!hidden || hidden > SR_LTR_MAX_HIDDEN)
    return sr_fail(err, SR_ERR_ARG, "reranker: hidden size must be 1..%d (got %u)", SR_LTR_MAX_HIDDEN, hidden);
  if (n_feat < SR_LTR_NFEAT_V1 || n_feat > SR_LTR_NFEAT)
    return sr_fail(err, SR_ERR_ARG, "reranker: feature count must be %d..%d (got %u)", SR_LTR_NFEAT_V1, SR_LTR_NFEAT,
                   n_feat);
  m->n_feat = n_feat;
  m->hidden = hidden;
  m->w1 = malloc((size_t)hidden * n_feat * sizeof *m->w1);
  m->b1 = calloc(hidden, sizeof *m->b1);
  m->w2 = malloc(hidden * sizeof *m->w2);
  if (!m->w1 || !m->b1 || !m->w2) {
    sr_ltr_free(m);
    return sr_fail(err, SR_ERR_NOMEM, "reranker: out of memory");
  }
  sr_rng r;
  sr_rng_seed(&r, seed ^ 0x6C7472ull);
  double s1 = sqrt(2.0 / n_feat), s2 = sqrt(1.0 / hidden);
  for (size_t i = 0; i < (size_t)hidden * n_feat; i++) m->w1[i] = (float)(sr_rng_normal(&r) * s1);
  for (uint32_t i = 0; i < hidden; i++) m->w2[i] = (float)(sr_rng_normal(&r) * s2);
  for (int f = 0; f < SR_LTR_NFEAT; f++) {
    m->mean[f] = 0;
    m->std[f] = 1;
  }
  return SR_OK;
}

void sr_ltr_free(sr_ltr *m) {
  if (!m) return;
  free(m->w1);
  free(m->b1);
  free(m->w2);
  m->w1 = m->b1 = m->w2 = NULL;
}

void sr_ltr_list_free(sr_ltr_list *l) {
  free(l->doc);
  free(l->tf);
  free(l->len);
  free(l->cosine);
  free(l->lex_rank);
  free(l->dense_rank);
  free(l->feat);
  free(l->qterm);
  free(l->qidf);
  free(l->qweight);
  memset(l, 0, sizeof *l);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

sr_status sr_ltr_list_begin(sr_ltr_list *l, const sr_index *ix, const sr_qterm *q, size_t nq, size_t n,
                            float max_df_ratio, sr_error *err) {
  if (nq > l->cap_q) {
    uint32_t *t = realloc(l->qterm, nq * sizeof *t);
    if (t) l->qterm = t;
    float *f = realloc(l->qidf, nq * sizeof *f);
    if (f) l->qidf = f;
    float *w = realloc(l->qweight, nq * sizeof *w);
    if (w) l->qweight = w;
    if (!t || !f || !w) return sr_fail(err, SR_ERR_NOMEM, "reranker: out of memory");
    l->cap_q = nq;
  }
  double N = sr_index_count(ix);
  uint32_t max_df = (uint32_t)(max_df_ratio >= 1.0f ? N : max_df_ratio * N);
  bool any_below = false;
  for (size_t i = 0; i < nq; i++)
    if (q[i].term != UINT32_MAX && sr_index_term_df(ix, q[i].term) <= max_df) any_below = true;
  if (!any_below) max_df = UINT32_MAX;
  /* kept terms sorted by id, each with its query count: sorted as (term << 32 | count) keys */
  uint64_t small[256], *key = nq <= 256 ? small : malloc(nq * sizeof *key);
  if (!key) return sr_fail(err, SR_ERR_NOMEM, "reranker: out of memory");
  l->nq = 0;
  for (size_t i = 0; i < nq; i++) {
    if (q[i].term == UINT32_MAX || sr_index_term_df(ix, q[i].term) > max_df) continue;
    key[l->nq++] = (uint64_t)q[i].term << 32 | (q[i].count ? q[i].count : 1);
  }
  qsort(key, l->nq, sizeof *key, cmp_u64);
  for (size_t i = 0; i < l->nq; i++) {
    l->qterm[i] = (uint32_t)(key[i] >> 32);
    float c = (float)(uint32_t)key[i];
    l->qidf[i] = sr_idf(N, sr_index_term_df(ix, l->qterm[i]));
    l->qweight[i] = (SR_LTR_QTF_K3 + 1.0f) * c / (SR_LTR_QTF_K3 + c);
  }
  if (key != small) free(key);
  if (n > l->cap) {
    free(l->doc);
    free(l->len);
    free(l->cosine);
    free(l->lex_rank);
    free(l->dense_rank);
    free(l->feat);
    l->doc = malloc(n * sizeof *l->doc);
    l->len = malloc(n * 3 * sizeof *l->len);
    l->cosine = malloc(n * sizeof *l->cosine);
    l->lex_rank = malloc(n * sizeof *l->lex_rank);
    l->dense_rank = malloc(n * sizeof *l->dense_rank);
    l->feat = malloc(n * SR_LTR_NFEAT * sizeof *l->feat);
    l->cap = n;
    if (!l->doc || !l->len || !l->cosine || !l->lex_rank || !l->dense_rank || !l->feat) {
      sr_ltr_list_free(l);
      return sr_fail(err, SR_ERR_NOMEM, "reranker: out of memory");
    }
  }
  size_t need_tf = (n ? n : 1) * (l->nq ? l->nq : 1) * 3;
  if (need_tf > l->cap_tf) {
    uint16_t *t = realloc(l->tf, need_tf * sizeof *t);
    if (!t) return sr_fail(err, SR_ERR_NOMEM, "reranker: out of memory");
    l->tf = t;
    l->cap_tf = need_tf;
  }
  l->n = n;
  for (size_t i = 0; i < n; i++) {
    l->cosine[i] = 0;
    l->lex_rank[i] = l->dense_rank[i] = -1;
  }
  return SR_OK;
}

sr_status sr_ltr_gather_postings(sr_ltr_list *l, const sr_index *ix, sr_error *err) {
  size_t n = l->n, nq = l->nq;
  memset(l->tf, 0, n * nq * 3 * sizeof *l->tf);
  /* candidates sorted by doc for a merge walk along each posting list */
  uint32_t order[512];
  uint32_t *ord = n <= 512 ? order : malloc(n * sizeof *ord);
  if (!ord) return sr_fail(err, SR_ERR_NOMEM, "reranker: out of memory");
  for (size_t i = 0; i < n; i++) ord[i] = (uint32_t)i;
  for (size_t i = 1; i < n; i++) /* insertion sort by doc: n is small */
    for (size_t j = i; j > 0 && l->doc[ord[j - 1]] > l->doc[ord[j]]; j--) {
      uint32_t t = ord[j]; ord[j] = ord[j - 1]; ord[j - 1] = t;
    }
  for (size_t i = 0; i < n; i++) sr_index_field_lens(ix, l->doc[i], &l->len[i * 3]);
  for (size_t k = 0; k < nq; k++) {
    const uint8_t *p, *end;
    sr_index_term_postings(ix, l->qterm[k], &p, &end);
    uint32_t doc = 0;
    size_t c = 0;
    while (p < end && c < n) {
      uint32_t delta, tf[SR_IDX_NFIELDS];
      size_t used = sr_posting_decode(p, end, &delta, tf);
      if (!used || (uint64_t)doc + delta >= sr_index_count(ix)) {
        if (ord != order) free(ord);
        return sr_fail(err, SR_ERR_CORRUPT, "%s: corrupt postings for term %u", sr_index_path(ix), l->qterm[k]);
      }
      p += used;
      doc += delta;
      while (c < n && l->doc[ord[c]] < doc) c++;
      /* equal doc ids may repeat in a list only by caller error; fill every copy */
      for (size_t c2 = c; c2 < n && l->doc[ord[c2]] == doc; c2++) {
        uint16_t *t = &l->tf[((size_t)ord[c2] * nq + k) * 3];
        for (int f = 0; f < 3; f++) t[f] = (uint16_t)(tf[f] > 65535 ? 65535 : tf[f]);
      }
    }
  }
  if (ord != order) free(ord);
  return SR_OK;
}

void sr_ltr_gather_forward(sr_ltr_list *l, const sr_forward *fwd, uint32_t minus_doc, const sr_fwd_term *minus,
                           size_t n_minus) {
  size_t nq = l->nq;
  for (size_t i = 0; i < l->n; i++) {
    uint32_t d = l->doc[i];
    uint16_t *tf = &l->tf[i * nq * 3];
    memset(tf, 0, nq * 3 * sizeof *tf);
    const sr_fwd_term *t = fwd->terms + fwd->start[d];
    size_t nt = (size_t)(fwd->start[d + 1] - fwd->start[d]), a = 0, b = 0;
    while (a < nt && b < nq) {
      if (t[a].term < l->qterm[b]) a++;
      else if (t[a].term > l->qterm[b]) b++;
      else {
        tf[b * 3 + 0] = t[a].tf_name;
        tf[b * 3 + 1] = t[a].tf_desc;
        tf[b * 3 + 2] = t[a].tf_body;
        a++;
        b++;
      }
    }
    uint32_t *len = &l->len[i * 3];
    for (int f = 0; f < 3; f++) len[f] = fwd->field_len[(size_t)d * 3 + f];
    if (d != minus_doc || !minus) continue;
    /* subtract the pseudo-query's source text: lengths by every minus term, tfs of the kept terms */
    size_t m = 0;
    for (size_t j = 0; j < n_minus; j++) {
      len[0] -= minus[j].tf_name < len[0] ? minus[j].tf_name : len[0];
      len[1] -= minus[j].tf_desc < len[1] ? minus[j].tf_desc : len[1];
      len[2] -= minus[j].tf_body < len[2] ? minus[j].tf_body : len[2];
      while (m < nq && l->qterm[m] < minus[j].term) m++;
      if (m < nq && l->qterm[m] == minus[j].term) {
        uint16_t *x = &tf[m * 3];
        x[0] = x[0] > minus[j].tf_name ? (uint16_t)(x[0] - minus[j].tf_name) : 0;
        x[1] = x[1] > minus[j].tf_desc ? (uint16_t)(x[1] - minus[j].tf_desc) : 0;
        x[2] = x[2] > minus[j].tf_body ? (uint16_t)(x[2] - minus[j].tf_body) : 0;
      }
    }
  }
}

float sr_ltr_bm25f(const sr_ltr_list *l, size_t i, const sr_bm25f_params *p, const double avg_len[3]) {
  float norm[3];
  for (int f = 0; f < 3; f++) {
    double avg = avg_len[f] > 0 ? avg_len[f] : 1.0;
    norm[f] = (float)(p->weight[f] / (1.0 - p->b[f] + p->b[f] * l->len[i * 3 + f] / avg));
  }
  float s = 0;
  const uint16_t *tf = &l->tf[i * l->nq * 3];
  for (size_t k = 0; k < l->nq; k++) {
    const uint16_t *t = &tf[k * 3];
    float tft = t[2] * norm[2];
    if (t[0]) tft += t[0] * norm[0];
    if (t[1]) tft += t[1] * norm[1];
    float add = l->qidf[k] * tft / (p->k1 + tft);
    if (add > 0) s += add;
  }
  return s;
}

void sr_ltr_features(sr_ltr_list *l, const sr_bm25f_params *p, double n_docs, const double avg_len[3]) {
  (void)n_docs;
  static const float k1s = 1.2f, bs[3] = {0.5f, 0.75f, 0.75f};
  double idf_mass = 0, widf_mass = 0;
  for (size_t k = 0; k < l->nq; k++) idf_mass += l->qidf[k], widf_mass += l->qidf[k] * l->qweight[k];
  float inv = idf_mass > 0 ? (float)(1.0 / idf_mass) : 0.0f, winv = widf_mass > 0 ? (float)(1.0 / widf_mass) : 0.0f;
  float norm[3];
  float best[SR_LTR_NFEAT];
  for (int f = 0; f < SR_LTR_NFEAT; f++) best[f] = -1e30f;
  for (size_t i = 0; i < l->n; i++) {
    float *x = &l->feat[i * SR_LTR_NFEAT];
    const uint32_t *len = &l->len[i * 3];
    const uint16_t *tf = &l->tf[i * l->nq * 3];
    float field_bm25[3] = {0, 0, 0}, cover[3] = {0, 0, 0}, cover_any = 0, matched[3] = {0, 0, 0};
    for (int f = 0; f < 3; f++) {
      double avg = avg_len[f] > 0 ? avg_len[f] : 1.0;
      float kn = (float)(k1s * (1.0 - bs[f] + bs[f] * len[f] / avg));
      for (size_t k = 0; k < l->nq; k++) {
        float t = tf[k * 3 + f];
        if (t <= 0) continue;
        field_bm25[f] += l->qidf[k] * t / (t + kn);
        cover[f] += l->qidf[k];
        matched[f] += t;
      }
    }
    /* the router's BM25F, plain and with query repeats weighted; coverage likewise */
    for (int f = 0; f < 3; f++) {
      double avg = avg_len[f] > 0 ? avg_len[f] : 1.0;
      norm[f] = (float)(p->weight[f] / (1.0 - p->b[f] + p->b[f] * len[f] / avg));
    }
    float bm = 0, wbm = 0, wcover_any = 0, wcover_nd = 0;
    for (size_t k = 0; k < l->nq; k++) {
      const uint16_t *t = &tf[k * 3];
      if (!t[0] && !t[1] && !t[2]) continue;
      float tft = t[2] * norm[2] + t[0] * norm[0] + t[1] * norm[1];
      float add = tft > 0 ? l->qidf[k] * tft / (p->k1 + tft) : 0.0f;
      bm += add;
      wbm += add * l->qweight[k];
      cover_any += l->qidf[k];
      wcover_any += l->qidf[k] * l->qweight[k];
      if (t[0] || t[1]) wcover_nd += l->qidf[k] * l->qweight[k];
    }
    float name_recall = len[0] ? matched[0] / (float)len[0] : 0, desc_recall = len[1] ? matched[1] / (float)len[1] : 0;
    if (name_recall > 1) name_recall = 1;
    if (desc_recall > 1) desc_recall = 1;
    x[0] = bm * inv;
    x[2] = field_bm25[0] * inv;
    x[3] = field_bm25[1] * inv;
    x[4] = field_bm25[2] * inv;
    x[5] = cover[0] * inv;
    x[6] = cover[1] * inv;
    x[7] = cover[2] * inv;
    x[8] = cover_any * inv;
    x[9] = name_recall;
    x[10] = desc_recall;
    x[11] = l->cosine[i];
    x[13] = l->lex_rank[i] >= 0 ? 1.0f / (1.0f + l->lex_rank[i]) : 0.0f;
    x[14] = l->dense_rank[i] >= 0 ? 1.0f / (1.0f + l->dense_rank[i]) : 0.0f;
    x[15] = logf(1.0f + len[2]) / 10.0f;
    x[16] = logf(1.0f + len[1]) / 5.0f;
    x[17] = name_recall >= 0.999f ? 1.0f : 0.0f;
    x[20] = wbm * winv;
    x[22] = wcover_any * winv;
    x[23] = wcover_nd * winv;
    static const int gap_src[] = {0, 11, 2, 4, 20};
    for (size_t g = 0; g < sizeof gap_src / sizeof *gap_src; g++)
      if (x[gap_src[g]] > best[gap_src[g]]) best[gap_src[g]] = x[gap_src[g]];
  }
  for (size_t i = 0; i < l->n; i++) {
    float *x = &l->feat[i * SR_LTR_NFEAT];
    x[1] = x[0] - best[0];
    x[12] = x[11] - best[11];
    x[18] = x[2] - best[2];
    x[19] = x[4] - best[4];
    x[21] = x[20] - best[20];
  }
}

void sr_ltr_score(const sr_ltr *m, const sr_ltr_list *l, float *out) {
  for (size_t i = 0; i < l->n; i++) {
    const float *x = &l->feat[i * SR_LTR_NFEAT];
    uint32_t F = m->n_feat;
    float xs[SR_LTR_NFEAT];
    for (uint32_t f = 0; f < F; f++) xs[f] = (x[f] - m->mean[f]) / m->std[f];
    float s = m->b2;
    for (uint32_t h = 0; h < m->hidden; h++) {
      const float *w = &m->w1[(size_t)h * F];
      float a = m->b1[h];
      for (uint32_t f = 0; f < F; f++) a += w[f] * xs[f];
      if (a > 0) s += m->w2[h] * a;
    }
    out[i] = s;
  }
}
