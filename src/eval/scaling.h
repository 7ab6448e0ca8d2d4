/* scaling.h — the catalog-size scaling study: how routing quality changes as the catalog grows.
 *
 * Sampling. The sampling units are the index's packs (an entry without a pack is a unit of its own).
 * Each fold f draws one random order of the units (splitmix64 seeded with seed + f, Fisher–Yates; the
 * --always-present packs come first, in the order given); the sample of size s is the first s units of
 * that order, so within a fold the samples are nested (size 10 ⊂ size 20 ⊂ ... ⊂ all) and each fold is a
 * different sample. A size of 0 means all units.
 *
 * Sub-catalogs. Each sample gets its own index, built with sr_index_build from the sampled entries
 * (re-using the full index's analysed terms, so only the postings are rebuilt — a few milliseconds for
 * hundreds of tools) into a temporary file under tmp_dir. Filtering a full-catalog ranking to the
 * sampled entries would NOT be equivalent: BM25 idf, the document-frequency cut-off and the average
 * field lengths depend on the catalog, so the same entry scores differently in a smaller catalog.
 *
 * Tasks. A task's valid set V is its ground truth (sr_bench_task.gt) kept to the sample's entries;
 * tasks with empty V are dropped for that sample, tasks without an instruction are never routed.
 * The fixed cohort of a fold is the tasks with non-empty V at the fold's smallest size (with nested
 * samples they are present at every size); V still grows with the catalog.
 *
 * Methods (each a shortlist of SR_SCALE_K ids per task):
 *   tool            BM25F over entries, ranked                       (when opts->by_entry)
 *   tool-shuffled   the same shortlist in a seeded random order      (when opts->by_entry)
 *   pack            BM25F over packs (best member), packs expanded to their tools in index order,
 *                   cut at SR_SCALE_K tools, each tool scored with its pack's score   (opts->by_pack)
 *   pack-shuffled   the same, shuffled                               (when opts->by_pack)
 *   oracle          V (in ground-truth order) + random fillers from the sample: the upper bound
 *   random          SR_SCALE_K random entries of the sample: the floor
 * Metrics (sr_scale_metric) per task; see multilabel.h. Top-1 = the first shortlist id. The threshold
 * set (relative threshold opts->rel_entry / rel_pack, see sr_ml_threshold_set) exists for tool, pack
 * (pack scores) and oracle (the oracle's set is V itself); it is not defined for the shuffled and
 * random methods (order- and score-free), whose threshold metrics are absent (NaN).
 *
 * Confidence intervals: per (size, cohort, method, metric), the per-task values of all folds are pooled
 * and a percentile bootstrap over those task-rows (bootstrap.h; opts->boot resamples, alpha 0.05) gives
 * the 95% CI. The resampling seed is seed + 1000003 * (size index) + cohort, the same for every method
 * and metric, so methods are compared on the same resampled tasks (paired).
 */
#ifndef SR_EVAL_SCALING_H
#define SR_EVAL_SCALING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/bench_data.h"
#include "eval/bootstrap.h"
#include "index/index.h"
#include "route/router.h"
#include "util/status.h"

#define SR_SCALE_K 20  /* shortlist length */

typedef enum sr_scale_metric {
  SR_SM_RECALL5, SR_SM_RECALL10, SR_SM_RECALL20,
  SR_SM_COV5, SR_SM_COV10, SR_SM_COV20,
  SR_SM_MRR10, SR_SM_NDCG10,
  SR_SM_P1, SR_SM_R1, SR_SM_F1_1,
  SR_SM_PT, SR_SM_RT, SR_SM_F1T,
  SR_SM_COUNT
} sr_scale_metric;

typedef enum sr_scale_method {
  SR_SC_TOOL, SR_SC_TOOL_SHUF, SR_SC_PACK, SR_SC_PACK_SHUF, SR_SC_ORACLE, SR_SC_RANDOM, SR_SC_COUNT
} sr_scale_method;

typedef enum sr_scale_cohort { SR_CO_ALL, SR_CO_FIXED, SR_CO_COUNT } sr_scale_cohort;

const char *sr_scale_metric_name(sr_scale_metric m);   /* "recall@10", "f1_top1", ... */
const char *sr_scale_method_name(sr_scale_method m);   /* "tool", "tool-shuffled", ... */
const char *sr_scale_cohort_name(sr_scale_cohort c);   /* "all", "fixed" */

typedef struct sr_scale_opts {
  const size_t *sizes;       /* packs per sample (0 = all), any order; duplicates after capping are kept */
  size_t n_sizes;
  size_t folds;              /* >= 1 */
  uint64_t seed;
  bool by_entry, by_pack;    /* which router methods run (oracle and random always do) */
  const char *const *always; /* pack names put first in every fold's order; unknown names are an error */
  size_t n_always;
  size_t boot;               /* bootstrap resamples (0 = no CI: lo = hi = mean) */
  double rel_entry, rel_pack;  /* relative score thresholds for the threshold sets, in [0, 1] */
  const char *tmp_dir;       /* where the per-sample index files are written (and removed) */
  const sr_bm25f_params *bm25f;  /* NULL = defaults */
} sr_scale_opts;

/* One size's summary. */
typedef struct sr_scale_size {
  size_t packs;              /* units sampled (the requested size capped at the total) */
  bool all;                  /* requested as "all" (0) */
  double mean_tools;         /* entries per sample, mean over folds */
  size_t tasks[SR_CO_COUNT]; /* task-rows pooled over folds, per cohort */
  /* ci[cohort][method][metric]; mean/lo/hi are NaN where the method has no such metric or no tasks */
  sr_ci ci[SR_CO_COUNT][SR_SC_COUNT][SR_SM_COUNT];
} sr_scale_size;

typedef struct sr_scale_result {
  sr_scale_size *sizes;      /* in ascending size order */
  size_t n_sizes;
  size_t units;              /* sampling units in the index (packs + unpacked entries) */
  size_t folds, boot;
  bool has_method[SR_SC_COUNT];
  double rel_entry, rel_pack;
  double seconds;            /* wall time of the run */
} sr_scale_result;

/* Runs the study on `bench` over `ix`. *out is released with sr_scale_result_free. */
sr_status sr_scale_run(const sr_index *ix, const sr_bench *bench, const sr_scale_opts *opts,
                       sr_scale_result **out, sr_error *err);
void sr_scale_result_free(sr_scale_result *r);

/* Calibrates the relative threshold (multilabel.h) for entry (by = SR_BY_ENTRY) or pack routing over
 * the full index on a calibration bench (the train split): grid 0.05, 0.10, ..., 1.00, best macro F1
 * over the tasks with a non-empty valid set (at most max_tasks of them, 0 = all, in file order). */
sr_status sr_scale_calibrate(const sr_index *ix, const sr_bench *calib, sr_route_by by, size_t max_tasks,
                             const sr_bm25f_params *bm25f, double *rel, double *f1, sr_error *err);

/* Writes results.csv (one row per size, cohort, method, metric: size,packs,mean_tools,cohort,method,
 * metric,mean,ci_lo,ci_hi,n) and results.json into dir. */
sr_status sr_scale_write_tables(const sr_scale_result *r, const char *dir, sr_error *err);

/* Writes one SVG chart per (cohort, chart metric) into dir as <cohort>_<metric>.svg, each a line per
 * method with its CI band; the written paths (malloc'd) go to *paths / *n_paths (free each and the
 * array). */
sr_status sr_scale_write_charts(const sr_scale_result *r, const char *dir, char ***paths, size_t *n_paths,
                                sr_error *err);

#endif
