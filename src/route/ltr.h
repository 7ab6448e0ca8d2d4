/* ltr.h — the default model's reranker: interaction features of (query, candidate) fed to a small
 * network that scores each candidate of a shortlist; trained listwise (see train/).
 *
 * Features of candidate i in a list (all from the query's distinct terms with idf, the candidate's
 * per-field term frequencies of those terms, its field lengths, its dense cosine and its ranks):
 *   BM25F (the router's formula and parameters), per-field BM25 of name / description / body, each
 *   divided by the query's idf mass, and each also as the gap to the list's best; idf-weighted query
 *   coverage of name, description, body and any field; the share of the name's and the description's
 *   words found in the query; the cosine of the static encoder and its gap to the list's best; the
 *   reciprocal lexical and dense ranks; log field lengths (features 0-19, the first models' set);
 *   then 20-23, the same BM25F and any-field coverage with each query term weighted by how often the
 *   query repeats it ((k3+1)·qtf/(k3+qtf), k3 = SR_LTR_QTF_K3: a long task text names its subject
 *   many times, its boilerplate once), the BM25F's gap to the list's best, and that weighted coverage
 *   of name + description.
 * Query terms found in more than max_df of the catalog are left out, as the router does.
 *
 * Network: x' = (x - mean) / std over the model's first n_feat features (20 or 24: models trained
 * before features 20-23 existed keep working), h = relu(W1 x' + b1), score = w2 · h + b2.
 * A reranker trained as the mean of several networks (train --rr-members) has this same form: their
 * hidden units side by side, output weights and bias divided by their count.
 *
 * Ownership: an sr_ltr owns its weights (sr_ltr_free). sr_ltr_score is thread-safe on a shared model.
 * An sr_ltr_list is a caller-owned scratch (sr_ltr_list_free), one per thread.
 */
#ifndef SR_ROUTE_LTR_H
#define SR_ROUTE_LTR_H

#include <stddef.h>
#include <stdint.h>

#include "index/forward.h"
#include "index/index.h"
#include "route/router.h"
#include "route/static_embed.h"
#include "util/status.h"

#define SR_LTR_NFEAT 24          /* features computed per candidate (the row stride of feat) */
#define SR_LTR_NFEAT_V1 20       /* the first models' feature set (a prefix of the current one) */
#define SR_LTR_QTF_K3 8.0f       /* query-term repeat saturation of features 20-23 */
#define SR_LTR_MAX_HIDDEN 256

typedef struct sr_ltr {
  uint32_t n_feat;           /* inputs used: the first n_feat features, SR_LTR_NFEAT_V1..SR_LTR_NFEAT */
  uint32_t hidden;
  float mean[SR_LTR_NFEAT], std[SR_LTR_NFEAT];
  float *w1;                 /* [hidden * n_feat] (row h = the weights of hidden unit h) */
  float *b1;                 /* [hidden] */
  float *w2;                 /* [hidden] */
  float b2;
} sr_ltr;

/* Random weights (seeded), mean 0 / std 1, for n_feat inputs (SR_LTR_NFEAT_V1..SR_LTR_NFEAT; else
 * SR_ERR_ARG) and `hidden` units (1..SR_LTR_MAX_HIDDEN). */
sr_status sr_ltr_init(sr_ltr *m, uint32_t hidden, uint32_t n_feat, uint64_t seed, sr_error *err);
void sr_ltr_free(sr_ltr *m);

/* One shortlist being scored: candidates, their raw signals and the feature matrix. */
typedef struct sr_ltr_list {
  size_t n, cap;             /* candidates */
  size_t nq, cap_q;          /* query terms kept (df ≤ max_df) */
  size_t cap_tf;             /* capacity of tf in elements */
  uint32_t *doc;             /* [n] entry numbers */
  uint16_t *tf;              /* [n * nq * 3] per candidate, per query term: tf in name, desc, body */
  uint32_t *len;             /* [n * 3] field lengths (after any subtraction) */
  float *cosine;             /* [n] static-encoder cosine (0 when none) */
  int32_t *lex_rank, *dense_rank;  /* [n] 0-based, -1 = not in that list */
  float *feat;               /* [n * SR_LTR_NFEAT] */
  uint32_t *qterm;           /* [nq] term ids kept */
  float *qidf;               /* [nq] */
  float *qweight;            /* [nq] query-repeat weight (k3+1)·qtf/(k3+qtf) of each kept term */
} sr_ltr_list;

void sr_ltr_list_free(sr_ltr_list *l);

/* Starts a list for a query: keeps the query terms (of q[0..nq), distinct, with their counts) that are
 * in the index with df ≤ max_df (all in-index terms when none is), and reserves room for n candidates. */
sr_status sr_ltr_list_begin(sr_ltr_list *l, const sr_index *ix, const sr_qterm *q, size_t nq, size_t n,
                            float max_df_ratio, sr_error *err);
/* Fills tf[] and len[] of the n candidates l->doc[0..n) from the postings (route time). */
sr_status sr_ltr_gather_postings(sr_ltr_list *l, const sr_index *ix, sr_error *err);
/* The same from a forward index (training); candidate `minus_doc` (or UINT32_MAX) has `minus`
 * subtracted from its counts and lengths. */
void sr_ltr_gather_forward(sr_ltr_list *l, const sr_forward *fwd, uint32_t minus_doc, const sr_fwd_term *minus,
                           size_t n_minus);
/* Computes l->feat (all SR_LTR_NFEAT features) from tf/len/cosine/ranks with BM25F parameters p and
 * the catalog statistics. */
void sr_ltr_features(sr_ltr_list *l, const sr_bm25f_params *p, double n_docs, const double avg_len[3]);
/* BM25F score of candidate i (the router's formula; equals sr_route's score for the same terms). */
float sr_ltr_bm25f(const sr_ltr_list *l, size_t i, const sr_bm25f_params *p, const double avg_len[3]);
/* out[i] = network score of candidate i (features already computed; the first m->n_feat are used). */
void sr_ltr_score(const sr_ltr *m, const sr_ltr_list *l, float *out);

#endif
