/* fusion.c — see fusion.h. */
#include "route/fusion.h"

#include <stdlib.h>

static int by_rank(const void *x, const void *y) {
  const sr_result *a = x, *b = y;
  if (a->score != b->score) return a->score < b->score ? 1 : -1;
  return a->id < b->id ? -1 : a->id > b->id;
}

static void minmax(const sr_result *r, size_t n, float *lo, float *hi) {
  *lo = n ? r[0].score : 0;
  *hi = *lo;
  for (size_t i = 1; i < n; i++) {
    if (r[i].score < *lo) *lo = r[i].score;
    if (r[i].score > *hi) *hi = r[i].score;
  }
}

sr_status sr_fuse(const sr_result *a, size_t na, const sr_result *b, size_t nb, sr_fusion how, double rrf_k,
                  double dense_weight, size_t k, sr_result *out, size_t *n_out, sr_error *err) {
  *n_out = 0;
  sr_result *all = malloc((na + nb + 1) * sizeof *all);
  if (!all) return sr_fail(err, SR_ERR_NOMEM, "fusion: out of memory");
  float alo, ahi, blo, bhi;
  minmax(a, na, &alo, &ahi);
  minmax(b, nb, &blo, &bhi);
  size_t n = 0;
  for (int l = 0; l < 2; l++) {
    const sr_result *r = l ? b : a;
    size_t m = l ? nb : na;
    float lo = l ? blo : alo, hi = l ? bhi : ahi;
    double w = how == SR_FUSE_RRF ? 1 : l ? 1 - dense_weight : dense_weight;
    for (size_t i = 0; i < m; i++) {
      double s = how == SR_FUSE_RRF ? 1 / (rrf_k + (double)(i + 1)) : hi > lo ? (r[i].score - lo) / (hi - lo) : 1;
      size_t j = 0;
      while (j < n && all[j].id != r[i].id) j++;  /* lists are short (shortlists of tens to hundreds) */
      if (j == n) all[n++] = (sr_result){r[i].id, 0};
      all[j].score += (float)(w * s);
    }
  }
  qsort(all, n, sizeof *all, by_rank);
  for (size_t i = 0; i < n && i < k; i++) out[(*n_out)++] = all[i];
  free(all);
  return SR_OK;
}
