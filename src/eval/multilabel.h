/* multilabel.h — multi-label routing scores: a task needs a SET of tools (its valid set V, the ground
 * truth present in the catalog it was routed over), as in the enterprise routing study
 * (Gillespie & Perry 2026).
 *
 * Shortlist of size k (the first k ids of a ranking; fewer when the ranking is shorter):
 *   recall@k        |S_k ∩ V| / |V|
 *   coverage@k      1 if V ⊆ S_k, else 0   ("full coverage")
 * Predicted set P (e.g. the top-1 id, or every id scoring at least a threshold):
 *   precision       |P ∩ V| / |P|, 0 when P is empty
 *   recall          |P ∩ V| / |V|
 *   F1              2·p·r / (p + r), 0 when p + r = 0
 * Scores are per task; a study averages them over tasks (macro average). Ids are compared as strings;
 * repeated ids in a ranking or set count once. V must be non-empty (tasks whose targets are all absent
 * from the catalog are dropped before scoring, not scored as 0).
 *
 * Threshold sets: sr_ml_threshold_set() keeps the top-1 result plus every further result whose score is
 * at least `rel` times the top score (a relative threshold, so it transfers between catalogs of
 * different sizes, where absolute BM25 scores shift with idf). sr_ml_calibrate_threshold() picks `rel`
 * on a calibration set (the train split) as the grid value with the best macro F1.
 */
#ifndef SR_EVAL_MULTILABEL_H
#define SR_EVAL_MULTILABEL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sr_ml_set_scores {
  double precision, recall, f1;
} sr_ml_set_scores;

/* recall@k and coverage@k of ranked[0..n) against valid[0..n_valid) (n_valid >= 1, distinct ids). */
void sr_ml_shortlist(const char *const *ranked, size_t n, size_t k, const char *const *valid, size_t n_valid,
                     double *recall, double *coverage);

/* Precision/recall/F1 of the predicted set pred[0..n_pred) against valid[0..n_valid) (n_valid >= 1). */
sr_ml_set_scores sr_ml_set(const char *const *pred, size_t n_pred, const char *const *valid, size_t n_valid);

/* The size of the relative-threshold set of a ranking with scores[0..n), best first: 1 + the number of
 * further results with score >= rel * scores[0] (0 when n == 0). rel in [0, 1]. */
size_t sr_ml_threshold_set(const float *scores, size_t n, double rel);

/* One calibration example: a ranking (ids and scores, best first) and its valid set. Borrowed. */
typedef struct sr_ml_example {
  const char *const *ranked;
  const float *scores;
  size_t n;
  const char *const *valid;
  size_t n_valid;
} sr_ml_example;

/* Returns the grid value rel (of grid[0..n_grid), tried in order; ties keep the first) with the best
 * macro F1 of the threshold sets over ex[0..n_ex); *best_f1 (may be NULL) gets that F1. n_grid >= 1. */
double sr_ml_calibrate_threshold(const sr_ml_example *ex, size_t n_ex, const double *grid, size_t n_grid,
                                 double *best_f1);

#endif
