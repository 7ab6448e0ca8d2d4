/* eval_route.h — producing predictions by routing a benchmark's tasks through an index (`eval -i`).
 * Separate from eval.h so that scoring predictions files does not need the router. */
#ifndef SR_EVAL_EVAL_ROUTE_H
#define SR_EVAL_EVAL_ROUTE_H

#include <stddef.h>

#include "eval/bench_data.h"
#include "eval/eval.h"
#include "index/index.h"
#include "util/status.h"

/* An sr_pool_fn: true when `id` is an entry of the sr_index passed as ctx. */
bool sr_eval_in_index(const char *id, void *ctx);

/* Routes the instruction_text of every task that sr_eval_task_selected(task, opts) accepts through
 * `ix` (top k entries, default BM25F parameters) and adds the entry ids, best first, to *pred.
 * Selected tasks without an instruction_text are not routed; *not_routed (may be NULL) gets their
 * number. The ids added are copies (pred does not borrow from ix). */
sr_status sr_eval_route_bench(const sr_index *ix, const sr_bench *bench, const sr_eval_opts *opts, size_t k,
                              sr_predictions *pred, size_t *not_routed, sr_error *err);

#endif
