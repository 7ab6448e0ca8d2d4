/* pairs.h — training pairs (query text, positive entry) for the default model: pseudo-queries cut from
 * the catalog's own skills, and labelled pairs from a user's JSONL.
 *
 * Pseudo-query kinds (each pair records its kind):
 *   WHEN  the text under a "When to use" / "Use cases" / "Triggers" heading, or a "Use this skill when…"
 *         paragraph of the body (≤ 120 words)
 *   SPAN  a window of 40–160 words of the body's prose (code fences skipped), starting at a sentence
 *   DESC  the description with the skill's own name words removed
 *   LABEL a user's labelled (query, skill id) pair
 *   LLM   a labelled pair whose JSONL line says "source": "llm" (written by train/query_writer.h)
 * The text a pseudo-query was cut from is recorded as `minus` (per-field term counts) so that training
 * scores the positive with that text removed: the query can never match itself.
 *
 * Ownership: an sr_pairs owns every pair's strings and arrays; sr_pairs_free releases them.
 */
#ifndef SR_TRAIN_PAIRS_H
#define SR_TRAIN_PAIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/forward.h"
#include "index/index.h"
#include "route/static_embed.h"
#include "util/rng.h"
#include "util/status.h"

typedef enum sr_pair_kind { SR_PQ_WHEN = 0, SR_PQ_SPAN, SR_PQ_DESC, SR_PQ_LABEL, SR_PQ_LLM, SR_PQ_NKINDS } sr_pair_kind;

/* True for pairs a user supplied (LABEL) or an LLM wrote (LLM), as opposed to pseudo-queries cut from the skill. */
static inline bool sr_pair_kind_labelled(int kind) { return kind == SR_PQ_LABEL || kind == SR_PQ_LLM; }

/* Splits: the encoder trains on ENCODER pairs only; the reranker on RERANKER pairs (whose encoder
 * cosines are then as unseen as a real query's); HELDOUT pairs only measure. */
enum { SR_SPLIT_ENCODER = 0, SR_SPLIT_RERANKER = 1, SR_SPLIT_HELDOUT = 2 };

typedef struct sr_pair {
  uint32_t doc;              /* positive entry */
  uint8_t kind;              /* sr_pair_kind */
  uint8_t split;             /* SR_SPLIT_*: who trains on it */
  char *query;               /* NUL-terminated */
  sr_qterm *q;               /* distinct query terms resolved in the index (bucket per the encoder) */
  uint32_t nq;
  sr_fwd_term *minus;        /* sorted by term: counts to subtract from the positive (none for LABEL and LLM) */
  uint32_t n_minus;
  uint32_t group;            /* pairs with the same labelled query text share a group (and a split);
                              * every pseudo-query is a group of its own */
} sr_pair;

typedef struct sr_pairs {
  sr_pair *v;
  size_t n, cap;
  size_t by_kind[SR_PQ_NKINDS];
  size_t skipped_short, excluded;
  size_t labelled_excluded;  /* labelled lines skipped because their skill is excluded */
  size_t labelled_duplicates;  /* labelled lines repeating an earlier (query, skill) */
  /* the positives of each group: group g's entries are group_doc[group_start[g] .. group_start[g + 1]);
   * a query with several right answers (a multi-tool task) is one group with several positives */
  uint32_t n_groups;
  uint32_t *group_start;     /* [n_groups + 1] */
  uint32_t *group_doc;       /* [n] */
} sr_pairs;

/* True when entry d is a positive of pair i's group (i's own positive included). */
bool sr_pairs_group_has(const sr_pairs *ps, size_t i, uint32_t d);

typedef struct sr_pairs_opts {
  uint64_t seed;
  size_t n_queries;          /* pseudo-queries wanted (at most one per entry) */
  double desc_ratio;         /* share of DESC queries among entries without a WHEN section */
  double heldout;            /* share of pairs held out */
  double reranker_share;     /* share of pairs kept for the reranker only */
  double labelled_reranker_share;  /* the same for labelled (LABEL, LLM) pairs; 0 = reranker_share */
  /* JSONL files of {"query": .., "skill_id"|"id": .., optional "source": "llm"}, read in this order;
   * a line whose skill is excluded is skipped (counted in labelled_excluded) */
  const char *const *labelled_paths;
  size_t n_labelled;
  const char *const *exclude_ids;  /* never used as positives (benchmark ground truth and copies) */
  size_t n_exclude;
} sr_pairs_opts;

/* The reranker share that labelled pairs actually get: labelled_reranker_share, or reranker_share when 0. */
static inline double sr_pairs_labelled_share(const sr_pairs_opts *o) {
  return o->labelled_reranker_share > 0 ? o->labelled_reranker_share : o->reranker_share;
}

/* Builds pairs over ix. The encoder gives the query terms' buckets. Fails (naming file:line) on a
 * labelled line that is not {"query": string, "skill_id": string} or whose id is not in the index. */
sr_status sr_pairs_build(const sr_index *ix, const sr_senc *enc, const sr_pairs_opts *o, sr_pairs *out, sr_error *err);
void sr_pairs_free(sr_pairs *p);

/* flags[d] = 1 for every entry of ix whose id is in ids[0..n) (ids not in ix are ignored); calloc'd
 * [count of ix, at least 1], caller frees; NULL when out of memory. *marked (may be NULL) counts the
 * entries flagged. */
uint8_t *sr_pairs_excluded(const sr_index *ix, const char *const *ids, size_t n, size_t *marked);
/* order[0..n) = a shuffle of 0..n-1 drawn from r (seeded by the caller with the training seed): the
 * order in which entries are sampled for pseudo-queries and for LLM-written queries, so the same seed
 * picks the same skills for both. */
void sr_pairs_order(uint32_t *order, uint32_t n, sr_rng *r);

/* Text extraction (exposed for tests). Each writes a malloc'd NUL-terminated string into *out, or
 * NULL when the body has nothing suitable. */
char *sr_pq_when(const char *body, size_t max_words);
char *sr_pq_span(const char *body, uint64_t rnd, size_t min_words, size_t max_words);
char *sr_pq_desc(const char *name, const char *description);
const char *sr_pair_kind_name(sr_pair_kind k);

#endif
