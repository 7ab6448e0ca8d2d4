/* eval_route.h — producing predictions by routing a benchmark's tasks through an index (`eval -i`).
 * Separate from eval.h so that scoring predictions files does not need the router. */
#ifndef SR_EVAL_EVAL_ROUTE_H
#define SR_EVAL_EVAL_ROUTE_H

#include <stddef.h>

#include "eval/bench_data.h"
#include "eval/eval.h"
#include "index/index.h"
#include "route/router.h"
#include "util/status.h"

/* An sr_pool_fn: true when `id` is an entry of the sr_index passed as ctx. */
bool sr_eval_in_index(const char *id, void *ctx);

/* Routes the instruction_text of every task that sr_eval_task_selected(task, opts) accepts through
 * `ix` (top k entries, BM25F `params`, NULL = defaults) and adds the entry ids, best first, to *pred.
 * Selected tasks without an instruction_text are not routed; *not_routed (may be NULL) gets their
 * number. The ids added are copies (pred does not borrow from ix). When `latency` is not NULL it gets
 * the routing time per query: p50, p99, mean and max in milliseconds over the routed tasks. */
typedef struct sr_eval_latency {
  size_t queries;
  double p50_ms, p99_ms, mean_ms, max_ms;
} sr_eval_latency;

/* Adds the entry ids of r[0..n) (entry numbers of ix) to *pred as task's ranking; ids is scratch of n. */
sr_status sr_eval_add_ranking(const sr_index *ix, sr_predictions *pred, const char *task, const sr_result *r,
                              size_t n, const char **ids, sr_error *err);

/* Sorts ms[0..n) and fills *latency from it. */
void sr_eval_latency_summarize(double *ms, size_t n, sr_eval_latency *latency);

sr_status sr_eval_route_bench(const sr_index *ix, const sr_bench *bench, const sr_eval_opts *opts, size_t k,
                              const sr_bm25f_params *params, sr_predictions *pred, size_t *not_routed,
                              sr_eval_latency *latency, sr_error *err);

#endif
