/* eval_route_model.h — routing a benchmark's tasks with the default model (`eval -i INDEX` when a
 * model is in use), keeping the first stage's (lexical) rankings too, so both stages can be scored. */
#ifndef SR_EVAL_EVAL_ROUTE_MODEL_H
#define SR_EVAL_EVAL_ROUTE_MODEL_H

#include "eval/eval_route.h"
#include "route/default_route.h"

/* Like sr_eval_route_bench, through `r`. `lexical` (may be NULL) gets the lexical stage's rankings. */
sr_status sr_eval_route_bench_model(const sr_index *ix, sr_default_router *r, const sr_bench *bench,
                                    const sr_eval_opts *opts, size_t k, sr_predictions *pred,
                                    sr_predictions *lexical, size_t *not_routed, sr_eval_latency *latency,
                                    sr_error *err);

#endif
