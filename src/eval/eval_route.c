/* eval_route.c — routing benchmark tasks into predictions (see eval_route.h). */
#include "eval/eval_route.h"

#include <assert.h>
#include <stdlib.h>

#include "route/router.h"

bool sr_eval_in_index(const char *id, void *ctx) {
  uint32_t doc;
  return sr_index_find((const sr_index *)ctx, id, &doc);
}

sr_status sr_eval_route_bench(const sr_index *ix, const sr_bench *bench, const sr_eval_opts *opts, size_t k,
                              sr_predictions *pred, size_t *not_routed, sr_error *err) {
  assert(ix && bench && opts && pred && k > 0);
  if (not_routed) *not_routed = 0;
  sr_searcher *s = NULL;
  sr_status st = sr_searcher_new(ix, &s, err);
  if (st) return st;
  sr_result *res = malloc(k * sizeof *res);
  const char **ids = malloc(k * sizeof *ids);
  if (!res || !ids) st = sr_fail(err, SR_ERR_NOMEM, "eval: out of memory");
  sr_route_opts ropts = {.k = k, .by = SR_BY_ENTRY, .bm25f = NULL};
  for (size_t i = 0; !st && i < bench->n_tasks; i++) {
    const sr_bench_task *t = &bench->tasks[i];
    if (!sr_eval_task_selected(t, opts)) continue;
    if (!t->instruction) {
      if (not_routed) (*not_routed)++;
      continue;
    }
    size_t n = 0;
    st = sr_route(s, t->instruction, t->instruction_len, &ropts, res, &n, NULL, err);
    if (st) {
      sr_error_prefix(err, "task '%s'", t->task_id);
      break;
    }
    assert(n <= k);
    for (size_t j = 0; j < n; j++) {
      sr_entry_view e;
      sr_index_entry(ix, res[j].id, &e);
      ids[j] = e.id;
    }
    st = sr_predictions_add(pred, t->task_id, ids, n, err);
  }
  free(res);
  free(ids);
  sr_searcher_free(s);
  return st;
}
