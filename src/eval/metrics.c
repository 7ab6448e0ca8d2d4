/* metrics.c — per-task ranking metrics (definitions in metrics.h). */
#include "eval/metrics.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const METRIC_NAMES[SR_METRIC_COUNT] = {
    "nDCG@1", "nDCG@3", "nDCG@10", "Hit@1", "Precision@3", "MRR@10",
    "Recall@10", "Recall@20", "Recall@50", "FullCoverage@3", "FullCoverage@5", "FullCoverage@10",
};

const char *sr_metric_name(sr_metric m) {
  assert(m < SR_METRIC_COUNT);
  return METRIC_NAMES[m];
}

static bool in_list(const char *id, const char *const *ids, size_t n) {
  if (!id) return false;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(id, ids[i])) return true;
  return false;
}

/* rel(id) under the judgement: the label value with graded labels, else 1 for G and 0 otherwise. */
static double gain(const char *id, const sr_judgement *j) {
  if (!id) return 0.0;
  if (j->n_labels == 0) return in_list(id, j->gt, j->n_gt) ? 1.0 : 0.0;
  for (size_t i = 0; i < j->n_labels; i++)
    if (!strcmp(id, j->label_ids[i])) return j->label_rel[i];
  return 0.0;
}

/* The ideal DCG at k = 1, 3, 10 into ideal[0..3). */
static void ideal_dcg(const sr_judgement *j, double ideal[3]) {
  static const size_t KS[3] = {1, 3, 10};
  double sorted[10];
  size_t n = 0;
  if (j->n_labels == 0) {
    for (; n < 10 && n < j->n_gt; n++) sorted[n] = 1.0;
  } else {
    /* Keep the 10 largest label values, descending, by insertion. */
    for (size_t i = 0; i < j->n_labels; i++) {
      double v = j->label_rel[i];
      size_t pos = n < 10 ? n : 10;
      while (pos > 0 && sorted[pos - 1] < v) pos--;
      if (pos >= 10) continue;
      size_t last = n < 10 ? n : 9;
      memmove(&sorted[pos + 1], &sorted[pos], (last - pos) * sizeof *sorted);
      sorted[pos] = v;
      if (n < 10) n++;
    }
  }
  for (int t = 0; t < 3; t++) {
    double dcg = 0.0;
    for (size_t i = 0; i < KS[t] && i < n; i++) dcg += sorted[i] / log2((double)i + 2.0);
    ideal[t] = dcg;
  }
}

/* Fraction of G found among ranked[0..k), and whether all of it was found. */
static double coverage(const char *const *ranked, size_t n_ranked, size_t k, const sr_judgement *j,
                       bool *all_found) {
  size_t found = 0;
  size_t top = k < n_ranked ? k : n_ranked;
  for (size_t g = 0; g < j->n_gt; g++)
    for (size_t i = 0; i < top; i++)
      if (ranked[i] && !strcmp(ranked[i], j->gt[g])) {
        found++;
        break;
      }
  *all_found = found == j->n_gt;
  return (double)found / (double)j->n_gt;
}

void sr_score_ranking(const char *const *ranked, size_t n_ranked, const sr_judgement *j,
                      double out[SR_METRIC_COUNT]) {
  assert(j && j->n_gt >= 1 && out && (ranked || n_ranked == 0));
  double ideal[3];
  ideal_dcg(j, ideal);
  double dcg1 = 0, dcg3 = 0, dcg10 = 0;
  for (size_t i = 0; i < 10 && i < n_ranked; i++) {
    double g = gain(ranked[i], j) / log2((double)i + 2.0);
    if (i < 1) dcg1 += g;
    if (i < 3) dcg3 += g;
    dcg10 += g;
  }
  out[SR_M_NDCG1] = ideal[0] > 0 ? dcg1 / ideal[0] : 0.0;
  out[SR_M_NDCG3] = ideal[1] > 0 ? dcg3 / ideal[1] : 0.0;
  out[SR_M_NDCG10] = ideal[2] > 0 ? dcg10 / ideal[2] : 0.0;

  out[SR_M_HIT1] = n_ranked > 0 && in_list(ranked[0], j->gt, j->n_gt) ? 1.0 : 0.0;
  size_t hits3 = 0;
  for (size_t i = 0; i < 3 && i < n_ranked; i++) hits3 += in_list(ranked[i], j->gt, j->n_gt);
  out[SR_M_PRECISION3] = (double)hits3 / 3.0;
  out[SR_M_MRR10] = 0.0;
  for (size_t i = 0; i < 10 && i < n_ranked; i++)
    if (in_list(ranked[i], j->gt, j->n_gt)) {
      out[SR_M_MRR10] = 1.0 / (double)(i + 1);
      break;
    }
  bool all;
  out[SR_M_RECALL10] = coverage(ranked, n_ranked, 10, j, &all);
  out[SR_M_RECALL20] = coverage(ranked, n_ranked, 20, j, &all);
  out[SR_M_RECALL50] = coverage(ranked, n_ranked, 50, j, &all);
  coverage(ranked, n_ranked, 3, j, &all);
  out[SR_M_FULLCOV3] = all;
  coverage(ranked, n_ranked, 5, j, &all);
  out[SR_M_FULLCOV5] = all;
  coverage(ranked, n_ranked, 10, j, &all);
  out[SR_M_FULLCOV10] = all;
}
