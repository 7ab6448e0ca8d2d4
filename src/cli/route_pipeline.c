/* route_pipeline.c — `skillrouter route` with vectors and/or the reranker (called by cmd_route):
 * retrieval = dense (query embedded with --embed-model, or --query-vector FILE), lexical (BM25F) or
 * hybrid (RRF k=60, or weighted min-max score fusion); then optionally the top --rerank-k (default 20)
 * reranked with the SkillRouter reranker (prefix/suffix tokens encoded once per query). */
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
#include "util/fileio.h"

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
  sr_vec_view vv;
  bool have_vecs = sr_index_vectors(ix, &vv);
  bool want_dense = po->mode != RP_LEXICAL && (po->embed_model || po->query_vector);
  if (po->mode == RP_DENSE && !want_dense) { fprintf(stderr, "skillrouter route: dense mode needs --embed-model or --query-vector\n"); return 2; }
  if (want_dense && !have_vecs) { fprintf(stderr, "skillrouter route: %s holds no vectors (index with --embed-model)\n", sr_index_path(ix)); return 1; }
  bool want_lex = po->mode != RP_DENSE;
  size_t depth = po->rerank_model ? (po->rerank_k > po->k ? po->rerank_k : po->k) : po->k;
  size_t pool = depth < 100 ? 100 : depth;  /* lists fused are deeper than the output */
  sr_result *dres = calloc(pool, sizeof *dres), *lres = calloc(pool, sizeof *lres), *fres = calloc(pool, sizeof *fres);
  float *q = NULL, *rr = NULL;
  size_t nd = 0, nl = 0, nf = 0;
  double t_embed = 0, t_dense = 0, t_lex = 0, t_rerank = 0;
  int rc = 1;
  cli_model em = {0}, rm = {0};
  int32_t *pre = NULL, *suf = NULL;
  size_t np = 0, ns = 0;
  if (!dres || !lres || !fres) goto done;
  if (want_dense) {
    double t0 = cli_now();
    if (po->query_vector) {
      if (!(q = read_qvec(po->query_vector, vv.dim))) goto done;
    } else {
      char *text = NULL;
      int32_t *ids = NULL;
      size_t n = 0;
      if (!(q = malloc(vv.dim * sizeof *q)) || cli_model_load(po->embed_model, po->tokenizer, po->threads, &em, &err) ||
          sr_query_text(NULL, query, SR_QUERY_MAX_CHARS, &text, &err) || cli_encode(&em, text, &ids, &n, &err) ||
          sr_qwen3_embed_text_ids(em.model, ids, n, 0, vv.dim, q, &err)) {
        fprintf(stderr, "skillrouter route: query embedding: %s\n", err.msg);
        free(text); free(ids);
        goto done;
      }
      free(text); free(ids);
    }
    double t1 = cli_now();
    if (sr_dense_search(&vv, q, &(sr_dense_opts){.k = pool}, dres, &nd, &err)) { fprintf(stderr, "skillrouter route: %s\n", err.msg); goto done; }
    t_embed = (t1 - t0) * 1e3;
    t_dense = (cli_now() - t1) * 1e3;
  }
  if (want_lex) {
    double t0 = cli_now();
    sr_route_opts ro = {.k = pool, .by = SR_BY_ENTRY, .bm25f = po->bm25f};
    if (sr_route(s, query, qlen, &ro, lres, &nl, NULL, &err)) { fprintf(stderr, "skillrouter route: %s\n", err.msg); goto done; }
    t_lex = (cli_now() - t0) * 1e3;
  }
  if (want_dense && want_lex) sr_fuse(dres, nd, lres, nl, po->fusion, 60, po->dense_weight, depth, fres, &nf, &err);
  else { nf = want_dense ? nd : nl; memcpy(fres, want_dense ? dres : lres, nf * sizeof *fres); }
  if (nf > depth) nf = depth;
  if (po->rerank_model) {
    double t0 = cli_now();
    size_t nr = nf < po->rerank_k ? nf : po->rerank_k;
    if (!(rr = calloc(nr + 1, sizeof *rr)) || cli_model_load(po->rerank_model, po->tokenizer, po->threads, &rm, &err) ||
        cli_encode(&rm, SR_RERANK_PREFIX, &pre, &np, &err) || cli_encode(&rm, SR_RERANK_SUFFIX, &suf, &ns, &err)) {
      fprintf(stderr, "skillrouter route: reranker: %s\n", err.msg);
      goto done;
    }
    for (size_t i = 0; i < nr; i++) {
      sr_entry_view e;
      sr_index_entry(ix, fres[i].id, &e);
      char *body = NULL;
      int32_t *ids = NULL;
      size_t n = 0;
      sr_status st = sr_rerank_body_text(NULL, query, e.name, e.description, e.body, SR_RERANK_DESC_CHARS, SR_RERANK_BODY_CHARS, &body, &err);
      if (!st) st = cli_encode(&rm, body, &ids, &n, &err);
      if (!st) st = sr_qwen3_rerank(rm.model, pre, np, ids, n, suf, ns, 0, &rr[i], NULL, &err);
      free(body); free(ids);
      if (st) { fprintf(stderr, "skillrouter route: rerank %s: %s\n", e.id, err.msg); goto done; }
    }
    /* reorder the reranked head by reranker score (stable: ties keep retrieval order) */
    for (size_t i = 1; i < nr; i++)
      for (size_t j = i; j > 0 && rr[j] > rr[j - 1]; j--) {
        float t = rr[j]; rr[j] = rr[j - 1]; rr[j - 1] = t;
        sr_result u = fres[j]; fres[j] = fres[j - 1]; fres[j - 1] = u;
      }
    t_rerank = (cli_now() - t0) * 1e3;
  }
  size_t nout = nf < po->k ? nf : po->k;
  sr_buf b = SR_BUF_INIT;
  if (po->json) sr_buf_puts(&b, "{\"results\":[");
  for (size_t i = 0; i < nout; i++) {
    sr_entry_view e;
    sr_index_entry(ix, fres[i].id, &e);
    if (!po->json) { sr_buf_printf(&b, "%2zu. %s  (score %.4f)  %s\n", i + 1, e.name, rr ? rr[i] : fres[i].score, e.id); continue; }
    sr_buf_printf(&b, "%s{\"rank\":%zu,\"skill_id\":", i ? "," : "", i + 1);
    sr_buf_json_string(&b, e.id, strlen(e.id));
    sr_buf_puts(&b, ",\"name\":");
    sr_buf_json_string(&b, e.name, strlen(e.name));
    sr_buf_printf(&b, ",\"score\":%.6g,\"scores\":{", rr && i < (nf < po->rerank_k ? nf : po->rerank_k) ? rr[i] : fres[i].score);
    bool f;
    const char *sep = "";
    float v = find_score(dres, nd, fres[i].id, &f);
    if (f) { sr_buf_printf(&b, "\"dense\":%.6g", v); sep = ","; }
    v = find_score(lres, nl, fres[i].id, &f);
    if (f) { sr_buf_printf(&b, "%s\"lexical\":%.6g", sep, v); sep = ","; }
    if (want_dense && want_lex) { sr_buf_printf(&b, "%s\"fused\":%.6g", sep, fres[i].score); sep = ","; }
    if (rr && i < (nf < po->rerank_k ? nf : po->rerank_k)) sr_buf_printf(&b, "%s\"rerank\":%.6g", sep, rr[i]);
    sr_buf_puts(&b, "}}");
  }
  if (po->json)
    sr_buf_printf(&b, "],\"mode\":\"%s\",\"timing_ms\":{\"embed\":%.3f,\"dense\":%.3f,\"lexical\":%.3f,\"rerank\":%.3f}}\n",
                  want_dense && want_lex ? (po->fusion == SR_FUSE_RRF ? "hybrid-rrf" : "hybrid-weighted") : want_dense ? "dense" : "lexical",
                  t_embed, t_dense, t_lex, t_rerank);
  if (!po->json && nout == 0) sr_buf_puts(&b, "no match\n");
  if (b.data) fwrite(b.data, 1, b.len, stdout);
  sr_buf_free(&b);
  rc = 0;
done:
  cli_model_free(&em);
  cli_model_free(&rm);
  free(pre); free(suf); free(q); free(rr); free(dres); free(lres); free(fres);
  return rc;
}
