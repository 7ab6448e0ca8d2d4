/* route_pipeline.c — the retrieve(-fuse)(-rerank) pipeline shared by `skillrouter route` and
 * `skillrouter eval` (see route_pipeline.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/cli_model.h"
#include "cli/route_pipeline.h"
#include "model/prompts.h"
#include "route/dense.h"
#include "route/fusion.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fileio.h"

struct rp_pipeline {
  const sr_index *ix;
  const route_pipe_opts *po;
  sr_vec_view vv;
  bool want_dense, want_lex;
  size_t depth, pool;                  /* retrieval list length; depth of each list fused */
  cli_model em, rm;                    /* embedding model (dense without given vectors), reranker */
  int32_t *pre, *suf;                  /* reranker prefix / suffix token ids */
  size_t np, ns;
  float *q;                            /* [dim] the embedded query */
  sr_result *dres, *lres, *fres, *out; /* [pool] each */
  float *rr;                           /* [rerank_k] */
};

void rp_free(rp_pipeline *p) {
  if (!p) return;
  cli_model_free(&p->em);
  cli_model_free(&p->rm);
  free(p->pre); free(p->suf); free(p->q); free(p->rr);
  free(p->dres); free(p->lres); free(p->fres); free(p->out);
  free(p);
}

sr_status rp_open(const sr_index *ix, const route_pipe_opts *po, rp_pipeline **out, sr_error *err) {
  *out = NULL;
  rp_pipeline *p = calloc(1, sizeof *p);
  if (!p) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  p->ix = ix;
  p->po = po;
  bool have_vecs = sr_index_vectors(ix, &p->vv);
  p->want_dense = po->mode != RP_LEXICAL && (po->embed_model || po->query_vector || po->query_vectors_given);
  p->want_lex = po->mode != RP_DENSE;
  sr_status st = SR_OK;
  if (po->mode == RP_DENSE && !p->want_dense)
    st = sr_fail(err, SR_ERR_ARG, "dense mode needs --embed-model or --query-vector%s", po->query_vectors_given ? "s" : "");
  else if (p->want_dense && !have_vecs)
    st = sr_fail(err, SR_ERR_NOT_FOUND, "%s holds no vectors (index with --embed-model)", sr_index_path(ix));
  if (st) { rp_free(p); return st; }
  /* the retrieval depth and the lists' depth do not depend on whether a reranker is given */
  p->depth = po->k > po->rerank_k ? po->k : po->rerank_k;
  p->pool = p->depth < 100 ? 100 : p->depth;
  p->dres = calloc(p->pool, sizeof *p->dres);
  p->lres = calloc(p->pool, sizeof *p->lres);
  p->fres = calloc(p->pool, sizeof *p->fres);
  p->out = calloc(p->pool, sizeof *p->out);
  p->rr = calloc(po->rerank_k + 1, sizeof *p->rr);
  p->q = calloc(have_vecs ? p->vv.dim : 1, sizeof *p->q);
  if (!p->dres || !p->lres || !p->fres || !p->out || !p->rr || !p->q) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (!st && p->want_dense && po->embed_model && !po->query_vector && !po->query_vectors_given &&
      (st = cli_model_load(po->embed_model, po->tokenizer, po->threads, &p->em, err)))
    sr_error_prefix(err, "embedding model");
  if (!st && po->rerank_model) {
    st = cli_model_load(po->rerank_model, po->tokenizer, po->threads, &p->rm, err);
    if (!st) st = cli_encode(&p->rm, SR_RERANK_PREFIX, &p->pre, &p->np, err);
    if (!st) st = cli_encode(&p->rm, SR_RERANK_SUFFIX, &p->suf, &p->ns, err);
    if (st) sr_error_prefix(err, "reranker");
  }
  if (st) { rp_free(p); return st; }
  *out = p;
  return SR_OK;
}

const char *rp_mode_name(const rp_pipeline *p) {
  if (p->want_dense && p->want_lex) return p->po->fusion == SR_FUSE_RRF ? "hybrid-rrf" : "hybrid-weighted";
  return p->want_dense ? "dense" : "lexical";
}

size_t rp_dim(const rp_pipeline *p) { return p->vv.info ? p->vv.dim : 0; }

sr_status rp_run(rp_pipeline *p, sr_searcher *s, const char *query, size_t qlen, const float *qvec, rp_stages *o,
                 sr_error *err) {
  const route_pipe_opts *po = p->po;
  memset(o, 0, sizeof *o);
  sr_status st = SR_OK;
  size_t nd = 0, nl = 0, nf = 0;
  if (p->want_dense) {
    double t0 = sr_clock_s();
    if (!qvec) {
      if (!p->em.model) return sr_fail(err, SR_ERR_ARG, "no query vector and no embedding model");
      char *text = NULL;
      int32_t *ids = NULL;
      size_t n = 0;
      st = sr_query_text(NULL, query, SR_QUERY_MAX_CHARS, &text, err);
      if (!st) st = cli_encode(&p->em, text, &ids, &n, err);
      if (!st) st = sr_qwen3_embed_text_ids(p->em.model, ids, n, 0, p->vv.dim, p->q, err);
      free(text);
      free(ids);
      if (st) return sr_error_prefix(err, "query embedding");
      qvec = p->q;
    }
    double t1 = sr_clock_s();
    if ((st = sr_dense_search(&p->vv, qvec, &(sr_dense_opts){.k = p->pool}, p->dres, &nd, err))) return st;
    o->embed_ms = (t1 - t0) * 1e3;
    o->dense_ms = (sr_clock_s() - t1) * 1e3;
  }
  if (p->want_lex) {
    double t0 = sr_clock_s();
    sr_route_opts ro = {.k = p->pool, .by = SR_BY_ENTRY, .bm25f = po->bm25f};
    if ((st = sr_route(s, query, qlen, &ro, p->lres, &nl, NULL, err))) return st;
    o->lexical_ms = (sr_clock_s() - t0) * 1e3;
  }
  if (p->want_dense && p->want_lex) {
    if ((st = sr_fuse(p->dres, nd, p->lres, nl, po->fusion, 60, po->dense_weight, p->depth, p->fres, &nf, err))) return st;
  } else {
    nf = p->want_dense ? nd : nl;
    memcpy(p->fres, p->want_dense ? p->dres : p->lres, nf * sizeof *p->fres);
  }
  if (nf > p->depth) nf = p->depth;
  memcpy(p->out, p->fres, nf * sizeof *p->out);
  size_t nr = 0;
  if (po->rerank_model) {
    double t0 = sr_clock_s();
    nr = nf < po->rerank_k ? nf : po->rerank_k;
    for (size_t i = 0; i < nr; i++) {
      sr_entry_view e;
      sr_index_entry(p->ix, p->out[i].id, &e);
      char *body = NULL;
      int32_t *ids = NULL;
      size_t n = 0;
      st = sr_rerank_body_text(NULL, query, e.name, e.description, e.body, SR_RERANK_DESC_CHARS, SR_RERANK_BODY_CHARS, &body, err);
      if (!st) st = cli_encode(&p->rm, body, &ids, &n, err);
      if (!st) st = sr_qwen3_rerank(p->rm.model, p->pre, p->np, ids, n, p->suf, p->ns, 0, &p->rr[i], NULL, err);
      free(body);
      free(ids);
      if (st) return sr_error_prefix(err, "rerank %s", e.id);
    }
    /* reorder the reranked head by reranker score (stable: ties keep retrieval order) */
    for (size_t i = 1; i < nr; i++)
      for (size_t j = i; j > 0 && p->rr[j] > p->rr[j - 1]; j--) {
        float t = p->rr[j]; p->rr[j] = p->rr[j - 1]; p->rr[j - 1] = t;
        sr_result u = p->out[j]; p->out[j] = p->out[j - 1]; p->out[j - 1] = u;
      }
    o->rerank_ms = (sr_clock_s() - t0) * 1e3;
  }
  o->dense = p->dres; o->n_dense = nd;
  o->lexical = p->lres; o->n_lexical = nl;
  o->retrieval = p->fres; o->n_retrieval = nf;
  o->final = p->out; o->n_final = nf;
  o->rerank_score = p->rr; o->n_reranked = nr;
  return SR_OK;
}

/* ---- `skillrouter route` ---- */

static float *read_qvec(const char *path, size_t dim) {
  char *data = NULL;
  size_t len = 0;
  sr_error err;
  if (sr_read_file(path, 1 << 26, &data, &len, &err)) { fprintf(stderr, "skillrouter route: %s\n", err.msg); return NULL; }
  float *q = malloc(dim * sizeof *q);
  size_t n = 0;
  for (char *p = data, *e; q && *p && n <= dim;) {
    float v = strtof(p, &e);
    if (e == p) { p++; continue; }
    if (n < dim) q[n] = v;
    n++;
    p = e;
  }
  free(data);
  if (q && n != dim) { fprintf(stderr, "skillrouter route: %s has %zu numbers, the index's vectors %zu\n", path, n, dim); free(q); return NULL; }
  return q;
}

static float find_score(const sr_result *r, size_t n, uint32_t id, bool *found) {
  for (size_t i = 0; i < n; i++) if (r[i].id == id) { *found = true; return r[i].score; }
  *found = false;
  return 0;
}

int route_pipeline(const sr_index *ix, sr_searcher *s, const char *query, size_t qlen, const route_pipe_opts *po) {
  sr_error err = {0};
  rp_pipeline *p = NULL;
  float *qv = NULL;
  sr_status st = rp_open(ix, po, &p, &err);
  if (st) {
    fprintf(stderr, "skillrouter route: %s\n", err.msg);
    return st == SR_ERR_ARG ? 2 : 1;
  }
  int rc = 1;
  rp_stages o;
  if (po->query_vector && p->want_dense && !(qv = read_qvec(po->query_vector, rp_dim(p)))) goto done;
  if (rp_run(p, s, query, qlen, qv, &o, &err)) {
    fprintf(stderr, "skillrouter route: %s\n", err.msg);
    goto done;
  }
  size_t nout = o.n_final < po->k ? o.n_final : po->k;
  sr_buf b = SR_BUF_INIT;
  if (po->json) sr_buf_puts(&b, "{\"results\":[");
  for (size_t i = 0; i < nout; i++) {
    const sr_result *r = &o.final[i];
    bool reranked = i < o.n_reranked;
    sr_entry_view e;
    sr_index_entry(ix, r->id, &e);
    if (!po->json) {
      sr_buf_printf(&b, "%2zu. %s  (score %.4f)  %s\n", i + 1, e.name, reranked ? o.rerank_score[i] : r->score, e.id);
      continue;
    }
    sr_buf_printf(&b, "%s{\"rank\":%zu,\"skill_id\":", i ? "," : "", i + 1);
    sr_buf_json_string(&b, e.id, strlen(e.id));
    sr_buf_puts(&b, ",\"name\":");
    sr_buf_json_string(&b, e.name, strlen(e.name));
    sr_buf_printf(&b, ",\"score\":%.6g,\"scores\":{", reranked ? o.rerank_score[i] : r->score);
    bool f;
    const char *sep = "";
    float v = find_score(o.dense, o.n_dense, r->id, &f);
    if (f) { sr_buf_printf(&b, "\"dense\":%.6g", v); sep = ","; }
    v = find_score(o.lexical, o.n_lexical, r->id, &f);
    if (f) { sr_buf_printf(&b, "%s\"lexical\":%.6g", sep, v); sep = ","; }
    if (p->want_dense && p->want_lex) {
      v = find_score(o.retrieval, o.n_retrieval, r->id, &f);
      sr_buf_printf(&b, "%s\"fused\":%.6g", sep, v);
      sep = ",";
    }
    if (reranked) sr_buf_printf(&b, "%s\"rerank\":%.6g", sep, o.rerank_score[i]);
    sr_buf_puts(&b, "}}");
  }
  if (po->json)
    sr_buf_printf(&b, "],\"mode\":\"%s\",\"timing_ms\":{\"embed\":%.3f,\"dense\":%.3f,\"lexical\":%.3f,\"rerank\":%.3f}}\n",
                  rp_mode_name(p), o.embed_ms, o.dense_ms, o.lexical_ms, o.rerank_ms);
  if (!po->json && nout == 0) sr_buf_puts(&b, "no match\n");
  if (b.data) fwrite(b.data, 1, b.len, stdout);
  sr_buf_free(&b);
  rc = 0;
done:
  free(qv);
  rp_free(p);
  return rc;
}
