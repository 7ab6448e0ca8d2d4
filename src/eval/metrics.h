/* metrics.h — the SkillRouter evaluator's per-task ranking metrics ("core" mode).
 *
 * For a ranking r_0, r_1, ... and a judgement (ground truth G, optional graded labels):
 *   nDCG@k       DCG@k / IDCG@k, DCG@k = sum_{i<k} rel(r_i) / log2(i + 2). With graded labels, rel is the
 *                label value (0 when unlabelled) and IDCG is the DCG of all label values sorted
 *                descending; without labels, rel = 1 for ids in G and the ideal is |G| ones. 0 when IDCG = 0.
 *   Hit@1        1 if r_0 is in G.
 *   Precision@3  (number of positions i < 3 with r_i in G) / 3.
 *   MRR@10       1 / (i + 1) for the first i < 10 with r_i in G, else 0.
 *   Recall@k     |{r_i : i < k} ∩ G| / |G|                    (k = 10, 20, 50)
 *   FullCoverage@k  1 if G ⊆ {r_i : i < k}                     (k = 3, 5, 10)
 * As in the official evaluator, a ranking's repeated ids are NOT collapsed: a repeat of a relevant id
 * counts again in Precision@3 and in DCG (so nDCG may exceed 1 for such a ranking). Recall and
 * FullCoverage work on sets and are unaffected. A NULL ranking entry is a placeholder matching nothing.
 */
#ifndef SR_EVAL_METRICS_H
#define SR_EVAL_METRICS_H

#include <stddef.h>

typedef enum sr_metric {
  SR_M_NDCG1, SR_M_NDCG3, SR_M_NDCG10,
  SR_M_HIT1, SR_M_PRECISION3, SR_M_MRR10,
  SR_M_RECALL10, SR_M_RECALL20, SR_M_RECALL50,
  SR_M_FULLCOV3, SR_M_FULLCOV5, SR_M_FULLCOV10,
  SR_METRIC_COUNT
} sr_metric;

/* The official name ("nDCG@1", "Hit@1", ..., "FullCoverage@10"); never NULL for m < SR_METRIC_COUNT. */
const char *sr_metric_name(sr_metric m);

/* What is relevant for one task. Strings are borrowed. */
typedef struct sr_judgement {
  const char *const *gt;       /* G: distinct ids, n_gt >= 1 */
  size_t n_gt;
  const char *const *label_ids; /* graded labels (distinct ids); n_labels == 0 = binary nDCG */
  const double *label_rel;
  size_t n_labels;
} sr_judgement;

/* Scores ranked[0..n_ranked) against j into out[SR_METRIC_COUNT]. */
void sr_score_ranking(const char *const *ranked, size_t n_ranked, const sr_judgement *j,
                      double out[SR_METRIC_COUNT]);

#endif
