/* eval.h — scores predictions on a benchmark the way the SkillRouter evaluator's "core" mode does,
 * with an optional lenient variant that credits listed copies of ground-truth skills.
 *
 * Task selection (per task of the bench, in order):
 *   - task_type == "generic_only" → skipped;
 *   - G = the task's ground truth (core_gt_ids if that key is present, else gt_skill_ids; see
 *     bench_data.h) ∩ pool; G empty → skipped; no ranking for the task → skipped;
 *   - graded labels = the task's relevance entries whose id is in the pool (none → binary nDCG);
 *   - the task is "single" when its unfiltered ground truth has exactly one id, else "multi".
 * Without a pool (in_pool NULL) every id counts as in the pool.
 *
 * Lenient scoring (equivalents given): the ranking is rewritten before scoring — each id listed as a
 * copy becomes its ground-truth id, then every id after its first occurrence (whether it came from a
 * copy or was repeated as given) becomes a placeholder that matches nothing, so a ground-truth skill is
 * credited once, at the best rank of itself or any copy, and positions do not shift. G, the labels and
 * the task selection are those of strict scoring, so both score the same tasks.
 *
 * Means are plain averages over the split's tasks; a split without tasks has count 0 and means 0.
 */
#ifndef SR_EVAL_EVAL_H
#define SR_EVAL_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "eval/bench_data.h"
#include "eval/metrics.h"
#include "util/status.h"

typedef enum sr_split { SR_SPLIT_ALL, SR_SPLIT_SINGLE, SR_SPLIT_MULTI, SR_SPLIT_COUNT } sr_split;

/* "all", "single", "multi". */
const char *sr_split_name(sr_split s);

/* Pool membership test; ctx is the opts' pool_ctx. */
typedef bool (*sr_pool_fn)(const char *id, void *ctx);

typedef struct sr_eval_opts {
  sr_pool_fn in_pool;                 /* NULL: no pool restriction */
  void *pool_ctx;
  const sr_equivalents *equivalents;  /* NULL: strict scores only */
} sr_eval_opts;

/* An sr_pool_fn over an sr_id_set passed as ctx. */
bool sr_eval_in_id_set(const char *id, void *ctx);

typedef struct sr_split_scores {
  double mean[SR_METRIC_COUNT];
  size_t count;
} sr_split_scores;

typedef struct sr_task_score {
  const char *task_id;        /* borrowed from the bench */
  bool single;
  size_t n_gt;                /* |G| (after the pool) */
  const char **gt;            /* G, strings borrowed from the bench */
  size_t *rank;               /* rank[g]: 1-based first position of gt[g] in the ranking, 0 = absent */
  size_t *rank_lenient;       /* the same after the lenient rewrite; NULL without equivalents */
  double strict[SR_METRIC_COUNT];
  double lenient[SR_METRIC_COUNT];  /* zeros without equivalents */
  bool has_duplicates;        /* the ranking repeats an id */
} sr_task_score;

typedef struct sr_eval_result {
  sr_task_score *tasks;       /* the scored tasks, in bench order */
  size_t n_tasks;
  sr_split_scores strict[SR_SPLIT_COUNT];
  sr_split_scores lenient[SR_SPLIT_COUNT];
  bool has_lenient;
  size_t skipped_generic, skipped_no_gt, skipped_no_prediction;
} sr_eval_result;

/* True when the task would be scored given a ranking: not generic_only and G ∩ pool not empty. */
bool sr_eval_task_selected(const sr_bench_task *t, const sr_eval_opts *opts);

/* Scores `pred` on `bench`. The result borrows strings from `bench` (keep it alive while the result
 * lives); release it with sr_eval_result_free. */
sr_status sr_eval_run(const sr_bench *bench, const sr_predictions *pred, const sr_eval_opts *opts,
                      sr_eval_result **out, sr_error *err);
void sr_eval_result_free(sr_eval_result *r);

/* Recall within the first `depth` positions from the stored ranks: per split, the mean over the scored
 * tasks of |{g in G : 1 <= rank[g] <= depth}| / |G| (rank_lenient when `lenient`; 0 without
 * equivalents or for a split without tasks). depth = SIZE_MAX: anywhere in the ranking. Used for the
 * reranker's ceiling, the Recall@rerank_k of the retrieval shortlist. */
void sr_eval_recall_within(const sr_eval_result *r, size_t depth, bool lenient, double out[SR_SPLIT_COUNT]);

/* The result as JSON text (malloc'd; NULL when memory runs out), indented when `pretty`:
 *   {"all": {"nDCG@1": x, ..., "FullCoverage@10": x, "count": n}, "single": {...}, "multi": {...},
 *    "count": n_all, "lenient": {"all": ..., "single": ..., "multi": ..., "count": n_all}}
 * "lenient" only with equivalents; a split without tasks is {"count": 0}. */
char *sr_eval_result_json(const sr_eval_result *r, bool pretty);

#endif
