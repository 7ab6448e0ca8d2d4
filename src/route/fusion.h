/* fusion.h — combining ranked lists (hybrid retrieval).
 * RRF: score(d) = sum over lists of 1 / (rrf_k + rank(d)), rank 1-based, rrf_k = 60 by default.
 * Weighted: each list's scores min-max normalised to [0,1] over its own results (a list with one
 * distinct score gives 1), then score(d) = w * dense + (1 - w) * lexical; absent = 0.
 * Output best first, ties by lower id; ids are entry numbers. */
#ifndef SR_ROUTE_FUSION_H
#define SR_ROUTE_FUSION_H

#include <stddef.h>

#include "route/router.h"
#include "util/status.h"

typedef enum sr_fusion { SR_FUSE_RRF = 0, SR_FUSE_WEIGHTED = 1 } sr_fusion;

/* Fuses a[na] (dense) and b[nb] (lexical) into out (capacity k); *n_out = results written. */
sr_status sr_fuse(const sr_result *a, size_t na, const sr_result *b, size_t nb, sr_fusion how, double rrf_k,
                  double dense_weight, size_t k, sr_result *out, size_t *n_out, sr_error *err);

#endif
