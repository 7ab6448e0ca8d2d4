/* paired.h — a run against a baseline on the same tasks: per metric, the mean difference over the tasks
 * both scored, its percentile-bootstrap 95% interval (tasks resampled with their pair, so the noise the
 * two runs share cancels), and how many tasks got better or worse.
 *
 * Pairing: a task of `run` is paired with the task of `base` of the same task_id; tasks only one of them
 * scored are left out (counted in sr_paired.unpaired). Per-task values are the strict metrics, or the
 * lenient ones when `lenient` (both results must then have them). The interval is
 * sr_bootstrap_mean_ci (eval/bootstrap.h) of the per-task differences, with `resamples` draws seeded by
 * `seed`, one index sequence shared by all metrics.
 *
 * Ownership: the caller owns both results and the sr_paired (plain values, nothing to free).
 */
#ifndef SR_EVAL_PAIRED_H
#define SR_EVAL_PAIRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/eval.h"
#include "util/status.h"

typedef struct sr_paired_metric {
  double run, base;          /* the means over the paired tasks */
  double diff, lo, hi;       /* run - base, and its 95% interval */
  size_t better, worse;      /* tasks where run scored above / below base */
} sr_paired_metric;

typedef struct sr_paired {
  size_t n;                  /* paired tasks */
  size_t unpaired;           /* tasks scored by only one of the two */
  size_t resamples;
  sr_paired_metric m[SR_METRIC_COUNT];
} sr_paired;

/* Compares run with base as above. SR_ERR_ARG when lenient is asked of a result without lenient
 * scores; SR_ERR_NOMEM when memory runs out. n == 0 gives NaN means and intervals. */
sr_status sr_paired_compare(const sr_eval_result *run, const sr_eval_result *base, bool lenient, size_t resamples,
                            uint64_t seed, sr_paired *out, sr_error *err);

#endif
