/* eval_route_model.c — see eval_route_model.h. */
#include "eval/eval_route_model.h"

#include <assert.h>
#include <stdlib.h>

sr_status sr_eval_route_bench_model(const sr_index *ix, sr_default_router *r, const sr_bench *bench,
                                    const sr_eval_opts *opts, size_t k, sr_predictions *pred,
                                    sr_predictions *lexical, size_t *not_routed, sr_eval_latency *latency,
                                    sr_error *err) {
  assert(ix && r && bench && opts && pred && k > 0);
  if (not_routed) *not_routed = 0;
  sr_status st = SR_OK;
  sr_result *res = malloc(k * sizeof *res), *lex = malloc(k * sizeof *lex);
  const char **ids = malloc(k * sizeof *ids);
  double *ms = malloc((bench->n_tasks ? bench->n_tasks : 1) * sizeof *ms);
  size_t n_ms = 0;
  if (!res || !lex || !ids || !ms) st = sr_fail(err, SR_ERR_NOMEM, "eval: out of memory");
  for (size_t i = 0; !st && i < bench->n_tasks; i++) {
    const sr_bench_task *t = &bench->tasks[i];
    if (!sr_eval_task_selected(t, opts)) continue;
    if (!t->instruction) {
      if (not_routed) (*not_routed)++;
      continue;
    }
    size_t n = 0, nl = 0;
    sr_default_route_timing tm;
    st = sr_default_route(r, t->instruction, t->instruction_len, k, res, &n, lexical ? lex : NULL, &nl, &tm, err);
    if (st) {
      sr_error_prefix(err, "task '%s'", t->task_id);
      break;
    }
    ms[n_ms++] = tm.total_ms;
    st = sr_eval_add_ranking(ix, pred, t->task_id, res, n, ids, err);
    if (!st && lexical) st = sr_eval_add_ranking(ix, lexical, t->task_id, lex, nl, ids, err);
  }
  if (!st && latency) sr_eval_latency_summarize(ms, n_ms, latency);
  free(ms);
  free(res);
  free(lex);
  free(ids);
  return st;
}
