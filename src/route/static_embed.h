/* static_embed.h — the compact bi-encoder of the default model: a static table of term embeddings,
 * pooled with idf and field weights. Texts become bags of analysed terms; each term is hashed into
 * one of n_buckets rows (sr_hash64 with the model's seed, so unseen words still get a row); the text
 * vector is the weighted sum of its terms' rows, L2-normalised:
 *
 *   doc:    v = Σ_t idf[h(t)] · Σ_f fw_f · (1 + ln tf_f(t)) · E[h(t)]    (fields with tf_f = 0 add nothing)
 *   query:  v = Σ_t idf[h(t)] · (1 + ln qtf(t)) · E[h(t)]
 *
 * idf[] is part of the model: per row, the BM25 idf of the most frequent training-catalog term hashed
 * to it (rows no training term reached get the largest idf). So an entry's vector depends only on its
 * own text and the model — vectors are computed before indexing and cached by content hash.
 *
 * Ownership: an sr_senc holds a borrowed or owned table (see `owned`); sr_senc_free releases only what
 * it owns. Encoding functions are pure and thread-safe on a shared encoder.
 */
#ifndef SR_ROUTE_STATIC_EMBED_H
#define SR_ROUTE_STATIC_EMBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/forward.h"
#include "index/index.h"
#include "util/status.h"

typedef struct sr_senc {
  uint32_t n_buckets;        /* rows, a power of two */
  uint32_t dim;              /* columns */
  uint64_t seed;             /* hash seed of term → row */
  float field_weight[3];     /* name, description, body */
  float *emb;                /* [n_buckets * dim] */
  float *idf;                /* [n_buckets] row weights */
  bool owned;                /* emb and idf are malloc'd by this encoder */
} sr_senc;

/* One weighted row of a bag: v += weight · E[bucket]. */
typedef struct sr_wrow {
  uint32_t bucket;
  float weight;
} sr_wrow;

/* A new encoder with rows drawn from N(0, init_std²) by a seeded generator (training). */
sr_status sr_senc_init(sr_senc *e, uint32_t n_buckets, uint32_t dim, uint64_t seed, float init_std, sr_error *err);
void sr_senc_free(sr_senc *e);

/* Sets idf[] from an index's document frequencies (training). */
void sr_senc_set_idf(sr_senc *e, const sr_index *ix, const uint32_t *bucket);

/* The row of a term's bytes. */
uint32_t sr_senc_bucket(const sr_senc *e, const char *term, size_t len);
/* bucket[t] for every term id of ix (malloc'd [n_terms], caller frees); NULL when out of memory. */
uint32_t *sr_senc_term_buckets(const sr_senc *e, const sr_index *ix);

/* Weighted rows of entry d of a forward index (its terms, minus `minus` — a sorted, distinct list of
 * (term, counts) to subtract from the body, e.g. the text a pseudo-query was cut from; NULL = none).
 * Writes up to fwd's term count for d rows into out; returns how many. */
size_t sr_senc_doc_rows(const sr_senc *e, const sr_forward *fwd, const uint32_t *bucket, uint32_t d,
                        const sr_fwd_term *minus, size_t n_minus, sr_wrow *out);

/* v[dim] = normalised Σ weight·E[bucket]; returns the norm before normalisation (0: v is all zeros). */
float sr_senc_pool(const sr_senc *e, const sr_wrow *rows, size_t n, float *v);

/* Query rows from the distinct query terms: term ids (UINT32_MAX = not in the catalog, pass its
 * bucket in qbucket) with their counts. */
typedef struct sr_qterm {
  uint32_t term;             /* index term id or UINT32_MAX */
  uint32_t bucket;
  uint32_t count;            /* occurrences in the query */
  float idf;
} sr_qterm;
size_t sr_senc_query_rows(const sr_senc *e, const sr_qterm *q, size_t n, sr_wrow *out);

/* Weighted rows of an entry given as text (indexing a catalog): the fields are analysed with `an`
 * (the index's analyzer settings) and aggregated per distinct term exactly as sr_senc_doc_rows does
 * for an indexed entry, so both give the same vector. *rows is grown as needed (caller frees). */
typedef struct sr_senc_scratch sr_senc_scratch;
sr_senc_scratch *sr_senc_scratch_new(void);
void sr_senc_scratch_free(sr_senc_scratch *s);
sr_status sr_senc_text_rows(const sr_senc *e, void *analyzer, const char *const fields[3], sr_senc_scratch *s,
                            sr_wrow **rows, size_t *n_rows, sr_error *err);

#endif
