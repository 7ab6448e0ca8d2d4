/* eval_route.c — routing benchmark tasks into predictions (see eval_route.h). */
#include "eval/eval_route.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "route/router.h"

bool sr_eval_in_index(const char *id, void *ctx) {
  uint32_t doc;
  return sr_index_find((const sr_index *)ctx, id, &doc);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n), n > 0. */
static double percentile(const double *v, size_t n, double p) {
  size_t r = (size_t)ceil(p / 100.0 * (double)n);
  return v[r ? r - 1 : 0];
}

sr_status sr_eval_add_ranking(const sr_index *ix, sr_predictions *pred, const char *task, const sr_result *r,
                              size_t n, const char **ids, sr_error *err) {
  for (size_t j = 0; j < n; j++) {
    sr_entry_view e;
    sr_index_entry(ix, r[j].id, &e);
    ids[j] = e.id;
  }
  return sr_predictions_add(pred, task, ids, n, err);
}

void sr_eval_latency_summarize(double *ms, size_t n_ms, sr_eval_latency *latency) {
  memset(latency, 0, sizeof *latency);
  latency->queries = n_ms;
  if (!n_ms) return;
  qsort(ms, n_ms, sizeof *ms, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n_ms; i++) sum += ms[i];
  latency->p50_ms = percentile(ms, n_ms, 50);
  latency->p99_ms = percentile(ms, n_ms, 99);
  latency->mean_ms = sum / (double)n_ms;
  latency->max_ms = ms[n_ms - 1];
}

sr_status sr_eval_route_bench(const sr_index *ix, const sr_bench *bench, const sr_eval_opts *opts, size_t k,
                              const sr_bm25f_params *params, sr_predictions *pred, size_t *not_routed,
                              sr_eval_latency *latency, sr_error *err) {
  assert(ix && bench && opts && pred && k > 0);
  if (not_routed) *not_routed = 0;
  sr_searcher *s = NULL;
  sr_status st = sr_searcher_new(ix, &s, err);
  if (st) return st;
  sr_result *res = malloc(k * sizeof *res);
  const char **ids = malloc(k * sizeof *ids);
  double *ms = malloc((bench->n_tasks ? bench->n_tasks : 1) * sizeof *ms);
  size_t n_ms = 0;
  if (!res || !ids || !ms) st = sr_fail(err, SR_ERR_NOMEM, "eval: out of memory");
  sr_route_opts ropts = {.k = k, .by = SR_BY_ENTRY, .bm25f = params};
  for (size_t i = 0; !st && i < bench->n_tasks; i++) {
    const sr_bench_task *t = &bench->tasks[i];
    if (!sr_eval_task_selected(t, opts)) continue;
    if (!t->instruction) {
      if (not_routed) (*not_routed)++;
      continue;
    }
    size_t n = 0;
    sr_route_timing timing;
    st = sr_route(s, t->instruction, t->instruction_len, &ropts, res, &n, &timing, err);
    if (!st) ms[n_ms++] = timing.total_ms;
    if (st) {
      sr_error_prefix(err, "task '%s'", t->task_id);
      break;
    }
    assert(n <= k);
    st = sr_eval_add_ranking(ix, pred, t->task_id, res, n, ids, err);
  }
  if (!st && latency) sr_eval_latency_summarize(ms, n_ms, latency);
  free(ms);
  free(res);
  free(ids);
  sr_searcher_free(s);
  return st;
}
