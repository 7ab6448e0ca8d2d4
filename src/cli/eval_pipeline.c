/* eval_pipeline.c — routing a benchmark's tasks through the route pipeline, per stage (see
 * eval_pipeline.h). */
#include "cli/eval_pipeline.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/hash.h"

void eval_stages_free(eval_stages *s) {
  sr_predictions_free(&s->retrieval);
  sr_predictions_free(&s->reranked);
  sr_predictions_free(&s->shortlist);
}

/* Query vectors by task id: vecs[i * dim] is the vector of the task mapped to i. */
typedef struct qvecs {
  sr_strmap by_id;           /* keys borrowed from ids */
  char **ids;                /* [n] task ids (owned) */
  float *vecs;
  size_t n, cap, dim;
} qvecs;

static void qvecs_free(qvecs *q) {
  sr_strmap_free(&q->by_id);
  for (size_t i = 0; i < q->n; i++) free(q->ids[i]);
  free(q->ids);
  free(q->vecs);
}

static sr_status qvecs_load(const char *path, size_t dim, qvecs *q, sr_error *err) {
  char *data = NULL;
  size_t len = 0;
  sr_status st = sr_read_file(path, (size_t)1 << 32, &data, &len, err);
  if (st) return st;
  q->dim = dim;
  size_t line = 0;
  for (char *p = data; !st && p < data + len;) {
    char *nl = memchr(p, '\n', (size_t)(data + len - p));
    if (nl) *nl = 0;
    line++;
    char *cur = p;
    p = nl ? nl + 1 : data + len;
    while (*cur == ' ' || *cur == '\t' || *cur == '\r') cur++;
    if (!*cur) continue;
    cJSON *o = cJSON_Parse(cur);
    const cJSON *id = o ? cJSON_GetObjectItemCaseSensitive(o, "task_id") : NULL;
    if (o && !cJSON_IsString(id)) id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "vector") : NULL;
    if (!cJSON_IsString(id) || !cJSON_IsArray(v)) {
      st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: expected {\"task_id\": .., \"vector\": [..]}", path, line);
    } else if ((size_t)cJSON_GetArraySize(v) != dim) {
      st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: vector has %d numbers, the index's vectors %zu", path, line,
                   cJSON_GetArraySize(v), dim);
    } else {
      if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        float *nv = realloc(q->vecs, cap * dim * sizeof *nv);
        if (nv) q->vecs = nv;
        char **ni = nv ? realloc(q->ids, cap * sizeof *ni) : NULL;
        if (ni) q->ids = ni, q->cap = cap;
        else st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
      }
      float *x = st ? NULL : q->vecs + q->n * dim;
      double norm = 0;
      size_t k = 0;
      for (const cJSON *e = x ? v->child : NULL; e; e = e->next, k++) {
        if (!cJSON_IsNumber(e)) { st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: vector holds a non-number", path, line); break; }
        x[k] = (float)e->valuedouble;
        norm += (double)x[k] * x[k];
      }
      if (!st && norm > 0)  /* L2-normalised, as index vectors are */
        for (k = 0; k < dim; k++) x[k] = (float)(x[k] / sqrt(norm));
      bool inserted = false;
      char *key = st ? NULL : strdup(id->valuestring);
      if (!st && !key) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
      if (!st && !sr_strmap_put(&q->by_id, key, strlen(key), (uint32_t)q->n, &inserted, NULL))
        st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
      if (!st && !inserted) st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: task '%s' given twice", path, line, key);
      if (!st) q->ids[q->n++] = key;
      else free(key);
    }
    cJSON_Delete(o);
  }
  free(data);
  return st;
}


sr_status eval_pipeline_run(const sr_index *ix, const sr_bench *bench, const sr_eval_opts *opts, const route_pipe_opts *po,
                            const char *query_vectors, eval_stages *out, sr_error *err) {
  memset(out, 0, sizeof *out);
  out->retrieval = out->reranked = out->shortlist = (sr_predictions)SR_PREDICTIONS_INIT;
  out->has_rerank = po->rerank_model != NULL;
  rp_pipeline *p = NULL;
  sr_searcher *s = NULL;
  qvecs qv = {SR_STRMAP_INIT, NULL, NULL, 0, 0, 0};
  size_t nt = bench->n_tasks ? bench->n_tasks : 1, nq = 0;
  double *ms[5] = {malloc(nt * sizeof(double)), malloc(nt * sizeof(double)), malloc(nt * sizeof(double)),
                   malloc(nt * sizeof(double)), malloc(nt * sizeof(double))};
  size_t depth = po->k > po->rerank_k ? po->k : po->rerank_k;
  const char **ids = malloc((depth ? depth : 1) * sizeof *ids);
  sr_status st = SR_OK;
  for (int i = 0; i < 5; i++)
    if (!ms[i]) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (!ids) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (!st) st = rp_open(ix, po, &p, err);
  if (!st) out->mode = rp_mode_name(p);
  if (!st) st = sr_searcher_new(ix, &s, err);
  if (!st && query_vectors && rp_dim(p) == 0)
    st = sr_fail(err, SR_ERR_NOT_FOUND, "%s holds no vectors (index with --embed-model or --vectors)", sr_index_path(ix));
  if (!st && query_vectors) st = qvecs_load(query_vectors, rp_dim(p), &qv, err);
  bool dense = !st && (!strcmp(out->mode, "dense") || !strncmp(out->mode, "hybrid", 6));
  for (size_t i = 0; !st && i < bench->n_tasks; i++) {
    const sr_bench_task *t = &bench->tasks[i];
    if (!sr_eval_task_selected(t, opts)) continue;
    if (!t->instruction) { out->not_routed++; continue; }
    const float *qvec = NULL;
    if (query_vectors && dense) {
      uint32_t at;
      if (!sr_strmap_get(&qv.by_id, t->task_id, strlen(t->task_id), &at)) { out->missing_vectors++; continue; }
      qvec = qv.vecs + (size_t)at * qv.dim;
    }
    rp_stages o;
    if ((st = rp_run(p, s, t->instruction, t->instruction_len, qvec, &o, err))) {
      sr_error_prefix(err, "task '%s'", t->task_id);
      break;
    }
    ms[0][nq] = o.embed_ms;
    ms[1][nq] = o.dense_ms;
    ms[2][nq] = o.lexical_ms;
    ms[3][nq] = o.rerank_ms;
    ms[4][nq] = o.embed_ms + o.dense_ms + o.lexical_ms + o.rerank_ms;
    nq++;
    size_t nk = o.n_retrieval < po->k ? o.n_retrieval : po->k;
    st = sr_eval_add_ranking(ix, &out->retrieval, t->task_id, o.retrieval, nk, ids, err);
    if (!st && out->has_rerank) {
      st = sr_eval_add_ranking(ix, &out->reranked, t->task_id, o.final, nk, ids, err);
      if (!st) st = sr_eval_add_ranking(ix, &out->shortlist, t->task_id, o.retrieval, o.n_reranked, ids, err);
    }
  }
  if (!st) {
    sr_eval_latency *lat[5] = {&out->embed, &out->dense, &out->lexical, &out->rerank, &out->total};
    for (int i = 0; i < 5; i++) sr_eval_latency_summarize(ms[i], nq, lat[i]);
  }
  for (int i = 0; i < 5; i++) free(ms[i]);
  free(ids);
  qvecs_free(&qv);
  sr_searcher_free(s);
  rp_free(p);
  if (st) eval_stages_free(out);
  return st;
}
