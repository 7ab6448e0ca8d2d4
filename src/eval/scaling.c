/* scaling.c — the catalog-size scaling study: sampling, sub-indexes, per-task scores, bootstrap CIs
 * (see scaling.h). Output files are in scaling_out.c. */
#include "eval/scaling.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eval/metrics.h"
#include "eval/multilabel.h"

#define NV (SR_SC_COUNT * SR_SM_COUNT)

static const char *const METRIC_NAMES[SR_SM_COUNT] = {
    "recall@5", "recall@10", "recall@20", "coverage@5", "coverage@10", "coverage@20", "mrr@10", "ndcg@10",
    "precision_top1", "recall_top1", "f1_top1", "precision_thr", "recall_thr", "f1_thr"};
static const char *const METHOD_NAMES[SR_SC_COUNT] = {"tool", "tool-shuffled", "pack", "pack-shuffled",
                                                      "oracle", "random"};
const char *sr_scale_metric_name(sr_scale_metric m) { return METRIC_NAMES[m]; }
const char *sr_scale_method_name(sr_scale_method m) { return METHOD_NAMES[m]; }
const char *sr_scale_cohort_name(sr_scale_cohort c) { return c == SR_CO_ALL ? "all" : "fixed"; }

/* Sampling units: unit u holds docs[start[u] .. start[u+1]). */
typedef struct units {
  uint32_t *docs, *start;
  size_t n;
} units;

static sr_status make_units(const sr_index *ix, units *u, sr_error *err) {
  uint32_t n_docs = sr_index_count(ix), n_packs = sr_index_pack_count(ix);
  u->docs = malloc((n_docs + 1) * sizeof *u->docs);
  u->start = malloc(((size_t)n_packs + n_docs + 1) * sizeof *u->start);
  if (!u->docs || !u->start) return sr_fail(err, SR_ERR_NOMEM, "scale: out of memory");
  size_t nd = 0;
  u->n = 0;
  for (uint32_t p = 0; p < n_packs; p++) {
    const uint32_t *d;
    uint32_t m = sr_index_pack_entries(ix, p, &d);
    if (!m) continue;
    u->start[u->n++] = (uint32_t)nd;
    for (uint32_t j = 0; j < m; j++) u->docs[nd++] = d[j];
  }
  for (uint32_t d = 0; d < n_docs; d++) {
    sr_entry_view v;
    sr_index_entry(ix, d, &v);
    if (v.pack_id != UINT32_MAX) continue;
    u->start[u->n++] = (uint32_t)nd;
    u->docs[nd++] = d;
  }
  u->start[u->n] = (uint32_t)nd;
  return SR_OK;
}

static char *dup_or_null(const char *s, bool *oom) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *oom = true;
  return d;
}

/* Builds the index of the first n_units units of `order` at `path` and opens it. */
static sr_status build_sample(const sr_index *ix, const units *u, const uint32_t *order, size_t n_units,
                              const char *path, sr_index **out, size_t *n_tools, sr_error *err) {
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_status st = SR_OK;
  *n_tools = 0;
  for (size_t i = 0; !st && i < n_units; i++) {
    for (uint32_t j = u->start[order[i]]; !st && j < u->start[order[i] + 1]; j++) {
      sr_entry_view v;
      sr_index_entry(ix, u->docs[j], &v);
      bool oom = false;
      sr_entry e = {dup_or_null(v.id, &oom), dup_or_null(v.name, &oom), dup_or_null(v.description, &oom),
                    dup_or_null(v.body, &oom), dup_or_null(v.pack, &oom), dup_or_null(v.category, &oom),
                    dup_or_null(v.source, &oom), dup_or_null(v.metadata, &oom), v.kind, 0};
      if (oom) {
        free(e.id), free(e.name), free(e.description), free(e.body);
        free(e.pack), free(e.category), free(e.source), free(e.metadata);
        st = sr_fail(err, SR_ERR_NOMEM, "scale: out of memory");
        break;
      }
      st = sr_catalog_add(&cat, &e, err);  /* takes the strings, also on failure */
      (*n_tools)++;
    }
  }
  sr_build_opts bo = {.threads = 1};
  bo.analyzer = *sr_index_analyzer(ix);
  if (!st) st = sr_index_build(&cat, ix, &bo, path, NULL, err);
  sr_catalog_free(&cat);
  if (!st) st = sr_index_open(path, out, err);
  unlink(path);  /* the mapping stays valid after the unlink */
  return st;
}

/* Scores a shortlist ids[0..n) against valid into v[SR_SM_COUNT]; n_thr = size of the threshold set
 * (a prefix of ids), or SIZE_MAX when the method has none. */
static void score_list(const char *const *ids, size_t n, size_t n_thr, const char *const *valid, size_t n_valid,
                       double *v) {
  static const size_t ks[3] = {5, 10, 20};
  for (int i = 0; i < 3; i++) sr_ml_shortlist(ids, n, ks[i], valid, n_valid, &v[SR_SM_RECALL5 + i], &v[SR_SM_COV5 + i]);
  sr_judgement j = {valid, n_valid, NULL, NULL, 0};
  double m[SR_METRIC_COUNT];
  sr_score_ranking(ids, n, &j, m);
  v[SR_SM_MRR10] = m[SR_M_MRR10];
  v[SR_SM_NDCG10] = m[SR_M_NDCG10];
  sr_ml_set_scores s = sr_ml_set(ids, n ? 1 : 0, valid, n_valid);
  v[SR_SM_P1] = s.precision, v[SR_SM_R1] = s.recall, v[SR_SM_F1_1] = s.f1;
  if (n_thr == SIZE_MAX) {
    v[SR_SM_PT] = v[SR_SM_RT] = v[SR_SM_F1T] = NAN;
  } else {
    s = sr_ml_set(ids, n_thr, valid, n_valid);
    v[SR_SM_PT] = s.precision, v[SR_SM_RT] = s.recall, v[SR_SM_F1T] = s.f1;
  }
}

static void shuffle_ids(const char **ids, size_t n, uint64_t seed) {
  sr_rng r;
  sr_rng_seed(&r, seed);
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)sr_rng_below(&r, i);
    const char *t = ids[i - 1];
    ids[i - 1] = ids[j];
    ids[j] = t;
  }
}

/* A growable array of task-rows: v[NV] values and the cohort flag. */
typedef struct rows {
  double *v;
  unsigned char *fixed;
  size_t n, cap;
} rows;

static double *rows_add(rows *r, bool fixed) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 1024;
    double *v = realloc(r->v, cap * NV * sizeof *v);
    if (!v) return NULL;
    r->v = v;
    unsigned char *f = realloc(r->fixed, cap);
    if (!f) return NULL;
    r->fixed = f;
    r->cap = cap;
  }
  r->fixed[r->n] = fixed;
  return &r->v[NV * r->n++];
}

typedef struct ctx {
  const sr_index *full;
  const sr_bench *bench;
  const sr_scale_opts *o;
  sr_result res[SR_SCALE_K];
  const char *ids[SR_SCALE_K], *shuf[SR_SCALE_K];
  float scores[SR_SCALE_K];
  const char **valid;
} ctx;

/* Routes and scores every task with a non-empty valid set over `sub`; appends task-rows. present[t]
 * gets whether task t has one (when mark_present), and tasks with fixed[t] set are flagged fixed. */
static sr_status run_sample(ctx *c, const sr_index *sub, uint64_t sample_seed, unsigned char *present, bool mark,
                            rows *out, sr_error *err) {
  sr_searcher *s = NULL;
  sr_status st = sr_searcher_new(sub, &s, err);
  uint32_t n_sub = sr_index_count(sub);
  for (size_t t = 0; !st && t < c->bench->n_tasks; t++) {
    const sr_bench_task *task = &c->bench->tasks[t];
    if (!task->instruction) continue;
    size_t nv = 0;
    uint32_t doc;
    for (size_t g = 0; g < task->gt.n; g++)
      if (sr_index_find(sub, task->gt.ids[g], &doc)) c->valid[nv++] = task->gt.ids[g];
    if (mark) present[t] = nv > 0;
    if (!nv) continue;
    double *v = rows_add(out, present[t]);
    if (!v) { st = sr_fail(err, SR_ERR_NOMEM, "scale: out of memory"); break; }
    for (size_t i = 0; i < NV; i++) v[i] = NAN;
    uint64_t tseed = sample_seed * 0x100000001B3ull + t;
    for (int by = 0; by < 2 && !st; by++) {
      if (by == 0 ? !c->o->by_entry : !c->o->by_pack) continue;
      sr_route_opts ro = {.k = SR_SCALE_K, .by = by ? SR_BY_PACK : SR_BY_ENTRY, .bm25f = c->o->bm25f};
      size_t n = 0;
      st = sr_route(s, task->instruction, task->instruction_len, &ro, c->res, &n, NULL, err);
      if (st) { sr_error_prefix(err, "task '%s'", task->task_id); break; }
      size_t m = 0;
      for (size_t i = 0; i < n && m < SR_SCALE_K; i++) {
        const uint32_t *docs = &c->res[i].id;
        uint32_t cnt = by ? sr_index_pack_entries(sub, c->res[i].id, &docs) : 1;
        for (uint32_t j = 0; j < cnt && m < SR_SCALE_K; j++, m++) {
          sr_entry_view e;
          sr_index_entry(sub, docs[j], &e);
          c->ids[m] = e.id;
          c->scores[m] = c->res[i].score;
        }
      }
      size_t thr = sr_ml_threshold_set(c->scores, m, by ? c->o->rel_pack : c->o->rel_entry);
      int meth = by ? SR_SC_PACK : SR_SC_TOOL;
      score_list(c->ids, m, thr, c->valid, nv, &v[meth * SR_SM_COUNT]);
      memcpy(c->shuf, c->ids, m * sizeof *c->ids);
      shuffle_ids(c->shuf, m, tseed ^ (uint64_t)(by + 1));
      score_list(c->shuf, m, SIZE_MAX, c->valid, nv, &v[(meth + 1) * SR_SM_COUNT]);
    }
    if (st) break;
    /* oracle: V then random fillers not in V; random: distinct random entries */
    sr_rng r;
    sr_rng_seed(&r, tseed ^ 0xA5A5A5A5ull);
    size_t kk = n_sub < SR_SCALE_K ? n_sub : SR_SCALE_K, m = 0;
    for (size_t i = 0; i < nv && m < kk; i++) c->ids[m++] = c->valid[i];
    for (size_t tries = 0; m < kk && tries < 100000; tries++) {
      sr_entry_view e;
      sr_index_entry(sub, (uint32_t)sr_rng_below(&r, n_sub), &e);
      bool dup = false;
      for (size_t i = 0; i < m && !dup; i++) dup = strcmp(c->ids[i], e.id) == 0;
      if (!dup) c->ids[m++] = e.id;
    }
    score_list(c->ids, m, nv, c->valid, nv, &v[SR_SC_ORACLE * SR_SM_COUNT]);
    m = 0;
    for (size_t tries = 0; m < kk && tries < 100000; tries++) {
      sr_entry_view e;
      sr_index_entry(sub, (uint32_t)sr_rng_below(&r, n_sub), &e);
      bool dup = false;
      for (size_t i = 0; i < m && !dup; i++) dup = strcmp(c->ids[i], e.id) == 0;
      if (!dup) c->ids[m++] = e.id;
    }
    score_list(c->ids, m, SIZE_MAX, c->valid, nv, &v[SR_SC_RANDOM * SR_SM_COUNT]);
  }
  sr_searcher_free(s);
  return st;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Bootstraps every column of the rows of one cohort (all rows, or the fixed ones) into sz->ci[co]. */
static sr_status summarise(const rows *r, int co, size_t boot, uint64_t seed, sr_scale_size *sz, sr_error *err) {
  size_t n = 0;
  for (size_t i = 0; i < r->n; i++) n += co == SR_CO_ALL || r->fixed[i];
  sz->tasks[co] = n;
  double *x = malloc((n ? n : 1) * NV * sizeof *x), *scratch = malloc((boot ? boot : 1) * NV * sizeof *scratch);
  double *acc = malloc(NV * sizeof *acc);
  if (!x || !scratch || !acc) {
    free(x), free(scratch), free(acc);
    return sr_fail(err, SR_ERR_NOMEM, "scale: out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < r->n; i++)
    if (co == SR_CO_ALL || r->fixed[i]) memcpy(&x[NV * k++], &r->v[NV * i], NV * sizeof *x);
  /* Column-wise this is exactly sr_bootstrap_mean_ci(column, n, boot, seed, 0.05): one index sequence
   * drives all columns (NaN columns stay NaN). */
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  for (size_t b = 0; b < boot && n; b++) {
    for (size_t c = 0; c < NV; c++) acc[c] = 0;
    for (size_t i = 0; i < n; i++) {
      const double *row = &x[NV * sr_rng_below(&rng, n)];
      for (size_t c = 0; c < NV; c++) acc[c] += row[c];
    }
    for (size_t c = 0; c < NV; c++) scratch[c * boot + b] = acc[c] / (double)n;
  }
  for (size_t c = 0; c < NV; c++) {
    /* column c's values, contiguous, for the mean */
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += x[NV * i + c];
    sr_ci ci = {n ? sum / (double)n : NAN, NAN, NAN, n};
    if (n && !isnan(ci.mean)) {
      if (boot) {
        double *s = &scratch[c * boot];
        qsort(s, boot, sizeof *s, cmp_double);
        ci.lo = sr_quantile_sorted(s, boot, 0.025);
        ci.hi = sr_quantile_sorted(s, boot, 0.975);
      } else {
        ci.lo = ci.hi = ci.mean;
      }
    }
    sz->ci[co][c / SR_SM_COUNT][c % SR_SM_COUNT] = ci;
  }
  free(x), free(scratch), free(acc);
  return SR_OK;
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

sr_status sr_scale_run(const sr_index *ix, const sr_bench *bench, const sr_scale_opts *o, sr_scale_result **out,
                       sr_error *err) {
  assert(ix && bench && o && out && o->folds >= 1 && o->n_sizes >= 1 && o->tmp_dir);
  *out = NULL;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  units u = {0};
  sr_status st = make_units(ix, &u, err);
  sr_scale_result *R = calloc(1, sizeof *R);
  size_t ns = o->n_sizes;
  size_t *sizes = malloc(ns * sizeof *sizes);
  uint32_t *order = malloc((u.n + 1) * sizeof *order);
  unsigned char *present = calloc(bench->n_tasks + 1, 1);
  rows *rs = calloc(ns, sizeof *rs);
  ctx c = {ix, bench, o, {{0}}, {0}, {0}, {0}, NULL};
  size_t max_gt = 1;
  for (size_t t = 0; t < bench->n_tasks; t++) max_gt = bench->tasks[t].gt.n > max_gt ? bench->tasks[t].gt.n : max_gt;
  c.valid = malloc(max_gt * sizeof *c.valid);
  if (!st && (!R || !sizes || !order || !present || !rs || !c.valid || !(R->sizes = calloc(ns, sizeof *R->sizes))))
    st = sr_fail(err, SR_ERR_NOMEM, "scale: out of memory");
  if (!st && u.n == 0) st = sr_fail(err, SR_ERR_ARG, "scale: the index is empty");
  if (!st) {
    for (size_t i = 0; i < ns; i++) sizes[i] = o->sizes[i] == 0 || o->sizes[i] > u.n ? u.n : o->sizes[i];
    qsort(sizes, ns, sizeof *sizes, cmp_size);
    R->n_sizes = ns, R->units = u.n, R->folds = o->folds, R->boot = o->boot;
    R->rel_entry = o->rel_entry, R->rel_pack = o->rel_pack;
    for (size_t i = 0; i < ns; i++) {
      R->sizes[i].packs = sizes[i];
      R->sizes[i].all = sizes[i] == u.n;
    }
    R->has_method[SR_SC_TOOL] = R->has_method[SR_SC_TOOL_SHUF] = o->by_entry;
    R->has_method[SR_SC_PACK] = R->has_method[SR_SC_PACK_SHUF] = o->by_pack;
    R->has_method[SR_SC_ORACLE] = R->has_method[SR_SC_RANDOM] = true;
  }
  char path[4096];
  if (!st && snprintf(path, sizeof path, "%s/.sr-scale-%ld.idx", o->tmp_dir, (long)getpid()) >= (int)sizeof path)
    st = sr_fail(err, SR_ERR_ARG, "scale: temporary directory path too long");
  for (size_t f = 0; !st && f < o->folds; f++) {
    /* the fold's order: --always-present packs first, then the other units shuffled */
    size_t head = 0;
    for (size_t a = 0; !st && a < o->n_always; a++) {
      size_t found = SIZE_MAX;
      for (size_t i = 0; i < u.n && found == SIZE_MAX; i++) {
        sr_entry_view v;
        sr_index_entry(ix, u.docs[u.start[i]], &v);
        if (v.pack && !strcmp(v.pack, o->always[a])) found = i;
      }
      if (found == SIZE_MAX) st = sr_fail(err, SR_ERR_NOT_FOUND, "scale: --always-present: no pack named '%s'", o->always[a]);
      bool dup = false;
      for (size_t i = 0; i < head && !dup; i++) dup = order[i] == found;
      if (!st && !dup) order[head++] = (uint32_t)found;
    }
    size_t k = head;
    for (uint32_t i = 0; i < u.n; i++) {
      bool in_head = false;
      for (size_t h = 0; h < head && !in_head; h++) in_head = order[h] == i;
      if (!in_head) order[k++] = i;
    }
    sr_rng r;
    sr_rng_seed(&r, o->seed + f);
    sr_rng_shuffle_u32(&r, order + head, u.n - head);
    for (size_t si = 0; !st && si < ns; si++) {
      sr_index *sub = NULL;
      size_t n_tools = 0;
      size_t take = sizes[si] > head ? sizes[si] : head;
      st = build_sample(ix, &u, order, take, path, &sub, &n_tools, err);
      if (!st) R->sizes[si].mean_tools += (double)n_tools / (double)o->folds;
      if (!st) st = run_sample(&c, sub, (o->seed + f) * 131 + si, present, si == 0, &rs[si], err);
      if (sub) sr_index_close(sub);
    }
  }
  for (size_t si = 0; !st && si < ns; si++)
    for (int co = 0; !st && co < SR_CO_COUNT; co++)
      st = summarise(&rs[si], co, o->boot, o->seed + 1000003ull * si + (uint64_t)co, &R->sizes[si], err);
  for (size_t si = 0; rs && si < ns; si++) free(rs[si].v), free(rs[si].fixed);
  free(rs), free(sizes), free(order), free(present), free(c.valid), free(u.docs), free(u.start);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (st) {
    sr_scale_result_free(R);
    return st;
  }
  R->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  *out = R;
  return SR_OK;
}

void sr_scale_result_free(sr_scale_result *r) {
  if (!r) return;
  free(r->sizes);
  free(r);
}
