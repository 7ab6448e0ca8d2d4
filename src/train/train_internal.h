/* train_internal.h — state shared by the training pipeline's parts (train_*.c); not a public API. */
#ifndef SR_TRAIN_INTERNAL_H
#define SR_TRAIN_INTERNAL_H

#include <stdint.h>

#include "index/forward.h"
#include "route/default_model.h"
#include "route/router.h"
#include "train/train.h"

#define SR_TRAIN_INIT_STD 0.1f  /* std of the encoder's random starting rows */
#define SR_TRAIN_LIST 50     /* first-stage lists kept per pair (lexical and dense top-50) */

typedef struct tctx {
  const sr_index *ix;
  const sr_forward *fwd;
  const sr_train_opts *o;
  sr_train_report *rep;
  sr_pairs pairs;
  sr_senc *enc;              /* the model's encoder being trained (borrowed) */
  uint32_t *bucket;          /* [n_terms] row of each index term */
  uint32_t n_docs, dim;
  int threads;
  float *docvec;             /* [n_docs * dim] current encoder vectors of the full entries */
  float *posvec;             /* [n_pairs * dim] positives with the pseudo-query's text removed */
  float *qvec;               /* [n_pairs * dim] query vectors */
  uint32_t *lex;             /* [n_pairs * SR_TRAIN_LIST] lexical top-50 (positive scored without its query text) */
  uint32_t *n_lex;           /* [n_pairs] */
  uint32_t *dense;           /* [n_pairs * SR_TRAIN_LIST] dense top-50 */
  int nneg;                  /* negatives per pair */
  uint32_t *neg;             /* [n_pairs * nneg], UINT32_MAX = none */
  uint32_t *cat;             /* [n_docs] category number */
  uint32_t n_cat;
  uint32_t *cat_start, *cat_docs;  /* docs grouped by category */
  float *adagrad;            /* [n_buckets] row-wise Adagrad accumulators of the encoder */
  char **norm_name;          /* [n_docs] lower-cased alphanumeric name (for the same-name filter) */
  /* for the progress lines' time estimates (measured as training goes) */
  int epochs;                /* encoder epochs of this run */
  double pass_seconds;       /* the last encoding pass (vectors, dense lists, held-out figures) */
  double mine_seconds;       /* the last negative mining */
} tctx;

void sr_train_log(const tctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* train_data.c */
sr_status sr_train_lexical_lists(tctx *t, sr_error *err);
/* docvec, posvec, qvec with the current encoder; SR_ERR_NOMEM when no buffer could be had */
sr_status sr_train_encode_all(tctx *t, sr_error *err);
/* dense top-50 of every pair (needs encode_all); SR_ERR_INTERRUPTED when o->cancel is set during the pass
 * (the lists are then incomplete), SR_ERR_NOMEM */
sr_status sr_train_dense_lists(tctx *t, sr_error *err);
sr_status sr_train_categories(tctx *t, sr_error *err);
sr_status sr_train_mine_negatives(tctx *t, bool use_dense, uint64_t seed, sr_error *err);
/* Body word-trigram Jaccard of two texts (exposed for tests). */
double sr_trigram_jaccard(const char *a, const char *b);

/* train_encoder_init.c: the starting table from the catalog's co-occurrence (random indexing; see
 * the file's comment). skip[d] (may be NULL) leaves entry d out; *rows_reached counts the rows set. */
sr_status sr_train_encoder_cooc_init(tctx *t, const uint8_t *skip, float init_std, size_t *rows_reached,
                                     sr_error *err);

/* train_encoder.c */
sr_status sr_train_encoder_epoch(tctx *t, int epoch, double *loss_out, sr_error *err);

/* train_reranker.c */
sr_status sr_train_reranker(tctx *t, sr_ltr *rr, sr_error *err);

#endif
