/* paired.c — a run against a baseline, task by task (see paired.h). */
#include "eval/paired.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/bootstrap.h"

/* Index in base of the task with run's task_id, or SIZE_MAX. Both results list tasks in bench order,
 * so the search starts at the cursor and the cursor moves past each match. */
static size_t find_task(const sr_eval_result *base, const char *id, size_t *cursor) {
  for (size_t j = *cursor; j < base->n_tasks; j++)
    if (!strcmp(base->tasks[j].task_id, id)) {
      *cursor = j + 1;
      return j;
    }
  for (size_t j = 0; j < *cursor && j < base->n_tasks; j++)
    if (!strcmp(base->tasks[j].task_id, id)) return j;
  return SIZE_MAX;
}

sr_status sr_paired_compare(const sr_eval_result *run, const sr_eval_result *base, bool lenient, size_t resamples,
                            uint64_t seed, sr_paired *out, sr_error *err) {
  memset(out, 0, sizeof *out);
  out->resamples = resamples;
  if (lenient && (!run->has_lenient || !base->has_lenient))
    return sr_fail(err, SR_ERR_ARG, "paired comparison: lenient scores need equivalents for both runs");
  size_t n_max = run->n_tasks ? run->n_tasks : 1;
  size_t *pair = malloc(2 * n_max * sizeof *pair);  /* [k] run index, [n_max + k] base index */
  double *d = malloc(n_max * sizeof *d), *scratch = malloc((resamples ? resamples : 1) * sizeof *scratch);
  if (!pair || !d || !scratch) {
    free(pair);
    free(d);
    free(scratch);
    return sr_fail(err, SR_ERR_NOMEM, "paired comparison: out of memory");
  }
  size_t n = 0, cursor = 0;
  for (size_t i = 0; i < run->n_tasks; i++) {
    size_t j = find_task(base, run->tasks[i].task_id, &cursor);
    if (j == SIZE_MAX) continue;
    pair[n] = i;
    pair[n_max + n] = j;
    n++;
  }
  out->n = n;
  out->unpaired = (run->n_tasks - n) + (base->n_tasks > n ? base->n_tasks - n : 0);
  for (int m = 0; m < SR_METRIC_COUNT; m++) {
    sr_paired_metric *pm = &out->m[m];
    double sr = 0, sb = 0;
    for (size_t k = 0; k < n; k++) {
      const sr_task_score *a = &run->tasks[pair[k]], *b = &base->tasks[pair[n_max + k]];
      assert(!strcmp(a->task_id, b->task_id));
      double va = lenient ? a->lenient[m] : a->strict[m], vb = lenient ? b->lenient[m] : b->strict[m];
      d[k] = va - vb;
      sr += va;
      sb += vb;
      pm->better += va > vb;
      pm->worse += va < vb;
    }
    pm->run = n ? sr / (double)n : NAN;
    pm->base = n ? sb / (double)n : NAN;
    sr_ci ci = sr_bootstrap_mean_ci(d, n, resamples, seed, 0.05, scratch);
    pm->diff = ci.mean;
    pm->lo = ci.lo;
    pm->hi = ci.hi;
  }
  free(pair);
  free(d);
  free(scratch);
  return SR_OK;
}
