/* multilabel.c — multi-label set scores (see multilabel.h). */
#include "eval/multilabel.h"

#include <assert.h>
#include <string.h>

static bool in_list(const char *id, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (list[i] && id && strcmp(list[i], id) == 0) return true;
  return false;
}

/* Number of distinct ids of a[0..n) that are in valid. Valid sets and shortlists are small (tens), so
 * the quadratic scan is cheaper than hashing. */
static size_t hits(const char *const *a, size_t n, const char *const *valid, size_t n_valid) {
  size_t h = 0;
  for (size_t i = 0; i < n; i++)
    if (a[i] && in_list(a[i], valid, n_valid) && !in_list(a[i], a, i)) h++;
  return h;
}

static size_t distinct(const char *const *a, size_t n) {
  size_t d = 0;
  for (size_t i = 0; i < n; i++)
    if (a[i] && !in_list(a[i], a, i)) d++;
  return d;
}

void sr_ml_shortlist(const char *const *ranked, size_t n, size_t k, const char *const *valid, size_t n_valid,
                     double *recall, double *coverage) {
  assert(n_valid >= 1);
  size_t m = n < k ? n : k;
  size_t h = hits(ranked, m, valid, n_valid);
  *recall = (double)h / (double)n_valid;
  *coverage = h == n_valid ? 1.0 : 0.0;
}

sr_ml_set_scores sr_ml_set(const char *const *pred, size_t n_pred, const char *const *valid, size_t n_valid) {
  assert(n_valid >= 1);
  sr_ml_set_scores s = {0, 0, 0};
  size_t d = distinct(pred, n_pred);
  if (d == 0) return s;
  size_t h = hits(pred, n_pred, valid, n_valid);
  s.precision = (double)h / (double)d;
  s.recall = (double)h / (double)n_valid;
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
  return s;
}

size_t sr_ml_threshold_set(const float *scores, size_t n, double rel) {
  if (n == 0) return 0;
  double cut = rel * (double)scores[0];
  size_t m = 1;
  while (m < n && (double)scores[m] >= cut) m++;
  return m;
}

double sr_ml_calibrate_threshold(const sr_ml_example *ex, size_t n_ex, const double *grid, size_t n_grid,
                                 double *best_f1) {
  assert(n_grid >= 1);
  double best = grid[0], best_v = -1;
  for (size_t g = 0; g < n_grid; g++) {
    double sum = 0;
    for (size_t i = 0; i < n_ex; i++) {
      size_t m = sr_ml_threshold_set(ex[i].scores, ex[i].n, grid[g]);
      sum += sr_ml_set(ex[i].ranked, m, ex[i].valid, ex[i].n_valid).f1;
    }
    double v = n_ex ? sum / (double)n_ex : 0;
    if (v > best_v) best_v = v, best = grid[g];
  }
  if (best_f1) *best_f1 = best_v < 0 ? 0 : best_v;
  return best;
}
