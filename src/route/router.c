/* router.c — BM25F ranking over an open index. See router.h for the contract.
 *
 * score(d) = Σ_{t in query} idf(t) · tf̃ / (k1 + tf̃),   tf̃ = Σ_f w_f · tf_f(d) / (1 − b_f + b_f · len_f(d) / avglen_f)
 * idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)). A query term counts once however often it repeats, unless
 * qtf_k3 > 0: then its score is multiplied by (k3 + 1)·qtf / (k3 + qtf) (Robertson's query-term weight).
 * Scoring is term-at-a-time into a dense accumulator array; the top k are picked with a heap. */
#include "route/router.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index/index_format.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/utf8.h"

sr_bm25f_params sr_bm25f_defaults(void) {
  sr_bm25f_params p = {.k1 = 1.6f, .weight = {3.0f, 1.0f, 1.0f}, .b = {0.5f, 0.75f, 0.9f}, .max_df_ratio = 0.5f, .qtf_k3 = 0.0f};
  return p;
}

struct sr_searcher {
  const sr_index *ix;
  sr_analyzer *an;
  float *acc;             /* [N] accumulated scores */
  uint32_t *touched;      /* [N] docs with acc != 0, in first-touch order */
  uint32_t n_touched;
  float *norm[SR_IDX_NFIELDS];  /* [N] w_f / (1 − b_f + b_f·len/avg), for `params` */
  sr_bm25f_params params; /* what norm was computed for */
  bool norm_valid;
  sr_strmap qterms;       /* distinct query terms of the current query (keys in qbuf) */
  uint32_t *qids;         /* term ids of the distinct query terms found in the index */
  uint32_t *qtf;          /* [cap_qids] how often each of them occurs in the query */
  size_t n_qids, cap_qids;
  sr_buf qbuf;            /* copies of the query terms */
  size_t *qoff;           /* offsets of the terms in qbuf */
  size_t n_q, cap_q;
  bool oom;
  float *pack_best;       /* [n_packs] for SR_BY_PACK */
};

sr_status sr_searcher_new(const sr_index *ix, sr_searcher **out, sr_error *err) {
  *out = NULL;
  sr_searcher *s = calloc(1, sizeof *s);
  if (!s) return sr_fail(err, SR_ERR_NOMEM, "searcher: out of memory");
  s->ix = ix;
  size_t n = ix->n_entries ? ix->n_entries : 1;
  s->acc = calloc(n, sizeof *s->acc);
  s->touched = malloc(n * sizeof *s->touched);
  for (int f = 0; f < SR_IDX_NFIELDS; f++) s->norm[f] = malloc(n * sizeof(float));
  s->pack_best = malloc((ix->n_packs ? ix->n_packs : 1) * sizeof *s->pack_best);
  if (!s->acc || !s->touched || !s->norm[0] || !s->norm[1] || !s->norm[2] || !s->pack_best) {
    sr_searcher_free(s);
    return sr_fail(err, SR_ERR_NOMEM, "searcher: out of memory");
  }
  sr_status st = sr_analyzer_new(sr_index_analyzer(ix), &s->an, err);
  if (st != SR_OK) {
    sr_searcher_free(s);
    return st;
  }
  *out = s;
  return SR_OK;
}

void sr_searcher_free(sr_searcher *s) {
  if (!s) return;
  sr_analyzer_free(s->an);
  free(s->acc);
  free(s->touched);
  for (int f = 0; f < SR_IDX_NFIELDS; f++) free(s->norm[f]);
  free(s->pack_best);
  sr_strmap_free(&s->qterms);
  free(s->qids);
  free(s->qoff);
  free(s->qtf);
  sr_buf_free(&s->qbuf);
  free(s);
}

static void compute_norms(sr_searcher *s, const sr_bm25f_params *p) {
  const sr_index *ix = s->ix;
  for (int f = 0; f < SR_IDX_NFIELDS; f++) {
    double avg = ix->stats->avg_field_len[f] > 0 ? ix->stats->avg_field_len[f] : 1.0;
    for (uint32_t d = 0; d < ix->n_entries; d++) {
      double len = ix->entries[d].field_len[f];
      s->norm[f][d] = (float)(p->weight[f] / (1.0 - p->b[f] + p->b[f] * len / avg));
    }
  }
  s->params = *p;
  s->norm_valid = true;
}

/* Collects the distinct query terms (term bytes copied into qbuf). */
static void on_query_term(void *ctx, const char *term, size_t len) {
  sr_searcher *s = ctx;
  if (s->oom) return;
  if (s->n_q == s->cap_q) {
    size_t cap = s->cap_q ? s->cap_q * 2 : 64;
    size_t *q = realloc(s->qoff, cap * sizeof *q);
    if (!q) { s->oom = true; return; }
    s->qoff = q;
    s->cap_q = cap;
  }
  s->qoff[s->n_q++] = s->qbuf.len;
  if (!sr_buf_append(&s->qbuf, term, len) || !sr_buf_putc(&s->qbuf, '\0')) s->oom = true;
}

/* Min-heap on (score, then higher id = worse) of size k. */
static bool worse(const sr_result *a, const sr_result *b) {
  return a->score < b->score || (a->score == b->score && a->id > b->id);
}

static void heap_sift_down(sr_result *h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && worse(&h[l], &h[m])) m = l;
    if (r < n && worse(&h[r], &h[m])) m = r;
    if (m == i) return;
    sr_result t = h[i]; h[i] = h[m]; h[m] = t;
    i = m;
  }
}

static void heap_offer(sr_result *h, size_t k, size_t *n, sr_result cand) {
  if (*n < k) {
    size_t i = (*n)++;
    h[i] = cand;
    while (i > 0) {
      size_t p = (i - 1) / 2;
      if (!worse(&h[i], &h[p])) break;
      sr_result t = h[i]; h[i] = h[p]; h[p] = t;
      i = p;
    }
  } else if (k > 0 && worse(&h[0], &cand)) {
    h[0] = cand;
    heap_sift_down(h, k, 0);
  }
}

static int cmp_result(const void *a, const void *b) {
  const sr_result *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

sr_status sr_route(sr_searcher *s, const char *query, size_t query_len, const sr_route_opts *opts,
                   sr_result *out, size_t *n_out, sr_route_timing *timing, sr_error *err) {
  double t0 = sr_clock_ms();
  *n_out = 0;
  size_t bad;
  if (!sr_utf8_valid(query, query_len, &bad))
    return sr_fail(err, SR_ERR_FORMAT, "query: invalid UTF-8 at byte %zu", bad);
  const sr_index *ix = s->ix;
  sr_bm25f_params p = opts->bm25f ? *opts->bm25f : sr_bm25f_defaults();
  if (!s->norm_valid || memcmp(&p, &s->params, sizeof p) != 0) compute_norms(s, &p);
  /* analyse the query into distinct terms */
  s->n_q = 0;
  s->oom = false;
  sr_buf_reset(&s->qbuf);
  sr_status st = sr_analyze(s->an, query, query_len, on_query_term, s, err);
  if (st != SR_OK) return st;
  if (s->oom) return sr_fail(err, SR_ERR_NOMEM, "query: out of memory");
  double t1 = sr_clock_ms();
  /* score term at a time */
  double N = ix->n_entries;
  uint32_t max_df = (uint32_t)(p.max_df_ratio >= 1.0f ? ix->n_entries : p.max_df_ratio * N);
  sr_strmap_free(&s->qterms);
  /* distinct query terms present in the index */
  s->n_qids = 0;
  bool any_below = false;
  for (size_t q = 0; q < s->n_q; q++) {
    const char *term = s->qbuf.data + s->qoff[q];
    size_t len = strlen(term);
    uint32_t t, existing;
    bool found = sr_index_term_find(ix, term, len, &t), inserted;
    if (!sr_strmap_put(&s->qterms, term, len, found ? (uint32_t)s->n_qids : UINT32_MAX, &inserted, &existing))
      return sr_fail(err, SR_ERR_NOMEM, "query: out of memory");
    if (!inserted) {
      if (existing != UINT32_MAX) s->qtf[existing]++;
      continue;
    }
    if (!found) continue;
    if (s->n_qids == s->cap_qids) {
      size_t cap = s->cap_qids ? s->cap_qids * 2 : 64;
      uint32_t *q2 = realloc(s->qids, cap * sizeof *q2);
      if (!q2) return sr_fail(err, SR_ERR_NOMEM, "query: out of memory");
      s->qids = q2;
      uint32_t *f2 = realloc(s->qtf, cap * sizeof *f2);
      if (!f2) return sr_fail(err, SR_ERR_NOMEM, "query: out of memory");
      s->qtf = f2;
      s->cap_qids = cap;
    }
    s->qtf[s->n_qids] = 1;
    s->qids[s->n_qids++] = t;
    if (ix->terms[t].df <= max_df) any_below = true;
  }
  /* very common terms are skipped, unless that would leave nothing (tiny catalogs, one-word queries) */
  if (!any_below) max_df = UINT32_MAX;
  for (size_t q = 0; q < s->n_qids; q++) {
    uint32_t t = s->qids[q];
    uint32_t df = ix->terms[t].df;
    if (df > max_df) continue;
    float idf = (float)log(1.0 + (N - df + 0.5) / (df + 0.5));
    if (p.qtf_k3 > 0) idf *= (p.qtf_k3 + 1) * s->qtf[q] / (p.qtf_k3 + s->qtf[q]);
    const uint8_t *pp, *end;
    sr_index_term_postings(ix, t, &pp, &end);
    uint32_t doc = 0;
    while (pp < end) {
      uint32_t delta, tf[SR_IDX_NFIELDS];
      size_t n = sr_posting_decode(pp, end, &delta, tf);
      if (!n || (uint64_t)doc + delta >= ix->n_entries)
        return sr_fail(err, SR_ERR_CORRUPT, "%s: corrupt postings for term %u", ix->path, t);
      pp += n;
      doc += delta;
      float tft = tf[2] * s->norm[2][doc];
      if (tf[0]) tft += tf[0] * s->norm[0][doc];
      if (tf[1]) tft += tf[1] * s->norm[1][doc];
      float add = idf * tft / (p.k1 + tft);
      if (!(add > 0.0f)) continue;  /* zero-weight field: no contribution, and acc stays a clean marker */
      if (s->acc[doc] == 0.0f) s->touched[s->n_touched++] = doc;
      s->acc[doc] += add;
    }
  }
  double t2 = sr_clock_ms();
  /* select the top k (and reset the accumulators) */
  size_t k = opts->k, n = 0;
  if (opts->by == SR_BY_PACK) {
    for (uint32_t pk = 0; pk < ix->n_packs; pk++) s->pack_best[pk] = 0;
    for (uint32_t i = 0; i < s->n_touched; i++) {
      uint32_t d = s->touched[i], pk = ix->entries[d].pack_id;
      if (pk != UINT32_MAX && s->acc[d] > s->pack_best[pk]) s->pack_best[pk] = s->acc[d];
    }
    for (uint32_t pk = 0; pk < ix->n_packs; pk++)
      if (s->pack_best[pk] > 0) heap_offer(out, k, &n, (sr_result){pk, s->pack_best[pk]});
  } else {
    for (uint32_t i = 0; i < s->n_touched; i++) {
      uint32_t d = s->touched[i];
      if (s->acc[d] > 0) heap_offer(out, k, &n, (sr_result){d, s->acc[d]});
    }
  }
  for (uint32_t i = 0; i < s->n_touched; i++) s->acc[s->touched[i]] = 0.0f;
  s->n_touched = 0;
  qsort(out, n, sizeof *out, cmp_result);
  *n_out = n;
  double t3 = sr_clock_ms();
  if (timing) *timing = (sr_route_timing){t1 - t0, t2 - t1, t3 - t2, t3 - t0};
  return SR_OK;
}
