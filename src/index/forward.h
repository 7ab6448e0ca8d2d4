/* forward.h — the forward view of an index: for every entry, its distinct terms with per-field term
 * frequencies. Built by inverting the postings in memory (the file stores only the inverted lists).
 * Used by training (pseudo-query positives with their source text removed, bag-of-words encoders) and
 * by tests that check route-time feature extraction against it.
 *
 * Ownership: sr_forward_build returns an sr_forward the caller releases with sr_forward_free. It does
 * not borrow the index (term ids refer to it, so keep using the same index with them).
 */
#ifndef SR_INDEX_FORWARD_H
#define SR_INDEX_FORWARD_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "util/status.h"

/* One (entry, term) pair. tf_name/tf_desc saturate at 255, tf_body at 65535 (as stored in POST). */
typedef struct sr_fwd_term {
  uint32_t term;             /* term id in the index vocabulary */
  uint16_t tf_body;
  uint8_t tf_name, tf_desc;
} sr_fwd_term;               /* 8 bytes */

typedef struct sr_forward {
  uint32_t n_docs;
  uint64_t *start;           /* [n_docs + 1]: entry d's terms are terms[start[d] .. start[d+1]) */
  sr_fwd_term *terms;        /* sorted by term id within an entry */
  uint32_t *df;              /* [n_terms] document frequency of each term (copied from the index) */
  uint32_t n_terms;
  float *idf;                /* [n_terms] ln(1 + (N - df + .5)/(df + .5)), the router's idf */
  uint32_t *field_len;       /* [n_docs * 3] analysed terms in name, description, body */
  double avg_field_len[3];
} sr_forward;

/* Inverts ix's postings. SR_ERR_CORRUPT if a posting list does not decode; SR_ERR_NOMEM. */
sr_status sr_forward_build(const sr_index *ix, sr_forward **out, sr_error *err);
void sr_forward_free(sr_forward *f);

/* The idf the router uses for a term of document frequency df in a catalog of n entries. */
static inline float sr_idf(double n, double df) {
  return (float)log(1.0 + (n - df + 0.5) / (df + 0.5));
}

/* Term bytes of term id t (NUL-terminated, points into the index). */
const char *sr_index_term_str(const sr_index *ix, uint32_t t, size_t *len);
uint32_t sr_index_term_count(const sr_index *ix);
uint32_t sr_index_term_df(const sr_index *ix, uint32_t t);
/* Term id of term bytes; false when absent. */
bool sr_index_term_lookup(const sr_index *ix, const char *term, size_t len, uint32_t *t);
/* Analysed field lengths of entry d (name, description, body) and the corpus averages. */
void sr_index_field_lens(const sr_index *ix, uint32_t d, uint32_t len[3]);
void sr_index_avg_field_lens(const sr_index *ix, double avg[3]);

#endif
