/* dense.h — exact top-K dense retrieval over an index's vectors (inner product; vectors and queries
 * are L2-normalised, so this is cosine similarity).
 *
 * Kernels: a scalar reference and AVX2 (+FMA, F16C) versions chosen at run time (sr_cpu_get; the
 * SKILLROUTER_ISA=scalar environment variable forces the reference). f32 and f16 rows are scored
 * exactly against the f32 query. int8 rows (per-vector scale) are scored first with an int8-quantised
 * query (integer dot products), the best `rescore` candidates are then rescored with the f32 query
 * against the view's f16 refine rows (v->refine, the index's VECR section) — or, for views without
 * them, against the dequantised int8 rows — and the top K of those returned. Without refine rows the
 * int8 rounding of the stored rows bounds recall (0.985 recall@50 at 80K x 1024 random vectors, however
 * many candidates are rescored); with them the result equals exact f16 search when the true top K is
 * among the candidates (recall@50 1.0 there with 200 candidates).
 *
 * Single-threaded and allocation-light: safe to call from several threads on one shared view. */
#ifndef SR_ROUTE_DENSE_H
#define SR_ROUTE_DENSE_H

#include <stddef.h>

#include "index/vectors.h"
#include "route/router.h"
#include "util/status.h"

typedef struct sr_dense_opts {
  size_t k;          /* results wanted */
  size_t rescore;    /* int8: candidates rescored (0 = max(4k, 200)); ignored for f32/f16 */
  int force_scalar;  /* 1 = the scalar reference kernels (tests, benchmarks) */
} sr_dense_opts;

/* Writes up to k results (id = row number, score = dot product), best first, ties by lower id, to
 * out[k]; *n_out = min(k, v->n). q has v->dim floats. SR_ERR_ARG on k == 0 or a view without vectors. */
sr_status sr_dense_search(const sr_vec_view *v, const float *q, const sr_dense_opts *o, sr_result *out,
                          size_t *n_out, sr_error *err);

/* One row's score with the scalar reference (f32/f16 exact; int8: f32 query · f16 refine row, or ·
 * dequantised row without refine rows). */
float sr_dense_score_ref(const sr_vec_view *v, const float *q, size_t row);

#endif
