/* default_route.h — routing with the default model: lexical BM25F top-L and static-encoder dense
 * top-L, their union reranked by the model's network, then the rest of the lexical and dense lists.
 *
 * Document vectors come from the index's VECS section when it was written with this model (same model
 * id); otherwise they are computed in memory when the router is created (seconds for 80K entries) and
 * `vectors_computed` says so (re-run `skillrouter index` to store them).
 *
 * Ownership: an sr_default_router borrows the index and the model (both must outlive it) and owns its
 * searcher, scratch and any computed vectors; sr_default_router_free releases them. One router per
 * thread (create several over one shared index and model).
 */
#ifndef SR_ROUTE_DEFAULT_ROUTE_H
#define SR_ROUTE_DEFAULT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "index/index.h"
#include "index/vectors.h"
#include "route/default_model.h"
#include "route/router.h"
#include "util/status.h"

typedef struct sr_default_router sr_default_router;

typedef struct sr_default_route_opts {
  size_t list;               /* candidates taken from each first-stage list (default 20) */
  bool no_rerank;            /* fuse lexical and dense by reciprocal rank instead (ablation) */
  bool no_dense;             /* lexical list only (then reranked) (ablation) */
  bool dense_only;           /* the encoder's list alone: no lexical list, no reranker (ablation) */
  int threads;               /* for computing vectors in memory (0 = all cores) */
} sr_default_route_opts;

typedef struct sr_default_route_timing {
  double lexical_ms, dense_ms, rerank_ms, total_ms;
} sr_default_route_timing;

sr_status sr_default_router_new(const sr_index *ix, const sr_default_model *m, const sr_default_route_opts *o,
                                sr_default_router **out, sr_error *err);
void sr_default_router_free(sr_default_router *r);
/* True when the index lacked this model's vectors and they were computed in memory. */
bool sr_default_router_vectors_computed(const sr_default_router *r);

/* Routes `query`: up to k results (ids = entry numbers, score = reranker score for the reranked
 * candidates, then decreasing values below them for the tail) into out[k]. The lexical-only list (the
 * stage before the model) goes to lexical_out[k] when not NULL (its count into *n_lexical). */
sr_status sr_default_route(sr_default_router *r, const char *query, size_t len, size_t k, sr_result *out,
                           size_t *n_out, sr_result *lexical_out, size_t *n_lexical, sr_default_route_timing *timing,
                           sr_error *err);

/* Vectors of every entry of ix with the model's encoder (index order, [n * dim] malloc'd). */
sr_status sr_default_doc_vectors(const sr_index *ix, const sr_default_model *m, int threads, float **out,
                                 sr_error *err);


/* Vectors of every catalog entry (catalog order, [n * dim] malloc'd into *out) from its text, for
 * `skillrouter index`: analysed with `an_opts` (the settings the index is built with). Entries of
 * `prev` (may be NULL) with the same id and content hash whose stored vectors are this model's are
 * copied instead (*reused counts them). Thread-parallel; cancellable (SR_ERR_INTERRUPTED). */
struct sr_catalog;
sr_status sr_default_embed_catalog(const struct sr_catalog *cat, const sr_index *prev, const sr_default_model *m,
                                   const sr_analyzer_opts *an_opts, int threads, volatile int *cancel, float **out,
                                   size_t *reused, sr_error *err);

#endif
