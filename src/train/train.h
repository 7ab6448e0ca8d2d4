/* train.h — the training pipeline of the default model (`skillrouter train`): pairs → hard negatives
 * (with the three-layer false-negative filter) → the static bi-encoder (InfoNCE with in-batch and hard
 * negatives) → the listwise reranker over the first stage's shortlist (the mean of rr_members networks
 * trained from different seeds). Deterministic for a given seed,
 * index and options (threads only split work whose results are combined in a fixed order).
 *
 * Ownership: sr_train fills a caller-provided sr_default_model (route/default_model.h) that the caller
 * releases with sr_default_model_free. Everything else is internal to the call.
 */
#ifndef SR_TRAIN_TRAIN_H
#define SR_TRAIN_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/forward.h"
#include "index/index.h"
#include "route/default_model.h"
#include "train/pairs.h"
#include "util/status.h"

typedef enum sr_rr_loss { SR_RR_LISTWISE = 0, SR_RR_POINTWISE = 1 } sr_rr_loss;

typedef struct sr_train_opts {
  uint64_t seed;
  sr_pairs_opts pairs;       /* pseudo-queries, labelled pairs, exclusions, held-out share */
  /* hard negatives per query: from the current dense model's top-50, BM25's top-50, the same category
   * (pack, category or repository), and one random entry from another category */
  int neg_dense, neg_bm25, neg_cat, neg_rand;
  bool filter;               /* the false-negative filter (false = raw negatives, the ablation) */
  float fn_jaccard;          /* body word-trigram Jaccard above this = false negative (0.6) */
  float fn_cosine;           /* encoder cosine above this = false negative (0.92) */
  /* bi-encoder */
  uint32_t buckets, dim;
  float init_std;            /* std of the encoder's random starting rows (0 = SR_TRAIN_INIT_STD) */
  bool cooc_init;            /* start the table from catalog co-occurrence (--cooc-init) instead of random rows:
                              * better on held-out pseudo-queries, worse on SkillsBench's hard tier
                              * (BENCHMARKS.md §8), so off by default */
  int epochs;
  size_t batch;
  float lr, tau;             /* Adagrad learning rate; InfoNCE temperature (0.05) */
  /* reranker */
  bool train_reranker;
  int rr_epochs;
  bool rr_average;           /* final weights = the mean of the weights after each epoch of the second half */
  size_t rr_list;            /* candidates per list from each first-stage list (lexical, dense) */
  uint32_t rr_hidden;        /* hidden units of each member */
  uint32_t rr_members;       /* networks trained from different seeds (init and list order) on the same lists;
                              * the model's network is their mean (one network of members × rr_hidden units,
                              * ≤ SR_LTR_MAX_HIDDEN); 1 = a single network */
  uint32_t rr_features;       /* network inputs: SR_LTR_NFEAT (24, default) or SR_LTR_NFEAT_V1 (20: without the
                              * query-repeat features; ablation) */
  float rr_lr, rr_tau;
  sr_rr_loss rr_loss;
  /* drop the positive's copies (same normalised name, or holding the query's source text) from the
   * reranker's training lists (default false: kept as negatives). Held-out lists always drop them, so
   * held-out figures compare across this option. Dropping raised held-out Hit@1 by 2.3 points but lost
   * one SkillsBench task in each view, so the default model keeps them (BENCHMARKS.md §8). */
  bool rr_drop_copies;
  /* each labelled (LABEL, LLM) reranker list is trained this many times per epoch (a loss weight for
   * the few task-style queries among many pseudo-queries); 0 or 1 = once, like every list */
  uint32_t rr_labelled_weight;
  int threads;               /* 0 = all cores */
  const char *checkpoint_path;  /* model written after every encoder epoch (atomically) with the training
                                 * state `resume_from` needs, or NULL */
  const char *resume_from;   /* continue the run whose checkpoint this is: the same index, data and encoder
                              * options (checked by a fingerprint) give the same model as a run never
                              * stopped; `epochs` may be raised to train on. NULL = start afresh */
  const char *encoder_from;  /* take the encoder (table, idf, hashing) from this model file and train only
                              * the reranker (its lists use that encoder), or NULL */
  /* progress lines (one per phase step/epoch), or NULL */
  void (*log)(void *ctx, const char *line);
  void *log_ctx;
  volatile int *cancel;
} sr_train_opts;

sr_train_opts sr_train_defaults(void);

/* Held-out and training figures, for the log and the model card. */
typedef struct sr_train_report {
  size_t pairs_train, pairs_reranker, pairs_heldout;  /* encoder-only, reranker-only, held out */
  size_t by_kind[SR_PQ_NKINDS];
  size_t fn_same_name, fn_jaccard, fn_cosine, negatives;
  double heldout_lex_hit1, heldout_lex_mrr;      /* BM25F alone on held-out pseudo-queries */
  double heldout_dense_hit1, heldout_dense_mrr, heldout_dense_r50;
  size_t rr_copies_name, rr_copies_text;         /* candidates dropped from reranker lists as copies */
  size_t rr_copies_group;                        /* ... as other right answers of the same labelled query */
  size_t rr_train_lists;                         /* reranker lists per epoch (labelled ones counted × weight) */
  size_t rr_labelled_lists;                      /* distinct labelled (LABEL, LLM) lists among them */
  double heldout_rr_hit1, heldout_rr_mrr, heldout_shortlist_recall;
  int resumed_epochs;                            /* encoder epochs taken from resume_from's checkpoint */
  int checkpoint_epochs;                         /* encoder epochs in the last checkpoint written or resumed
                                                  * from (0 = none): what a stopped run can resume from */
  double seconds;                                /* of this call (a resumed run's earlier time not counted) */
} sr_train_report;

sr_status sr_train(const sr_index *ix, const sr_train_opts *o, sr_default_model *model, sr_train_report *rep,
                   sr_error *err);

#endif
