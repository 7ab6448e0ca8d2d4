/* eval_pipeline.h — `skillrouter eval -i INDEX` through the route pipeline (route_pipeline.h): every
 * selected task's instruction_text is routed exactly as `skillrouter route` would with the same flags,
 * and each stage's ranking is kept for scoring: the retrieval list (top k), the reranked list (top k,
 * with a reranker) and the shortlist the reranker saw (top rerank_k of the retrieval list).
 *
 * Ownership: the caller owns *out (eval_stages_free); predictions hold copies of the ids. */
#ifndef SR_CLI_EVAL_PIPELINE_H
#define SR_CLI_EVAL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/route_pipeline.h"
#include "eval/bench_data.h"
#include "eval/eval.h"
#include "eval/eval_route.h"

typedef struct eval_stages {
  sr_predictions retrieval, reranked, shortlist;  /* reranked / shortlist empty without a reranker */
  bool has_rerank;
  const char *mode;            /* rp_mode_name: static string */
  size_t not_routed;           /* selected tasks without instruction_text */
  size_t missing_vectors;      /* with query vectors: selected tasks without one (not routed) */
  sr_eval_latency embed, dense, lexical, rerank, total;
} eval_stages;

/* query_vectors: NULL, or a JSONL file of {"task_id" (or "id"): .., "vector": [..]} giving each task's
 * query embedding (computed elsewhere); po->query_vectors_given must then be true. */
sr_status eval_pipeline_run(const sr_index *ix, const sr_bench *bench, const sr_eval_opts *opts, const route_pipe_opts *po,
                            const char *query_vectors, eval_stages *out, sr_error *err);
void eval_stages_free(eval_stages *s);

#endif
