/* default_route.c — see default_route.h. */
#include "route/default_route.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/forward.h"
#include "route/dense.h"
#include "route/ltr.h"
#include "route/query_bag.h"
#include "util/clock.h"
#include "util/parallel.h"

#define SR_DEFAULT_MAX_CAND 1024  /* shortlist size limit (lexical + dense lists of at most half each) */

struct sr_default_router {
  const sr_index *ix;
  const sr_default_model *m;
  sr_default_route_opts o;
  sr_searcher *s;
  sr_analyzer *an;
  sr_query_bag bag;
  sr_ltr_list list;
  sr_wrow *qrows;
  size_t cap_qrows;
  float *qv;
  sr_result *lex, *dense;
  size_t cap_res;
  sr_result *ranked;         /* [SR_DEFAULT_MAX_CAND] the shortlist with its scores */
  float *own_vecs;           /* computed in memory when the index has none for this model */
  sr_vec_info own_info;
  sr_vec_view view;
  bool computed;
};

typedef struct vec_job {
  const sr_forward *fwd;
  const sr_senc *enc;
  const uint32_t *bucket;
  float *out;
  sr_wrow *rows[SR_PARALLEL_MAX_THREADS];  /* per-thread scratch, room for the longest entry */
} vec_job;

static void vec_one(void *ctx, size_t d, int tid) {
  vec_job *j = ctx;
  size_t n = sr_senc_doc_rows(j->enc, j->fwd, j->bucket, (uint32_t)d, NULL, 0, j->rows[tid]);
  sr_senc_pool(j->enc, j->rows[tid], n, &j->out[d * j->enc->dim]);
}

sr_status sr_default_doc_vectors(const sr_index *ix, const sr_default_model *m, int threads, float **out,
                                 sr_error *err) {
  *out = NULL;
  sr_forward *fwd = NULL;
  sr_status st = sr_forward_build(ix, &fwd, err);
  if (st != SR_OK) return st;
  uint32_t n = sr_index_count(ix);
  threads = sr_parallel_threads(threads);
  vec_job j = {fwd, &m->enc, sr_senc_term_buckets(&m->enc, ix), malloc(((size_t)n * m->enc.dim + 1) * sizeof(float)), {0}};
  size_t max_terms = 1;
  for (uint32_t d = 0; d < n; d++)
    if (fwd->start[d + 1] - fwd->start[d] > max_terms) max_terms = (size_t)(fwd->start[d + 1] - fwd->start[d]);
  bool oom = !j.bucket || !j.out;
  for (int k = 0; k < threads; k++) oom |= !(j.rows[k] = malloc(max_terms * sizeof(sr_wrow)));
  if (!oom) sr_parallel_run(threads, n, vec_one, &j);
  for (int k = 0; k < threads; k++) free(j.rows[k]);
  free((void *)j.bucket);
  sr_forward_free(fwd);
  if (oom) {
    free(j.out);
    return sr_fail(err, SR_ERR_NOMEM, "default model: out of memory computing vectors");
  }
  *out = j.out;
  return SR_OK;
}

void sr_default_router_free(sr_default_router *r) {
  if (!r) return;
  sr_searcher_free(r->s);
  sr_analyzer_free(r->an);
  sr_query_bag_free(&r->bag);
  sr_ltr_list_free(&r->list);
  free(r->qrows);
  free(r->qv);
  free(r->ranked);
  free(r->lex);
  free(r->dense);
  free(r->own_vecs);
  free(r);
}

bool sr_default_router_vectors_computed(const sr_default_router *r) { return r->computed; }

sr_status sr_default_router_new(const sr_index *ix, const sr_default_model *m, const sr_default_route_opts *o,
                                sr_default_router **out, sr_error *err) {
  *out = NULL;
  sr_default_router *r = calloc(1, sizeof *r);
  if (!r) return sr_fail(err, SR_ERR_NOMEM, "default router: out of memory");
  r->ix = ix;
  r->m = m;
  r->o = *o;
  if (!r->o.list) r->o.list = 20;
  sr_status st = sr_searcher_new(ix, &r->s, err);
  if (st == SR_OK) st = sr_analyzer_new(sr_index_analyzer(ix), &r->an, err);
  if (st != SR_OK) {
    sr_default_router_free(r);
    return st;
  }
  r->qv = malloc(m->enc.dim * sizeof *r->qv);
  r->ranked = malloc(SR_DEFAULT_MAX_CAND * sizeof *r->ranked);
  if (!r->qv || !r->ranked) {
    sr_default_router_free(r);
    return sr_fail(err, SR_ERR_NOMEM, "default router: out of memory");
  }
  sr_vec_view v;
  if (sr_index_vectors(ix, &v) && !strcmp(v.info->model_id, m->id) && v.dim == m->enc.dim) {
    r->view = v;
  } else {
    if ((st = sr_default_doc_vectors(ix, m, o->threads, &r->own_vecs, err)) != SR_OK) {
      sr_default_router_free(r);
      return st;
    }
    r->computed = true;
    memset(&r->own_info, 0, sizeof r->own_info);
    r->own_info.dim = m->enc.dim;
    r->own_info.dtype = SR_VEC_F32;
    snprintf(r->own_info.model_id, sizeof r->own_info.model_id, "%s", m->id);
    r->view = (sr_vec_view){&r->own_info, sr_index_count(ix), m->enc.dim, SR_VEC_F32, r->own_vecs, NULL, NULL, NULL};
  }
  *out = r;
  return SR_OK;
}

static int cmp_score(const void *a, const void *b) {
  const sr_result *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

sr_status sr_default_route(sr_default_router *r, const char *query, size_t len, size_t k, sr_result *out,
                           size_t *n_out, sr_result *lexical_out, size_t *n_lexical, sr_default_route_timing *timing,
                           sr_error *err) {
  double t0 = sr_clock_ms();
  *n_out = 0;
  if (n_lexical) *n_lexical = 0;
  size_t L = r->o.list, want = k > L ? k : L;
  if (want > r->cap_res) {
    free(r->lex);
    free(r->dense);
    r->lex = malloc(want * sizeof *r->lex);
    r->dense = malloc(want * sizeof *r->dense);
    r->cap_res = want;
    if (!r->lex || !r->dense) {
      r->cap_res = 0;
      return sr_fail(err, SR_ERR_NOMEM, "default router: out of memory");
    }
  }
  sr_route_opts ro = {.k = want, .by = SR_BY_ENTRY, .bm25f = NULL};
  size_t n_lex = 0, n_dense = 0;
  sr_status st = sr_route(r->s, query, len, &ro, r->lex, &n_lex, NULL, err);
  if (st != SR_OK) return st;
  if (lexical_out) {
    size_t c = n_lex < k ? n_lex : k;
    memcpy(lexical_out, r->lex, c * sizeof *r->lex);
    *n_lexical = c;
  }
  double t1 = sr_clock_ms();
  if ((st = sr_query_bag_fill(&r->bag, r->an, r->ix, &r->m->enc, query, len, err)) != SR_OK) return st;
  if (r->bag.n > r->cap_qrows) {
    free(r->qrows);
    r->qrows = malloc(r->bag.n * sizeof *r->qrows);
    r->cap_qrows = r->qrows ? r->bag.n : 0;
    if (!r->qrows) return sr_fail(err, SR_ERR_NOMEM, "default router: out of memory");
  }
  size_t nr = sr_senc_query_rows(&r->m->enc, r->bag.terms, r->bag.n, r->qrows);
  float qnorm = sr_senc_pool(&r->m->enc, r->qrows, nr, r->qv);
  if (!r->o.no_dense && qnorm > 0) {
    sr_dense_opts dop = {.k = want, .rescore = 0, .force_scalar = 0};
    if ((st = sr_dense_search(&r->view, r->qv, &dop, r->dense, &n_dense, err)) != SR_OK) return st;
  }
  double t2 = sr_clock_ms();
  if (r->o.dense_only) {
    size_t m = n_dense < k ? n_dense : k;
    memcpy(out, r->dense, m * sizeof *out);
    *n_out = m;
    if (timing) *timing = (sr_default_route_timing){t1 - t0, t2 - t1, 0, sr_clock_ms() - t0};
    return SR_OK;
  }
  /* candidates: lexical top-L, then dense top-L not already in */
  size_t nc = 0;
  uint32_t cand[SR_DEFAULT_MAX_CAND];
  int32_t lr[SR_DEFAULT_MAX_CAND], dr[SR_DEFAULT_MAX_CAND];
  if (L > SR_DEFAULT_MAX_CAND / 2) L = SR_DEFAULT_MAX_CAND / 2;
  for (size_t i = 0; i < n_lex && i < L; i++) {
    cand[nc] = r->lex[i].id;
    lr[nc] = (int32_t)i;
    dr[nc++] = -1;
  }
  for (size_t i = 0; i < n_dense && i < L; i++) {
    size_t c = 0;
    while (c < nc && cand[c] != r->dense[i].id) c++;
    if (c == nc) {
      cand[nc] = r->dense[i].id;
      lr[nc] = -1;
      dr[nc++] = (int32_t)i;
    } else {
      dr[c] = (int32_t)i;
    }
  }
  sr_result *ranked = r->ranked;  /* every candidate of the shortlist is scored, then sorted */
  size_t n = 0;
  if (r->m->has_rr && !r->o.no_rerank && nc > 0) {
    if ((st = sr_ltr_list_begin(&r->list, r->ix, r->bag.terms, r->bag.n, nc, sr_bm25f_defaults().max_df_ratio, err)) !=
        SR_OK)
      return st;
    sr_ltr_list *l = &r->list;
    for (size_t c = 0; c < nc; c++) {
      l->doc[c] = cand[c];
      l->lex_rank[c] = lr[c];
      l->dense_rank[c] = dr[c];
      l->cosine[c] = qnorm > 0 ? sr_dense_score_ref(&r->view, r->qv, cand[c]) : 0.0f;
    }
    if ((st = sr_ltr_gather_postings(l, r->ix, err)) != SR_OK) return st;
    sr_bm25f_params bp = sr_bm25f_defaults();
    double avg[3];
    sr_index_avg_field_lens(r->ix, avg);
    sr_ltr_features(l, &bp, sr_index_count(r->ix), avg);
    float sc[SR_DEFAULT_MAX_CAND];
    sr_ltr_score(&r->m->rr, l, sc);
    for (size_t c = 0; c < nc; c++) ranked[n++] = (sr_result){cand[c], sc[c]};
    qsort(ranked, n, sizeof *ranked, cmp_score);
  } else {
    /* reciprocal-rank fusion of the two lists (k = 60) */
    for (size_t c = 0; c < nc; c++) {
      float s = 0;
      if (lr[c] >= 0) s += 1.0f / (60.0f + (float)lr[c] + 1);
      if (dr[c] >= 0) s += 1.0f / (60.0f + (float)dr[c] + 1);
      ranked[n++] = (sr_result){cand[c], s};
    }
    qsort(ranked, n, sizeof *ranked, cmp_score);
  }
  double t3 = sr_clock_ms();
  /* output: the reranked candidates, then the lexical tail, then the dense tail */
  size_t m = 0;
  for (size_t i = 0; i < n && m < k; i++) out[m++] = ranked[i];
  float floor_score = m ? out[m - 1].score : 0;
  for (int pass = 0; pass < 2; pass++) {
    const sr_result *src = pass == 0 ? r->lex : r->dense;
    size_t ns = pass == 0 ? n_lex : n_dense;
    for (size_t i = L; i < ns && m < k; i++) {
      bool dup = false;
      for (size_t j = 0; j < m && !dup; j++) dup = out[j].id == src[i].id;
      if (dup) continue;
      floor_score = nextafterf(floor_score, -INFINITY);
      out[m++] = (sr_result){src[i].id, floor_score};
    }
  }
  *n_out = m;
  if (timing) *timing = (sr_default_route_timing){t1 - t0, t2 - t1, t3 - t2, sr_clock_ms() - t0};
  return SR_OK;
}
