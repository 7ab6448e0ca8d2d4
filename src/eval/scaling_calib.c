/* scaling_calib.c — calibrating the relative threshold of the threshold sets on a train split
 * (see sr_scale_calibrate in scaling.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "eval/multilabel.h"
#include "eval/scaling.h"

sr_status sr_scale_calibrate(const sr_index *ix, const sr_bench *calib, sr_route_by by, size_t max_tasks,
                             const sr_bm25f_params *bm25f, double *rel, double *f1, sr_error *err) {
  assert(ix && calib && rel);
  size_t cap = calib->n_tasks ? calib->n_tasks : 1;
  sr_ml_example *ex = calloc(cap, sizeof *ex);
  const char **ids = calloc(cap * SR_SCALE_K, sizeof *ids);
  float *scores = calloc(cap * SR_SCALE_K, sizeof *scores);
  const char **valid = calloc(cap, sizeof(const char *) * 8);
  sr_result res[SR_SCALE_K];
  sr_searcher *s = NULL;
  sr_status st = (!ex || !ids || !scores || !valid) ? sr_fail(err, SR_ERR_NOMEM, "calibrate: out of memory") : SR_OK;
  if (!st) st = sr_searcher_new(ix, &s, err);
  size_t n_ex = 0, n_valid_used = 0;
  for (size_t t = 0; !st && t < calib->n_tasks && (!max_tasks || n_ex < max_tasks); t++) {
    const sr_bench_task *task = &calib->tasks[t];
    if (!task->instruction) continue;
    sr_ml_example *e = &ex[n_ex];
    e->valid = &valid[n_valid_used];
    uint32_t doc;
    for (size_t g = 0; g < task->gt.n && e->n_valid < 8; g++)
      if (sr_index_find(ix, task->gt.ids[g], &doc)) valid[n_valid_used + e->n_valid++] = task->gt.ids[g];
    if (!e->n_valid) continue;
    sr_route_opts ro = {.k = SR_SCALE_K, .by = by, .bm25f = bm25f};
    size_t n = 0, m = 0;
    st = sr_route(s, task->instruction, task->instruction_len, &ro, res, &n, NULL, err);
    const char **eid = &ids[n_ex * SR_SCALE_K];
    float *esc = &scores[n_ex * SR_SCALE_K];
    for (size_t i = 0; !st && i < n && m < SR_SCALE_K; i++) {
      const uint32_t *docs = &res[i].id;
      uint32_t cnt = by == SR_BY_PACK ? sr_index_pack_entries(ix, res[i].id, &docs) : 1;
      for (uint32_t j = 0; j < cnt && m < SR_SCALE_K; j++, m++) {
        sr_entry_view v;
        sr_index_entry(ix, docs[j], &v);
        eid[m] = v.id;
        esc[m] = res[i].score;
      }
    }
    e->ranked = eid, e->scores = esc, e->n = m;
    n_valid_used += e->n_valid;
    n_ex++;
  }
  if (!st) {
    double grid[20];
    for (int i = 0; i < 20; i++) grid[i] = 0.05 * (i + 1);
    double best = 0;
    *rel = sr_ml_calibrate_threshold(ex, n_ex, grid, 20, &best);
    if (f1) *f1 = best;
  }
  sr_searcher_free(s);
  free(ex), free(ids), free(scores), free(valid);
  return st;
}
